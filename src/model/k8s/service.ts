import type { DiagnosticSink } from '../../diagnostics.js';
import { type Meta, parseMeta } from './meta.js';
import {
  field,
  type Reader,
  readArray,
  readInteger,
  readIntOrString,
  readOptionalString,
  readRecord,
  readString,
} from './read.js';

export interface ServicePortView {
  /** '' when unnamed. */
  readonly name: string;
  readonly port: number;
  readonly targetPort: number | string | undefined;
  /** 'TCP' when unset. */
  readonly protocol: string;
  readonly appProtocol: string | undefined;
}

export interface ServiceView {
  readonly kind: 'Service';
  readonly meta: Meta;
  /** 'ClusterIP' when unset. */
  readonly type: string;
  readonly ports: readonly ServicePortView[];
  readonly externalName: string | undefined;
}

export function parseService(object: unknown, sink: DiagnosticSink): ServiceView | undefined {
  const meta = parseMeta('Service', object, sink, true);
  if (meta === undefined) return undefined;
  const r: Reader = { ref: meta.ref, sink };
  const spec = readRecord(r, field(object, 'spec'), specPath) ?? {};
  const ports: ServicePortView[] = [];
  readArray(r, spec.ports, portsPath).forEach((entry, i) => {
    const at = (...rest: string[]) => ['spec', 'ports', i, ...rest];
    if (readRecord(r, entry, () => at()) === undefined) return;
    const port = readInteger(r, field(entry, 'port'), () => at('port'), 1, 65535);
    if (port === undefined) {
      if (field(entry, 'port') === undefined)
        sink.report('InvalidField', meta.ref, at('port'), 'port is required; port skipped');
      return;
    }
    // An unreadable name or protocol must not fall back to "unnamed" or TCP.
    const name = readOptionalString(r, field(entry, 'name'), () => at('name'), 63);
    const protocol = readOptionalString(r, field(entry, 'protocol'), () => at('protocol'), 16);
    if (name === 'invalid' || protocol === 'invalid') return;
    ports.push({
      name: name.value ?? '',
      port,
      targetPort: readIntOrString(r, field(entry, 'targetPort'), () => at('targetPort')),
      protocol: protocol.value ?? 'TCP',
      appProtocol: readString(r, field(entry, 'appProtocol'), () => at('appProtocol'), 253),
    });
  });
  return {
    kind: 'Service',
    meta,
    type: readString(r, spec.type, () => ['spec', 'type'], 64) ?? 'ClusterIP',
    ports,
    externalName: readString(r, spec.externalName, () => ['spec', 'externalName'], 253),
  };
}

const specPath = ['spec'] as const;
const portsPath = ['spec', 'ports'] as const;
