/** Stage B: IR endpoint groups → ClusterLoadAssignment. */
import type { EndpointGroup, Locality } from '../../model/ir.js';
import type { ClusterLoadAssignment, LbEndpoint } from './types.js';

type PortSpecifier = { readonly $case: 'portValue'; readonly value: number };

function lbEndpoint(address: string, portSpecifier: PortSpecifier): LbEndpoint {
  return {
    hostIdentifier: {
      $case: 'endpoint',
      value: { address: { address: { $case: 'socketAddress', value: { address, portSpecifier } } } },
    },
  };
}

/**
 * A locality's endpoints. Endpoints of one port share one (frozen) port specifier: a locality's
 * endpoints nearly always have the same port, and a large cluster holds hundreds of thousands.
 */
function lbEndpoints(locality: Locality): LbEndpoint[] {
  const { addresses, ports } = locality;
  if (typeof ports === 'number') {
    const shared: PortSpecifier = Object.freeze({ $case: 'portValue', value: ports });
    return addresses.map((address) => lbEndpoint(address, shared));
  }
  let specifier: PortSpecifier | undefined;
  return addresses.map((address, i) => {
    const port = ports[i] as number;
    if (specifier?.value !== port) specifier = Object.freeze({ $case: 'portValue', value: port });
    return lbEndpoint(address, specifier);
  });
}

/**
 * One LocalityLbEndpoints per zone, always with a locality and a weight equal to its endpoint count:
 * Envoy ignores the weight unless locality-weighted balancing is on, while gRPC clients need both.
 */
export function buildClusterLoadAssignment(group: EndpointGroup): ClusterLoadAssignment {
  const endpoints = group.localities.map((locality) => ({
    locality: locality.zone === '' ? {} : { zone: locality.zone },
    loadBalancingWeight: locality.addresses.length,
    lbEndpoints: lbEndpoints(locality),
  }));
  return endpoints.length === 0 ? { clusterName: group.name } : { clusterName: group.name, endpoints };
}
