/**
 * Builds the endpoint groups (ClusterLoadAssignments) for the EDS names clusters use, from
 * EndpointSlices, or from legacy Endpoints for a Service that has no slices. Only ready,
 * non-terminating endpoints serve; ports match by name; zones become localities; duplicates go.
 */

import { compareText, sortInPlace, sortTexts } from '../compare.js';
import type { DiagnosticSink } from '../diagnostics.js';
import type { EndpointGroup, Locality } from '../model/ir.js';
import type { EndpointPortView } from '../model/k8s/endpoint-slice.js';
import type { Lookup } from '../model/snapshot.js';
import type { EndpointsNeed } from './services.js';
import { isIPv4, isIPv6 } from './validate.js';

function matchingPorts(ports: readonly EndpointPortView[], name: string): number[] {
  const out: number[] = [];
  for (const p of ports) {
    if (p.name === name && p.protocol === 'TCP' && p.port !== undefined) out.push(p.port);
  }
  return out;
}

type Visit = (zone: string, address: string, port: number) => void;

/** Hands every serving address:port of a group to `visit`, in slice order, reporting bad ones. */
function gather(lookup: Lookup, need: EndpointsNeed, sink: DiagnosticSink, visit: Visit): void {
  for (const part of need.more === undefined ? [need] : [need, ...need.more]) {
    const slices = lookup.slices(part.namespace, part.service);
    if (slices.length > 0) {
      for (const slice of slices) {
        const isValid =
          slice.addressType === 'IPv4' ? isIPv4 : slice.addressType === 'IPv6' ? isIPv6 : undefined;
        if (isValid === undefined) {
          sink.report(
            'InvalidEndpoint',
            slice.meta.ref,
            ['addressType'],
            `addressType "${slice.addressType}" is not IPv4 or IPv6; slice ignored`,
          );
          continue;
        }
        const ports = matchingPorts(slice.ports, part.port.name);
        const { addresses, zones, indexes } = slice.serving;
        for (let i = 0; i < addresses.length; i++) {
          const address = addresses[i];
          if (address === undefined || !isValid(address)) {
            sink.report(
              'InvalidEndpoint',
              slice.meta.ref,
              ['endpoints', indexes === undefined ? i : (indexes[i] as number), 'addresses', 0],
              `"${address ?? ''}" is not an ${slice.addressType} address; endpoint ignored`,
            );
            continue;
          }
          for (const port of ports) visit(zones[i] as string, address, port);
        }
      }
    } else {
      // Legacy Endpoints serve only a Service without EndpointSlices.
      const legacy = lookup.legacyEndpoints(part.namespace, part.service);
      for (const subset of legacy?.subsets ?? []) {
        const ports = matchingPorts(subset.ports, part.port.name);
        for (const address of subset.addresses) {
          if (isIPv4(address.ip) || isIPv6(address.ip)) {
            for (const port of ports) visit('', address.ip, port);
          } else if (legacy !== undefined) {
            const why = `"${address.ip}" is not an IP address; endpoint ignored`;
            sink.report('InvalidEndpoint', legacy.meta.ref, address.path, why);
          }
        }
      }
    }
  }
}

/** Whether a sorted list holds the same text twice. */
function hasRepeats(sorted: readonly string[]): boolean {
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) return true;
  return false;
}

/** Whether two sorted lists share a text. */
function overlap(a: readonly string[], b: readonly string[]): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as string;
    const y = b[j] as string;
    if (x === y) return true;
    if (x < y) i++;
    else j++;
  }
  return false;
}

/**
 * The usual group: one port, and no address met twice. Each zone's addresses sort without a
 * comparator call, and repeats are looked for in the sorted lists rather than in a hash set.
 * Undefined when ports differ or an address repeats, for `anyGroup` to settle.
 */
function onePortGroup(lookup: Lookup, need: EndpointsNeed, sink: DiagnosticSink): Locality[] | undefined {
  const byZone = new Map<string, string[]>();
  let port: number | undefined;
  let mixed = false;
  gather(lookup, need, sink, (zone, address, p) => {
    if (port === undefined) port = p;
    else if (p !== port) mixed = true;
    const list = byZone.get(zone);
    if (list === undefined) byZone.set(zone, [address]);
    else list.push(address);
  });
  if (mixed) return undefined;
  const zones = sortTexts([...byZone.keys()]);
  const localities = new Array<Locality>(zones.length);
  for (let z = 0; z < zones.length; z++) {
    const zone = zones[z] as string;
    const sorted = sortTexts(byZone.get(zone) as string[]);
    if (hasRepeats(sorted)) return undefined;
    for (let earlier = 0; earlier < z; earlier++) {
      if (overlap((localities[earlier] as Locality).addresses, sorted)) return undefined;
    }
    // A copy: the list grew by push, which leaves room for at least 17 items.
    localities[z] = { zone, addresses: sorted.slice(), ports: port as number };
  }
  return localities;
}

const silent: DiagnosticSink = { report: () => undefined };

interface Endpoint {
  readonly address: string;
  readonly port: number;
}

function compareEndpoints(a: Endpoint, b: Endpoint): number {
  return compareText(a.address, b.address) || a.port - b.port;
}

/**
 * Any group: the first zone an address:port is met in keeps it; endpoints sort by address, then
 * port. Gathers again without reporting: `onePortGroup` has reported already.
 */
function anyGroup(lookup: Lookup, need: EndpointsNeed): Locality[] {
  const seen = new Set<string>();
  const byZone = new Map<string, Endpoint[]>();
  gather(lookup, need, silent, (zone, address, port) => {
    const key = `${port} ${address}`;
    if (seen.has(key)) return;
    seen.add(key);
    const list = byZone.get(zone);
    if (list === undefined) byZone.set(zone, [{ address, port }]);
    else list.push({ address, port });
  });
  return sortTexts([...byZone.keys()]).map((zone) => {
    const picked = sortInPlace(byZone.get(zone) ?? [], compareEndpoints);
    const ports = picked.map((e) => e.port);
    const port = ports[0] as number;
    return {
      zone,
      addresses: picked.map((e) => e.address),
      ports: ports.every((p) => p === port) ? port : ports,
    };
  });
}

export function buildEndpointGroup(lookup: Lookup, need: EndpointsNeed, sink: DiagnosticSink): EndpointGroup {
  return { name: need.name, localities: onePortGroup(lookup, need, sink) ?? anyGroup(lookup, need) };
}
