import type { DiagnosticSink } from '../../diagnostics.js';
import { type Meta, parseMeta } from './meta.js';
import { field, type Reader, readArray, readRecord, readString } from './read.js';

export interface TLSCertificateDelegationView {
  readonly kind: 'TLSCertificateDelegation';
  readonly meta: Meta;
  readonly delegations: readonly {
    readonly secretName: string;
    readonly targetNamespaces: readonly string[];
  }[];
}

export function parseTLSCertificateDelegation(
  object: unknown,
  sink: DiagnosticSink,
): TLSCertificateDelegationView | undefined {
  const meta = parseMeta('TLSCertificateDelegation', object, sink, true, { keepAnnotations: false });
  if (meta === undefined) return undefined;
  const r: Reader = { ref: meta.ref, sink };
  const spec = readRecord(r, field(object, 'spec'), ['spec']);
  const delegations: { secretName: string; targetNamespaces: string[] }[] = [];
  readArray(r, field(spec, 'delegations'), ['spec', 'delegations']).forEach((entry, i) => {
    const path = ['spec', 'delegations', i];
    const secretName = readString(r, field(entry, 'secretName'), [...path, 'secretName'], 253);
    if (secretName === undefined) return;
    const targetNamespaces: string[] = [];
    readArray(r, field(entry, 'targetNamespaces'), [...path, 'targetNamespaces']).forEach((ns, j) => {
      const text = readString(r, ns, [...path, 'targetNamespaces', j], 63);
      if (text !== undefined) targetNamespaces.push(text);
    });
    delegations.push({ secretName, targetNamespaces });
  });
  return { kind: 'TLSCertificateDelegation', meta, delegations };
}
