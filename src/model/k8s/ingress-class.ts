import type { DiagnosticSink } from '../../diagnostics.js';
import { type Meta, parseMeta } from './meta.js';
import { field, type Reader, readRecord, readString } from './read.js';

export interface IngressClassView {
  readonly kind: 'IngressClass';
  readonly meta: Meta;
  readonly controller: string;
  /** `ingressclass.kubernetes.io/is-default-class: "true"` */
  readonly isDefault: boolean;
}

export function parseIngressClass(object: unknown, sink: DiagnosticSink): IngressClassView | undefined {
  const meta = parseMeta('IngressClass', object, sink, false);
  if (meta === undefined) return undefined;
  const r: Reader = { ref: meta.ref, sink };
  const spec = readRecord(r, field(object, 'spec'), ['spec']);
  return {
    kind: 'IngressClass',
    meta,
    controller: readString(r, field(spec, 'controller'), ['spec', 'controller'], 253) ?? '',
    isDefault: meta.annotations.get('ingressclass.kubernetes.io/is-default-class') === 'true',
  };
}
