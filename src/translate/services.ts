/**
 * Resolves a backend reference (namespace, Service, port) to an IR cluster, and records which
 * ClusterLoadAssignments the clusters need. Contour's Service conventions: upstream protocol from
 * appProtocol or the `projectcontour.io/upstream-protocol.*` annotations, circuit-breaker annotations,
 * ExternalName only when enabled and never to the proxy itself.
 */
import type { DiagnosticSink, FieldPath, ObjectRef } from '../diagnostics.js';
import type { CircuitBreakers, Cluster, UpstreamProtocol } from '../model/ir.js';
import type { BackendPort } from '../model/k8s/ingress.js';
import type { ServicePortView, ServiceView } from '../model/k8s/service.js';
import type { Lookup, Report } from '../model/snapshot.js';
import type { ResolvedOptions } from '../options.js';
import { type ClusterHashInput, clusterName, clusterStatName, endpointsName } from './names.js';
import { externalNameProblem } from './validate.js';

/** What the endpoint builder needs to know about one EDS name. */
export interface EndpointsNeed {
  readonly name: string;
  readonly namespace: string;
  readonly service: string;
  readonly port: ServicePortView;
  /** Further Service ports whose endpoints join the same assignment (an ExtensionService's services). */
  readonly more?: readonly {
    readonly namespace: string;
    readonly service: string;
    readonly port: ServicePortView;
  }[];
}

/** HTTPProxy's per-route cluster settings (Ingress uses none of them). */
export interface ClusterSettings {
  /** Overrides the Service's own protocol (appProtocol or annotation) when set. */
  readonly protocol?: UpstreamProtocol;
  /** Upstream SNI from a Host rewrite; an ExternalName Service's name otherwise. */
  readonly sni?: string;
  readonly hash: Omit<ClusterHashInput, 'protocol' | 'sni'>;
  readonly lbPolicy?: Cluster['lbPolicy'];
  readonly healthCheck?: Cluster['healthCheck'];
  readonly upstreamValidation?: Cluster['upstreamValidation'];
  readonly idleConnectionTimeout?: Cluster['idleConnectionTimeout'];
  readonly slowStart?: Cluster['slowStart'];
}

export interface ResolveOptions {
  readonly settings?: ClusterSettings;
  /** Reports every failure through this instead of the Ingress codes (HTTPProxy's own reasons). */
  readonly onFailure?: (message: string) => void;
}

export interface ServiceResolver {
  resolve(
    referrer: ObjectRef,
    path: FieldPath,
    namespace: string,
    service: string,
    port: BackendPort,
    options?: ResolveOptions,
  ): Cluster | undefined;
  /** Clusters resolved so far, by name. */
  readonly clusters: ReadonlyMap<string, Cluster>;
  readonly endpointNeeds: ReadonlyMap<string, EndpointsNeed>;
}

const protocolAnnotations = (['h2', 'h2c', 'tls'] as const).map(
  (protocol) => [protocol, `projectcontour.io/upstream-protocol.${protocol}`] as const,
);

function upstreamProtocol(service: ServiceView, port: ServicePortView): UpstreamProtocol {
  if (port.appProtocol !== undefined && port.appProtocol !== '') {
    switch (port.appProtocol) {
      case 'kubernetes.io/h2c':
        return 'h2c';
      case 'https':
        return 'tls';
      default:
        return '';
    }
  }
  if (service.meta.annotations.size === 0) return '';
  for (const [protocol, annotation] of protocolAnnotations) {
    const list = service.meta.annotations.get(annotation);
    if (list === undefined) continue;
    const entries = list.split(',').map((s) => s.trim());
    if ((port.name !== '' && entries.includes(port.name)) || entries.includes(String(port.port)))
      return protocol;
  }
  return '';
}

const breakerAnnotations = [
  ['projectcontour.io/max-connections', 'maxConnections'],
  ['projectcontour.io/max-pending-requests', 'maxPendingRequests'],
  ['projectcontour.io/max-requests', 'maxRequests'],
  ['projectcontour.io/max-retries', 'maxRetries'],
  ['projectcontour.io/per-host-max-connections', 'perHostMaxConnections'],
] as const;

