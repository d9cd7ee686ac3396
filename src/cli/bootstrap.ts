/**
 * A static Envoy v3 bootstrap from translated resources: everything inline, no control plane needed,
 * so `envoy -c bootstrap.yaml` serves the translated configuration as it stands. Pure, and works on
 * the canonical proto3 JSON form (camelCase keys, `Any` expanded with `@type`) that toEnvoyJson()
 * prints; the input is never modified.
 *
 * - An HttpConnectionManager that fetches its routes over RDS gets the RouteConfiguration of that
 *   name inline (`routeConfig`); an unknown name gets an empty one, which answers 404.
 * - An EDS cluster becomes STATIC (STRICT_DNS when an endpoint address is a hostname) with the
 *   ClusterLoadAssignment it names as `loadAssignment`; an unknown one gives a cluster with no
 *   endpoints (503).
 * - SDS secret references in TLS contexts lose their `sdsConfig`, which makes Envoy look the name up
 *   in `staticResources.secrets`.
 * - `re2.max_program_size.error_level` is raised in a static runtime layer, as Contour does, so
 *   large regexes are not rejected.
 */
import { isIP } from 'node:net';
import type { EnvoyJson } from '../resources.js';

export interface BootstrapOptions {
  /** Port of the admin interface, bound to 127.0.0.1. Default 9001 (Contour's). */
  readonly adminPort?: number;
}

const hcmType =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const tlsContextTypes: ReadonlySet<string> = new Set([
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
]);
/** Fields of a TLS context that hold SdsSecretConfig values (single or repeated). */
const sdsSecretConfigFields: ReadonlySet<string> = new Set([
  'tlsCertificateSdsSecretConfigs',
  'validationContextSdsSecretConfig',
  'sessionTicketKeysSdsSecretConfig',
]);

/** Contour's value: lets Envoy accept the regexes Kubernetes users write. */
const re2MaxProgramSize = 1048576;

type JsonObject = Record<string, unknown>;

function isRecord(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function stringField(object: unknown, key: string): string | undefined {
  if (!isRecord(object)) return undefined;
  const value = object[key];
  return typeof value === 'string' ? value : undefined;
}

/** Deep copy with keys sorted at every level, like toEnvoyJson's output. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (isRecord(value)) {
    const out: JsonObject = {};
    for (const key of Object.keys(value).sort()) out[key] = canonical(value[key]);
    return out;
  }
  return value;
}

function byName(list: readonly unknown[], key: string): Map<string, unknown> {
  const map = new Map<string, unknown>();
  for (const item of list) {
    const name = stringField(item, key);
    if (name !== undefined && !map.has(name)) map.set(name, item);
  }
  return map;
}

class Rewriter {
  private readonly routes: Map<string, unknown>;
  private readonly assignments: Map<string, unknown>;

  constructor(json: EnvoyJson) {
    this.routes = byName(json.routes, 'name');
    this.assignments = byName(json.endpoints, 'clusterName');
  }

  /** Copy of `value` with RDS inlined and SDS pointed at static secrets, wherever they occur. */
  rewrite(value: unknown, inTls = false): unknown {
    if (Array.isArray(value)) return value.map((item) => this.rewrite(item, inTls));
    if (!isRecord(value)) return value;
    const type = value['@type'];
    const tls = inTls || (typeof type === 'string' && tlsContextTypes.has(type));
    const out: JsonObject = {};
    for (const [key, inner] of Object.entries(value)) {
      if (tls && sdsSecretConfigFields.has(key)) out[key] = this.staticSecretRefs(inner);
      else out[key] = this.rewrite(inner, tls);
    }
    if (type === hcmType && 'rds' in out) {
      const name = stringField(out.rds, 'routeConfigName') ?? '';
      delete out.rds;
      out.routeConfig = canonical(this.routes.get(name) ?? { name });
    }
    return out;
  }

  /** SdsSecretConfig (or a list of them) without `sdsConfig`: a reference to a static secret. */
  private staticSecretRefs(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.staticSecretRefs(item));
    const copy = this.rewrite(value, true);
    if (isRecord(copy)) delete copy.sdsConfig;
    return copy;
  }

  cluster(value: unknown): unknown {
    const cluster = this.rewrite(value);
    if (!isRecord(cluster) || cluster.type !== 'EDS') return cluster;
    const serviceName = stringField(cluster.edsClusterConfig, 'serviceName');
    const name =
      serviceName !== undefined && serviceName !== '' ? serviceName : (stringField(cluster, 'name') ?? '');
    const assignment = canonical(this.assignments.get(name) ?? { clusterName: name });
    delete cluster.edsClusterConfig;
    cluster.type = allAddressesAreIps(assignment) ? 'STATIC' : 'STRICT_DNS';
    cluster.loadAssignment = assignment;
    return cluster;
  }
}

/** True when every socket address of the ClusterLoadAssignment is an IP literal (or there are none). */
function allAddressesAreIps(assignment: unknown): boolean {
  const localities = isRecord(assignment) && Array.isArray(assignment.endpoints) ? assignment.endpoints : [];
  for (const locality of localities) {
    const lbEndpoints = isRecord(locality) && Array.isArray(locality.lbEndpoints) ? locality.lbEndpoints : [];
    for (const lbEndpoint of lbEndpoints) {
      const endpoint = isRecord(lbEndpoint) ? lbEndpoint.endpoint : undefined;
      const address = isRecord(endpoint) ? endpoint.address : undefined;
      const socketAddress = isRecord(address) ? address.socketAddress : undefined;
      const host = stringField(socketAddress, 'address');
      if (host !== undefined && isIP(host) === 0) return false;
    }
  }
  return true;
}

/**
 * The static bootstrap for `json`. Throws RangeError when `adminPort` is not a port number (a caller
 * mistake, not an input problem).
 */
export function toBootstrap(json: EnvoyJson, options: BootstrapOptions = {}): unknown {
  const adminPort = options.adminPort ?? 9001;
  if (!Number.isInteger(adminPort) || adminPort < 0 || adminPort > 65535) {
    throw new RangeError(`adminPort must be an integer in 0..65535, got ${adminPort}`);
  }
  const rewriter = new Rewriter(json);
  return canonical({
    admin: { address: { socketAddress: { address: '127.0.0.1', portValue: adminPort } } },
    layeredRuntime: {
      layers: [{ name: 'static', staticLayer: { 're2.max_program_size.error_level': re2MaxProgramSize } }],
    },
    staticResources: {
      listeners: json.listeners.map((listener) => rewriter.rewrite(listener)),
      clusters: json.clusters.map((cluster) => rewriter.cluster(cluster)),
      secrets: json.secrets.map(canonical),
    },
  });
}
