/** Stage B: IR endpoint groups → ClusterLoadAssignment. */
import type { EndpointGroup } from '../../model/ir.js';
import type { ClusterLoadAssignment } from './types.js';

type PortSpecifier = { readonly $case: 'portValue'; readonly value: number };

/**
 * One LocalityLbEndpoints per zone, always with a locality and a weight equal to its endpoint count:
 * Envoy ignores the weight unless locality-weighted balancing is on, while gRPC clients need both.
 * Endpoints of one port share one (frozen) port specifier: a group's endpoints nearly always have
 * the same port, and the message holds a hundred thousand endpoints in a large cluster.
 */
export function buildClusterLoadAssignment(group: EndpointGroup): ClusterLoadAssignment {
  let specifier: PortSpecifier | undefined;
  const portSpecifier = (port: number): PortSpecifier => {
    if (specifier?.value !== port) specifier = Object.freeze({ $case: 'portValue', value: port });
    return specifier;
  };
  const endpoints = group.localities.map((locality) => ({
    locality: locality.zone === '' ? {} : { zone: locality.zone },
    loadBalancingWeight: locality.endpoints.length,
    lbEndpoints: locality.endpoints.map((e) => ({
      hostIdentifier: {
        $case: 'endpoint' as const,
        value: {
          address: {
            address: {
              $case: 'socketAddress' as const,
              value: { address: e.address, portSpecifier: portSpecifier(e.port) },
            },
          },
        },
      },
    })),
  }));
  return endpoints.length === 0 ? { clusterName: group.name } : { clusterName: group.name, endpoints };
}