function circuitBreakers(service: ServiceView, sink: DiagnosticSink): CircuitBreakers | undefined {
  if (service.meta.annotations.size === 0) return undefined;
  const values = {
    maxConnections: 0,
    maxPendingRequests: 0,
    maxRequests: 0,
    maxRetries: 0,
    perHostMaxConnections: 0,
  };
  let any = false;
  for (const [annotation, fieldName] of breakerAnnotations) {
    const text = service.meta.annotations.get(annotation);
    if (text === undefined) continue;
    const n = /^\d{1,10}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
    if (!Number.isInteger(n) || n > 0xffffffff) {
      sink.report(
        'InvalidAnnotation',
        service.meta.ref,
        ['metadata', 'annotations', annotation],
        `"${text}" is not a 32-bit unsigned integer; ignored`,
      );
      continue;
    }
    if (n > 0) {
      values[fieldName] = n;
      any = true;
    }
  }
  return any ? values : undefined;
}

/** A Service port resolved without per-route settings, with the reports resolving it made. */
interface Resolved {
  /** The port number or name asked for. */
  readonly key: number | string;
  readonly cluster: Cluster;
  readonly need: EndpointsNeed | undefined;
  readonly reports: readonly Report[];
}

/**
 * Clusters resolved without settings (every Ingress backend), per Service view and port number or
 * name. Such a cluster depends only on the view and the engine's options, and many routes share a
 * Service, so they share one cluster object. Views are immutable: the cache may outlive a batch.
 */
export type ServiceCache = WeakMap<ServiceView, Resolved | Resolved[]>;

function cached(cache: ServiceCache, service: ServiceView, key: number | string): Resolved | undefined {
  const slot = cache.get(service);
  if (slot === undefined) return undefined;
  if (!Array.isArray(slot)) return slot.key === key ? slot : undefined;
  return slot.find((r) => r.key === key);
}

/** Most Services are resolved on one port: a lone record needs no list. */
function remember(cache: ServiceCache, service: ServiceView, resolved: Resolved): void {
  const slot = cache.get(service);
  if (slot === undefined) cache.set(service, resolved);
  else if (Array.isArray(slot)) slot.push(resolved);
  else cache.set(service, [slot, resolved]);
}

/**
 * What a resolver holds (one per Ingress and root HTTPProxy evaluation): one object literal whose
 * `resolve` is a module function, not closures per resolver (docs/design.md, "Code that stays
 * optimised").
 */
interface ResolverData extends ServiceResolver {
  readonly lookup: Lookup;
  readonly options: ResolvedOptions;
  readonly outerSink: DiagnosticSink;
  readonly cache: ServiceCache | undefined;
  readonly clusters: Map<string, Cluster>;
  readonly endpointNeeds: Map<string, EndpointsNeed>;
}

export function createServiceResolver(
  lookup: Lookup,
  options: ResolvedOptions,
  outerSink: DiagnosticSink,
  cache?: ServiceCache,
): ServiceResolver {
  const resolver: ResolverData = {
    clusters: new Map(),
    endpointNeeds: new Map(),
    lookup,
    options,
    outerSink,
    cache,
    resolve: resolveBackend,
  };
  return resolver;
}

/** Adds a resolved cluster, keeping an earlier definition under the same name. */
function define(
  r: ResolverData,
  referrer: ObjectRef,
  path: FieldPath,
  cluster: Cluster,
  need: EndpointsNeed | undefined,
): Cluster {
  if (need !== undefined && !r.endpointNeeds.has(need.name)) r.endpointNeeds.set(need.name, need);
  const existing = r.clusters.get(cluster.name);
  if (existing === undefined) {
    r.clusters.set(cluster.name, cluster);
    return cluster;
  }
  if (existing !== cluster && JSON.stringify(existing) !== JSON.stringify(cluster)) {
    // The name hashes only Contour's inputs; settings outside it must not flip with input order.
    r.outerSink.report(
      'ClusterConflict',
      referrer,
      path,
      `cluster ${cluster.name} is already defined with other settings; the first definition is used`,
    );
  }
  return existing;
}

