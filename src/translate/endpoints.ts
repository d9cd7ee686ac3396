/**
 * Builds the endpoint groups (ClusterLoadAssignments) for the EDS names clusters use, from
 * EndpointSlices, or from legacy Endpoints for a Service that has no slices. Only ready,
 * non-terminating endpoints serve; ports match by name; zones become localities; duplicates go.
 */

import { compareText, sortInPlace, sortTexts } from '../compare.js';
import type { DiagnosticSink } from '../diagnostics.js';
import type { Endpoint, EndpointGroup, Locality } from '../model/ir.js';
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

export function buildEndpointGroup(lookup: Lookup, need: EndpointsNeed, sink: DiagnosticSink): EndpointGroup {
  // Addresses already added, per port: the first zone an address:port appears in keeps it.
  const seen = new Map<number, Set<string>>();
  const byZone = new Map<string, Endpoint[]>();
  const add = (zone: string, address: string, port: number) => {
    let addresses = seen.get(port);
    if (addresses === undefined) {
      addresses = new Set();
      seen.set(port, addresses);
    } else if (addresses.has(address)) {
      return;
    }
    addresses.add(address);
    const list = byZone.get(zone);
    if (list === undefined) byZone.set(zone, [{ address, port }]);
    else list.push({ address, port });
  };

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
              ['endpoints', indexes[i] as number, 'addresses', 0],
              `"${address ?? ''}" is not an ${slice.addressType} address; endpoint ignored`,
            );
            continue;
          }
          for (const port of ports) add(zones[i] as string, address, port);
        }
      }
    } else {
      // Legacy Endpoints serve only a Service without EndpointSlices.
      const legacy = lookup.legacyEndpoints(part.namespace, part.service);
      for (const subset of legacy?.subsets ?? []) {
        const ports = matchingPorts(subset.ports, part.port.name);
        for (const address of subset.addresses) {
          if (isIPv4(address.ip) || isIPv6(address.ip)) {
            for (const port of ports) add('', address.ip, port);
          } else if (legacy !== undefined) {
            const why = `"${address.ip}" is not an IP address; endpoint ignored`;
            sink.report('InvalidEndpoint', legacy.meta.ref, address.path, why);
          }
        }
      }
    }
  }

  const localities: Locality[] = sortTexts([...byZone.keys()]).map((zone) => ({
    zone,
    endpoints: sortInPlace(byZone.get(zone) ?? [], compareEndpoints),
  }));
  return { name: need.name, localities };
}

function compareEndpoints(a: Endpoint, b: Endpoint): number {
  return compareText(a.address, b.address) || a.port - b.port;
}
