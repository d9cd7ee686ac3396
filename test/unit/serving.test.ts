import { describe, expect, it } from 'vitest';
import { diffResources, emptyResources, resourceVersion } from '../../src/diff.js';
import { endpointSlice, ingress, service } from '../../src/fixtures/index.js';
import {
  resourceCodecs,
  resourceKinds,
  typeUrls as resourceTypeUrls,
  type XdsResources,
} from '../../src/resources.js';
import {
  deltaDiscoveryResponse,
  discoveryResponse,
  kindOfTypeUrl,
  packResource,
  typeUrls,
} from '../../src/serving.js';
import { translate } from '../../src/translate/translate.js';
import type { Any, Cluster } from '../../src/translate/xds/types.js';
import {
  DeltaDiscoveryResponse,
  DiscoveryResponse,
} from '../../src/xds-types/envoy/service/discovery/v3/discovery.js';

const clusterUrl = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';

function cluster(name: string, connectSeconds = 2): Cluster {
  return { name, connectTimeout: { seconds: connectSeconds, nanos: 0 } };
}

function withClusters(clusters: readonly Cluster[]): XdsResources {
  return { ...emptyResources, clusters };
}

const unpack = (any: Any | undefined) =>
  resourceCodecs.clusters.toJSON(resourceCodecs.clusters.decode(any?.value ?? new Uint8Array()));

describe('type URLs', () => {
  it('maps each kind to its type URL and back', () => {
    expect(typeUrls).toBe(resourceTypeUrls);
    expect(typeUrls).toEqual({
      listeners: 'type.googleapis.com/envoy.config.listener.v3.Listener',
      routes: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
      clusters: clusterUrl,
      endpoints: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
      secrets: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
    });
    for (const kind of resourceKinds) expect(kindOfTypeUrl(typeUrls[kind])).toBe(kind);
  });

  it('knows no other type', () => {
    expect(
      kindOfTypeUrl('type.googleapis.com/envoy.config.route.v3.ScopedRouteConfiguration'),
    ).toBeUndefined();
    expect(kindOfTypeUrl('envoy.config.cluster.v3.Cluster')).toBeUndefined();
    expect(kindOfTypeUrl('')).toBeUndefined();
  });
});

describe('packResource', () => {
  it('packs the binary encoding under the kind type URL', () => {
    const packed = packResource('clusters', cluster('web'));
    expect(packed.typeUrl).toBe(clusterUrl);
    expect(packed.value).toEqual(resourceCodecs.clusters.encode(cluster('web')).finish());
    expect(unpack(packed)).toEqual({ name: 'web', connectTimeout: '2s' });
  });

  it('packs ClusterLoadAssignments under their own type', () => {
    const packed = packResource('endpoints', { clusterName: 'shop/web/http' });
    expect(packed.typeUrl).toBe('type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment');
  });
});

describe('discoveryResponse (SotW)', () => {
  it('carries every resource of the kind, sorted by name, with the version and nonce given', () => {
    const response = discoveryResponse('clusters', [cluster('b'), cluster('a')], {
      versionInfo: 'v1',
      nonce: 'n1',
    });
    expect(response.versionInfo).toBe('v1');
    expect(response.nonce).toBe('n1');
    expect(response.typeUrl).toBe(clusterUrl);
    expect(response.resources?.map((r) => r.typeUrl)).toEqual([clusterUrl, clusterUrl]);
    expect(response.resources?.map(unpack)).toEqual([
      { name: 'a', connectTimeout: '2s' },
      { name: 'b', connectTimeout: '2s' },
    ]);
    expect(response.canary).toBeUndefined();
  });

  it('keeps only the subscribed names and skips names it does not have', () => {
    const response = discoveryResponse('clusters', [cluster('a'), cluster('b'), cluster('c')], {
      versionInfo: 'v1',
      nonce: 'n2',
      names: ['c', 'a', 'missing'],
    });
    expect(response.resources?.map((r) => (unpack(r) as { name: string }).name)).toEqual(['a', 'c']);
    expect(
      discoveryResponse('clusters', [cluster('a')], { versionInfo: 'v', nonce: 'n', names: [] }).resources,
    ).toEqual([]);
  });

  it('names ClusterLoadAssignments by cluster_name', () => {
    const response = discoveryResponse('endpoints', [{ clusterName: 'y' }, { clusterName: 'x' }], {
      versionInfo: 'v',
      nonce: 'n',
      names: ['y'],
    });
    expect(response.resources).toEqual([packResource('endpoints', { clusterName: 'y' })]);
  });

  it('rejects two resources with one name', () => {
    expect(() =>
      discoveryResponse('clusters', [cluster('a'), cluster('a', 3)], { versionInfo: 'v', nonce: 'n' }),
    ).toThrow(/two clusters resources are named "a"/);
  });

  it('encodes as a DiscoveryResponse a client can decode', () => {
    const { resources } = translate(
      [
        service('shop/web', { ports: [{ name: 'http', port: 80, targetPort: 8080 }] }),
        endpointSlice('shop/web-1', {
          service: 'web',
          ports: [{ name: 'http', port: 8080 }],
          endpoints: [{ address: '10.0.0.1' }],
        }),
        ingress('shop/web', {
          rules: [{ host: 'shop.example.com', paths: [{ path: '/', backend: 'web:http' }] }],
        }),
      ],
      {},
    );
    const diff = diffResources(emptyResources, resources);
    for (const kind of resourceKinds) {
      const response = discoveryResponse(kind, resources[kind] as never, {
        versionInfo: diff[kind].version,
        nonce: `${kind}-1`,
      });
      const decoded = DiscoveryResponse.decode(DiscoveryResponse.encode(response).finish());
      expect(decoded.typeUrl).toBe(typeUrls[kind]);
      expect(decoded.versionInfo).toBe(diff[kind].version);
      expect(decoded.resources).toHaveLength(resources[kind].length);
    }
  });
});

