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
  reportList,
  type View,
} from '../model/snapshot.js';
import type { ResolvedOptions } from '../options.js';
import { buildEndpointGroup } from './endpoints.js';
import { evaluateProxy, type ProxyClaims, proxyId, proxyServed } from './httpproxy.js';
import { extensionCluster } from './httpproxy-auth.js';
import {
  evaluateIngress,
  type IngressClaims,
  ingressClassFilter,
  mergeHost,
  servesIngress,
} from './ingress.js';
import { extensionClusterName } from './names.js';
import { createSecretResolver, endBatch, secretCheckCache } from './secrets.js';
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
 * one value, which is stored as is; a Set is made only for a second one. A Map subclass without
 * fields, so every instance has the hidden class of the constructor (see engineData).
 */
class MultiMap extends Map<string, string | Set<string>> {
  addValue(key: string, value: string): void {
    const current = this.get(key);
    if (current === undefined) this.set(key, value);
    else if (typeof current !== 'string') current.add(value);
    else if (current !== value) this.set(key, new Set([current, value]));
  }

  deleteValue(key: string, value: string): void {
    const current = this.get(key);
    if (current === undefined) return;
    if (typeof current === 'string') {
      if (current === value) this.delete(key);
      return;
    }
    current.delete(value);
    if (current.size === 0) this.delete(key);
  }

  /** The values of a key, in the order they were added. */
  valuesOf(key: string): Iterable<string> {
    const current = this.get(key);
    return current === undefined ? noValues : typeof current === 'string' ? [current] : current;
  }
}

const noValues: readonly string[] = [];

/** A Lookup that records which index keys an evaluation looked up, in `deps`. */
interface TrackingLookup extends Lookup {
  readonly inner: Lookup;
  readonly deps: Set<string>;
}

/** Records which index keys an evaluation looked up (one literal per evaluation, no closures). */
function trackingLookup(inner: Lookup, deps: Set<string>): Lookup {
  const tracking: TrackingLookup = {
    inner,
    deps,
    service: trackedService,
    secret: trackedSecret,
    slices: trackedSlices,
    legacyEndpoints: trackedLegacyEndpoints,
    delegations: trackedDelegations,
    proxy: trackedProxy,
    proxyRoots: trackedProxyRoots,
    extensionService: trackedExtensionService,
  };
  return tracking;
}

function trackedService(this: TrackingLookup, namespace: string, name: string) {
  this.deps.add(dependency.service(namespace, name));
  return this.inner.service(namespace, name);
}

function trackedSecret(this: TrackingLookup, namespace: string, name: string) {
  this.deps.add(dependency.secret(namespace, name));
  return this.inner.secret(namespace, name);
}

function trackedSlices(this: TrackingLookup, namespace: string, service: string) {
  this.deps.add(dependency.slices(namespace, service));
  return this.inner.slices(namespace, service);
}

function trackedLegacyEndpoints(this: TrackingLookup, namespace: string, name: string) {
  this.deps.add(dependency.endpoints(namespace, name));
  return this.inner.legacyEndpoints(namespace, name);
}

function trackedDelegations(this: TrackingLookup, namespace: string) {
  this.deps.add(dependency.delegations(namespace));
  return this.inner.delegations(namespace);
}

function trackedProxy(this: TrackingLookup, namespace: string, name: string) {
  this.deps.add(dependency.proxy(namespace, name));
  return this.inner.proxy(namespace, name);
}

function trackedProxyRoots(this: TrackingLookup, fqdn: string) {
  this.deps.add(dependency.proxyFqdn(fqdn));
  return this.inner.proxyRoots(fqdn);
}

