/**
 * Every Envoy resource name kube-xds emits is computed here, following Contour's published
 * conventions so the output is a drop-in for Contour's Envoy bootstrap (docs/reference/naming.md).
 */
import { createHash } from 'node:crypto';
import type { DurationValue } from '../model/ir.js';

export const httpListenerName = 'ingress_http';
export const httpsListenerName = 'ingress_https';
export const httpRouteConfigName = 'ingress_http';
/** RDS of the fallback-certificate filter chain: every virtual host that enables the fallback. */
export const fallbackRouteConfigName = 'ingress_fallbackcert';
export const fallbackFilterChainName = 'fallback-certificate';

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
 * protocol; the rest come from HTTPProxy. Durations are the values as written (zero when unset).
 */
export interface ClusterHashInput {
  readonly protocol: string;
  readonly sni?: string;
  /** `WeightedLeastRequest`, `Random`, `Cookie`, `RequestHash`; absent for round robin. */
  readonly lbStrategy?: string;
  readonly healthCheck?: {
    readonly timeout: DurationValue;
    readonly interval: DurationValue;
    readonly unhealthyThreshold: number;
    readonly healthyThreshold: number;
    readonly path: string;
  };
  readonly validation?: { readonly caSecretName: string; readonly subjectName: string };
  readonly idleConnectionTimeout?: DurationValue;
  readonly slowStart?: {
    readonly window: DurationValue;
    readonly aggression: number;
    readonly minWeightPercent: number;
  };
}

const isZero = (d: DurationValue) => d.seconds === 0 && d.nanos === 0;

/** `ns/svc/port/<10 hex of sha1(settings)>`, length-limited like Contour. */
export function clusterName(
  namespace: string,
  service: string,
  port: number,
  settings: ClusterHashInput,
): string {
  let buf = settings.lbStrategy ?? '';
  const hc = settings.healthCheck;
  if (hc !== undefined) {
    if (!isZero(hc.timeout)) buf += goDuration(hc.timeout);
    if (!isZero(hc.interval)) buf += goDuration(hc.interval);
    if (hc.unhealthyThreshold > 0) buf += String(hc.unhealthyThreshold);
    if (hc.healthyThreshold > 0) buf += String(hc.healthyThreshold);
    buf += hc.path;
  }
  if (settings.validation !== undefined)
    buf += settings.validation.caSecretName + settings.validation.subjectName;
  buf += settings.protocol + (settings.sni ?? '');
  if (settings.idleConnectionTimeout !== undefined) buf += goDuration(settings.idleConnectionTimeout);
  const slow = settings.slowStart;
  if (slow !== undefined)
    buf += goDuration(slow.window) + slow.aggression.toFixed(6) + String(slow.minWeightPercent);
  return hashName(60, namespace, service, String(port), settingsHash(buf));
}

/**
 * The 10 hex of sha1 over a cluster's hashed settings. Few distinct settings strings exist (for an
 * Ingress only the protocol), so the digests are memoised; the memo is bounded and only saves work.
 */
const settingsHashes = new Map<string, string>();
function settingsHash(settings: string): string {
  let hash = settingsHashes.get(settings);
  if (hash === undefined) {
    if (settingsHashes.size >= 4096) settingsHashes.clear();
    hash = sha1(settings).slice(0, 10);
    settingsHashes.set(settings, hash);
  }
  return hash;
}

/** A duration as Go's time.Duration.String() prints it: `0s`, `1.5s`, `500ms`, `3m0s`, `1h0m0s`. */
export function goDuration(d: DurationValue): string {
  const total = BigInt(d.seconds) * 1_000_000_000n + BigInt(d.nanos);
  if (total === 0n) return '0s';
  if (total < 1_000_000_000n) {
    const [unit, size] =
      total < 1_000n ? ['ns', 1n] : total < 1_000_000n ? ['µs', 1_000n] : ['ms', 1_000_000n];
    return `${fraction(total, size)}${unit}`;
  }
  const hours = total / 3_600_000_000_000n;
  const minutes = (total / 60_000_000_000n) % 60n;
  const seconds = total % 60_000_000_000n;
  const s = `${fraction(seconds, 1_000_000_000n)}s`;
  if (hours > 0n) return `${hours}h${minutes}m${s}`;
  if (minutes > 0n) return `${minutes}m${s}`;
  return s;
}

function fraction(value: bigint, unit: bigint): string {
  const whole = value / unit;
  const rest = value % unit;
  if (rest === 0n) return String(whole);
  const digits = String(unit).length - 1;
  return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
}

/** The cluster (and EDS name) of an ExtensionService: `extension/<ns>/<name>`. */
export function extensionClusterName(namespace: string, name: string): string {
  return `extension/${namespace}/${name}`;
}

/** The STRICT_DNS cluster of a remote JWKS host: `dnsname/<scheme>/<host>`. */
export function dnsClusterName(scheme: string, host: string): string {
  return `dnsname/${scheme}/${host}`;
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
