/**
 * The translation engine behind both translate() and the incremental translator. It keeps the object
 * index, caches every intermediate result with the keys it depends on, and on each batch of changes
 * recomputes only what those changes can reach:
 *
 *   object ──parse──▶ view ──▶ index ──evaluate──▶ Ingress claims ──merge per host──▶ virtual hosts
 *                                   └────────────────▶ endpoint groups (per EDS name)
 *
 * translate() is one batch on a fresh engine, so the full and incremental paths cannot drift apart.
 */

import { compareText } from '../compare.js';
import {
  type Cluster,
  type EndpointGroup,
  type SecureVirtualHost,
  type TlsSecret,
  usesGlobalRateLimits,
  type VirtualHost,
} from '../model/ir.js';
import type { ExtensionServiceView, HTTPProxyView } from '../model/k8s/httpproxy.js';
import type { IngressView } from '../model/k8s/ingress.js';
import {
  canonicalJson,
  compareAge,
  createObjectIndex,
  dependenciesOf,
  dependency,
  identityOf,
  isClusterScoped,
  jsonEqual,
  type Lookup,
  type Parsed,
  parseObject,
  type Report,
  readIdentity,
  type View,
} from '../model/snapshot.js';
import type { ResolvedOptions } from '../options.js';
import { buildEndpointGroup } from './endpoints.js';
import { evaluateProxy, type ProxyClaims, proxyId, proxyServed } from './httpproxy.js';
import { extensionCluster } from './httpproxy-auth.js';
import { evaluateIngress, type IngressClaims, ingressClassFilter, mergeHost } from './ingress.js';
import { extensionClusterName } from './names.js';
import { createSecretResolver, type SecretCheckCache } from './secrets.js';
import type { EndpointsNeed, ServiceCache } from './services.js';

/** One watch event. A delete names the object; an upsert carries it whole. */
export type ObjectChange =
  | { readonly type: 'upsert'; readonly object: unknown }
  | { readonly type: 'delete'; readonly kind: string; readonly namespace?: string; readonly name: string };

/**
 * An object the engine holds, with its kind, namespace (empty for IngressClass) and
 * resourceVersion copied out, so checking a re-delivered object reads this one record.
 */
interface Entry {
  readonly object: unknown;
  readonly parsed: Parsed;
  readonly kind: string;
  readonly namespace: string;
  readonly resourceVersion: string | undefined;
}

/** The IR the engine currently holds, with what changed in the last batch. */
export interface EngineState {
  readonly http: ReadonlyMap<string, VirtualHost>;
  readonly https: ReadonlyMap<string, SecureVirtualHost>;
  readonly clusters: ReadonlyMap<string, Cluster>;
  readonly endpoints: ReadonlyMap<string, EndpointGroup>;
  readonly secrets: ReadonlyMap<string, TlsSecret>;
}

export interface EngineChanges {
  /** fqdns whose plain-HTTP or TLS virtual host changed (appeared, changed or went). */
  readonly hosts: ReadonlySet<string>;
  readonly clusters: ReadonlySet<string>;
  readonly endpoints: ReadonlySet<string>;
  readonly secrets: ReadonlySet<string>;
  /** Whether anything at all changed. */
  readonly any: boolean;
}

export interface Engine {
  /** Applies a batch of changes and reports which IR entries changed. */
  apply(changes: Iterable<ObjectChange>): EngineChanges;
  readonly state: EngineState;
  /** Every current diagnostic, unsorted and possibly with repeats (sortDiagnostics cleans both). */
  reports(): Report[];
  /** Every ExtensionService with the reports filed against it. */
  extensionServices(): { readonly view: ExtensionServiceView; readonly reports: readonly Report[] }[];
  /** Every served HTTPProxy with the reports filed against it, and whether any root reaches it. */
  proxies(): {
    readonly view: HTTPProxyView;
    readonly reports: readonly Report[];
    readonly orphaned: boolean;
  }[];
}

/**
 * Whether an upsert delivers the object an entry already holds: objects whose resourceVersion is
 * equal are equal (the API server's guarantee); otherwise their content is compared.
 */
function unchanged(previous: Entry, next: unknown): boolean {
  if (previous.object === next) return true;
  const version = resourceVersion(next);
  if (version !== undefined && version === previous.resourceVersion) return true;
  return jsonEqual(previous.object, next);
}

function resourceVersion(object: unknown): string | undefined {
  const meta = (object as { metadata?: { resourceVersion?: unknown } } | null)?.metadata;
  return typeof meta?.resourceVersion === 'string' && meta.resourceVersion !== ''
    ? meta.resourceVersion
    : undefined;
}

