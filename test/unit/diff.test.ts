import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  applyDiff,
  canonicalBytes,
  diffResources,
  emptyResources,
  isEmpty,
  resourceVersion,
  resourceVersions,
} from '../../src/diff.js';
import {
  endpointSlice,
  ingress,
  service,
  shopCertificate,
  shopPrivateKey,
  tlsSecret,
} from '../../src/fixtures/index.js';
import {
  fromEnvoyJson,
  type ResourceKind,
  resourceCodecs,
  resourceKinds,
  toEnvoyJson,
  type XdsResources,
} from '../../src/resources.js';
import { translate } from '../../src/translate/translate.js';
import { packAny } from '../../src/translate/xds/any.js';
import {
  type Cluster,
  type ClusterLoadAssignment,
  GrpcWeb,
  HttpConnectionManager,
  HttpProtocolOptions,
  type Listener,
  Lua,
  Router,
} from '../../src/translate/xds/types.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function shopObjects(options: { replicas?: number; withApi?: boolean } = {}) {
  const replicas = options.replicas ?? 2;
  return [
    service('shop/web', { ports: [{ name: 'http', port: 80, targetPort: 8080 }] }),
    endpointSlice('shop/web-1', {
      service: 'web',
      ports: [{ name: 'http', port: 8080 }],
      endpoints: Array.from({ length: replicas }, (_, i) => ({ address: `10.0.0.${i + 1}` })),
    }),
    tlsSecret('shop/shop-tls', { certificate: shopCertificate, privateKey: shopPrivateKey }),
    ...(options.withApi
      ? [
          service('shop/api', {
            ports: [{ name: 'grpc', port: 9000, targetPort: 9090, appProtocol: 'h2c' }],
          }),
          endpointSlice('shop/api-1', {
            service: 'api',
            ports: [{ name: 'grpc', port: 9090 }],
            endpoints: [{ address: '10.0.1.1' }],
          }),
        ]
      : []),
    ingress('shop/web', {
      rules: [
        {
          host: 'shop.example.com',
          paths: [
            { path: '/', backend: 'web:http' },
            ...(options.withApi ? [{ path: '/api', backend: 'api:grpc' }] : []),
          ],
        },
      ],
      tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
    }),
  ];
}

function shop(options: { replicas?: number; withApi?: boolean } = {}): XdsResources {
  const result = translate(shopObjects(options), {});
  expect(result.diagnostics).toEqual([]);
  return result.resources;
}

const http2 = packAny(HttpProtocolOptions, {
  upstreamProtocolOptions: {
    $case: 'explicitHttpConfig',
    value: { protocolConfig: { $case: 'http2ProtocolOptions', value: {} } },
  },
});
const http1 = packAny(HttpProtocolOptions, {
  upstreamProtocolOptions: {
    $case: 'explicitHttpConfig',
    value: { protocolConfig: { $case: 'httpProtocolOptions', value: {} } },
  },
});

function cluster(name: string, connectSeconds = 2): Cluster {
  return { name, connectTimeout: { seconds: connectSeconds, nanos: 0 } };
}

function cla(clusterName: string, address: string): ClusterLoadAssignment {
  return {
    clusterName,
    endpoints: [
      {
        lbEndpoints: [
          {
            hostIdentifier: {
              $case: 'endpoint',
              value: {
                address: {
                  address: {
                    $case: 'socketAddress',
                    value: { address, portSpecifier: { $case: 'portValue', value: 80 } },
                  },
                },
              },
            },
          },
        ],
      },
    ],
  };
}

function resources(partial: Partial<XdsResources>): XdsResources {
  return { ...emptyResources, ...partial };
}

function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value).sort())
    out[key] = sortKeysDeep((value as Record<string, unknown>)[key]);
  return out;
}

/** An independent canonical form: proto3 JSON (maps as objects, Any expanded), keys sorted, parsed and encoded. */
function jsonCanonicalBytes(kind: ResourceKind, resource: unknown): Uint8Array {
  const codec = resourceCodecs[kind] as unknown as {
    encode(m: unknown): { finish(): Uint8Array };
    toJSON(m: unknown): unknown;
    fromJSON(o: unknown): unknown;
  };
  return codec.encode(codec.fromJSON(sortKeysDeep(codec.toJSON(resource)))).finish();
}

