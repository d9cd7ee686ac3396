/**
 * Compile-time check (run by `npm run typecheck`): @kubernetes/client-node's V1 models are assignable
 * to kube-xds's structural input types, so hosts can pass informer objects straight in.
 */
import type {
  V1EndpointSlice,
  V1Endpoints,
  V1Ingress,
  V1IngressClass,
  V1Secret,
  V1Service,
} from '@kubernetes/client-node';
import type {
  EndpointSliceInput,
  EndpointsInput,
  IngressClassInput,
  IngressInput,
  SecretInput,
  ServiceInput,
} from '../../src/index.js';

export function acceptsClientNodeModels(
  ingress: V1Ingress,
  ingressClass: V1IngressClass,
  service: V1Service,
  slice: V1EndpointSlice,
  endpoints: V1Endpoints,
  secret: V1Secret,
): readonly [IngressInput, IngressClassInput, ServiceInput, EndpointSliceInput, EndpointsInput, SecretInput] {
  return [ingress, ingressClass, service, slice, endpoints, secret];
}
