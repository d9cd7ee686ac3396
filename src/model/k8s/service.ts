import type { DiagnosticSink } from '../../diagnostics.js';
import { type Meta, parseMeta } from './meta.js';
import {
  field,
  invalidString,
  isIntegerIn,
  isPlainString,
  isRecord,
  optionalStringAt,
  type Reader,
  readArray,
  readInteger,
  readIntOrString,
  readRecord,
  readString,
  settle,
  sized,
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

/**
 * One entry of spec.ports, or undefined (reported) when it cannot be used. Fields are tested first
 * and handed to their reader, which reports with the path, only when they are not plainly valid.
 */
function parseServicePort(r: Reader, entry: unknown, i: number): ServicePortView | undefined {
  const at = (key: string) => ['spec', 'ports', i, key];
  if (!isRecord(entry)) {
    readRecord(r, entry, ['spec', 'ports', i]);
    return undefined;
  }
  const portValue = field(entry, 'port');
  const port = isIntegerIn(portValue, 1, 65535) ? portValue : readInteger(r, portValue, at('port'), 1, 65535);
  if (port === undefined) {
    if (portValue === undefined)
      r.sink.report('InvalidField', r.ref, at('port'), 'port is required; port skipped');
    return undefined;
  }
  // An unreadable name or protocol must not fall back to "unnamed" or TCP.
  const name = optionalStringAt(r, field(entry, 'name'), at, 'name', 63);
  const protocol = optionalStringAt(r, field(entry, 'protocol'), at, 'protocol', 16);
  if (name === invalidString || protocol === invalidString) return undefined;
  const targetPort = field(entry, 'targetPort');
  const appProtocol = field(entry, 'appProtocol');
  return {
    name: name ?? '',
    port,
    targetPort:
      isIntegerIn(targetPort, 1, 65535) || isPlainString(targetPort, 253)
        ? targetPort
        : readIntOrString(r, targetPort, at('targetPort')),
    protocol: protocol ?? 'TCP',
    appProtocol: isPlainString(appProtocol, 253)
      ? appProtocol
      : readString(r, appProtocol, at('appProtocol'), 253),
  };
}

export function parseService(object: unknown, sink: DiagnosticSink): ServiceView | undefined {
  const meta = parseMeta('Service', object, sink, true);
  if (meta === undefined) return undefined;
  const r: Reader = { ref: meta.ref, sink };
  const spec = readRecord(r, field(object, 'spec'), specPath) ?? {};
  const list = readArray(r, spec.ports, portsPath);
  const ports = sized<ServicePortView>(list.length);
  let count = 0;
  for (let i = 0; i < list.length; i++) {
    const port = parseServicePort(r, list[i], i);
    if (port !== undefined) ports[count++] = port;
  }
  settle(ports, count);
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
