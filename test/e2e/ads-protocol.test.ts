/**
 * The example ADS server's side of the SotW protocol, driven by a hand-written ADS stream acting as
 * Envoy would (wildcard LDS/CDS, RDS/EDS/SDS by name): versions, nonces, ACK/NACK, stale nonces,
 * full-state LDS/CDS, partial RDS/EDS, make-before-break push order, and Delta's UNIMPLEMENTED.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it, onTestFinished } from 'vitest';
import { changesBetween, readObjects } from '../../examples/ads-server/objects.js';
import {
  type AdsServer,
  loadAdsService,
  type WireRequest,
  type WireResponse,
} from '../../examples/ads-server/server.js';
import { type ResourceKind, resourceName, typeUrls } from '../../src/index.js';
import { resourceCodecs } from '../../src/resources.js';
import { backendService, echoIngress, namespace, startAds, upserts } from './harness.js';

const service = loadAdsService();

/** One ADS stream, with the responses it received queued for the test to take. */
class AdsStream {
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientDuplexStream<Partial<WireRequest>, WireResponse>;
  private readonly queue: WireResponse[] = [];
  private wake: (() => void) | undefined;
  status: grpc.StatusObject | undefined;

  constructor(port: number, method: 'StreamAggregatedResources' | 'DeltaAggregatedResources') {
    const definition = service[method];
    if (definition === undefined) throw new Error(`no ${method}`);
    this.client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    this.call = this.client.makeBidiStreamRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize as (bytes: Buffer) => WireResponse,
    );
    this.call.on('data', (response: WireResponse) => {
      this.queue.push(response);
      this.wake?.();
    });
    this.call.on('error', () => {});
    this.call.on('status', (status) => {
      this.status = status;
      this.wake?.();
    });
    onTestFinished(() => {
      this.call.cancel();
      this.client.close();
    });
  }

  send(kind: ResourceKind, request: Partial<WireRequest> = {}): void {
    this.call.write({ node: { id: 'envoy-like' }, type_url: typeUrls[kind], ...request });
  }

  /** The next response (waiting up to `ms`). */
  async next(ms = 3000): Promise<WireResponse> {
    const end = Date.now() + ms;
    while (this.queue.length === 0) {
      if (Date.now() > end) throw new Error('no response');
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    return this.queue.shift() as WireResponse;
  }

  /** The status the server ended the call with (waiting up to `ms`). */
  async closed(ms = 3000): Promise<grpc.StatusObject | undefined> {
    const end = Date.now() + ms;
    while (this.status === undefined && Date.now() < end)
      await new Promise((resolve) => setTimeout(resolve, 20));
    return this.status;
  }

  /** Asserts that nothing arrives within `ms`. */
  async nothingWithin(ms = 300): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    expect(this.queue.map(summary)).toEqual([]);
  }

  /** ACKs a response (echoing its version and nonce), keeping the subscription `names`. */
  ack(response: WireResponse, names: string[] = []): void {
    this.call.write({
      type_url: response.type_url,
      version_info: response.version_info,
      response_nonce: response.nonce,
      resource_names: names,
    });
  }
}

const kindOf = (typeUrl: string) =>
  (Object.entries(typeUrls).find(([, url]) => url === typeUrl)?.[0] ?? typeUrl) as ResourceKind;

/** The names of the resources in a response, decoded from their bytes. */
function names(response: WireResponse): string[] {
  const kind = kindOf(response.type_url);
  return response.resources.map((any) => {
    expect(any.type_url).toBe(response.type_url);
    const message = resourceCodecs[kind].decode(any.value);
    return resourceName(kind, message);
  });
}

const summary = (r: WireResponse) => `${kindOf(r.type_url)} ${names(r).join(',')}`;

async function server(): Promise<{ ads: AdsServer; port: number; log: string[] }> {
  const started = await startAds();
  onTestFinished(() => started.ads.close());
  return started;
}

const fake = (id: string, port: number) => ({ backend: { id, port } });

