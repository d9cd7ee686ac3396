/**
 * Resource versions and diffs between two translate() outputs: what an xDS server needs to answer
 * SotW and Delta streams (per-resource and per-type versions, upserts, removals) and a
 * make-before-break push order. Pure: hashing only, no I/O, clock or randomness.
 */
import { createHash } from 'node:crypto';
import { sortTexts } from './compare.js';
import { jsonEqual } from './model/snapshot.js';
import {
  type ResourceKind,
  resourceCodecs,
  resourceKinds,
  resourceName,
  type XdsResources,
} from './resources.js';
import { encodeMessage, type MessageCodec } from './translate/xds/any.js';

/** One resource of the given kind: `Cluster` for `'clusters'`, and so on. */
export type ResourceOf<K extends ResourceKind> = XdsResources[K][number];

/** Options for the functions that compute versions. */
export interface VersionOptions {
  /**
   * Version cache keyed by message object identity. Versions found here are reused and new ones are
   * stored, so a host that keeps unchanged messages between translations hashes each of them once.
   * Only sound while messages are never mutated after their version has been cached.
   */
  readonly versions?: WeakMap<object, string>;
}

/** The current state of one kind: what a SotW response and a Delta resync need. */
export interface KindVersions {
  /** Every current name, sorted. */
  readonly names: readonly string[];
  /** Per-resource version by name (Delta `Resource.version`). */
  readonly versions: ReadonlyMap<string, string>;
  /** Per-type version: a hash over the sorted `name\0version` pairs (SotW `version_info`). */
  readonly version: string;
}

/** A new or changed resource. */
export interface Upsert<K extends ResourceKind> {
  readonly name: string;
  readonly version: string;
  readonly resource: ResourceOf<K>;
}

/** The change of one kind between two outputs, plus its new state. */
export interface KindDiff<K extends ResourceKind> extends KindVersions {
  /** New names and names whose version changed, sorted by name. */
  readonly upserted: readonly Upsert<K>[];
  /** Names present before and absent now, sorted. */
  readonly removed: readonly string[];
}

/** One step of a push plan: send these names of this kind, or tell the client they are gone. */
export interface PushStep {
  readonly kind: ResourceKind;
  readonly action: 'upsert' | 'remove';
  readonly names: readonly string[];
}

/** The difference between two translate() outputs, per kind, with a make-before-break push plan. */
export interface ResourceDiff {
  readonly listeners: KindDiff<'listeners'>;
  readonly routes: KindDiff<'routes'>;
  readonly clusters: KindDiff<'clusters'>;
  readonly endpoints: KindDiff<'endpoints'>;
  readonly secrets: KindDiff<'secrets'>;
  /**
   * Make-before-break order: upserts of secrets, clusters, endpoints, listeners, routes; then
   * removals of listeners and routes (the referrers) before clusters, endpoints and secrets (what
   * they referred to). Steps with no names are left out.
   */
  readonly plan: readonly PushStep[];
}

/** An output with no resources: the previous state of a client that has received nothing. */
export const emptyResources: XdsResources = Object.freeze({
  listeners: [],
  routes: [],
  clusters: [],
  endpoints: [],
  secrets: [],
});

const upsertOrder: readonly ResourceKind[] = ['secrets', 'clusters', 'endpoints', 'listeners', 'routes'];
const removeOrder: readonly ResourceKind[] = ['listeners', 'routes', 'clusters', 'endpoints', 'secrets'];

/** The part of a generated codec a version needs. */
type Encoder<T> = Pick<MessageCodec<T>, 'encode'>;

/**
 * The canonical binary encoding of a resource: the proto encoding, in which every map's entries
 * are written sorted by key, so equal resources give equal bytes whatever order their maps were
 * filled in. Maps inside `Any` values are canonical too when the Any was packed by this package
 * (packAny encodes with the same generated code); Any bytes made elsewhere are hashed as given.
 *
 * ts-proto itself writes maps in object insertion order; scripts/postgen.mjs patches every
 * generated map encoder to sort its entries, which makes a plain encode() canonical and keeps it
 * as cheap as encoding (no JSON round trip through the type registry). Test suites check that the
 * bytes equal those of a key-sorted JSON round trip.
 *
 * @example
 * ```ts
 * canonicalBytes('clusters', { name: 'a', typedExtensionProtocolOptions: { y: anyY, x: anyX } });
 * // same bytes as with { x: anyX, y: anyY }
 * ```
 */