function luaListener(order: readonly string[]): Listener {
  const sourceCodes: Record<string, { specifier: { $case: 'inlineString'; value: string } }> = {};
  for (const key of order) sourceCodes[key] = { specifier: { $case: 'inlineString', value: `-- ${key}` } };
  const hcm = packAny(HttpConnectionManager, {
    statPrefix: 'x',
    httpFilters: [
      {
        name: 'envoy.filters.http.lua',
        configType: { $case: 'typedConfig', value: packAny(Lua, { sourceCodes }) },
      },
      { name: 'envoy.filters.http.router', configType: { $case: 'typedConfig', value: packAny(Router, {}) } },
    ],
  });
  return {
    name: 'lua',
    filterChains: [{ filters: [{ name: 'hcm', configType: { $case: 'typedConfig', value: hcm } }] }],
  };
}

describe('resourceVersion', () => {
  it('is the first 32 hex digits of the SHA-256 of the binary encoding', () => {
    // Cluster{name: "a"}: field 1, length 1, "a".
    expect(resourceVersion('clusters', { name: 'a' })).toBe(
      sha256(Uint8Array.of(0x0a, 0x01, 0x61)).slice(0, 32),
    );
    expect(resourceVersion('clusters', cluster('web'))).toMatch(/^[0-9a-f]{32}$/);
  });

  it('ignores the insertion order of typedExtensionProtocolOptions', () => {
    const a: Cluster = {
      ...cluster('web'),
      typedExtensionProtocolOptions: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': http2,
        'z.other': http1,
      },
    };
    const b: Cluster = {
      ...cluster('web'),
      typedExtensionProtocolOptions: {
        'z.other': http1,
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': http2,
      },
    };
    // Guards the postgen patch: without it ts-proto writes map entries in insertion order.
    expect(resourceCodecs.clusters.encode(a).finish()).toEqual(resourceCodecs.clusters.encode(b).finish());
    expect(canonicalBytes('clusters', a)).toEqual(canonicalBytes('clusters', b));
    expect(resourceVersion('clusters', a)).toBe(resourceVersion('clusters', b));
    // ...but a different value under a key is a different resource.
    const c: Cluster = {
      ...cluster('web'),
      typedExtensionProtocolOptions: {
        'z.other': http2,
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': http1,
      },
    };
    expect(resourceVersion('clusters', c)).not.toBe(resourceVersion('clusters', a));
  });

  it('ignores map order inside Any values and in Struct metadata', () => {
    expect(resourceVersion('listeners', luaListener(['b', 'a', 'c']))).toBe(
      resourceVersion('listeners', luaListener(['a', 'b', 'c'])),
    );
    expect(resourceVersion('listeners', luaListener(['a', 'b']))).not.toBe(
      resourceVersion('listeners', luaListener(['a', 'b', 'c'])),
    );
    const withMetadata = (first: string, second: string): Cluster => ({
      ...cluster('web'),
      metadata: {
        filterMetadata: {
          [first]: { k: first, n: 1 },
          [second]: { k: second, list: [1, 'x', { y: true, b: null }] },
        },
        typedFilterMetadata: { [second]: packAny(GrpcWeb, {}), [first]: packAny(Router, {}) },
      },
    });
    expect(resourceVersion('clusters', withMetadata('envoy.lb', 'acme'))).toBe(
      resourceVersion('clusters', withMetadata('envoy.lb', 'acme')),
    );
    const reordered: Cluster = {
      ...cluster('web'),
      metadata: {
        filterMetadata: {
          acme: { list: [1, 'x', { b: null, y: true }], k: 'acme' },
          'envoy.lb': { n: 1, k: 'envoy.lb' },
        },
        typedFilterMetadata: { 'envoy.lb': packAny(Router, {}), acme: packAny(GrpcWeb, {}) },
      },
    };
    expect(resourceVersion('clusters', reordered)).toBe(
      resourceVersion('clusters', withMetadata('envoy.lb', 'acme')),
    );
  });

  it('is equal across a canonical JSON round trip of real output', () => {
    const output = shop({ withApi: true });
    const again = fromEnvoyJson(toEnvoyJson(output));
    for (const kind of resourceKinds) {
      expect(output[kind].length).toBeGreaterThan(0);
      const before = output[kind].map((r) => resourceVersion(kind, r as never));
      const after = again[kind].map((r) => resourceVersion(kind, r as never));
      expect(after).toEqual(before);
    }
  });

  it('gives the bytes of a key-sorted JSON round trip, Any values expanded, for real output', () => {
    const output = shop({ withApi: true });
    for (const kind of resourceKinds) {
      for (const resource of output[kind]) {
        expect(canonicalBytes(kind, resource as never)).toEqual(jsonCanonicalBytes(kind, resource));
      }
    }
    const lua = luaListener(['z', 'a', 'm']);
    expect(canonicalBytes('listeners', lua)).toEqual(jsonCanonicalBytes('listeners', lua));
  });
});

