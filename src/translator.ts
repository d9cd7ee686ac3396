/**
 * The incremental translator: feed it watch events, get the new resources and exactly what changed.
 * Stage A runs in the engine (translate/engine.ts); this module keeps stage B's messages, rebuilding
 * only those whose IR changed and reusing the same message objects otherwise, and turns the changed
 * names into a ResourceDiff. Versions are hashes of the (canonical) binary encoding, computed only
 * for resources that changed and cached per message object.
 */
import { compareText, sortTexts } from './compare.js';
import { type Diagnostic, diagnosticOf, sortDiagnostics } from './diagnostics.js';
import {
  hashParts,
  type KindDiff,
  kindDiffOf,
  lazy,
  planOf,
  type ResourceDiff,
  type ResourceOf,
  resourceVersion,
  type Upsert,
} from './diff.js';
import type {
  EndpointGroup,
  Cluster as IrCluster,
  SecureVirtualHost as IrSecureVirtualHost,
  VirtualHost as IrVirtualHost,
  TlsSecret,
} from './model/ir.js';
import { usesGlobalRateLimits } from './model/ir.js';
import { canonicalJson } from './model/snapshot.js';
import { type ResolvedOptions, resolveOptions, type TranslateOptions } from './options.js';
import { type ResourceKind, resourceCodecs, type XdsResources } from './resources.js';
import { createEngine, type ObjectChange } from './translate/engine.js';
import {
  fallbackRouteConfigName,
  httpListenerName,
  httpRouteConfigName,
  httpsListenerName,
  httpsRouteConfigName,
} from './translate/names.js';
import { type ObjectStatus, objectStatus, sortStatuses } from './translate/status.js';
import { encodeMessage } from './translate/xds/any.js';
import { buildCluster } from './translate/xds/cluster.js';
import { buildClusterLoadAssignment } from './translate/xds/endpoint.js';
import { usesCookieRewrites } from './translate/xds/filters.js';
import {
  buildFallbackFilterChain,
  buildGrpcApiListener,
  buildHttpListener,
  buildHttpsListener,
  buildSecureFilterChain,
  hasGrpcApiListener,
} from './translate/xds/listener.js';
import {
  buildRouteConfiguration,
  buildRouteConfigurationFrom,
  buildVirtualHost,
} from './translate/xds/route.js';
import { buildSecret } from './translate/xds/secret.js';
import { type FilterChain, type RouteConfiguration, VirtualHost } from './translate/xds/types.js';

export type { ObjectChange } from './translate/engine.js';

/**
 * What one apply() produced. `diff` is computed by apply(); `resources` and `diagnostics`, and the
 * `names`/`versions`/`version` of each kind, are computed on first access and describe the state
 * after this apply(): read them before the next apply().
 */
export interface TranslatorUpdate {
  /** All current resources, each kind sorted by name. */
  readonly resources: XdsResources;
  /** What changed since the previous apply(), ready to push. */
  readonly diff: ResourceDiff;
  /** All current diagnostics, sorted. */
  readonly diagnostics: readonly Diagnostic[];
  /** The status of every served HTTPProxy and every ExtensionService, sorted. */
  readonly statuses: readonly ObjectStatus[];
}

export interface Translator {
  /**
   * Applies watch events in order (a later upsert of the same object replaces an earlier one). An
   * upsert identical to the object already held (same resourceVersion, or same content) changes
   * nothing and costs little.
   */
  apply(changes: Iterable<ObjectChange>): TranslatorUpdate;
  /** The current resources. */
  readonly resources: XdsResources;
  /** The current diagnostics. */
  readonly diagnostics: readonly Diagnostic[];
  /** The current HTTPProxy statuses. */
  readonly statuses: readonly ObjectStatus[];
}

type Store = { readonly [K in ResourceKind]: Map<string, ResourceOf<K>> };