export function canonicalBytes<K extends ResourceKind>(kind: K, resource: ResourceOf<K>): Uint8Array {
  return encodeMessage(resourceCodecs[kind] as Encoder<ResourceOf<K>>, resource);
}

/** A version: the first 32 hex digits of the SHA-256 of the concatenated parts. */
export function hashParts(parts: readonly (string | Uint8Array)[]): string {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return h.digest('hex').slice(0, 32);
}

/**
 * The version of one resource: the first 32 hex digits of the SHA-256 of its canonical binary
 * encoding (see canonicalBytes). Equal resources have equal versions in every process.
 *
 * @example
 * ```ts
 * resourceVersion('clusters', cluster); // '3f1c…' (32 hex digits)
 * ```
 */
export function resourceVersion<K extends ResourceKind>(kind: K, resource: ResourceOf<K>): string {
  return hashParts([canonicalBytes(kind, resource)]);
}

function cachedVersion<K extends ResourceKind>(
  kind: K,
  resource: ResourceOf<K>,
  cache: WeakMap<object, string> | undefined,
): string {
  const known = cache?.get(resource);
  if (known !== undefined) return known;
  const version = resourceVersion(kind, resource);
  cache?.set(resource, version);
  return version;
}

/** A value computed on first call and kept. */
export function lazy<T>(compute: () => T): () => T {
  let value: { v: T } | undefined;
  return () => {
    value ??= { v: compute() };
    return value.v;
  };
}

/** The per-type version of a set of resource versions: a hash over the sorted `name\0version` pairs. */
function typeVersion(names: readonly string[], versions: ReadonlyMap<string, string>): string {
  return hashParts(names.map((name) => `${name}\0${versions.get(name) ?? ''}\0`));
}

/**
 * A KindDiff whose names, versions and per-type version are computed on first read: pushing upserts
 * and removals needs none of them, and computing them all is linear in the number of resources.
 */
export function kindDiffOf<K extends ResourceKind>(
  upserted: readonly Upsert<K>[],
  removed: readonly string[],
  names: () => readonly string[],
  versionOf: (name: string) => string,
): KindDiff<K> {
  const versions = lazy(() => new Map(names().map((n) => [n, versionOf(n)] as const)));
  const version = lazy(() => typeVersion(names(), versions()));
  return {
    upserted,
    removed,
    get names() {
      return names();
    },
    get versions() {
      return versions();
    },
    get version() {
      return version();
    },
  };
}

function indexByName<K extends ResourceKind>(
  kind: K,
  resources: readonly ResourceOf<K>[],
): Map<string, ResourceOf<K>> {
  const byName = new Map<string, ResourceOf<K>>();
  for (const resource of resources) {
    const name = resourceName(kind, resource);
    // Two resources of one kind with one name cannot both be served (xDS clients NACK duplicates).
    if (byName.has(name))
      throw new Error(`kube-xds: two ${kind} resources are named ${JSON.stringify(name)}`);
    byName.set(name, resource);
  }
  return byName;
}

function versionsOf<K extends ResourceKind>(
  kind: K,
  byName: ReadonlyMap<string, ResourceOf<K>>,
  cache: WeakMap<object, string> | undefined,
): KindVersions {
  const names = sortTexts([...byName.keys()]);
  const versions = new Map<string, string>();
  for (const name of names) {
    const resource = byName.get(name);
    if (resource !== undefined) versions.set(name, cachedVersion(kind, resource, cache));
  }
  return { names, versions, version: typeVersion(names, versions) };
}

/**
 * Names, per-resource versions and the per-type version of one kind's resources. Throws if two
 * resources share a name.
 *
 * @example
 * ```ts
 * const { version } = resourceVersions('clusters', translate(objects).resources.clusters);
 * // version: the SotW version_info for CDS
 * ```
 */
export function resourceVersions<K extends ResourceKind>(
  kind: K,
  resources: readonly ResourceOf<K>[],
  options: VersionOptions = {},
): KindVersions {
  return versionsOf(kind, indexByName(kind, resources), options.versions);
}

