/**
 * Helpers for hosts that embed kube-xds in their own xDS server: type URLs, packing, and building
 * SotW and Delta responses from translate() output and diffResources(). Pure: streams, nonces,
 * subscriptions and ACK/NACK bookkeeping stay with the host (docs/guides/serving.md).
 */

import { compareText, sortTexts } from './compare.js';
import type { KindDiff, PushStep, ResourceDiff, ResourceOf, Upsert } from './diff.js';
import { type ResourceKind, resourceCodecs, resourceKinds, resourceName, typeUrls } from './resources.js';
import { type MessageCodec, packAny } from './translate/xds/any.js';
import type { Any, DeltaDiscoveryResponse, DiscoveryResponse, Resource } from './translate/xds/types.js';

export { typeUrls };

const kindsByTypeUrl: ReadonlyMap<string, ResourceKind> = new Map(
  resourceKinds.map((kind) => [typeUrls[kind], kind]),
);

/**
 * The resource kind a DiscoveryRequest's `type_url` asks for, or undefined for a type kube-xds does
 * not produce (a server answers those with an empty response or not at all). Exact match only.
 *
 * @example
 * ```ts
 * kindOfTypeUrl('type.googleapis.com/envoy.config.cluster.v3.Cluster'); // 'clusters'
 * kindOfTypeUrl('type.googleapis.com/envoy.config.route.v3.ScopedRouteConfiguration'); // undefined
 * ```
 */
export function kindOfTypeUrl(typeUrl: string): ResourceKind | undefined {
  return kindsByTypeUrl.get(typeUrl);
}

/**
 * Packs one resource into `google.protobuf.Any` with its type URL.
 *
 * @example
 * ```ts
 * packResource('clusters', cluster); // { typeUrl: 'type.googleapis.com/envoy.config.cluster.v3.Cluster', value: <bytes> }
 * ```
 */
export function packResource<K extends ResourceKind>(kind: K, resource: ResourceOf<K>): Any {
  return packAny(resourceCodecs[kind] as MessageCodec<ResourceOf<K>>, resource);
}

export interface DiscoveryResponseOptions {
  /**
   * The per-type version: `diff[kind].version` or `resourceVersions(kind, resources).version`. The
   * client echoes it in its next request once it has accepted the response.
   */
  readonly versionInfo: string;
  /** A nonce unique on the stream; the host makes and remembers it (kube-xds has no randomness). */
  readonly nonce: string;
  /**
   * Only these names (the client's subscription). Names with no resource are skipped. Omit for a
   * wildcard subscription: every resource of the kind.
   */
  readonly names?: Iterable<string>;
}

/**
 * A State-of-the-World response for one kind: the given resources (or those among them named in
 * `names`), packed and sorted by name.
 *
 * For LDS and CDS (`'listeners'`, `'clusters'`) pass the *whole* current set: a SotW client deletes
 * every listener or cluster the response leaves out. For RDS, EDS and SDS (`'routes'`, `'endpoints'`,
 * `'secrets'`) a response may carry any subset, such as only the changed resources, and leaving a
 * resource out removes nothing. Throws if two resources share a name (clients reject such responses).
 *
 * @example
 * ```ts
 * const diff = diffResources(previous, next);
 * discoveryResponse('clusters', next.clusters, { versionInfo: diff.clusters.version, nonce: 'n1' });
 * // { versionInfo, typeUrl: 'type.googleapis.com/envoy.config.cluster.v3.Cluster', resources: [Any, …], nonce: 'n1' }
 * ```
 */