/**
 * Key → a set of string values. Most keys (a cluster's definers, a host's claimants) have exactly
 * one value, which is stored as is; a Set is made only for a second one.
 */
class MultiMap {
  readonly #map = new Map<string, string | Set<string>>();

  get size(): number {
    return this.#map.size;
  }

  add(key: string, value: string): void {
    const current = this.#map.get(key);
    if (current === undefined) this.#map.set(key, value);
    else if (typeof current !== 'string') current.add(value);
    else if (current !== value) this.#map.set(key, new Set([current, value]));
  }

  delete(key: string, value: string): void {
    const current = this.#map.get(key);
    if (current === undefined) return;
    if (typeof current === 'string') {
      if (current === value) this.#map.delete(key);
      return;
    }
    current.delete(value);
    if (current.size === 0) this.#map.delete(key);
  }

  /** The values of a key, in the order they were added. */
  get(key: string): Iterable<string> {
    const current = this.#map.get(key);
    return current === undefined ? noValues : typeof current === 'string' ? [current] : current;
  }
}

const noValues: readonly string[] = [];

/** Records which index keys an evaluation looked up. */
function trackingLookup(lookup: Lookup, deps: Set<string>): Lookup {
  return {
    service(namespace, name) {
      deps.add(dependency.service(namespace, name));
      return lookup.service(namespace, name);
    },
    secret(namespace, name) {
      deps.add(dependency.secret(namespace, name));
      return lookup.secret(namespace, name);
    },
    slices(namespace, service) {
      deps.add(dependency.slices(namespace, service));
      return lookup.slices(namespace, service);
    },
    legacyEndpoints(namespace, name) {
      deps.add(dependency.endpoints(namespace, name));
      return lookup.legacyEndpoints(namespace, name);
    },
    delegations(namespace) {
      deps.add(dependency.delegations(namespace));
      return lookup.delegations(namespace);
    },
    proxy(namespace, name) {
      deps.add(dependency.proxy(namespace, name));
      return lookup.proxy(namespace, name);
    },
    proxyRoots(fqdn) {
      deps.add(dependency.proxyFqdn(fqdn));
      return lookup.proxyRoots(fqdn);
    },
    extensionService(namespace, name) {
      deps.add(dependency.extensionService(namespace, name));
      return lookup.extensionService(namespace, name);
    },
  };
}

interface CachedClaims {
  readonly claims: IngressClaims;
  /** Kept as lists: a cached result lives as long as its object, and a Set costs several times more. */
  readonly deps: readonly string[];
  readonly hosts: readonly string[];
}

interface CachedProxy {
  readonly claims: ProxyClaims;
  readonly deps: readonly string[];
}

/** Claimant ids: an Ingress is `ns/name`, a root HTTPProxy `HTTPProxy:ns/name`. */
const proxyKeyPrefix = 'HTTPProxy:';
const proxyKey = (id: string) => `${proxyKeyPrefix}${id}`;
const isProxyKey = (key: string) => key.startsWith(proxyKeyPrefix);
/** The `ns/name` of the root HTTPProxy behind a claimant key. */
const proxyIdOfKey = (key: string) => key.slice(proxyKeyPrefix.length);

interface HostState {
  readonly http: VirtualHost | undefined;
  readonly https: SecureVirtualHost | undefined;
  readonly reports: readonly Report[];
}

interface GroupState {
  readonly group: EndpointGroup;
  readonly deps: readonly string[];
  readonly reports: readonly Report[];
}

export interface EngineMode {
  /**
   * False for an engine that applies exactly one batch (translate()): it keeps no dependency graph
   * and no resync index, which only serve later batches. A second apply() throws.
   */
  readonly incremental?: boolean;
}