function diffKind<K extends ResourceKind>(
  kind: K,
  prev: readonly ResourceOf<K>[],
  next: readonly ResourceOf<K>[],
  cache: WeakMap<object, string> | undefined,
): KindDiff<K> {
  const prevByName = indexByName(kind, prev);
  const nextByName = indexByName(kind, next);
  const names = sortTexts([...nextByName.keys()]);
  const upserted: Upsert<K>[] = [];
  for (const name of names) {
    const resource = nextByName.get(name) as ResourceOf<K>;
    const before = prevByName.get(name);
    // Equal structures encode alike (map entries are encoded sorted): no hashing needed for them.
    if (before !== undefined && jsonEqual(before, resource)) continue;
    const version = cachedVersion(kind, resource, cache);
    if (before === undefined || cachedVersion(kind, before, cache) !== version)
      upserted.push({ name, version, resource });
  }
  const removed = sortTexts([...prevByName.keys()].filter((name) => !nextByName.has(name)));
  // Every version is computed only when asked for: a push of upserts and removals needs none.
  return kindDiffOf(
    upserted,
    removed,
    () => names,
    (n) => cachedVersion(kind, nextByName.get(n) as ResourceOf<K>, cache),
  );
}

/** The make-before-break push plan of per-kind changes (see ResourceDiff.plan). */
export function planOf(diff: Omit<ResourceDiff, 'plan'>): PushStep[] {
  const steps: PushStep[] = [];
  for (const kind of upsertOrder) {
    const names = diff[kind].upserted.map((u) => u.name);
    if (names.length > 0) steps.push({ kind, action: 'upsert', names });
  }
  for (const kind of removeOrder) {
    const names = diff[kind].removed;
    if (names.length > 0) steps.push({ kind, action: 'remove', names: [...names] });
  }
  return steps;
}

/**
 * What changed from `prev` to `next`, per kind: upserted (new or changed version), removed (gone),
 * and the new names and versions. A name is never both upserted and removed. Input order does not
 * matter; every list in the result is sorted by name. Throws if two resources of one kind share a
 * name.
 *
 * @example
 * ```ts
 * const before = translate(objects).resources;
 * const after = translate([...objects, service('shop/new', { ports: [{ port: 80 }] })]).resources;
 * const diff = diffResources(before, after);
 * for (const step of diff.plan) push(step.kind, step.action, step.names);
 * ```
 */
export function diffResources(
  prev: XdsResources,
  next: XdsResources,
  options: VersionOptions = {},
): ResourceDiff {
  const cache = options.versions;
  const kinds = {
    listeners: diffKind('listeners', prev.listeners, next.listeners, cache),
    routes: diffKind('routes', prev.routes, next.routes, cache),
    clusters: diffKind('clusters', prev.clusters, next.clusters, cache),
    endpoints: diffKind('endpoints', prev.endpoints, next.endpoints, cache),
    secrets: diffKind('secrets', prev.secrets, next.secrets, cache),
  };
  return { ...kinds, plan: planOf(kinds) };
}

/**
 * True when the diff changes nothing: no upserts and no removals of any kind.
 *
 * @example
 * ```ts
 * isEmpty(diffResources(resources, resources)); // true
 * ```
 */
export function isEmpty(diff: ResourceDiff): boolean {
  return resourceKinds.every((kind) => diff[kind].upserted.length === 0 && diff[kind].removed.length === 0);
}

function applyKind<K extends ResourceKind>(
  kind: K,
  prev: readonly ResourceOf<K>[],
  change: KindDiff<K>,
): ResourceOf<K>[] {
  const byName = new Map<string, ResourceOf<K>>();
  for (const resource of prev) byName.set(resourceName(kind, resource), resource);
  for (const name of change.removed) byName.delete(name);
  for (const { name, resource } of change.upserted) byName.set(name, resource);
  return sortTexts([...byName.keys()]).flatMap((name) => {
    const resource = byName.get(name);
    return resource === undefined ? [] : [resource];
  });
}

/**
 * Applies a diff to the output it was computed from: removes the removed names, adds or replaces the
 * upserted ones, and sorts each kind by name. `applyDiff(prev, diffResources(prev, next))` equals
 * `next` (sorted by name).
 *
 * @example
 * ```ts
 * let state = emptyResources;
 * state = applyDiff(state, diffResources(state, translate(objects).resources));
 * ```
 */
export function applyDiff(prev: XdsResources, diff: ResourceDiff): XdsResources {
  return {
    listeners: applyKind('listeners', prev.listeners, diff.listeners),
    routes: applyKind('routes', prev.routes, diff.routes),
    clusters: applyKind('clusters', prev.clusters, diff.clusters),
    endpoints: applyKind('endpoints', prev.endpoints, diff.endpoints),
    secrets: applyKind('secrets', prev.secrets, diff.secrets),
  };
}