describe('example ADS server: SotW protocol', () => {
  it('serves the shop example to an Envoy-like stream with per-type versions and unique nonces', async () => {
    const { ads, port } = await server();
    const manifest = fileURLToPath(new URL('../../examples/shop/manifest.yaml', import.meta.url));
    ads.applyChanges(changesBetween([], await readObjects([manifest])));
    const stream = new AdsStream(port, 'StreamAggregatedResources');

    stream.send('listeners'); // empty names on the first request: wildcard
    const lds = await stream.next();
    expect(names(lds)).toEqual(ads.resources.listeners.map((l) => l.name));
    expect(names(lds)).toContain('ingress_https');
    stream.send('clusters');
    const cds = await stream.next();
    expect(names(cds)).toEqual(ads.resources.clusters.map((c) => c.name));
    expect(cds.nonce).not.toBe(lds.nonce);
    expect(cds.version_info).not.toBe(lds.version_info);

    // RDS, EDS and SDS by name: only what is asked for, and only names that exist.
    stream.send('routes', { resource_names: ['ingress_http', 'no-such-route'] });
    const rds = await stream.next();
    expect(names(rds)).toEqual(['ingress_http']);
    const edsNames = ads.resources.endpoints.map((e) => e.clusterName ?? '');
    stream.send('endpoints', { resource_names: edsNames });
    expect(names(await stream.next())).toEqual(edsNames);
    const secretNames = ads.resources.secrets.map((s) => s.name ?? '');
    expect(secretNames.length).toBeGreaterThan(0);
    stream.send('secrets', { resource_names: secretNames });
    const sds = await stream.next();
    expect(names(sds)).toEqual(secretNames);

    // ACKs echo version and nonce; once all are in, the server is settled.
    stream.ack(lds);
    stream.ack(cds);
    stream.ack(rds, ['ingress_http', 'no-such-route']);
    stream.ack(sds, secretNames);
    await stream.nothingWithin(200);
    expect(ads.acks.map((a) => [a.kind, a.versionInfo])).toEqual([
      ['listeners', lds.version_info],
      ['clusters', cds.version_info],
      ['routes', rds.version_info],
      ['secrets', sds.version_info],
    ]);
    expect(ads.nacks).toEqual([]);
  });

  it('records a NACK with its message and does not resend; ignores stale nonces', async () => {
    const { ads, port, log } = await server();
    ads.applyChanges(
      upserts(
        backendService('alpha', [fake('b1', 9001)]),
        echoIngress('alpha', 'alpha.e2e.test', [{ path: '/', service: 'alpha' }]),
      ),
    );
    const stream = new AdsStream(port, 'StreamAggregatedResources');
    stream.send('endpoints', { resource_names: ['e2e/alpha/grpc'] });
    const first = await stream.next();
    expect(names(first)).toEqual(['e2e/alpha/grpc']);

    // A change is pushed before the client answered the first response.
    ads.applyChanges(upserts(backendService('alpha', [fake('b1', 9001), fake('b2', 9002)])));
    const second = await stream.next();
    expect(second.version_info).not.toBe(first.version_info);
    expect(Number(second.nonce)).toBeGreaterThan(Number(first.nonce));

    // The answer to the first response is stale: no ACK recorded, nothing sent.
    stream.ack(first, ['e2e/alpha/grpc']);
    await stream.nothingWithin();
    expect(ads.acks).toEqual([]);

    // A NACK of the latest response: recorded and logged, and not answered.
    stream.send('endpoints', {
      version_info: first.version_info,
      response_nonce: second.nonce,
      resource_names: ['e2e/alpha/grpc'],
      error_detail: { code: 3, message: 'endpoint rejected for the test' },
    });
    await stream.nothingWithin();
    expect(ads.nacks).toEqual([
      {
        nodeId: 'envoy-like',
        kind: 'endpoints',
        versionInfo: first.version_info,
        nonce: second.nonce,
        message: 'endpoint rejected for the test',
      },
    ]);
    expect(log.some((line) => line.includes('NACK') && line.includes('endpoint rejected for the test'))).toBe(
      true,
    );
    await ads.settled(1000);
  });

  it('pushes in make-before-break order and keeps removed clusters until the removal step', async () => {
    const { ads, port } = await server();
    ads.applyChanges(
      upserts(
        backendService('old', [fake('b1', 9001)]),
        echoIngress('alpha', 'alpha.e2e.test', [{ path: '/', service: 'old' }]),
      ),
    );
    const stream = new AdsStream(port, 'StreamAggregatedResources');
    const subscribe = async (kind: ResourceKind, resourceNames: string[]) => {
      stream.send(kind, { resource_names: resourceNames });
      const response = await stream.next();
      stream.ack(response, resourceNames);
      return response;
    };
    const oldCluster = ads.resources.clusters[0]?.name ?? '';
    await subscribe('listeners', []);
    expect(names(await subscribe('clusters', []))).toEqual([oldCluster]);
    await subscribe('routes', ['ingress_http']);
    await subscribe('endpoints', ['e2e/old/grpc', 'e2e/new/grpc']);
    await ads.settled(1000);

    // The Ingress moves to a new Service; the old one is deleted in the same batch.
    const update = ads.applyChanges([
      ...upserts(
        backendService('new', [fake('b2', 9002)]),
        echoIngress('alpha', 'alpha.e2e.test', [{ path: '/', service: 'new' }]),
      ),
      { type: 'delete', kind: 'Service', namespace, name: 'old' },
    ]);
    const newCluster = ads.resources.clusters[0]?.name ?? '';
    expect(update.diff.plan.map((s) => `${s.action} ${s.kind}`)).toEqual([
      'upsert clusters',
      'upsert endpoints',
      'upsert routes',
      'remove clusters',
      'remove endpoints',
    ]);
    const pushed = [];
    for (let i = 0; i < 4; i++) pushed.push(summary(await stream.next()));
    expect(pushed).toEqual([
      `clusters ${[newCluster, oldCluster].sort().join(',')}`, // old kept while routes still use it
      'endpoints e2e/new/grpc',
      'routes ingress_http',
      `clusters ${newCluster}`, // final state: the old cluster goes last
    ]);
    await stream.nothingWithin(); // EDS removals are implicit in SotW
  });

  it('ends Delta streams with UNIMPLEMENTED', async () => {
    const { port } = await server();
    const stream = new AdsStream(port, 'DeltaAggregatedResources');
    expect((await stream.closed())?.code).toBe(grpc.status.UNIMPLEMENTED);
  });
});

describe('example ADS server: objects from files', () => {
  it('turns a changed object set into upserts and deletes', () => {
    const a = backendService('a', [fake('b1', 9001)]);
    const b = backendService('b', [fake('b2', 9002)]);
    const changes = changesBetween([...a, ...b], a);
    expect(changes.filter((c) => c.type === 'upsert')).toHaveLength(a.length);
    expect(changes.filter((c) => c.type === 'delete')).toEqual([
      { type: 'delete', kind: 'Service', namespace, name: 'b' },
      { type: 'delete', kind: 'EndpointSlice', namespace, name: 'b-b2' },
    ]);
  });
});