export function createEngine(options: ResolvedOptions, { incremental = true }: EngineMode = {}): Engine {
  const index = createObjectIndex();
  const entries = new Map<string, Entry>();
  const secretChecks: SecretCheckCache = new WeakMap();
  const serviceCache: ServiceCache = new WeakMap();

  // Ingress and root HTTPProxy claims, and who depends on what.
  const claims = new Map<string, CachedClaims>();
  const proxyClaims = new Map<string, CachedProxy>();
  const dependents = new MultiMap();
  const hostClaimants = new MultiMap();
  let classReports: Report[] = [];
  const classSink = { report: (...args: Report) => void classReports.push(args) };
  let served = ingressClassFilter([], options, classSink);

  // Merged hosts and what the emitted virtual hosts use.
  const hosts = new Map<string, HostState>();
  const http = new Map<string, VirtualHost>();
  const https = new Map<string, SecureVirtualHost>();
  const clusterRefs = new Map<string, number>();
  const clusterDefiners = new MultiMap();
  /** How many live clusters use each EDS name, and the names whose count crossed zero this batch. */
  const edsRefs = new Map<string, number>();
  const edsTouched = new Set<string>();
  const clusterReports = new Map<string, readonly Report[]>();
  const clusters = new Map<string, Cluster>();
  const needs = new Map<string, EndpointsNeed>();
  const groups = new Map<string, GroupState>();
  const groupDependents = new MultiMap();
  const endpoints = new Map<string, EndpointGroup>();
  const secretRefs = new Map<string, number>();
  const secrets = new Map<string, TlsSecret>();

  // Entries also indexed by name (then kind and namespace), so a resync finds the held copy with one
  // lookup and no identity string per object. Most names are held once; a few (a Service and its
  // Endpoints, the same name in several namespaces) share a list.
  const held = new Map<string, Entry | Entry[]>();
  const heldNamespace = (ref: Parsed['ref']) => (isClusterScoped(ref.kind) ? '' : ref.namespace);

  function findHeld(kind: string, namespace: string, name: string): Entry | undefined {
    const slot = held.get(name);
    if (slot === undefined) return undefined;
    if (!Array.isArray(slot)) return slot.kind === kind && slot.namespace === namespace ? slot : undefined;
    return slot.find((h) => h.kind === kind && h.namespace === namespace);
  }

  function dropHeld(kind: string, namespace: string, name: string): void {
    const slot = held.get(name);
    if (slot === undefined) return;
    if (!Array.isArray(slot)) {
      if (slot.kind === kind && slot.namespace === namespace) held.delete(name);
      return;
    }
    const rest = slot.filter((h) => h.kind !== kind || h.namespace !== namespace);
    if (rest.length === 1) held.set(name, rest[0] as Entry);
    else held.set(name, rest);
  }

  function setEntry(identity: string, object: unknown, parsed: Parsed): void {
    const { ref } = parsed;
    const entry: Entry = {
      object,
      parsed,
      kind: ref.kind,
      namespace: heldNamespace(ref),
      resourceVersion: resourceVersion(object),
    };
    entries.set(identity, entry);
    if (!incremental) return;
    dropHeld(entry.kind, entry.namespace, ref.name);
    const slot = held.get(ref.name);
    if (slot === undefined) held.set(ref.name, entry);
    else if (Array.isArray(slot)) slot.push(entry);
    else held.set(ref.name, [slot, entry]);
  }

  function deleteEntry(identity: string): void {
    const entry = entries.get(identity);
    if (entry === undefined) return;
    entries.delete(identity);
    const { ref } = entry.parsed;
    dropHeld(ref.kind, heldNamespace(ref), ref.name);
  }

  /**
   * The entry held under an object's kind, namespace and name, read without parsing it or building
   * a string: an informer resync sends every object again, and most are unchanged.
   */
  const heldEntry = (object: unknown): Entry | undefined =>
    incremental ? readIdentity(object, findHeld) : undefined;

  /** The index, recording into `deps` what is looked up when later batches need to know. */
  const lookupFor = (deps: Set<string>): Lookup => (incremental ? trackingLookup(index, deps) : index);
  /** A set for the keys an evaluation looks up; one shared, always empty set when nothing is tracked. */
  const noDeps: ReadonlySet<string> = new Set();
  const newDeps = () => (incremental ? new Set<string>() : (noDeps as Set<string>));
  const noReports: Report[] = [];
  const noKeys: readonly string[] = [];
  const listOf = (keys: ReadonlySet<string>): readonly string[] => (keys.size === 0 ? noKeys : [...keys]);
  /** One sink for every endpoint group build; each build's reports are taken right after it. */
  const groupReports: Report[] = [];
  const groupSink = { report: (...args: Report) => void groupReports.push(args) };
  let applied = false;

  const ingressId = (view: IngressView) => `${view.meta.namespace}/${view.meta.name}`;

  function dropClaims(id: string): CachedClaims | undefined {
    const cached = claims.get(id);
    if (cached === undefined) return undefined;
    claims.delete(id);
    for (const dep of cached.deps) dependents.delete(dep, id);
    for (const host of cached.hosts) hostClaimants.delete(host, id);
    for (const name of cached.claims.clusters.keys()) clusterDefiners.delete(name, id);
    return cached;
  }

  function evaluate(view: IngressView): CachedClaims {
    const id = ingressId(view);
    const deps = newDeps();
    const result = served(view)
      ? evaluateIngress(view, lookupFor(deps), options, secretChecks, serviceCache)
      : { ingress: view, tls: [], routes: [], clusters: new Map(), endpointNeeds: new Map(), reports: [] };
    const hostSet = new Set<string>();
    for (const claim of result.tls) hostSet.add(claim.fqdn);
    for (const claim of result.routes) hostSet.add(claim.fqdn);
    const cached = { claims: result, deps: listOf(deps), hosts: [...hostSet] };
    claims.set(id, cached);
    for (const dep of deps) dependents.add(dep, id);
    for (const host of hostSet) hostClaimants.add(host, id);
    for (const name of result.clusters.keys()) clusterDefiners.add(name, id);
    return cached;
  }

  function dropProxy(id: string): CachedProxy | undefined {
    const cached = proxyClaims.get(id);
    if (cached === undefined) return undefined;
    proxyClaims.delete(id);
    const key = proxyKey(id);
    for (const dep of cached.deps) dependents.delete(dep, key);
    if (cached.claims.fqdn !== undefined) hostClaimants.delete(cached.claims.fqdn, key);
    for (const name of cached.claims.clusters.keys()) clusterDefiners.delete(name, key);
    return cached;
  }

  function evaluateRoot(view: HTTPProxyView): CachedProxy {
    const id = proxyId(view);
    const key = proxyKey(id);
    const deps = newDeps();
    const result = evaluateProxy(view, lookupFor(deps), options, secretChecks);
    const cached = { claims: result, deps: listOf(deps) };
    proxyClaims.set(id, cached);
    for (const dep of deps) dependents.add(dep, key);
    if (result.fqdn !== undefined) hostClaimants.add(result.fqdn, key);
    for (const name of result.clusters.keys()) clusterDefiners.add(name, key);
    return cached;
  }

  /** What a claimant id defines (clusters and EDS needs): its Ingress or root HTTPProxy claims. */
  function definer(key: string): IngressClaims | ProxyClaims | undefined {
    return isProxyKey(key) ? proxyClaims.get(proxyIdOfKey(key))?.claims : claims.get(key)?.claims;
  }

  /** The object behind a definer, for oldest-first order. */
  const definerMeta = (d: IngressClaims | ProxyClaims) => ('ingress' in d ? d.ingress.meta : d.proxy.meta);

  /** The SDS secrets a TLS virtual host refers to: its certificate and the fallback certificate. */
  function vhostSecrets(vhost: SecureVirtualHost | undefined): string[] {
    const names: string[] = [];
    if (vhost?.secretName !== undefined) names.push(vhost.secretName);
    if (vhost?.fallbackSecretName !== undefined) names.push(vhost.fallbackSecretName);
    return names;
  }

  /** The TLS secrets a claimant asks for. */
  function secretsOf(key: string): TlsSecret[] {
    if (isProxyKey(key)) {
      const secure = proxyClaims.get(proxyIdOfKey(key))?.claims.secure;
      return [secure?.secret, secure?.fallback].filter((t): t is TlsSecret => t !== undefined);
    }
    return (claims.get(key)?.claims.tls ?? []).map((t) => t.secret);
  }

  /**
   * Settles the definition of one cluster name from every object that defines it, oldest first, so
   * the result never depends on the order events arrived in. Returns whether the definition changed.
   */
  function trackEds(before: Cluster | undefined, after: Cluster | undefined): void {
    const was = before?.discovery.kind === 'eds' ? before.discovery.serviceName : undefined;
    const now = after?.discovery.kind === 'eds' ? after.discovery.serviceName : undefined;
    if (was === now) return;
    if (was !== undefined) {
      refCount(edsRefs, was, -1);
      edsTouched.add(was);
    }
    if (now !== undefined) {
      refCount(edsRefs, now, 1);
      edsTouched.add(now);
    }
  }

  function settleCluster(name: string): boolean {
    const before = clusters.get(name);
    clusterReports.delete(name);
    if (!clusterRefs.has(name)) {
      clusters.delete(name);
      trackEds(before, undefined);
      return before !== undefined;
    }
    const definers: (IngressClaims | ProxyClaims)[] = [];
    for (const id of clusterDefiners.get(name)) {
      const d = definer(id);
      if (d !== undefined) definers.push(d);
    }
    // Almost every cluster has one definer; several are settled oldest first.
    if (definers.length > 1) definers.sort((a, b) => compareAge(definerMeta(a), definerMeta(b)));
    const winner = definers[0];
    const cluster = winner?.clusters.get(name);
    if (winner === undefined || cluster === undefined) {
      clusters.delete(name);
      trackEds(before, undefined);
      return before !== undefined;
    }
    const reports: Report[] = definers.length > 1 ? [] : noReports;
    for (let i = 1; i < definers.length; i++) {
      const other = definers[i] as IngressClaims | ProxyClaims;
      if (jsonEqual(other.clusters.get(name), cluster)) continue;
      const owner = definerMeta(winner);
      reports.push([
        'ClusterConflict',
        definerMeta(other).ref,
        ['spec'],
        `cluster ${name} is defined differently by the older ${owner.ref.kind} ${owner.namespace}/${owner.name}, whose definition is used`,
      ]);
    }
    if (reports.length > 0) clusterReports.set(name, reports);
    if (cluster.discovery.kind === 'eds') {
      const need = winner.endpointNeeds.get(cluster.discovery.serviceName);
      const current = need === undefined ? undefined : needs.get(need.name);
      if (need !== undefined && current !== need && !jsonEqual(current, need)) needs.set(need.name, need);
    }
    if (before !== undefined && jsonEqual(before, cluster)) return false;
    clusters.set(name, cluster);
    trackEds(before, cluster);
    return true;
  }

  function refCount<K>(map: Map<K, number>, key: K, delta: number): void {
    const n = (map.get(key) ?? 0) + delta;
    if (n <= 0) map.delete(key);
    else map.set(key, n);
  }

  /** Every cluster a virtual host refers to: route backends and mirrors, tcp_proxy, ext_authz, JWKS. */
  function vhostClusters(vhost: VirtualHost | SecureVirtualHost | undefined): string[] {
    const names: string[] = [];
    for (const route of vhost?.routes ?? []) {
      if (route.action.kind !== 'forward') continue;
      for (const b of route.action.backends) names.push(b.clusterName);
      for (const m of route.action.mirrors ?? []) names.push(m.clusterName);
    }
    const limiter = options.rateLimitService?.extensionService;
    if (vhost !== undefined && limiter !== undefined && usesGlobalRateLimits(vhost))
      names.push(extensionClusterName(limiter.namespace, limiter.name));
    if (vhost !== undefined && 'tls' in vhost) {
      for (const b of vhost.tcpProxy?.backends ?? []) names.push(b.clusterName);
      if (vhost.authorization !== undefined) names.push(vhost.authorization.clusterName);
      for (const p of vhost.jwtProviders ?? []) if (p.jwks.kind === 'remote') names.push(p.jwks.clusterName);
    }
    return names;
  }

  /** What is wrong with an ExtensionService, or ignored in it (its parse reports aside). */
  function extensionReports(view: ExtensionServiceView): Report[] {
    const reports: Report[] = [];
    const sink = { report: (...args: Report) => void reports.push(args) };
    const deps = { lookup: index, options, secrets: createSecretResolver(index, sink, secretChecks) };
    extensionCluster(
      deps,
      view,
      (code, type, at, message) => void reports.push([code, view.meta.ref, at, message, type]),
      (at, message) => void reports.push(['IgnoredField', view.meta.ref, at, message, 'SpecError']),
    );
    return reports;
  }

  /** Served non-root proxies that no root evaluation reached. */
  function orphans(): HTTPProxyView[] {
    const reached = new Set<string>();
    for (const cached of proxyClaims.values()) for (const id of cached.claims.visited) reached.add(id);
    const out: HTTPProxyView[] = [];
    for (const [id, view] of index.proxies) {
      if (view.virtualhost === undefined && !reached.has(id) && proxyServed(view, options)) out.push(view);
    }
    return out;
  }

  function orphanReports(): Report[] {
    return orphans().map(
      (view): Report => [
        'Orphaned',
        view.meta.ref,
        [],
        'this HTTPProxy is not part of a delegation chain from a root HTTPProxy',
        'Orphaned',
      ],
    );
  }

  /** One-batch mode: DuplicateObject reports, and the canonical JSON of objects met twice. */
  const duplicateReports: Report[] = [];
  const canonicalTexts = new Map<string, string>();

  /**
   * One batch (translate()) holding two objects of one identity is a conflict a watch never delivers:
   * the copy whose canonical JSON sorts first is kept whatever the input order, and the other is
   * reported. Returns whether `object` replaces the entry held.
   */
  function duplicateWins(identity: string, kept: Entry, object: unknown, parsed: Parsed): boolean {
    let keptText = canonicalTexts.get(identity);
    if (keptText === undefined) {
      keptText = canonicalJson(kept.object);
      canonicalTexts.set(identity, keptText);
    }
    const text = canonicalJson(object);
    if (text === keptText) return false;
    const wins = text < keptText;
    if (wins) canonicalTexts.set(identity, text);
    duplicateReports.push([
      'DuplicateObject',
      wins ? kept.parsed.ref : parsed.ref,
      [],
      'another object with the same kind, namespace and name but different content was given; this copy is ignored',
    ]);
    return wins;
  }

  /** What one batch of changes touched. */
  interface Batch {
    /** Dependency keys whose lookups may now answer differently. */
    readonly deps: Set<string>;
    /** Ingresses (`ns/name`) and root HTTPProxies (`ns/name`) to evaluate again. */
    readonly ingresses: Set<string>;
    readonly roots: Set<string>;
    classesChanged: boolean;
  }

  /** Step 1: objects → views → index, noting what each change touches. */
  function ingest(changes: Iterable<ObjectChange>): Batch {
    const batch: Batch = { deps: new Set(), ingresses: new Set(), roots: new Set(), classesChanged: false };
    // Changed dependency keys matter only to cached results that looked them up; a fresh engine
    // (translate(), or a translator's first batch) has none, so it skips collecting them.
    const tracking = dependents.size > 0 || groupDependents.size > 0;
    const touch = (view: View) => {
      if (tracking) for (const dep of dependenciesOf(view)) batch.deps.add(dep);
      if (view.kind === 'Ingress') batch.ingresses.add(ingressId(view));
      else if (view.kind === 'IngressClass') batch.classesChanged = true;
      else if (view.kind === 'HTTPProxy') batch.roots.add(proxyId(view));
    };
    for (const change of changes) {
      let identity: string;
      let parsed: Parsed | undefined;
      let previous: Entry | undefined;
      if (change.type === 'upsert') {
        // An informer resync re-delivers every object: skip unchanged ones before parsing them.
        const known = heldEntry(change.object);
        if (known !== undefined && unchanged(known, change.object)) continue;
        parsed = parseObject(change.object);
        if (parsed === undefined) continue;
        identity = parsed.identity;
        previous = entries.get(identity);
        if (previous !== undefined) {
          if (!incremental) {
            if (!duplicateWins(identity, previous, change.object, parsed)) continue;
          } else if (previous !== known && unchanged(previous, change.object)) continue;
        }
      } else {
        identity = identityOf(change.kind, change.namespace ?? '', change.name);
        previous = entries.get(identity);
        if (previous === undefined) {
          identity = identityOf(change.kind, change.namespace ?? 'default', change.name);
          previous = entries.get(identity);
        }
        if (previous === undefined) continue;
      }
      const before = previous?.parsed.view;
      const after = parsed?.view;
      if (before !== undefined) {
        touch(before);
        index.remove(before);
      }
      if (after !== undefined) {
        touch(after);
        index.add(after);
      }
      if (change.type === 'upsert' && parsed !== undefined) setEntry(identity, change.object, parsed);
      else deleteEntry(identity);
    }
    return batch;
  }

  /** IngressClasses changed: which Ingresses are served may have changed for all of them. */
  function reclassify(batch: Batch): void {
    classReports = [];
    const classes = [...index.ingressClasses.values()].sort((a, b) => compareText(a.meta.name, b.meta.name));
    served = ingressClassFilter(classes, options, classSink);
    for (const id of index.ingresses.keys()) batch.ingresses.add(id);
    for (const id of claims.keys()) batch.ingresses.add(id);
  }

  /** Step 2: evaluates the dirty Ingresses and roots again, noting the hosts and clusters they touch. */
  function reevaluate(batch: Batch, dirtyHosts: Set<string>, dirtyClusters: Set<string>): void {
    for (const id of batch.ingresses) {
      const old = dropClaims(id);
      if (old !== undefined) {
        for (const host of old.hosts) dirtyHosts.add(host);
        for (const name of old.claims.clusters.keys()) dirtyClusters.add(name);
      }
      const view = index.ingresses.get(id);
      if (view === undefined) continue;
      const fresh = evaluate(view);
      for (const host of fresh.hosts) dirtyHosts.add(host);
      for (const name of fresh.claims.clusters.keys()) dirtyClusters.add(name);
    }
    for (const id of batch.roots) {
      const old = dropProxy(id);
      if (old !== undefined) {
        if (old.claims.fqdn !== undefined) dirtyHosts.add(old.claims.fqdn);
        for (const name of old.claims.clusters.keys()) dirtyClusters.add(name);
      }
      const [namespace = '', name = ''] = id.split('/');
      const view = index.proxy(namespace, name);
      if (view === undefined || view.virtualhost === undefined || !proxyServed(view, options)) continue;
      const fresh = evaluateRoot(view);
      if (fresh.claims.fqdn !== undefined) dirtyHosts.add(fresh.claims.fqdn);
      for (const cluster of fresh.claims.clusters.keys()) dirtyClusters.add(cluster);
    }
  }

  /**
   * Step 3: merges each touched host again, oldest Ingress first, the HTTPProxy last. Returns the
   * hosts whose virtual hosts changed; adds the clusters and secrets they used or use to the sets.
   */
  function mergeHosts(
    dirtyHosts: ReadonlySet<string>,
    dirtyClusters: Set<string>,
    changedSecrets: Set<string>,
  ): Set<string> {
    const changedHosts = new Set<string>();
    for (const fqdn of dirtyHosts) {
      const keys = [...hostClaimants.get(fqdn)];
      const claimants = keys
        .map((id) => claims.get(id)?.claims)
        .filter((c): c is IngressClaims => c !== undefined)
        .sort((a, b) => compareAge(a.ingress.meta, b.ingress.meta));
      const proxyKeyHere = keys.find(isProxyKey);
      const proxy =
        proxyKeyHere === undefined ? undefined : proxyClaims.get(proxyIdOfKey(proxyKeyHere))?.claims;
      const before = hosts.get(fqdn);
      const merged =
        claimants.length === 0 && proxy === undefined ? undefined : mergeHost(fqdn, claimants, proxy);
      const next: HostState | undefined =
        merged === undefined
          ? undefined
          : {
              // Keep the previous objects when nothing changed, so later stages see identical inputs.
              http:
                before?.http !== undefined && jsonEqual(before.http, merged.http) ? before.http : merged.http,
              https:
                before?.https !== undefined && jsonEqual(before.https, merged.https)
                  ? before.https
                  : merged.https,
              reports: merged.reports,
            };
      if (next === undefined) hosts.delete(fqdn);
      else hosts.set(fqdn, next);
      if (before?.http === next?.http && before?.https === next?.https) continue;
      changedHosts.add(fqdn);
      for (const vhost of [before?.http, before?.https]) {
        for (const name of vhostClusters(vhost)) {
          refCount(clusterRefs, name, -1);
          dirtyClusters.add(name);
        }
      }
      for (const vhost of [next?.http, next?.https]) {
        for (const name of vhostClusters(vhost)) {
          refCount(clusterRefs, name, 1);
          dirtyClusters.add(name);
        }
      }
      for (const name of vhostSecrets(before?.https)) {
        refCount(secretRefs, name, -1);
        changedSecrets.add(name);
      }
      for (const name of vhostSecrets(next?.https)) {
        refCount(secretRefs, name, 1);
        changedSecrets.add(name);
      }
      if (next?.http === undefined) http.delete(fqdn);
      else http.set(fqdn, next.http);
      if (next?.https === undefined) https.delete(fqdn);
      else https.set(fqdn, next.https);
    }
    return changedHosts;
  }

  /** The TLS secrets the virtual hosts use, defined by the objects that ask for them. */
  function settleSecrets(batch: Batch, changedHosts: ReadonlySet<string>, changedSecrets: Set<string>): void {
    const defineSecret = (secret: TlsSecret) => {
      const current = secrets.get(secret.name);
      if (current === undefined || !jsonEqual(current, secret)) {
        secrets.set(secret.name, secret);
        changedSecrets.add(secret.name);
      }
    };
    // A Secret's key can change without its name (which hashes the certificate only).
    for (const key of [...batch.ingresses, ...[...batch.roots].map(proxyKey)]) {
      for (const secret of secretsOf(key)) if (secretRefs.has(secret.name)) defineSecret(secret);
    }
    // A host may now use a secret that only objects not re-evaluated define.
    for (const fqdn of changedHosts) {
      for (const secretName of vhostSecrets(https.get(fqdn))) {
        if (secrets.has(secretName)) continue;
        for (const key of hostClaimants.get(fqdn)) {
          const secret = secretsOf(key).find((t) => t.name === secretName);
          if (secret !== undefined) {
            defineSecret(secret);
            break;
          }
        }
      }
    }
    for (const name of changedSecrets) if (!secretRefs.has(name)) secrets.delete(name);
  }

  /**
   * Step 4: endpoint groups, only those whose EDS name gained or lost its last cluster, or whose
   * inputs changed. Returns the EDS names whose group changed.
   */
  function settleEndpoints(dirtyDeps: ReadonlySet<string>): Set<string> {
    const changedEndpoints = new Set<string>();
    const dirtyGroups = new Set<string>();
    for (const dep of dirtyDeps) for (const name of groupDependents.get(dep)) dirtyGroups.add(name);
    const names = dirtyGroups.size === 0 ? edsTouched : new Set([...edsTouched, ...dirtyGroups]);
    for (const name of names) {
      if (!edsRefs.has(name)) {
        const old = groups.get(name);
        groups.delete(name);
        needs.delete(name);
        for (const dep of old?.deps ?? []) groupDependents.delete(dep, name);
        if (endpoints.delete(name)) changedEndpoints.add(name);
        continue;
      }
      const need = needs.get(name);
      if (need === undefined) continue;
      const old = groups.get(name);
      if (old !== undefined && !dirtyGroups.has(name)) continue;
      const deps = newDeps();
      groupReports.length = 0;
      const group = buildEndpointGroup(lookupFor(deps), need, groupSink);
      const reports = groupReports.length === 0 ? noReports : groupReports.splice(0);
      for (const dep of old?.deps ?? []) groupDependents.delete(dep, name);
      for (const dep of deps) groupDependents.add(dep, name);
      const kept = old !== undefined && jsonEqual(old.group, group) ? old.group : group;
      groups.set(name, { group: kept, deps: listOf(deps), reports });
      if (endpoints.get(name) !== kept) changedEndpoints.add(name);
      endpoints.set(name, kept);
    }
    return changedEndpoints;
  }

  return {
    state: { http, https, clusters, endpoints, secrets },

    extensionServices() {
      return [...index.extensionServices.values()].map((view) => {
        const parsed = entries.get(
          identityOf('ExtensionService', view.meta.namespace, view.meta.name),
        )?.parsed;
        return { view, reports: [...(parsed?.reports ?? []), ...extensionReports(view)] };
      });
    },

    proxies() {
      const byProxy = new Map<string, Report[]>();
      const file = (report: Report) => {
        const ref = report[1];
        if (ref.kind !== 'HTTPProxy') return;
        const id = `${ref.namespace}/${ref.name}`;
        const list = byProxy.get(id);
        if (list === undefined) byProxy.set(id, [report]);
        else list.push(report);
      };
      for (const cached of proxyClaims.values()) for (const report of cached.claims.reports) file(report);
      for (const list of clusterReports.values()) for (const report of list) file(report);
      for (const host of hosts.values()) for (const report of host.reports) file(report);
      for (const report of orphanReports()) file(report);
      const out = [];
      for (const [id, view] of index.proxies) {
        if (!proxyServed(view, options)) continue;
        const parsed =
          entries.get(identityOf('HTTPProxy', view.meta.namespace, view.meta.name))?.parsed.reports ?? [];
        const reports = [...parsed, ...(byProxy.get(id) ?? [])];
        out.push({ view, reports, orphaned: reports.some((r) => r[0] === 'Orphaned') });
      }
      return out;
    },

    reports() {
      const out: Report[] = [...classReports, ...duplicateReports];
      // Nearly every list is empty: a spread call per object would cost more than the reports.
      const add = (list: readonly Report[]) => {
        if (list.length > 0) out.push(...list);
      };
      for (const entry of entries.values()) {
        const { view, reports } = entry.parsed;
        if (reports.length === 0) continue;
        // An Ingress of another controller's class is not ours to judge.
        if (view?.kind === 'Ingress' && !served(view)) continue;
        if (view?.kind === 'HTTPProxy' && !proxyServed(view, options)) continue;
        out.push(...reports);
      }
      for (const cached of claims.values()) add(cached.claims.reports);
      for (const cached of proxyClaims.values()) add(cached.claims.reports);
      add(orphanReports());
      for (const view of index.extensionServices.values()) add(extensionReports(view));
      for (const host of hosts.values()) add(host.reports);
      for (const list of clusterReports.values()) add(list);
      for (const group of groups.values()) {
        if (group.reports.length > 0 && endpoints.has(group.group.name)) out.push(...group.reports);
      }
      return out;
    },

    apply(changes) {
      if (!incremental && applied) throw new Error('a one-batch engine cannot apply a second batch');
      applied = true;
      edsTouched.clear();
      const batch = ingest(changes);
      if (batch.classesChanged) reclassify(batch);
      for (const dep of batch.deps) {
        for (const key of dependents.get(dep)) {
          if (isProxyKey(key)) batch.roots.add(proxyIdOfKey(key));
          else batch.ingresses.add(key);
        }
      }
      const dirtyHosts = new Set<string>();
      const dirtyClusters = new Set<string>();
      reevaluate(batch, dirtyHosts, dirtyClusters);
      const changedSecrets = new Set<string>();
      const changedHosts = mergeHosts(dirtyHosts, dirtyClusters, changedSecrets);
      const changedClusters = new Set<string>();
      for (const name of dirtyClusters) if (settleCluster(name)) changedClusters.add(name);
      settleSecrets(batch, changedHosts, changedSecrets);
      const changedEndpoints = settleEndpoints(batch.deps);
      const any =
        changedHosts.size > 0 ||
        changedClusters.size > 0 ||
        changedEndpoints.size > 0 ||
        changedSecrets.size > 0 ||
        batch.classesChanged;
      return {
        hosts: changedHosts,
        clusters: changedClusters,
        endpoints: changedEndpoints,
        secrets: changedSecrets,
        any,
      };
    },
  };
}
