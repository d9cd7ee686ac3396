import type { DiagnosticSink } from '../../diagnostics.js';
import { type Meta, parseMeta } from './meta.js';
import { field, type Reader, readRecord, readString } from './read.js';

export interface SecretView {
  readonly kind: 'Secret';
  readonly meta: Meta;
  /** 'Opaque' when unset. */
  readonly type: string;
  /** Decoded `data` with `stringData` merged over it, as the API server does. */
  readonly data: ReadonlyMap<string, Uint8Array>;
}

/** Kubernetes caps a Secret at 1 MiB. */
const maxSecretBytes = 1024 * 1024;
const base64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function parseSecret(object: unknown, sink: DiagnosticSink): SecretView | undefined {
  const meta = parseMeta('Secret', object, sink, true, { keepAnnotations: false });
  if (meta === undefined) return undefined;
  const r: Reader = { ref: meta.ref, sink };
  const data = new Map<string, Uint8Array>();
  const encoded = readRecord(r, field(object, 'data'), ['data']) ?? {};
  for (const key of Object.keys(encoded).sort()) {
    const text = readString(r, encoded[key], ['data', key], (maxSecretBytes * 4) / 3 + 4);
    if (text === undefined) continue;
    const compact = text.replace(/\s+/g, '');
    if (compact.length % 4 !== 0 || !base64.test(compact)) {
      sink.report('InvalidField', meta.ref, ['data', key], 'value is not valid base64');
      continue;
    }
    data.set(key, new Uint8Array(Buffer.from(compact, 'base64')));
  }
  const plain = readRecord(r, field(object, 'stringData'), ['stringData']) ?? {};
  for (const key of Object.keys(plain).sort()) {
    const text = readString(r, plain[key], ['stringData', key], maxSecretBytes);
    if (text !== undefined) data.set(key, new TextEncoder().encode(text));
  }
  return {
    kind: 'Secret',
    meta,
    type: readString(r, field(object, 'type'), ['type'], 253) ?? 'Opaque',
    data,
  };
}
