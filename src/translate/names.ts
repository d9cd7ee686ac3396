/**
 * Every Envoy resource name kube-xds emits is computed here, following Contour's published
 * conventions so the output is a drop-in for Contour's Envoy bootstrap (docs/reference/naming.md).
 */
import { createHash } from 'node:crypto';

export const httpListenerName = 'ingress_http';
export const httpsListenerName = 'ingress_https';
export const httpRouteConfigName = 'ingress_http';

const sha1 = (data: string | Uint8Array) => createHash('sha1').update(data).digest('hex');
const sha256 = (data: string) => createHash('sha256').update(data).digest('hex');

/**
 * Joins parts with `/`; a result of `limit` characters or more is shortened by truncating parts from
 * the last to the first to `floor(limit / parts)` characters plus `-` and 6 hex of the sha256 of the
 * whole, and falls back to the first `limit` hex characters of that hash.
 */
export function hashName(limit: number, ...parts: string[]): string {
  const joined = parts.join('/');
  if (joined.length < limit) return joined;
  const hash = sha256(joined);
  const width = Math.floor(limit / parts.length);
  const out = [...parts];
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = truncate(width, out[i] ?? '', hash);
    const candidate = out.join('/');
    if (candidate.length < limit) return candidate;
  }
  return hash.slice(0, limit);
}

function truncate(width: number, part: string, hash: string): string {
  const suffix = hash.slice(0, 6);
  if (width <= suffix.length) return hash.slice(0, width);
  if (part.length <= width) return part;
  return `${part.slice(0, width - suffix.length - 1)}-${suffix}`;
}

/** RDS name of a TLS virtual host: `https/<fqdn>`. */
export function httpsRouteConfigName(fqdn: string): string {
  return `https/${fqdn}`;
}

/** VirtualHost name: the fqdn, or a 60-hex hash when it is 60 characters or longer. */
export function virtualHostName(fqdn: string): string {
  return hashName(60, fqdn);
}

/**
 * The settings hashed into a cluster name, in Contour's order: load-balancer strategy, HTTP health
 * check, upstream validation, protocol + SNI, idle timeout and slow start. Ingress sets only the
 * protocol; the rest arrive with HTTPProxy.
 */
export interface ClusterHashInput {
  readonly protocol: string;
  readonly sni?: string;
}

/** `ns/svc/port/<10 hex of sha1(settings)>`, length-limited like Contour. */
export function clusterName(
  namespace: string,
  service: string,
  port: number,
  settings: ClusterHashInput,
): string {
  const buf = settings.protocol + (settings.sni ?? '');
  return hashName(60, namespace, service, String(port), sha1(buf).slice(0, 10));
}

/** Cluster stat name `ns_svc_port`. */
export function clusterStatName(namespace: string, service: string, port: number): string {
  return `${namespace}_${service}_${port}`;
}

/** EDS (ClusterLoadAssignment) name: `ns/svc/portName`, or `ns/svc` for an unnamed port. Never hashed. */
export function endpointsName(namespace: string, service: string, portName: string): string {
  return portName === '' ? `${namespace}/${service}` : `${namespace}/${service}/${portName}`;
}

/** SDS name: `ns/secret/<10 hex of sha1(tls.crt)>`, so a rotated certificate gets a new name. */
export function secretName(namespace: string, name: string, certificate: Uint8Array): string {
  return hashName(60, namespace, name, sha1(certificate).slice(0, 10));
}