/** Writes `n` as a protobuf varint at `at`; returns where it ends. */
function writeVarint(into: Uint8Array, at: number, n: number): number {
  let v = n;
  let i = at;
  while (v > 0x7f) {
    into[i++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  into[i++] = v;
  return i;
}

function varintSize(n: number): number {
  let size = 1;
  for (let v = n; v > 0x7f; v >>>= 7) size++;
  return size;
}

/** The index of the first element not below `value` in a sorted array. */
function lowerBound(sorted: readonly string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Creates an incremental translator. The first apply() with every object is a full translation. */
export function createTranslator(options?: TranslateOptions): Translator {
  return createTranslatorWith(resolveOptions(options));
}

/** Everything a translator holds; one object literal for the reason engineData gives. */
function translatorData(options: ResolvedOptions, oneShot: boolean) {
  return {
    options,
    oneShot,
    engine: createEngine(options, { incremental: !oneShot }),
    store: emptyStore(),
    /** What each name set in the current apply() held before it (absent: nothing). */
    before: emptyStore(),
    versions: new WeakMap<object, string>(),
    encodedVirtualHosts: new WeakMap<VirtualHost, Uint8Array>(),
    virtualHostOf: new WeakMap<IrVirtualHost, VirtualHost>(),
    clusterOf: new WeakMap<IrCluster, ResourceOf<'clusters'>>(),
    loadAssignmentOf: new WeakMap<EndpointGroup, ResourceOf<'endpoints'>>(),
    secretOf: new WeakMap<TlsSecret, ResourceOf<'secrets'>>(),
    chains: new Map<string, FilterChain>(),
    previousHttp: new Map<string, IrVirtualHost>(),
    previousHttps: new Map<string, IrSecureVirtualHost>(),
    /** ingress_http's hosts in order, and their VirtualHost messages, kept sorted as hosts come and go. */
    httpHosts: [] as string[],
    httpVirtualHosts: [] as VirtualHost[],
    /** Plain-HTTP hosts with cookie rewrites, and whether ingress_http was built with the Lua filter. */
    cookieHosts: new Set<string>(),
    rateLimitHosts: new Set<string>(),
    httpFeatures: { lua: false, rateLimit: false },
    // gRPC clients read ingress_http too when they get API listeners; they refuse path_separated_prefix.
    style: { splitSegmentPrefix: options.grpcApiListeners },
  };
}

type TranslatorData = ReturnType<typeof translatorData>;

const emptyStore = (): Store => ({
  listeners: new Map(),
  routes: new Map(),
  clusters: new Map(),
  endpoints: new Map(),
  secrets: new Map(),
});

/**
 * The translator for already-resolved options. translate() passes `oneShot: true`: it applies one
 * batch and never reads the diff, so neither the diff nor the engine's dependency graph is kept.
 */
export function createTranslatorWith(options: ResolvedOptions, { oneShot = false } = {}): Translator {
  const tr = translatorData(options, oneShot);
  return {
    apply: (changes) => apply(tr, changes),
    get resources() {
      return currentResources(tr);
    },
    get diagnostics() {
      return currentDiagnostics(tr);
    },
    get statuses() {
      return currentStatuses(tr);
    },
  };
}

/** The message built from an IR object, once per object (`build` gets `arg` as its second input). */
function message<T extends object, K extends object, A>(
  tr: TranslatorData,
  cache: WeakMap<T, K>,
  ir: T,
  build: (ir: T, arg: A) => K,
  arg: A,
): K {
  // One batch never meets the same IR again: a weak cache entry per resource would only cost GC work.
  if (tr.oneShot) return build(ir, arg);
  let built = cache.get(ir);
  if (built === undefined) {
    built = build(ir, arg);
    cache.set(ir, built);
  }
  return built;
}

const virtualHost = (tr: TranslatorData, ir: IrVirtualHost): VirtualHost =>
  message(tr, tr.virtualHostOf, ir, buildVirtualHost, tr.style);

function encodedVirtualHost(tr: TranslatorData, vhost: VirtualHost): Uint8Array {
  let bytes = tr.encodedVirtualHosts.get(vhost);
  if (bytes === undefined) {
    bytes = encodeMessage(VirtualHost, vhost);
    tr.encodedVirtualHosts.set(vhost, bytes);
  }
  return bytes;
}

/**
 * The version of a resource: the hash of its encoding. A RouteConfiguration is hashed from the
 * cached encodings of its virtual hosts (name, then virtual_hosts, then the rest is exactly the
 * order encode() writes), so editing one route of a large config does not re-encode the others.
 */
function versionOf<K extends ResourceKind>(tr: TranslatorData, kind: K, resource: ResourceOf<K>): string {
  const known = tr.versions.get(resource);
  if (known !== undefined) return known;
  let version: string;
  if (kind === 'routes') {
    const config = resource as RouteConfiguration;
    const { name, virtualHosts, ...rest } = config;
    const head = encodeMessage(resourceCodecs.routes, { name });
    const tail = encodeMessage(resourceCodecs.routes, rest);
    const hosts = (virtualHosts ?? []).map((v) => encodedVirtualHost(tr, v));
    // One buffer and one hash update: thousands of small updates cost more than the copying.
    let size = head.length + tail.length;
    for (const bytes of hosts) size += 1 + varintSize(bytes.length) + bytes.length;
    const all = new Uint8Array(size);
    all.set(head, 0);
    let at = head.length;
    for (const bytes of hosts) {
      all[at++] = 0x12; // virtual_hosts, field 2, length-delimited
      at = writeVarint(all, at, bytes.length);
      all.set(bytes, at);
      at += bytes.length;
    }
    all.set(tail, at);
    version = hashParts([all]);
  } else {
    version = resourceVersion(kind, resource);
  }
  tr.versions.set(resource, version);
  return version;
}

function set<K extends ResourceKind>(
  tr: TranslatorData,
  kind: K,
  name: string,
  resource: ResourceOf<K> | undefined,
  touched: Set<string>,
) {
  const map = tr.store[kind] as Map<string, ResourceOf<K>>;
  // A one-shot translator applies one batch to an empty store: nothing to remember for the diff,
  // which then upserts everything the store holds.
  if (tr.oneShot) {
    if (resource === undefined) map.delete(name);
    else map.set(name, resource);
    return;
  }
  const current = map.get(name);
  if (current === resource) return;
  // Remember what the name held before this apply(), once, for the diff.
  const prior = tr.before[kind] as Map<string, ResourceOf<K>>;
  if (current !== undefined && !prior.has(name)) prior.set(name, current);
  if (resource === undefined) map.delete(name);
  else map.set(name, resource);
  touched.add(name);
}

/** Everything a TLS filter chain is built from (not the routes, which live in RDS). */
function chainKey(tr: TranslatorData, vhost: IrSecureVirtualHost): string {
  const t = vhost.tls;
  const limits = tr.options.rateLimitService !== undefined && usesGlobalRateLimits(vhost) ? 1 : 0;
  const base = `${limits}\0${vhost.fqdn}\0${vhost.secretName ?? ''}\0${t.minimumProtocolVersion}\0${t.maximumProtocolVersion}\0${t.cipherSuites.join(':')}\0${vhost.fallbackSecretName ?? ''}`;
  const { clientValidation, authorization, jwtProviders, tcpProxy } = vhost;
  if (!clientValidation && !authorization && !jwtProviders && !tcpProxy) return base;
  return `${base}\0${canonicalJson({ clientValidation, authorization, jwtProviders, tcpProxy })}`;
}

function sortedResources<K extends ResourceKind>(tr: TranslatorData, kind: K): ResourceOf<K>[] {
  const map = tr.store[kind] as Map<string, ResourceOf<K>>;
  return sortTexts([...map.keys()]).map((name) => map.get(name) as ResourceOf<K>);
}

function currentResources(tr: TranslatorData): XdsResources {
  return {
    listeners: sortedResources(tr, 'listeners'),
    routes: sortedResources(tr, 'routes'),
    clusters: sortedResources(tr, 'clusters'),
    endpoints: sortedResources(tr, 'endpoints'),
    secrets: sortedResources(tr, 'secrets'),
  };
}

function currentDiagnostics(tr: TranslatorData): Diagnostic[] {
  return sortDiagnostics(tr.engine.reports().map((report) => diagnosticOf(...report)));
}

function currentStatuses(tr: TranslatorData): ObjectStatus[] {
  return sortStatuses(
    [...tr.engine.proxies(), ...tr.engine.extensionServices()].map(({ view, reports }) =>
      objectStatus(view, reports),
    ),
  );
}

function kindDiff<K extends ResourceKind>(
  tr: TranslatorData,
  kind: K,
  touched: ReadonlySet<string>,
  prior: ReadonlyMap<string, ResourceOf<K>>,
): KindDiff<K> {
  const map = tr.store[kind] as Map<string, ResourceOf<K>>;
  const upserted: Upsert<K>[] = [];
  const removed: string[] = [];
  for (const name of sortTexts([...touched])) {
    const now = map.get(name);
    const then = prior.get(name);
    if (now === undefined) {
      if (then !== undefined) removed.push(name);
      continue;
    }
    const version = versionOf(tr, kind, now);
    if (then === undefined || versionOf(tr, kind, then) !== version)
      upserted.push({ name, version, resource: now });
  }
  const names = lazy(() => sortTexts([...map.keys()]));
  return kindDiffOf(upserted, removed, names, (n) => versionOf(tr, kind, map.get(n) as ResourceOf<K>));
}

/** Clusters, endpoints and secrets by name: one message per IR object, rebuilt only for new IR. */
function byName<K extends 'clusters' | 'endpoints' | 'secrets', I extends object>(
  tr: TranslatorData,
  kind: K,
  names: ReadonlySet<string>,
  ir: ReadonlyMap<string, I>,
  cache: WeakMap<I, ResourceOf<K>>,
  build: (ir: I, options: ResolvedOptions) => ResourceOf<K>,
  touched: Set<string>,
): void {
  for (const name of names) {
    const item = ir.get(name);
    set(
      tr,
      kind,
      name,
      item === undefined ? undefined : message(tr, cache, item, build, tr.options),
      touched,
    );
  }
}

function apply(tr: TranslatorData, changes: Iterable<ObjectChange>): TranslatorUpdate {
  const changed = tr.engine.apply(changes);
  const touched = {
    listeners: new Set<string>(),
    routes: new Set<string>(),
    clusters: new Set<string>(),
    endpoints: new Set<string>(),
    secrets: new Set<string>(),
  };
  tr.before = emptyStore();
  const state = tr.engine.state;

  // Routes and listeners from the hosts that changed.
  const httpChanged: string[] = [];
  let httpsChanged = false;
  let fallbackChanged = false;
  for (const fqdn of changed.hosts) {
    const http = state.http.get(fqdn);
    if (hasGrpcApiListener(fqdn, tr.options)) {
      const wanted = http !== undefined;
      if (wanted !== tr.store.listeners.has(fqdn)) {
        set(
          tr,
          'listeners',
          fqdn,
          wanted ? buildGrpcApiListener(fqdn, tr.options) : undefined,
          touched.listeners,
        );
      }
    }
    if (tr.previousHttp.get(fqdn) !== http) {
      httpChanged.push(fqdn);
      if (http === undefined) tr.previousHttp.delete(fqdn);
      else tr.previousHttp.set(fqdn, http);
    }
    const https = state.https.get(fqdn);
    const old = tr.previousHttps.get(fqdn);
    if (old !== https && (old?.fallbackSecretName !== undefined || https?.fallbackSecretName !== undefined))
      fallbackChanged = true;
    if (old !== https) {
      const name = httpsRouteConfigName(fqdn);
      set(
        tr,
        'routes',
        name,
        https === undefined || https.tcpProxy !== undefined
          ? undefined
          : buildRouteConfiguration(name, [https], tr.style),
        touched.routes,
      );
      if (old === undefined || https === undefined || chainKey(tr, old) !== chainKey(tr, https))
        httpsChanged = true;
      if (https === undefined) tr.previousHttps.delete(fqdn);
      else tr.previousHttps.set(fqdn, https);
    }
  }
  if (httpChanged.length > 0) {
    // Copies, not edits: the previous RouteConfiguration still holds the old arrays.
    tr.httpHosts = tr.httpHosts.slice();
    tr.httpVirtualHosts = tr.httpVirtualHosts.slice();
    for (const fqdn of httpChanged) {
      const at = lowerBound(tr.httpHosts, fqdn);
      const present = tr.httpHosts[at] === fqdn;
      const ir = state.http.get(fqdn);
      if (ir === undefined) {
        if (present) {
          tr.httpHosts.splice(at, 1);
          tr.httpVirtualHosts.splice(at, 1);
        }
      } else if (present) {
        tr.httpVirtualHosts[at] = virtualHost(tr, ir);
      } else {
        tr.httpHosts.splice(at, 0, fqdn);
        tr.httpVirtualHosts.splice(at, 0, virtualHost(tr, ir));
      }
    }
    const config =
      tr.httpHosts.length === 0
        ? undefined
        : buildRouteConfigurationFrom(httpRouteConfigName, tr.httpVirtualHosts);
    set(tr, 'routes', httpRouteConfigName, config, touched.routes);
    for (const fqdn of httpChanged) {
      const ir = state.http.get(fqdn);
      if (ir !== undefined && usesCookieRewrites([ir])) tr.cookieHosts.add(fqdn);
      else tr.cookieHosts.delete(fqdn);
      if (ir !== undefined && tr.options.rateLimitService !== undefined && usesGlobalRateLimits(ir))
        tr.rateLimitHosts.add(fqdn);
      else tr.rateLimitHosts.delete(fqdn);
    }
    const hasListener = tr.store.listeners.has(httpListenerName);
    // The cookie-rewrite Lua and ratelimit filters are on ingress_http only while some route needs them.
    const features = { lua: tr.cookieHosts.size > 0, rateLimit: tr.rateLimitHosts.size > 0 };
    if (
      tr.httpHosts.length > 0 &&
      (!hasListener ||
        features.lua !== tr.httpFeatures.lua ||
        features.rateLimit !== tr.httpFeatures.rateLimit)
    ) {
      set(tr, 'listeners', httpListenerName, buildHttpListener(tr.options, features), touched.listeners);
      tr.httpFeatures = features;
    }
    if (tr.httpHosts.length === 0 && hasListener)
      set(tr, 'listeners', httpListenerName, undefined, touched.listeners);
  }
  if (httpsChanged) {
    const fqdns = sortTexts([...state.https.keys()]);
    const live = new Set<string>();
    const filterChains = fqdns.map((fqdn) => {
      const vhost = state.https.get(fqdn) as IrSecureVirtualHost;
      const k = chainKey(tr, vhost);
      live.add(k);
      let chain = tr.chains.get(k);
      if (chain === undefined) {
        chain = buildSecureFilterChain(vhost, tr.options);
        tr.chains.set(k, chain);
      }
      return chain;
    });
    for (const k of [...tr.chains.keys()]) if (!live.has(k)) tr.chains.delete(k);
    // Clients without SNI get the fallback certificate's chain, last, when some host enables it.
    const fallback = fqdns.map((f) => state.https.get(f)?.fallbackSecretName).find((n) => n !== undefined);
    if (fallback !== undefined) filterChains.push(buildFallbackFilterChain(fallback, tr.options));
    set(
      tr,
      'listeners',
      httpsListenerName,
      filterChains.length === 0 ? undefined : buildHttpsListener(tr.options, filterChains),
      touched.listeners,
    );
  }

  if (fallbackChanged) {
    const vhosts = [...state.https.keys()]
      .sort(compareText)
      .map((fqdn) => state.https.get(fqdn) as IrSecureVirtualHost)
      .filter((v) => v.fallbackSecretName !== undefined);
    set(
      tr,
      'routes',
      fallbackRouteConfigName,
      vhosts.length === 0
        ? undefined
        : buildRouteConfigurationFrom(
            fallbackRouteConfigName,
            vhosts.map((v) => virtualHost(tr, v)),
          ),
      touched.routes,
    );
  }

  byName(tr, 'clusters', changed.clusters, state.clusters, tr.clusterOf, buildCluster, touched.clusters);
  byName(
    tr,
    'endpoints',
    changed.endpoints,
    state.endpoints,
    tr.loadAssignmentOf,
    buildClusterLoadAssignment,
    touched.endpoints,
  );
  byName(tr, 'secrets', changed.secrets, state.secrets, tr.secretOf, buildSecret, touched.secrets);

  const diff = lazy((): ResourceDiff => {
    const named = <K extends ResourceKind>(kind: K): ReadonlySet<string> =>
      tr.oneShot ? new Set(tr.store[kind].keys()) : touched[kind];
    const kinds = {
      listeners: kindDiff(tr, 'listeners', named('listeners'), tr.before.listeners),
      routes: kindDiff(tr, 'routes', named('routes'), tr.before.routes),
      clusters: kindDiff(tr, 'clusters', named('clusters'), tr.before.clusters),
      endpoints: kindDiff(tr, 'endpoints', named('endpoints'), tr.before.endpoints),
      secrets: kindDiff(tr, 'secrets', named('secrets'), tr.before.secrets),
    };
    return { ...kinds, plan: planOf(kinds) };
  });
  // The diff reads the store, so it is taken now, before a later apply() changes the store.
  if (!tr.oneShot) diff();
  const resources = lazy(() => currentResources(tr));
  const diagnostics = lazy(() => currentDiagnostics(tr));
  const statuses = lazy(() => currentStatuses(tr));
  return {
    get statuses() {
      return statuses();
    },
    get resources() {
      return resources();
    },
    get diff() {
      return diff();
    },
    get diagnostics() {
      return diagnostics();
    },
  };
}
