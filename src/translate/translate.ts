/**
 * translate(): Kubernetes objects in, Envoy resources and diagnostics out. Stage A (per source kind)
 * builds the IR from a read-only snapshot index; the seam below keeps only what is complete and
 * referenced; stage B shapes each Envoy resource. Pure: no I/O, clock or randomness.
 */
import { createDiagnosticSink, type Diagnostic, formatDiagnostic, sortDiagnostics } from '../diagnostics.js';
import type { Cluster, EndpointGroup, Ir, SecureVirtualHost, TlsSecret, VirtualHost } from '../model/ir.js';
import { buildSnapshot } from '../model/snapshot.js';
import { type ResolvedOptions, resolveOptions, type TranslateOptions } from '../options.js';
import type { XdsResources } from '../resources.js';
import { buildEndpointGroup } from './endpoints.js';
import { type RouteTable, translateIngresses } from './ingress.js';
import { httpRouteConfigName, httpsRouteConfigName } from './names.js';
import { sortRoutes } from './route-order.js';
import { createSecretResolver } from './secrets.js';
import { createServiceResolver } from './services.js';
import { buildCluster } from './xds/cluster.js';
import { buildClusterLoadAssignment } from './xds/endpoint.js';
import { buildListeners } from './xds/listener.js';
import { buildRouteConfiguration } from './xds/route.js';
import { buildSecret } from './xds/secret.js';

/** Status a host should write on an object (HTTPProxy and later Gateway API); none for Ingress yet. */
export interface ObjectStatus {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export interface TranslateResult {
  readonly resources: XdsResources;
  /** Sorted by object, path and code. */
  readonly diagnostics: readonly Diagnostic[];
  readonly statuses: readonly ObjectStatus[];
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function virtualHosts(tables: ReadonlyMap<string, RouteTable>): VirtualHost[] {
  return [...tables.keys()]
    .sort(compareText)
    .map((fqdn) => ({
      fqdn,
      routes: sortRoutes([...(tables.get(fqdn)?.values() ?? [])].map((e) => e.route)),
    }))
    .filter((v) => v.routes.length > 0);
}

/** Builds the IR: only complete virtual hosts, and only the clusters, endpoints and secrets they use. */
function buildIr(
  objects: Iterable<unknown>,
  options: ResolvedOptions,
  sink: ReturnType<typeof createDiagnosticSink>,
): Ir {
  const snapshot = buildSnapshot(objects, sink);
  const services = createServiceResolver(snapshot, options, sink);
  const secrets = createSecretResolver(snapshot, sink);
  const secretsByName = new Map<string, TlsSecret>();
  const ingress = translateIngresses(snapshot, options, sink, services, secrets, secretsByName);

  const http = virtualHosts(ingress.http);
  const https: SecureVirtualHost[] = virtualHosts(ingress.https).flatMap((vhost) => {
    const host = ingress.secureHosts.get(vhost.fqdn);
    return host === undefined ? [] : [{ ...vhost, secretName: host.secretName, tls: host.tls }];
  });

  const used = new Set<string>();
  for (const vhost of [...http, ...https]) {
    for (const route of vhost.routes) {
      if (route.action.kind === 'forward') for (const b of route.action.backends) used.add(b.clusterName);
    }
  }
  const clusters: Cluster[] = [...used].sort(compareText).flatMap((name) => {
    const cluster = services.clusters.get(name);
    return cluster === undefined ? [] : [cluster];
  });
  const endpoints: EndpointGroup[] = [];
  for (const cluster of clusters) {
    if (cluster.discovery.kind !== 'eds') continue;
    const need = services.endpointNeeds.get(cluster.discovery.serviceName);
    if (need !== undefined && !endpoints.some((e) => e.name === need.name))
      endpoints.push(buildEndpointGroup(snapshot, need, sink));
  }
  const secretNames = [...new Set(https.map((v) => v.secretName))].sort(compareText);
  return {
    http,
    https,
    clusters,
    endpoints: endpoints.sort((a, b) => compareText(a.name, b.name)),
    secrets: secretNames.flatMap((name) => {
      const secret = secretsByName.get(name);
      return secret === undefined ? [] : [secret];
    }),
  };
}

function byName<T extends { name?: string | undefined }>(items: T[]): T[] {
  return items.sort((a, b) => compareText(a.name ?? '', b.name ?? ''));
}

/** Stage B: one Envoy resource per IR element, every collection sorted by name. */
export function buildResources(ir: Ir, options: ResolvedOptions): XdsResources {
  const routes = [
    ...(ir.http.length > 0 ? [buildRouteConfiguration(httpRouteConfigName, ir.http)] : []),
    ...ir.https.map((vhost) => buildRouteConfiguration(httpsRouteConfigName(vhost.fqdn), [vhost])),
  ];
  return {
    listeners: byName(buildListeners(ir, options)),
    routes: byName(routes),
    clusters: byName(ir.clusters.map((c) => buildCluster(c, options))),
    endpoints: ir.endpoints
      .map(buildClusterLoadAssignment)
      .sort((a, b) => compareText(a.clusterName ?? '', b.clusterName ?? '')),
    secrets: byName(ir.secrets.map(buildSecret)),
  };
}

/**
 * Translates Kubernetes objects into Envoy xDS resources. Never throws on input: a malformed or
 * conflicting object yields diagnostics and is left out while everything else translates. Throws only
 * for invalid options (a programmer error).
 *
 * @example
 * ```ts
 * const { resources, diagnostics } = translate([ingress, service, endpointSlice]);
 * resources.listeners[0]?.name; // 'ingress_http'
 * ```
 */
export function translate(objects: Iterable<unknown>, options?: TranslateOptions): TranslateResult {
  const resolved = resolveOptions(options);
  const sink = createDiagnosticSink();
  const ir = buildIr(objects, resolved, sink);
  return { resources: buildResources(ir, resolved), diagnostics: sortDiagnostics(sink.list), statuses: [] };
}

/** Like translate(), but throws listing every error-severity diagnostic. For tests and scripts. */
export function translateOrThrow(objects: Iterable<unknown>, options?: TranslateOptions): TranslateResult {
  const result = translate(objects, options);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0)
    throw new Error(`translate found ${errors.length} error(s):\n${errors.map(formatDiagnostic).join('\n')}`);
  return result;
}
