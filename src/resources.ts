import './xds-types/registry.js';
import {
  Cluster,
  ClusterLoadAssignment,
  Listener,
  RouteConfiguration,
  Secret,
} from './translate/xds/types.js';
import { type MessageType, messageTypeRegistry } from './xds-types/typeRegistry.js';

/** The five xDS resource collections translate() emits, each sorted by resource name. */
export interface XdsResources {
  readonly listeners: readonly Listener[];
  readonly routes: readonly RouteConfiguration[];
  readonly clusters: readonly Cluster[];
  readonly endpoints: readonly ClusterLoadAssignment[];
  readonly secrets: readonly Secret[];
}

export type ResourceKind = keyof XdsResources;

export const resourceKinds: readonly ResourceKind[] = [
  'listeners',
  'routes',
  'clusters',
  'endpoints',
  'secrets',
];

/** The message codec of each resource kind. */
export const resourceCodecs: { readonly [K in ResourceKind]: MessageType<XdsResources[K][number]> } = {
  listeners: Listener,
  routes: RouteConfiguration,
  clusters: Cluster,
  endpoints: ClusterLoadAssignment,
  secrets: Secret,
};

/** xDS type URL of each resource kind, as a DiscoveryRequest names it. */
export const typeUrls: Readonly<Record<ResourceKind, string>> = {
  listeners: `type.googleapis.com/${Listener.$type}`,
  routes: `type.googleapis.com/${RouteConfiguration.$type}`,
  clusters: `type.googleapis.com/${Cluster.$type}`,
  endpoints: `type.googleapis.com/${ClusterLoadAssignment.$type}`,
  secrets: `type.googleapis.com/${Secret.$type}`,
};

/** The name xDS uses for a resource: `cluster_name` for ClusterLoadAssignment, `name` otherwise. */
export function resourceName(
  kind: ResourceKind,
  resource: { name?: string | undefined; clusterName?: string | undefined },
): string {
  return (kind === 'endpoints' ? resource.clusterName : resource.name) ?? '';
}

/** Canonical proto3 JSON of the resources: Any expanded, keys sorted. */
export type EnvoyJson = Record<ResourceKind, unknown[]>;

export interface EnvoyJsonOptions {
  /** Replace private key bytes with the base64 of `[redacted]`. Default false. */
  readonly redactPrivateKeys?: boolean;
}

const redacted = 'W3JlZGFjdGVkXQ==';

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      out[key] =
        key === 'privateKey' && inner !== null && typeof inner === 'object'
          ? { inlineBytes: redacted }
          : redact(inner);
    }
    return out;
  }
  return value;
}

/**
 * Canonical proto3 JSON for humans and golden files: camelCase keys, `Any` expanded with `@type`,
 * Durations as `"2s"`, keys sorted at every level.
 */
export function toEnvoyJson(resources: XdsResources, options: EnvoyJsonOptions = {}): EnvoyJson {
  const out = {} as EnvoyJson;
  for (const kind of resourceKinds) {
    const codec = resourceCodecs[kind] as MessageType;
    out[kind] = resources[kind].map((r) => {
      const json = codec.toJSON(r);
      return sortKeys(options.redactPrivateKeys ? redact(json) : json);
    });
  }
  return out;
}

/** Parses canonical JSON (as toEnvoyJson writes it) back into messages. */
export function fromEnvoyJson(json: Partial<Record<ResourceKind, readonly unknown[]>>): XdsResources {
  const parse = <K extends ResourceKind>(kind: K) => {
    const codec = resourceCodecs[kind] as MessageType;
    return (json[kind] ?? []).map((item) => codec.fromJSON(item)) as unknown as XdsResources[K];
  };
  return {
    listeners: parse('listeners'),
    routes: parse('routes'),
    clusters: parse('clusters'),
    endpoints: parse('endpoints'),
    secrets: parse('secrets'),
  };
}

export { messageTypeRegistry };
