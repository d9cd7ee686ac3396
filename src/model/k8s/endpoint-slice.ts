import type { DiagnosticSink, FieldPath } from '../../diagnostics.js';
import { type Meta, parseMeta } from './meta.js';
import {
  field,
  invalidString,
  isIntegerIn,
  isPlainRecord,
  isPlainString,
  isRecord,
  optionalStringAt,
  ownField,
  type Reader,
  readArray,
  readBoolean,
  readInteger,
  readRecord,
  readString,
  settle,
  sized,
  uninherited,
} from './read.js';

export interface EndpointPortView {
  /** '' when unnamed. */
  readonly name: string;
  readonly port: number | undefined;
  /** 'TCP' when unset. */
  readonly protocol: string;
}

/**
 * The endpoints of a slice that serve traffic (ready, which unset counts as, and not terminating),
 * in slice order, as parallel arrays: a slice can hold a thousand endpoints, and one object each
 * would be most of what a large cluster's views hold.
 */
export interface ServingEndpoints {
  /** The first address of each; undefined when unreadable (reported while parsing). */
  readonly addresses: readonly (string | undefined)[];
  readonly zones: readonly string[];
  /**
   * Each one's index in the slice's `endpoints`, for diagnostics; undefined when every endpoint
   * serves, so that the i-th is `endpoints[i]`.
   */
  readonly indexes: readonly number[] | undefined;
}

export interface EndpointSliceView {
  readonly kind: 'EndpointSlice';
  readonly meta: Meta;
  /** The `kubernetes.io/service-name` label, or '' when absent. */
  readonly serviceName: string;
  readonly addressType: string;
  readonly serving: ServingEndpoints;
  readonly ports: readonly EndpointPortView[];
}

export interface EndpointsSubsetView {
  readonly addresses: readonly { readonly ip: string; readonly path: readonly (string | number)[] }[];
  readonly ports: readonly EndpointPortView[];
}

/** Legacy core/v1 Endpoints. */
export interface EndpointsView {
  readonly kind: 'Endpoints';
  readonly meta: Meta;
  readonly subsets: readonly EndpointsSubsetView[];
}

function parsePorts(r: Reader, value: unknown, path: FieldPath): EndpointPortView[] {
  const list = readArray(r, value, path);
  const ports = sized<EndpointPortView>(list.length);
  let count = 0;
  for (let i = 0; i < list.length; i++) {
    const entry = list[i];
    const at = (key: string) => [...path, i, key];
    if (!isRecord(entry)) {
      readRecord(r, entry, [...path, i]);
      continue;
    }
    const name = optionalStringAt(r, field(entry, 'name'), at, 'name', 63);
    const protocol = optionalStringAt(r, field(entry, 'protocol'), at, 'protocol', 16);
    if (name === invalidString || protocol === invalidString) continue;
    const port = field(entry, 'port');
    ports[count++] = {
      name: name ?? '',
      port: isIntegerIn(port, 1, 65535) ? port : readInteger(r, port, at('port'), 1, 65535),
      protocol: protocol ?? 'TCP',
    };
  }
  return settle(ports, count);
}

/** A slice's serving endpoints while they are read; see ServingEndpoints. */
interface Serving {
  addresses: (string | undefined)[];
  zones: string[];
  indexes: number[] | undefined;
  count: number;
  /** Whether no key read from an endpoint is on Object.prototype (see uninherited). */
  readonly clean: boolean;
}

const endpointKeys = ['addresses', 'conditions', 'ready', 'terminating', 'zone'];

/**
 * Reads one endpoint into `serving` when it serves. A slice can hold a thousand endpoints, so each
 * field is tested first and handed to its reader (which reports with the path) only when it is not
 * what the API server writes.
 */
