/** Stage B: IR endpoint groups → ClusterLoadAssignment. */
import type { EndpointGroup } from '../../model/ir.js';
import type { ClusterLoadAssignment } from './types.js';

/**
 * One LocalityLbEndpoints per zone, always with a locality and a weight equal to its endpoint count:
 * Envoy ignores the weight unless locality-weighted balancing is on, while gRPC clients need both.
 */
export function buildClusterLoadAssignment(group: EndpointGroup): ClusterLoadAssignment {
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
              value: { address: e.address, portSpecifier: { $case: 'portValue' as const, value: e.port } },
            },
          },
        },
      },
    })),
  }));
  return endpoints.length === 0 ? { clusterName: group.name } : { clusterName: group.name, endpoints };
}