function trackedExtensionService(this: TrackingLookup, namespace: string, name: string) {
  this.deps.add(dependency.extensionService(namespace, name));
  return this.inner.extensionService(namespace, name);
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

/** The object behind a definer, for oldest-first order. */
const definerMeta = (d: IngressClaims | ProxyClaims) => ('ingress' in d ? d.ingress.meta : d.proxy.meta);

/** The SDS secrets a TLS virtual host refers to: its certificate and the fallback certificate. */
function vhostSecrets(vhost: SecureVirtualHost | undefined): string[] {
  const names: string[] = [];
  if (vhost?.secretName !== undefined) names.push(vhost.secretName);
  if (vhost?.fallbackSecretName !== undefined) names.push(vhost.fallbackSecretName);
  return names;
}

function refCount<K>(map: Map<K, number>, key: K, delta: number): void {
  const n = (map.get(key) ?? 0) + delta;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
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

const heldNamespace = (ref: Parsed['ref']) => (isClusterScoped(ref.kind) ? '' : ref.namespace);

const noDeps: ReadonlySet<string> = new Set();
const noReports: readonly Report[] = [];
const noKeys: readonly string[] = [];
const listOf = (keys: ReadonlySet<string>): readonly string[] => (keys.size === 0 ? noKeys : [...keys]);

const ingressId = (view: IngressView) => `${view.meta.namespace}/${view.meta.name}`;

/**
 * Everything an engine holds, as one object literal worked on by module functions: not a class with
 * fields and not closures per engine (createEngine's returned object only forwards to them), for
 * the reason docs/design.md gives under "Code that stays optimised".
 */
function engineData(options: ResolvedOptions, incremental: boolean) {
  const classReports = reportList();
  return {
    options,
    incremental,
    index: createObjectIndex(),
    entries: new Map<string, Entry>(),
    secretChecks: secretCheckCache(),
    serviceCache: new WeakMap() as ServiceCache,
    // Ingress and root HTTPProxy claims, and who depends on what.
    claims: new Map<string, CachedClaims>(),
    proxyClaims: new Map<string, CachedProxy>(),
    dependents: new MultiMap(),
    hostClaimants: new MultiMap(),
    // Merged hosts and what the emitted virtual hosts use.
    hosts: new Map<string, HostState>(),
    http: new Map<string, VirtualHost>(),
    https: new Map<string, SecureVirtualHost>(),
    clusterRefs: new Map<string, number>(),
    clusterDefiners: new MultiMap(),
    /** How many live clusters use each EDS name, and the names whose count crossed zero this batch. */
    edsRefs: new Map<string, number>(),
    edsTouched: new Set<string>(),
    clusterReports: new Map<string, readonly Report[]>(),
    clusters: new Map<string, Cluster>(),
    needs: new Map<string, EndpointsNeed>(),
    groups: new Map<string, GroupState>(),
    groupDependents: new MultiMap(),
    endpoints: new Map<string, EndpointGroup>(),
    secretRefs: new Map<string, number>(),
    secrets: new Map<string, TlsSecret>(),
    // Entries also indexed by name (then kind and namespace), so a resync finds the held copy with one
    // lookup and no identity string per object. Most names are held once; a few (a Service and its
    // Endpoints, the same name in several namespaces) share a list.
    held: new Map<string, Entry | Entry[]>(),
    /** One sink for every endpoint group build; each build's reports are taken right after it. */
    groupReports: reportList(),
    applied: false,
    /** One-batch mode: DuplicateObject reports, and the canonical JSON of objects met twice. */
    duplicateReports: [] as Report[],
    canonicalTexts: new Map<string, string>(),
    classReports,
    /** Which Ingresses are ours by their class (servesIngress). */
    served: ingressClassFilter([], options, classReports),
  };
}

type EngineData = ReturnType<typeof engineData>;

export function createEngine(options: ResolvedOptions, mode: EngineMode = {}): Engine {
  const e = engineData(options, mode.incremental ?? true);
  return {
    state: { http: e.http, https: e.https, clusters: e.clusters, endpoints: e.endpoints, secrets: e.secrets },
    apply: (changes) => applyChanges(e, changes),
    reports: () => engineReports(e),
    proxies: () => proxyReports(e),
    extensionServices: () => extensionServiceReports(e),
  };
}

function findHeld(e: EngineData, kind: string, namespace: string, name: string): Entry | undefined {
  const slot = e.held.get(name);
  if (slot === undefined) return undefined;
  if (!Array.isArray(slot)) return slot.kind === kind && slot.namespace === namespace ? slot : undefined;
  return slot.find((h) => h.kind === kind && h.namespace === namespace);
}

function dropHeld(e: EngineData, kind: string, namespace: string, name: string): void {
  const slot = e.held.get(name);
  if (slot === undefined) return;
  if (!Array.isArray(slot)) {
    if (slot.kind === kind && slot.namespace === namespace) e.held.delete(name);
    return;
  }
  const rest = slot.filter((h) => h.kind !== kind || h.namespace !== namespace);
  if (rest.length === 1) e.held.set(name, rest[0] as Entry);
  else e.held.set(name, rest);
}

function setEntry(e: EngineData, identity: string, object: unknown, parsed: Parsed): void {
  const { ref } = parsed;
  const entry: Entry = {
    object,
    parsed,
    kind: ref.kind,
    namespace: heldNamespace(ref),
    resourceVersion: resourceVersion(object),
  };
  e.entries.set(identity, entry);
  if (!e.incremental) return;
  dropHeld(e, entry.kind, entry.namespace, ref.name);
  const slot = e.held.get(ref.name);
  if (slot === undefined) e.held.set(ref.name, entry);
  else if (Array.isArray(slot)) slot.push(entry);
  else e.held.set(ref.name, [slot, entry]);
}

function deleteEntry(e: EngineData, identity: string): void {
  const entry = e.entries.get(identity);
  if (entry === undefined) return;
  e.entries.delete(identity);
  const { ref } = entry.parsed;
  dropHeld(e, ref.kind, heldNamespace(ref), ref.name);
}

/**
 * The entry held under an object's kind, namespace and name, read without parsing it or building
 * a string: an informer resync sends every object again, and most are unchanged.
 */
function heldEntry(e: EngineData, object: unknown): Entry | undefined {
  return e.incremental ? readIdentity(object, e, findHeld) : undefined;
}

/** The index, recording into `deps` what is looked up when later batches need to know. */
function lookupFor(e: EngineData, deps: Set<string>): Lookup {
  return e.incremental ? trackingLookup(e.index, deps) : e.index;
}

/** A set for the keys an evaluation looks up; one shared, always empty set when nothing is tracked. */
function newDeps(e: EngineData): Set<string> {
  return e.incremental ? new Set<string>() : (noDeps as Set<string>);
}

function dropClaims(e: EngineData, id: string): CachedClaims | undefined {
  const cached = e.claims.get(id);
  if (cached === undefined) return undefined;
  e.claims.delete(id);
  for (const dep of cached.deps) e.dependents.deleteValue(dep, id);
  for (const host of cached.hosts) e.hostClaimants.deleteValue(host, id);
  for (const name of cached.claims.clusters.keys()) e.clusterDefiners.deleteValue(name, id);
  return cached;
}

function evaluate(e: EngineData, view: IngressView): CachedClaims {
  const id = ingressId(view);
  const deps = newDeps(e);
  const result = servesIngress(e.served, view)
    ? evaluateIngress(view, lookupFor(e, deps), e.options, e.secretChecks, e.serviceCache)
    : { ingress: view, tls: [], routes: [], clusters: new Map(), endpointNeeds: new Map(), reports: [] };
  const hostSet = new Set<string>();
  for (const claim of result.tls) hostSet.add(claim.fqdn);
  for (const claim of result.routes) hostSet.add(claim.fqdn);
  const cached = { claims: result, deps: listOf(deps), hosts: [...hostSet] };
  e.claims.set(id, cached);
  for (const dep of deps) e.dependents.addValue(dep, id);
  for (const host of hostSet) e.hostClaimants.addValue(host, id);
  for (const name of result.clusters.keys()) e.clusterDefiners.addValue(name, id);
  return cached;
}

function dropProxy(e: EngineData, id: string): CachedProxy | undefined {
  const cached = e.proxyClaims.get(id);
  if (cached === undefined) return undefined;
  e.proxyClaims.delete(id);
  const key = proxyKey(id);
  for (const dep of cached.deps) e.dependents.deleteValue(dep, key);
  if (cached.claims.fqdn !== undefined) e.hostClaimants.deleteValue(cached.claims.fqdn, key);
  for (const name of cached.claims.clusters.keys()) e.clusterDefiners.deleteValue(name, key);
  return cached;
}

function evaluateRoot(e: EngineData, view: HTTPProxyView): CachedProxy {
  const id = proxyId(view);
  const key = proxyKey(id);
  const deps = newDeps(e);
  const result = evaluateProxy(view, lookupFor(e, deps), e.options, e.secretChecks);
  const cached = { claims: result, deps: listOf(deps) };
  e.proxyClaims.set(id, cached);
  for (const dep of deps) e.dependents.addValue(dep, key);
  if (result.fqdn !== undefined) e.hostClaimants.addValue(result.fqdn, key);
  for (const name of result.clusters.keys()) e.clusterDefiners.addValue(name, key);
  return cached;
}

/** What a claimant id defines (clusters and EDS needs): its Ingress or root HTTPProxy claims. */
function definer(e: EngineData, key: string): IngressClaims | ProxyClaims | undefined {
  return isProxyKey(key) ? e.proxyClaims.get(proxyIdOfKey(key))?.claims : e.claims.get(key)?.claims;
}

/** The TLS secrets a claimant asks for. */
function secretsOf(e: EngineData, key: string): TlsSecret[] {
  if (isProxyKey(key)) {
    const secure = e.proxyClaims.get(proxyIdOfKey(key))?.claims.secure;
    return [secure?.secret, secure?.fallback].filter((t): t is TlsSecret => t !== undefined);
  }
  return (e.claims.get(key)?.claims.tls ?? []).map((t) => t.secret);
}

/** Counts the EDS names clusters use, noting each name whose use by this cluster began or ended. */
function trackEds(e: EngineData, before: Cluster | undefined, after: Cluster | undefined): void {
  const was = before?.discovery.kind === 'eds' ? before.discovery.serviceName : undefined;
  const now = after?.discovery.kind === 'eds' ? after.discovery.serviceName : undefined;
  if (was === now) return;
  if (was !== undefined) {
    refCount(e.edsRefs, was, -1);
    e.edsTouched.add(was);
  }
  if (now !== undefined) {
    refCount(e.edsRefs, now, 1);
    e.edsTouched.add(now);
  }
}

/**
 * Settles the definition of one cluster name from every object that defines it, oldest first, so
 * the result never depends on the order events arrived in. Returns whether the definition changed.
 */
function settleCluster(e: EngineData, name: string): boolean {
  const before = e.clusters.get(name);
  e.clusterReports.delete(name);
  if (!e.clusterRefs.has(name)) {
    e.clusters.delete(name);
    trackEds(e, before, undefined);
    return before !== undefined;
  }
  const definers: (IngressClaims | ProxyClaims)[] = [];
  for (const id of e.clusterDefiners.valuesOf(name)) {
    const d = definer(e, id);
    if (d !== undefined) definers.push(d);
  }
  // Almost every cluster has one definer; several are settled oldest first.
  if (definers.length > 1) definers.sort((a, b) => compareAge(definerMeta(a), definerMeta(b)));
  const winner = definers[0];
  const cluster = winner?.clusters.get(name);
  if (winner === undefined || cluster === undefined) {
    e.clusters.delete(name);
    trackEds(e, before, undefined);
    return before !== undefined;
  }
  let reports: Report[] | undefined;
  for (let i = 1; i < definers.length; i++) {
    const other = definers[i] as IngressClaims | ProxyClaims;
    if (jsonEqual(other.clusters.get(name), cluster)) continue;
    const owner = definerMeta(winner);
    reports ??= [];
    reports.push([
      'ClusterConflict',
      definerMeta(other).ref,
      ['spec'],
      `cluster ${name} is defined differently by the older ${owner.ref.kind} ${owner.namespace}/${owner.name}, whose definition is used`,
    ]);
  }
  if (reports !== undefined) e.clusterReports.set(name, reports);
  if (cluster.discovery.kind === 'eds') {
    const need = winner.endpointNeeds.get(cluster.discovery.serviceName);
    const current = need === undefined ? undefined : e.needs.get(need.name);
    if (need !== undefined && current !== need && !jsonEqual(current, need)) e.needs.set(need.name, need);
  }
  if (before !== undefined && jsonEqual(before, cluster)) return false;
  e.clusters.set(name, cluster);
  trackEds(e, before, cluster);
  return true;
}

/** Every cluster a virtual host refers to: route backends and mirrors, tcp_proxy, ext_authz, JWKS. */
function vhostClusters(e: EngineData, vhost: VirtualHost | SecureVirtualHost | undefined): string[] {
  const names: string[] = [];
  for (const route of vhost?.routes ?? []) {
    if (route.action.kind !== 'forward') continue;
    for (const b of route.action.backends) names.push(b.clusterName);
    for (const m of route.action.mirrors ?? []) names.push(m.clusterName);
  }
  const limiter = e.options.rateLimitService?.extensionService;
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
function extensionReports(e: EngineData, view: ExtensionServiceView): Report[] {
  const reports: Report[] = [];
  const sink = reportList(reports);
  const deps = {
    lookup: e.index,
    options: e.options,
    secrets: createSecretResolver(e.index, sink, e.secretChecks),
  };
  extensionCluster(
    deps,
    view,
    (code, type, at, message) => void reports.push([code, view.meta.ref, at, message, type]),
    (at, message) => void reports.push(['IgnoredField', view.meta.ref, at, message, 'SpecError']),
  );
  return reports;
}

/** Served non-root proxies that no root evaluation reached. */
function orphans(e: EngineData): HTTPProxyView[] {
  const reached = new Set<string>();
  for (const cached of e.proxyClaims.values()) for (const id of cached.claims.visited) reached.add(id);
  const out: HTTPProxyView[] = [];
  for (const [id, view] of e.index.proxies) {
    if (view.virtualhost === undefined && !reached.has(id) && proxyServed(view, e.options)) out.push(view);
  }
  return out;
}

function orphanReports(e: EngineData): Report[] {
  return orphans(e).map(
    (view): Report => [
      'Orphaned',
      view.meta.ref,
      [],
      'this HTTPProxy is not part of a delegation chain from a root HTTPProxy',
      'Orphaned',
    ],
  );
}

/**
 * One batch (translate()) holding two objects of one identity is a conflict a watch never delivers:
 * the copy whose canonical JSON sorts first is kept whatever the input order, and the other is
 * reported. Returns whether `object` replaces the entry held.
 */
function duplicateWins(
  e: EngineData,
  identity: string,
  kept: Entry,
  object: unknown,
  parsed: Parsed,
): boolean {
  let keptText = e.canonicalTexts.get(identity);
  if (keptText === undefined) {
    keptText = canonicalJson(kept.object);
    e.canonicalTexts.set(identity, keptText);
  }
  const text = canonicalJson(object);
  if (text === keptText) return false;
  const wins = text < keptText;
  if (wins) e.canonicalTexts.set(identity, text);
  e.duplicateReports.push([
    'DuplicateObject',
    wins ? kept.parsed.ref : parsed.ref,
    [],
    'another object with the same kind, namespace and name but different content was given; this copy is ignored',
  ]);
  return wins;
}

/** Step 1: objects → views → index, noting what each change touches. */
function ingest(e: EngineData, changes: Iterable<ObjectChange>): Batch {
  const batch: Batch = { deps: new Set(), ingresses: new Set(), roots: new Set(), classesChanged: false };
  // Changed dependency keys matter only to cached results that looked them up; a fresh engine
  // (translate(), or a translator's first batch) has none, so it skips collecting them.
  const tracking = e.dependents.size > 0 || e.groupDependents.size > 0;
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
      const known = heldEntry(e, change.object);
      if (known !== undefined && unchanged(known, change.object)) continue;
      parsed = parseObject(change.object);
      if (parsed === undefined) continue;
      identity = parsed.identity;
      previous = e.entries.get(identity);
      if (previous !== undefined) {
        if (!e.incremental) {
          if (!duplicateWins(e, identity, previous, change.object, parsed)) continue;
        } else if (previous !== known && unchanged(previous, change.object)) continue;
      }
    } else {
      identity = identityOf(change.kind, change.namespace ?? '', change.name);
      previous = e.entries.get(identity);
      if (previous === undefined) {
        identity = identityOf(change.kind, change.namespace ?? 'default', change.name);
        previous = e.entries.get(identity);
      }
      if (previous === undefined) continue;
    }
    const before = previous?.parsed.view;
    const after = parsed?.view;
    if (before !== undefined) {
      touch(before);
      e.index.remove(before);
    }
    if (after !== undefined) {
      touch(after);
      e.index.add(after);
    }
    if (change.type === 'upsert' && parsed !== undefined) setEntry(e, identity, change.object, parsed);
    else deleteEntry(e, identity);
  }
  return batch;
}

/** IngressClasses changed: which Ingresses are served may have changed for all of them. */
function reclassify(e: EngineData, batch: Batch): void {
  e.classReports = reportList();
  const classes = [...e.index.ingressClasses.values()].sort((a, b) => compareText(a.meta.name, b.meta.name));
  e.served = ingressClassFilter(classes, e.options, e.classReports);
  for (const id of e.index.ingresses.keys()) batch.ingresses.add(id);
  for (const id of e.claims.keys()) batch.ingresses.add(id);
}

/** Step 2: evaluates the dirty Ingresses and roots again, noting the hosts and clusters they touch. */
function reevaluate(e: EngineData, batch: Batch, dirtyHosts: Set<string>, dirtyClusters: Set<string>): void {
  for (const id of batch.ingresses) {
    const old = dropClaims(e, id);
    if (old !== undefined) {
      for (const host of old.hosts) dirtyHosts.add(host);
      for (const name of old.claims.clusters.keys()) dirtyClusters.add(name);
    }
    const view = e.index.ingresses.get(id);
    if (view === undefined) continue;
    const fresh = evaluate(e, view);
    for (const host of fresh.hosts) dirtyHosts.add(host);
    for (const name of fresh.claims.clusters.keys()) dirtyClusters.add(name);
  }
  for (const id of batch.roots) {
    const old = dropProxy(e, id);
    if (old !== undefined) {
      if (old.claims.fqdn !== undefined) dirtyHosts.add(old.claims.fqdn);
      for (const name of old.claims.clusters.keys()) dirtyClusters.add(name);
    }
    const [namespace = '', name = ''] = id.split('/');
    const view = e.index.proxy(namespace, name);
    if (view === undefined || view.virtualhost === undefined || !proxyServed(view, e.options)) continue;
    const fresh = evaluateRoot(e, view);
    if (fresh.claims.fqdn !== undefined) dirtyHosts.add(fresh.claims.fqdn);
    for (const cluster of fresh.claims.clusters.keys()) dirtyClusters.add(cluster);
  }
}

/**
 * Step 3: merges each touched host again, oldest Ingress first, the HTTPProxy last. Returns the
 * hosts whose virtual hosts changed; adds the clusters and secrets they used or use to the sets.
 */
function mergeHosts(
  e: EngineData,
  dirtyHosts: ReadonlySet<string>,
  dirtyClusters: Set<string>,
  changedSecrets: Set<string>,
): Set<string> {
  const changedHosts = new Set<string>();
  for (const fqdn of dirtyHosts) {
    const keys = [...e.hostClaimants.valuesOf(fqdn)];
    const claimants = keys
      .map((id) => e.claims.get(id)?.claims)
      .filter((c): c is IngressClaims => c !== undefined)
      .sort((a, b) => compareAge(a.ingress.meta, b.ingress.meta));
    const proxyKeyHere = keys.find(isProxyKey);
    const proxy =
      proxyKeyHere === undefined ? undefined : e.proxyClaims.get(proxyIdOfKey(proxyKeyHere))?.claims;
    const before = e.hosts.get(fqdn);
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
    if (next === undefined) e.hosts.delete(fqdn);
    else e.hosts.set(fqdn, next);
    if (before?.http === next?.http && before?.https === next?.https) continue;
    changedHosts.add(fqdn);
    for (const vhost of [before?.http, before?.https]) {
      for (const name of vhostClusters(e, vhost)) {
        refCount(e.clusterRefs, name, -1);
        dirtyClusters.add(name);
      }
    }
    for (const vhost of [next?.http, next?.https]) {
      for (const name of vhostClusters(e, vhost)) {
        refCount(e.clusterRefs, name, 1);
        dirtyClusters.add(name);
      }
    }
    for (const name of vhostSecrets(before?.https)) {
      refCount(e.secretRefs, name, -1);
      changedSecrets.add(name);
    }
    for (const name of vhostSecrets(next?.https)) {
      refCount(e.secretRefs, name, 1);
      changedSecrets.add(name);
    }
    if (next?.http === undefined) e.http.delete(fqdn);
    else e.http.set(fqdn, next.http);
    if (next?.https === undefined) e.https.delete(fqdn);
    else e.https.set(fqdn, next.https);
  }
  return changedHosts;
}

/** The TLS secrets the virtual hosts use, defined by the objects that ask for them. */
function settleSecrets(
  e: EngineData,
  batch: Batch,
  changedHosts: ReadonlySet<string>,
  changedSecrets: Set<string>,
): void {
  const defineSecret = (secret: TlsSecret) => {
    const current = e.secrets.get(secret.name);
    if (current === undefined || !jsonEqual(current, secret)) {
      e.secrets.set(secret.name, secret);
      changedSecrets.add(secret.name);
    }
  };
  // A Secret's key can change without its name (which hashes the certificate only).
  for (const key of [...batch.ingresses, ...[...batch.roots].map(proxyKey)]) {
    for (const secret of secretsOf(e, key)) if (e.secretRefs.has(secret.name)) defineSecret(secret);
  }
  // A host may now use a secret that only objects not re-evaluated define.
  for (const fqdn of changedHosts) {
    for (const secretName of vhostSecrets(e.https.get(fqdn))) {
      if (e.secrets.has(secretName)) continue;
      for (const key of e.hostClaimants.valuesOf(fqdn)) {
        const secret = secretsOf(e, key).find((t) => t.name === secretName);
        if (secret !== undefined) {
          defineSecret(secret);
          break;
        }
      }
    }
  }
  for (const name of changedSecrets) if (!e.secretRefs.has(name)) e.secrets.delete(name);
}

/**
 * Step 4: endpoint groups, only those whose EDS name gained or lost its last cluster, or whose
 * inputs changed. Returns the EDS names whose group changed.
 */
function settleEndpoints(e: EngineData, dirtyDeps: ReadonlySet<string>): Set<string> {
  const changedEndpoints = new Set<string>();
  const dirtyGroups = new Set<string>();
  for (const dep of dirtyDeps) for (const name of e.groupDependents.valuesOf(dep)) dirtyGroups.add(name);
  const names = dirtyGroups.size === 0 ? e.edsTouched : new Set([...e.edsTouched, ...dirtyGroups]);
  for (const name of names) {
    if (!e.edsRefs.has(name)) {
      const old = e.groups.get(name);
      e.groups.delete(name);
      e.needs.delete(name);
      for (const dep of old?.deps ?? []) e.groupDependents.deleteValue(dep, name);
      if (e.endpoints.delete(name)) changedEndpoints.add(name);
      continue;
    }
    const need = e.needs.get(name);
    if (need === undefined) continue;
    const old = e.groups.get(name);
    if (old !== undefined && !dirtyGroups.has(name)) continue;
    const deps = newDeps(e);
    const sink = e.groupReports;
    sink.list.length = 0;
    const group = buildEndpointGroup(lookupFor(e, deps), need, sink);
    const reports = sink.list.length === 0 ? noReports : sink.list.splice(0);
    for (const dep of old?.deps ?? []) e.groupDependents.deleteValue(dep, name);
    for (const dep of deps) e.groupDependents.addValue(dep, name);
    const kept = old !== undefined && jsonEqual(old.group, group) ? old.group : group;
    e.groups.set(name, { group: kept, deps: listOf(deps), reports });
    if (e.endpoints.get(name) !== kept) changedEndpoints.add(name);
    e.endpoints.set(name, kept);
  }
  return changedEndpoints;
}

function extensionServiceReports(e: EngineData) {
  return [...e.index.extensionServices.values()].map((view) => {
    const parsed = e.entries.get(identityOf('ExtensionService', view.meta.namespace, view.meta.name))?.parsed;
    return { view, reports: [...(parsed?.reports ?? []), ...extensionReports(e, view)] };
  });
}

function proxyReports(e: EngineData) {
  const byProxy = new Map<string, Report[]>();
  const file = (report: Report) => {
    const ref = report[1];
    if (ref.kind !== 'HTTPProxy') return;
    const id = `${ref.namespace}/${ref.name}`;
    const list = byProxy.get(id);
    if (list === undefined) byProxy.set(id, [report]);
    else list.push(report);
  };
  for (const cached of e.proxyClaims.values()) for (const report of cached.claims.reports) file(report);
  for (const list of e.clusterReports.values()) for (const report of list) file(report);
  for (const host of e.hosts.values()) for (const report of host.reports) file(report);
  for (const report of orphanReports(e)) file(report);
  const out = [];
  for (const [id, view] of e.index.proxies) {
    if (!proxyServed(view, e.options)) continue;
    const parsed =
      e.entries.get(identityOf('HTTPProxy', view.meta.namespace, view.meta.name))?.parsed.reports ?? [];
    const reports = [...parsed, ...(byProxy.get(id) ?? [])];
    out.push({ view, reports, orphaned: reports.some((r) => r[0] === 'Orphaned') });
  }
  return out;
}

function engineReports(e: EngineData) {
  const out: Report[] = [...e.classReports.list, ...e.duplicateReports];
  // Nearly every list is empty: a spread call per object would cost more than the reports.
  const add = (list: readonly Report[]) => {
    if (list.length > 0) out.push(...list);
  };
  for (const entry of e.entries.values()) {
    const { view, reports } = entry.parsed;
    if (reports.length === 0) continue;
    // An Ingress of another controller's class is not ours to judge.
    if (view?.kind === 'Ingress' && !servesIngress(e.served, view)) continue;
    if (view?.kind === 'HTTPProxy' && !proxyServed(view, e.options)) continue;
    out.push(...reports);
  }
  for (const cached of e.claims.values()) add(cached.claims.reports);
  for (const cached of e.proxyClaims.values()) add(cached.claims.reports);
  add(orphanReports(e));
  for (const view of e.index.extensionServices.values()) add(extensionReports(e, view));
  for (const host of e.hosts.values()) add(host.reports);
  for (const list of e.clusterReports.values()) add(list);
  for (const group of e.groups.values()) {
    if (group.reports.length > 0 && e.endpoints.has(group.group.name)) out.push(...group.reports);
  }
  return out;
}

function applyChanges(e: EngineData, changes: Iterable<ObjectChange>): EngineChanges {
  if (!e.incremental && e.applied) throw new Error('a one-batch engine cannot apply a second batch');
  e.applied = true;
  try {
    return applyBatch(e, changes);
  } finally {
    // The per-content keypair results (certificate and key text) never outlive their batch.
    endBatch(e.secretChecks);
  }
}

function applyBatch(e: EngineData, changes: Iterable<ObjectChange>): EngineChanges {
  e.edsTouched.clear();
  const batch = ingest(e, changes);
  if (batch.classesChanged) reclassify(e, batch);
  for (const dep of batch.deps) {
    for (const key of e.dependents.valuesOf(dep)) {
      if (isProxyKey(key)) batch.roots.add(proxyIdOfKey(key));
      else batch.ingresses.add(key);
    }
  }
  const dirtyHosts = new Set<string>();
  const dirtyClusters = new Set<string>();
  reevaluate(e, batch, dirtyHosts, dirtyClusters);
  const changedSecrets = new Set<string>();
  const changedHosts = mergeHosts(e, dirtyHosts, dirtyClusters, changedSecrets);
  const changedClusters = new Set<string>();
  for (const name of dirtyClusters) if (settleCluster(e, name)) changedClusters.add(name);
  settleSecrets(e, batch, changedHosts, changedSecrets);
  const changedEndpoints = settleEndpoints(e, batch.deps);
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
}