export function discoveryResponse<K extends ResourceKind>(
  kind: K,
  resources: readonly ResourceOf<K>[],
  options: DiscoveryResponseOptions,
): DiscoveryResponse {
  const wanted = options.names === undefined ? undefined : new Set(options.names);
  const byName = new Map<string, ResourceOf<K>>();
  for (const resource of resources) {
    const name = resourceName(kind, resource);
    if (byName.has(name))
      throw new Error(`kube-xds: two ${kind} resources are named ${JSON.stringify(name)}`);
    if (wanted === undefined || wanted.has(name)) byName.set(name, resource);
  }
  const packed = sortTexts([...byName.keys()]).flatMap((name) => {
    const resource = byName.get(name);
    return resource === undefined ? [] : [packResource(kind, resource)];
  });
  return {
    versionInfo: options.versionInfo,
    resources: packed,
    typeUrl: typeUrls[kind],
    nonce: options.nonce,
  };
}

/** The part of a KindDiff a Delta response is made of; a host may build one itself (e.g. on resync). */
export interface DeltaChanges<K extends ResourceKind> {
  readonly upserted: readonly Upsert<K>[];
  readonly removed: readonly string[];
  /** Per-type version, used as the default `system_version_info`. */
  readonly version?: string;
}

export interface DeltaDiscoveryResponseOptions {
  /** A nonce unique on the stream; the host makes and remembers it. */
  readonly nonce: string;
  /** Debug-only version of the whole response. Default: the diff's per-type version, when it has one. */
  readonly systemVersionInfo?: string;
  /**
   * Only these names (the client's subscription), for upserts and removals alike. Omit for a
   * wildcard subscription.
   */
  readonly names?: Iterable<string>;
  /**
   * Only the upserts or only the removals, to send one step of `diff.plan` at a time. Default: both.
   */
  readonly action?: PushStep['action'];
}

function isResourceDiff<K extends ResourceKind>(diff: ResourceDiff | DeltaChanges<K>): diff is ResourceDiff {
  return 'plan' in diff;
}

/**
 * An incremental (Delta) response for one kind: each upsert as a `Resource` with its name, its own
 * version and the packed message, and each removal in `removed_resources`. Sorted by name. Pass
 * `action` to send one step of `diff.plan`.
 *
 * @example
 * ```ts
 * const diff = diffResources(previous, next);
 * deltaDiscoveryResponse('endpoints', diff, { nonce: 'n2' });
 * // { typeUrl: '…ClusterLoadAssignment', resources: [{ name, version, resource: Any }], removedResources: ['shop/old/http'], … }
 * for (const step of diff.plan) send(deltaDiscoveryResponse(step.kind, diff, { nonce: nextNonce(), action: step.action }));
 * ```
 */
export function deltaDiscoveryResponse<K extends ResourceKind>(
  kind: K,
  diff: ResourceDiff | DeltaChanges<K>,
  options: DeltaDiscoveryResponseOptions,
): DeltaDiscoveryResponse {
  const changes: DeltaChanges<K> = isResourceDiff(diff) ? (diff[kind] as KindDiff<K>) : diff;
  const wanted = options.names === undefined ? undefined : new Set(options.names);
  const keep = (name: string) => wanted === undefined || wanted.has(name);
  const upserted = options.action === 'remove' ? [] : changes.upserted.filter((u) => keep(u.name));
  const removed = options.action === 'upsert' ? [] : changes.removed.filter(keep);
  const seen = new Set<string>();
  for (const name of [...upserted.map((u) => u.name), ...removed]) {
    if (seen.has(name))
      throw new Error(`kube-xds: ${kind} ${JSON.stringify(name)} appears twice in one delta`);
    seen.add(name);
  }
  const resources: Resource[] = [...upserted]
    .sort((a, b) => compareText(a.name, b.name))
    .map((u) => ({ name: u.name, version: u.version, resource: packResource(kind, u.resource) }));
  const systemVersionInfo = options.systemVersionInfo ?? changes.version;
  return {
    ...(systemVersionInfo !== undefined ? { systemVersionInfo } : {}),
    resources,
    typeUrl: typeUrls[kind],
    removedResources: sortTexts([...removed]),
    nonce: options.nonce,
  };
}