describe('resourceVersions', () => {
  it('lists sorted names, per-resource versions and a per-type version over the pairs', () => {
    const state = resourceVersions('clusters', [cluster('b'), cluster('a')]);
    expect(state.names).toEqual(['a', 'b']);
    expect([...state.versions.keys()]).toEqual(['a', 'b']);
    expect(state.versions.get('a')).toBe(resourceVersion('clusters', cluster('a')));
    const pairs = `a\0${resourceVersion('clusters', cluster('a'))}\0b\0${resourceVersion('clusters', cluster('b'))}\0`;
    expect(state.version).toBe(createHash('sha256').update(pairs).digest('hex').slice(0, 32));
    expect(resourceVersions('clusters', [cluster('a'), cluster('b')]).version).toBe(state.version);
    expect(resourceVersions('clusters', [cluster('a'), cluster('b', 3)]).version).not.toBe(state.version);
  });

  it('rejects two resources with one name', () => {
    expect(() => resourceVersions('clusters', [cluster('a'), cluster('a', 3)])).toThrow(
      /two clusters resources/,
    );
  });
});

describe('diffResources', () => {
  const prev = resources({
    clusters: [cluster('a'), cluster('b'), cluster('old')],
    endpoints: [cla('a', '10.0.0.1'), cla('old', '10.0.0.9')],
  });
  const next = resources({
    clusters: [cluster('new'), cluster('a'), cluster('b', 5)],
    endpoints: [cla('a', '10.0.0.1'), cla('new', '10.0.0.7')],
  });

  it('lists new and changed names as upserts and vanished names as removals', () => {
    const diff = diffResources(prev, next);
    expect(diff.clusters.upserted.map((u) => u.name)).toEqual(['b', 'new']);
    expect(diff.clusters.upserted[0]).toEqual({
      name: 'b',
      version: resourceVersion('clusters', cluster('b', 5)),
      resource: cluster('b', 5),
    });
    expect(diff.clusters.removed).toEqual(['old']);
    expect(diff.clusters.names).toEqual(['a', 'b', 'new']);
    expect(diff.clusters.version).toBe(resourceVersions('clusters', next.clusters).version);
    expect(diff.endpoints.upserted.map((u) => u.name)).toEqual(['new']);
    expect(diff.endpoints.removed).toEqual(['old']);
    expect(diff.listeners).toMatchObject({ upserted: [], removed: [], names: [] });
    expect(isEmpty(diff)).toBe(false);
  });

  it('plans make-before-break: referents up first, referrers down first', () => {
    const diff = diffResources(
      resources({
        listeners: [{ name: 'gone' }],
        routes: [{ name: 'gone' }],
        clusters: [cluster('gone')],
        endpoints: [cla('gone', '10.0.0.1')],
        secrets: [{ name: 'gone' }],
      }),
      resources({
        listeners: [{ name: 'l' }],
        routes: [{ name: 'r' }],
        clusters: [cluster('c')],
        endpoints: [cla('c', '10.0.0.2')],
        secrets: [{ name: 's' }],
      }),
    );
    expect(diff.plan).toEqual([
      { kind: 'secrets', action: 'upsert', names: ['s'] },
      { kind: 'clusters', action: 'upsert', names: ['c'] },
      { kind: 'endpoints', action: 'upsert', names: ['c'] },
      { kind: 'listeners', action: 'upsert', names: ['l'] },
      { kind: 'routes', action: 'upsert', names: ['r'] },
      { kind: 'listeners', action: 'remove', names: ['gone'] },
      { kind: 'routes', action: 'remove', names: ['gone'] },
      { kind: 'clusters', action: 'remove', names: ['gone'] },
      { kind: 'endpoints', action: 'remove', names: ['gone'] },
      { kind: 'secrets', action: 'remove', names: ['gone'] },
    ]);
    expect(diffResources(prev, next).plan).toEqual([
      { kind: 'clusters', action: 'upsert', names: ['b', 'new'] },
      { kind: 'endpoints', action: 'upsert', names: ['new'] },
      { kind: 'clusters', action: 'remove', names: ['old'] },
      { kind: 'endpoints', action: 'remove', names: ['old'] },
    ]);
  });

  it('is empty between equal outputs, even when built separately', () => {
    const diff = diffResources(shop(), shop());
    expect(isEmpty(diff)).toBe(true);
    expect(diff.plan).toEqual([]);
    expect(diff.routes.names.length).toBeGreaterThan(0);
  });

  it('follows a Kubernetes change: a new backend touches its cluster, endpoints, routes and nothing else', () => {
    const before = shop();
    const after = shop({ withApi: true });
    const diff = diffResources(before, after);
    const apiCluster = after.clusters.find((c) => c.name?.startsWith('shop/api/'))?.name;
    const apiEndpoints = after.endpoints.find((c) => c.clusterName?.startsWith('shop/api/'))?.clusterName;
    expect(apiCluster).toBeDefined();
    expect(diff.clusters.upserted.map((u) => u.name)).toEqual([apiCluster]);
    expect(diff.endpoints.upserted.map((u) => u.name)).toEqual([apiEndpoints]);
    expect(diff.routes.upserted.map((u) => u.name)).toEqual(['https/shop.example.com', 'ingress_http']);
    expect(diff.listeners.upserted).toEqual([]);
    expect(diff.secrets.upserted).toEqual([]);
    expect(resourceKinds.flatMap((k) => diff[k].removed)).toEqual([]);

    const scaled = diffResources(before, shop({ replicas: 3 }));
    expect(scaled.plan).toEqual([{ kind: 'endpoints', action: 'upsert', names: ['shop/web/http'] }]);
    expect(scaled.clusters.version).toBe(diffResources(emptyResources, before).clusters.version);
    expect(scaled.endpoints.version).not.toBe(diffResources(emptyResources, before).endpoints.version);
  });

  it('reuses cached versions by object identity and fills the cache', () => {
    const versions = new WeakMap<object, string>();
    const a = cluster('a');
    versions.set(a, 'cached-version');
    const diff = diffResources(emptyResources, resources({ clusters: [a, cluster('b')] }), { versions });
    expect(diff.clusters.versions.get('a')).toBe('cached-version');
    const b = diff.clusters.upserted[1]?.resource;
    expect(b && versions.get(b)).toBe(resourceVersion('clusters', cluster('b')));
  });

  it('rejects duplicate names', () => {
    expect(() =>
      diffResources(emptyResources, resources({ secrets: [{ name: 's' }, { name: 's' }] })),
    ).toThrow(/two secrets resources are named "s"/);
  });
});

describe('applyDiff', () => {
  it('turns prev into next, sorted by name', () => {
    const prev = resources({ clusters: [cluster('c'), cluster('a')], endpoints: [cla('a', '10.0.0.1')] });
    const next = resources({ clusters: [cluster('b'), cluster('c', 9)], secrets: [{ name: 's' }] });
    const applied = applyDiff(prev, diffResources(prev, next));
    expect(applied).toEqual({
      listeners: [],
      routes: [],
      clusters: [cluster('b'), cluster('c', 9)],
      endpoints: [],
      secrets: [{ name: 's' }],
    });
  });

  it('replays real translations from nothing and back to nothing', () => {
    let state = emptyResources;
    for (const next of [shop(), shop({ withApi: true }), shop({ replicas: 5 }), emptyResources]) {
      state = applyDiff(state, diffResources(state, next));
      expect(toEnvoyJson(state)).toEqual(toEnvoyJson(next));
    }
    const kinds: readonly ResourceKind[] = resourceKinds;
    expect(kinds.every((k) => state[k].length === 0)).toBe(true);
  });
});