function readSliceEndpoint(r: Reader, entry: unknown, i: number, serving: Serving): void {
  if (!isRecord(entry)) {
    readRecord(r, entry, ['endpoints', i]);
    return;
  }
  // Decoded JSON: own fields read directly, without an Object.hasOwn call each.
  const direct = serving.clean && isPlainRecord(entry);
  let addresses = direct ? entry.addresses : ownField(entry, 'addresses');
  if (!Array.isArray(addresses)) addresses = readArray(r, addresses, ['endpoints', i, 'addresses']);
  let ready: unknown;
  let terminating: unknown;
  const conditions = direct ? entry.conditions : ownField(entry, 'conditions');
  if (isRecord(conditions)) {
    const plain = serving.clean && isPlainRecord(conditions);
    ready = plain ? conditions.ready : ownField(conditions, 'ready');
    terminating = plain ? conditions.terminating : ownField(conditions, 'terminating');
  } else if (conditions !== undefined) {
    readRecord(r, conditions, ['endpoints', i, 'conditions']);
  }
  if (ready !== undefined && typeof ready !== 'boolean')
    ready = readBoolean(r, ready, ['endpoints', i, 'conditions', 'ready']);
  if (terminating !== undefined && typeof terminating !== 'boolean')
    terminating = readBoolean(r, terminating, ['endpoints', i, 'conditions', 'terminating']);
  // Only the first address is used: Kubernetes documents the others as unused by consumers.
  const address = (addresses as readonly unknown[])[0];
  const readAddress = isPlainString(address, 64)
    ? address
    : readString(r, address, ['endpoints', i, 'addresses', 0], 64);
  const zone = direct ? entry.zone : ownField(entry, 'zone');
  const readZone = isPlainString(zone, 253)
    ? zone
    : (readString(r, zone, ['endpoints', i, 'zone'], 253) ?? '');
  if (ready === false || terminating === true) {
    // The first endpoint left out: from here on, record where each serving one came from.
    if (serving.indexes === undefined) {
      serving.indexes = sized(serving.addresses.length);
      for (let k = 0; k < serving.count; k++) serving.indexes[k] = k;
    }
    return;
  }
  serving.addresses[serving.count] = readAddress;
  serving.zones[serving.count] = readZone;
  if (serving.indexes !== undefined) serving.indexes[serving.count] = i;
  serving.count++;
}

export function parseEndpointSlice(object: unknown, sink: DiagnosticSink): EndpointSliceView | undefined {
  const meta = parseMeta('EndpointSlice', object, sink, true, { keepAnnotations: false });
  if (meta === undefined) return undefined;
  const r: Reader = { ref: meta.ref, sink };
  const list = readArray(r, field(object, 'endpoints'), endpointsPath);
  const serving: Serving = {
    addresses: sized(list.length),
    zones: sized(list.length),
    indexes: undefined,
    count: 0,
    clean: uninherited(endpointKeys),
  };
  for (let i = 0; i < list.length; i++) readSliceEndpoint(r, list[i], i, serving);
  return {
    kind: 'EndpointSlice',
    meta,
    serviceName:
      readString(
        r,
        field(field(field(object, 'metadata'), 'labels'), 'kubernetes.io/service-name'),
        serviceNamePath,
        253,
      ) ?? '',
    addressType: readString(r, field(object, 'addressType'), addressTypePath, 16) ?? '',
    serving: {
      addresses: settle(serving.addresses, serving.count),
      zones: settle(serving.zones, serving.count),
      indexes: serving.indexes === undefined ? undefined : settle(serving.indexes, serving.count),
    },
    ports: parsePorts(r, field(object, 'ports'), portsPath),
  };
}

const endpointsPath = ['endpoints'] as const;
const serviceNamePath = ['metadata', 'labels', 'kubernetes.io/service-name'] as const;
const addressTypePath = ['addressType'] as const;
const portsPath = ['ports'] as const;

export function parseEndpoints(object: unknown, sink: DiagnosticSink): EndpointsView | undefined {
  const meta = parseMeta('Endpoints', object, sink, true, { keepAnnotations: false });
  if (meta === undefined) return undefined;
  const r: Reader = { ref: meta.ref, sink };
  const subsets: EndpointsSubsetView[] = [];
  readArray(r, field(object, 'subsets'), ['subsets']).forEach((entry, i) => {
    const path = ['subsets', i];
    if (readRecord(r, entry, path) === undefined) return;
    const addresses: { ip: string; path: (string | number)[] }[] = [];
    readArray(r, field(entry, 'addresses'), [...path, 'addresses']).forEach((a, j) => {
      const p = [...path, 'addresses', j];
      const ip = readString(r, field(a, 'ip'), [...p, 'ip'], 64);
      if (ip !== undefined) addresses.push({ ip, path: [...p, 'ip'] });
    });
    subsets.push({ addresses, ports: parsePorts(r, field(entry, 'ports'), [...path, 'ports']) });
  });
  return { kind: 'Endpoints', meta, subsets };
}