function resolveBackend(
  this: ResolverData,
  referrer: ObjectRef,
  path: FieldPath,
  namespace: string,
  serviceName: string,
  backendPort: BackendPort,
  resolveOptions: ResolveOptions = {},
): Cluster | undefined {
  const { settings, onFailure } = resolveOptions;
  const service = this.lookup.service(namespace, serviceName);
  const cache = this.cache;
  const cacheable = cache !== undefined && service !== undefined && settings === undefined;
  const key = backendPort.kind === 'number' ? backendPort.number : backendPort.name;
  if (cacheable) {
    const hit = cached(cache, service, key);
    if (hit !== undefined) {
      for (const report of hit.reports) this.outerSink.report(...report);
      return define(this, referrer, path, hit.cluster, hit.need);
    }
  }
  const sink: DiagnosticSink =
    onFailure === undefined
      ? this.outerSink
      : { report: (_code, _ref, _path, message) => onFailure(message) };
  const target = `${namespace}/${serviceName}`;
  if (service === undefined) {
    sink.report('ServiceNotFound', referrer, path, `Service ${target} not found`);
    return undefined;
  }
  const port =
    backendPort.kind === 'number'
      ? (service.ports.find((p) => p.port === backendPort.number && p.protocol === 'TCP') ??
        service.ports.find((p) => p.port === backendPort.number))
      : service.ports.find((p) => p.name === backendPort.name);
  const wanted = backendPort.kind === 'number' ? String(backendPort.number) : `"${backendPort.name}"`;
  if (port === undefined) {
    sink.report('ServicePortNotFound', referrer, path, `Service ${target} has no port ${wanted}`);
    return undefined;
  }
  if (port.protocol !== 'TCP') {
    sink.report(
      'UnsupportedServiceProtocol',
      referrer,
      path,
      `Service ${target} port ${wanted} uses ${port.protocol}; only TCP can be proxied`,
    );
    return undefined;
  }
  const protocol = settings?.protocol ?? upstreamProtocol(service, port);
  // Reports made while resolving are kept with the cached result; only annotations make any.
  let breakerReports: Report[] | undefined;
  const breakerSink: DiagnosticSink =
    service.meta.annotations.size === 0
      ? this.outerSink
      : {
          report: (...report) => {
            breakerReports ??= [];
            breakerReports.push(report);
            this.outerSink.report(...report);
          },
        };
  let discovery: Cluster['discovery'];
  const eds = endpointsName(namespace, serviceName, port.name);
  if (service.type === 'ExternalName') {
    if (!this.options.enableExternalNameService) {
      sink.report(
        'ExternalNameDisabled',
        referrer,
        path,
        `Service ${target} is of type ExternalName, which is disabled (enableExternalNameService)`,
      );
      return undefined;
    }
    const host = service.externalName ?? '';
    const problem = host === '' ? 'spec.externalName is empty' : externalNameProblem(host);
    if (problem !== undefined) {
      sink.report('ExternalNameForbidden', referrer, path, `Service ${target} cannot be used: ${problem}`);
      return undefined;
    }
    discovery = {
      kind: 'dns',
      host: host.endsWith('.') ? host.slice(0, -1) : host,
      port: port.port,
      loadAssignmentName: eds,
    };
  } else {
    discovery = { kind: 'eds', serviceName: eds };
  }
  const need = discovery.kind === 'eds' ? { name: eds, namespace, service: serviceName, port } : undefined;
  // Upstream TLS to an external host names it in SNI; like Contour, the SNI is part of the hash.
  // HTTPProxy: a Host rewrite, else the ExternalName, whatever the protocol (Contour's hash input).
  const sni =
    settings !== undefined
      ? (settings.sni ?? (discovery.kind === 'dns' ? discovery.host : undefined))
      : discovery.kind === 'dns' && (protocol === 'tls' || protocol === 'h2')
        ? discovery.host
        : undefined;
  // An Ingress backend (no settings) hashes only protocol and SNI: no spread on the common path.
  const hash: ClusterHashInput =
    settings === undefined
      ? sni === undefined
        ? { protocol }
        : { protocol, sni }
      : { ...settings.hash, protocol, ...(sni !== undefined ? { sni } : {}) };
  const base = {
    name: clusterName(namespace, serviceName, port.port, hash),
    statName: clusterStatName(namespace, serviceName, port.port),
    service: { namespace, name: serviceName, port: port.port },
    protocol,
    sni,
    circuitBreakers: circuitBreakers(service, breakerSink),
    discovery,
  };
  // An Ingress sets none of the HTTPProxy settings: no optional keys to add (the common case).
  const cluster: Cluster =
    settings === undefined
      ? base
      : {
          ...base,
          ...(settings.lbPolicy !== undefined ? { lbPolicy: settings.lbPolicy } : {}),
          ...(settings.healthCheck !== undefined ? { healthCheck: settings.healthCheck } : {}),
          ...(settings.upstreamValidation !== undefined
            ? { upstreamValidation: settings.upstreamValidation }
            : {}),
          ...(settings.idleConnectionTimeout !== undefined
            ? { idleConnectionTimeout: settings.idleConnectionTimeout }
            : {}),
          ...(settings.slowStart !== undefined ? { slowStart: settings.slowStart } : {}),
        };
  if (cacheable) remember(cache, service, { key, cluster, need, reports: breakerReports ?? noReports });
  return define(this, referrer, path, cluster, need);
}

const noReports: readonly Report[] = [];