describe('deltaDiscoveryResponse', () => {
  const prev = withClusters([cluster('a'), cluster('b'), cluster('old')]);
  const next = withClusters([cluster('a'), cluster('b', 5), cluster('new')]);
  const diff = diffResources(prev, next);

  it('sends upserts with per-resource versions and removals by name', () => {
    const response = deltaDiscoveryResponse('clusters', diff, { nonce: 'd1' });
    expect(response).toEqual({
      systemVersionInfo: diff.clusters.version,
      typeUrl: clusterUrl,
      resources: [
        {
          name: 'b',
          version: resourceVersion('clusters', cluster('b', 5)),
          resource: packResource('clusters', cluster('b', 5)),
        },
        {
          name: 'new',
          version: resourceVersion('clusters', cluster('new')),
          resource: packResource('clusters', cluster('new')),
        },
      ],
      removedResources: ['old'],
      nonce: 'd1',
    });
    const decoded = DeltaDiscoveryResponse.decode(DeltaDiscoveryResponse.encode(response).finish());
    expect(decoded.resources?.map((r) => r.name)).toEqual(['b', 'new']);
    expect(decoded.removedResources).toEqual(['old']);
  });

  it('is empty for a kind that did not change', () => {
    expect(deltaDiscoveryResponse('listeners', diff, { nonce: 'd2', systemVersionInfo: 'sys' })).toEqual({
      systemVersionInfo: 'sys',
      typeUrl: typeUrls.listeners,
      resources: [],
      removedResources: [],
      nonce: 'd2',
    });
  });

  it('keeps only the subscribed names, for upserts and removals alike', () => {
    const response = deltaDiscoveryResponse('clusters', diff, { nonce: 'd3', names: ['new', 'old'] });
    expect(response.resources?.map((r) => r.name)).toEqual(['new']);
    expect(response.removedResources).toEqual(['old']);
  });

  it('sends one step of the plan with action', () => {
    expect(diff.plan.filter((s) => s.kind === 'clusters').map((s) => s.action)).toEqual(['upsert', 'remove']);
    const up = deltaDiscoveryResponse('clusters', diff, { nonce: 'u', action: 'upsert' });
    expect(up.resources?.map((r) => r.name)).toEqual(['b', 'new']);
    expect(up.removedResources).toEqual([]);
    const down = deltaDiscoveryResponse('clusters', diff, { nonce: 'r', action: 'remove' });
    expect(down.resources).toEqual([]);
    expect(down.removedResources).toEqual(['old']);
  });

  it('accepts changes a host built itself, e.g. for a resync, and then sets no system version', () => {
    const response = deltaDiscoveryResponse(
      'clusters',
      { upserted: [{ name: 'a', version: 'v-a', resource: cluster('a') }], removed: ['ghost'] },
      { nonce: 'd4' },
    );
    expect(response.systemVersionInfo).toBeUndefined();
    expect(response.resources).toEqual([
      { name: 'a', version: 'v-a', resource: packResource('clusters', cluster('a')) },
    ]);
    expect(response.removedResources).toEqual(['ghost']);
    expect(() =>
      deltaDiscoveryResponse(
        'clusters',
        { upserted: [{ name: 'a', version: 'v', resource: cluster('a') }], removed: ['a'] },
        { nonce: 'd5' },
      ),
    ).toThrow(/clusters "a" appears twice/);
  });
});
