/**
 * kube-xds output served by the example ADS server to a real proxyless client: @grpc/grpc-js-xds.
 * Each test starts its own ADS server and echo backends on 127.0.0.1 and checks, through real RPCs
 * to `xds:///<host>`, that traffic reaches exactly the backends the Kubernetes objects name and that
 * the client never rejects (NACKs) what kube-xds emits.
 */
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { AdsServer } from '../../examples/ads-server/server.js';
import { ingress, shopCertificate, shopPrivateKey, tlsSecret } from '../../src/fixtures/index.js';
import type { ObjectChange } from '../../src/index.js';
import {
  type Backend,
  backendService,
  call,
  calls,
  echoIngress,
  endpointPorts,
  eventually,
  methods,
  namespace,
  slice,
  startAds,
  startBackends,
  tally,
  upserts,
  xdsClient,
} from './harness.js';

const { UNAVAILABLE } = grpc.status;

interface Scenario {
  readonly ads: AdsServer;
  readonly backends: Backend[];
  /** Applies changes and waits until every client has answered the push. */
  apply(changes: ObjectChange[]): Promise<void>;
  /** A grpc-js channel to `xds:///<host>`, closed after the test. */
  client(host: string): Promise<grpc.Client>;
}

let nodes = 0;

/** An ADS server and `n` backends (b1…bn), all closed when the test ends. */
async function scenario(n: number): Promise<Scenario> {
  const { ads, port } = await startAds();
  const backends = await startBackends(...Array.from({ length: n }, (_, i) => `b${i + 1}`));
  const clients: grpc.Client[] = [];
  onTestFinished(() => {
    for (const c of clients) c.close();
    ads.close();
    for (const b of backends) b.server.forceShutdown();
  });
  return {
    ads,
    backends,
    async apply(changes) {
      ads.applyChanges(changes);
      await ads.settled();
    },
    async client(host) {
      const c = await xdsClient(host, port, `grpc-js-e2e-${++nodes}`);
      clients.push(c);
      return c;
    },
  };
}

function backend(s: Scenario, index: number): Backend {
  const b = s.backends[index];
  if (b === undefined) throw new Error(`no backend ${index}`);
  return b;
}

/** The first successful call, retried while the client is still fetching its configuration. */
const firstSuccess = (client: grpc.Client, method = methods.echo) =>
  eventually(
    () => call(client, method),
    (r) => r.ok,
  );

describe('kube-xds through @grpc/grpc-js-xds', () => {
  it('routes RPCs to the one backend the EndpointSlice names; every type is ACKed, none NACKed', async () => {
    const s = await scenario(2);
    const [b1, b2] = [backend(s, 0), backend(s, 1)];
    await s.apply(
      upserts(
        backendService('alpha', [{ backend: b1 }]),
        echoIngress('alpha', 'alpha.e2e.test', [{ path: '/echo.Echo/', service: 'alpha' }]),
      ),
    );
    const client = await s.client('alpha.e2e.test');
    await firstSuccess(client);
    expect(tally(await calls(client, methods.echo, 20))).toEqual({ b1: 20 });
    expect(b2.calls).toBe(0);
    expect(s.ads.nacks).toEqual([]);
    expect(new Set(s.ads.acks.map((a) => a.kind))).toEqual(
      new Set(['listeners', 'routes', 'clusters', 'endpoints']),
    );
    expect(s.ads.diagnostics).toEqual([]);
  });

  it('routes two Ingress paths to two Services by gRPC method prefix; an unrouted method fails', async () => {
    const s = await scenario(2);
    const [b1, b2] = [backend(s, 0), backend(s, 1)];
    await s.apply(
      upserts(
        backendService('echo', [{ backend: b1 }]),
        backendService('admin', [{ backend: b2 }]),
        echoIngress('alpha', 'alpha.e2e.test', [
          { path: '/echo.Echo/', service: 'echo' },
          { path: '/echo.Admin/', service: 'admin' },
        ]),
      ),
    );
    const client = await s.client('alpha.e2e.test');
    await firstSuccess(client);
    expect(tally(await calls(client, methods.echo, 10))).toEqual({ b1: 10 });
    expect(tally(await calls(client, methods.admin, 10))).toEqual({ b2: 10 });
    const unrouted = await call(client, methods.unrouted, 1500);
    expect(unrouted).toMatchObject({ ok: false, code: UNAVAILABLE });
    expect(s.ads.nacks).toEqual([]);
  });

  it('routes by host: two hosts in one RouteConfiguration reach their own Services', async () => {
    const s = await scenario(2);
    const [b1, b2] = [backend(s, 0), backend(s, 1)];
    await s.apply(
      upserts(
        backendService('alpha', [{ backend: b1 }]),
        backendService('beta', [{ backend: b2 }]),
        echoIngress('alpha', 'alpha.e2e.test', [{ path: '/echo.Echo/', service: 'alpha' }]),
        echoIngress('beta', 'beta.e2e.test', [{ path: '/echo.Echo/', service: 'beta' }]),
      ),
    );
    expect(s.ads.resources.routes.map((r) => r.name)).toEqual(['ingress_http']);
    const alpha = await s.client('alpha.e2e.test');
    const beta = await s.client('beta.e2e.test');
    await firstSuccess(alpha);
    await firstSuccess(beta);
    expect(tally(await calls(alpha, methods.echo, 10))).toEqual({ b1: 10 });
    expect(tally(await calls(beta, methods.echo, 10))).toEqual({ b2: 10 });
    expect(s.ads.nacks).toEqual([]);
  });

  it('sends traffic to endpoints in both zones of a Service', async () => {
    const s = await scenario(2);
    const [b1, b2] = [backend(s, 0), backend(s, 1)];
    await s.apply(
      upserts(
        backendService('alpha', [
          { backend: b1, zone: 'zone-a' },
          { backend: b2, zone: 'zone-b' },
        ]),
        echoIngress('alpha', 'alpha.e2e.test', [{ path: '/echo.Echo/', service: 'alpha' }]),
      ),
    );
    expect(s.ads.resources.endpoints[0]?.endpoints?.map((l) => l.locality?.zone)).toEqual([
      'zone-a',
      'zone-b',
    ]);
    const client = await s.client('alpha.e2e.test');
    // Both localities connected: until then a weighted pick may fall back to the ready one.
    await eventually(
      async () => tally(await calls(client, methods.echo, 20)),
      (t) => (t.b1 ?? 0) > 0 && (t.b2 ?? 0) > 0,
    );
    const t = tally(await calls(client, methods.echo, 100));
    expect(t.failed).toBeUndefined();
    // Equal locality weights: each zone expects 50 of 100 (standard deviation 5).
    expect(t.b1).toBeGreaterThanOrEqual(25);
    expect(t.b2).toBeGreaterThanOrEqual(25);
  });

  it('weights localities by endpoint count: 2 endpoints in zone-a and 1 in zone-b split about 2:1', async () => {
    const s = await scenario(3);
    const [b1, b2, b3] = [backend(s, 0), backend(s, 1), backend(s, 2)];
    await s.apply(
      upserts(
        backendService('alpha', [
          { backend: b1, zone: 'zone-a' },
          { backend: b2, zone: 'zone-a' },
          { backend: b3, zone: 'zone-b' },
        ]),
        echoIngress('alpha', 'alpha.e2e.test', [{ path: '/echo.Echo/', service: 'alpha' }]),
      ),
    );
    const weights = s.ads.resources.endpoints[0]?.endpoints?.map((l) => [
      l.locality?.zone,
      l.loadBalancingWeight,
    ]);
    expect(weights).toEqual([
      ['zone-a', 2],
      ['zone-b', 1],
    ]);
    const client = await s.client('alpha.e2e.test');
    await eventually(
      async () => tally(await calls(client, methods.echo, 30)),
      (t) => (t.b1 ?? 0) > 0 && (t.b2 ?? 0) > 0 && (t.b3 ?? 0) > 0,
    );
    const n = 300;
    const t = tally(await calls(client, methods.echo, n, { parallel: 20 }));
    expect(t.failed).toBeUndefined();
    const zoneB = (t.b3 ?? 0) / n;
    // Expected 1/3 (standard deviation 0.027 for 300 calls); 1:1 weighting would give 1/2.
    expect(zoneB).toBeGreaterThan(0.24);
    expect(zoneB).toBeLessThan(0.42);
    // Within zone-a, round robin between its two endpoints.
    expect(t.b1).toBeGreaterThan(0);
    expect(t.b2).toBeGreaterThan(0);
    expect(s.ads.nacks).toEqual([]);
  });

  it('moves all traffic to the remaining backends once an EndpointSlice update removes one', async () => {
    const s = await scenario(3);
    const [b1, b2, b3] = [backend(s, 0), backend(s, 1), backend(s, 2)];
    await s.apply(
      upserts(
        backendService('alpha', [{ backend: b1 }, { backend: b2 }, { backend: b3 }]),
        echoIngress('alpha', 'alpha.e2e.test', [{ path: '/echo.Echo/', service: 'alpha' }]),
      ),
    );
    const client = await s.client('alpha.e2e.test');
    await eventually(
      async () => tally(await calls(client, methods.echo, 30)),
      (t) => Object.keys(t).join() === 'b1,b2,b3',
    );
    // The slice of b3 loses its endpoint (scale-down), as the EndpointSlice controller writes it.
    const emptied = { ...(slice('alpha', { backend: b3 }) as object), endpoints: [] };
    await s.apply(upserts(emptied));
    expect(endpointPorts(s.ads.resources)).toEqual([b1.port, b2.port].sort((a, b) => a - b));
    const before = b3.calls;
    const t = tally(await calls(client, methods.echo, 40));
    expect(Object.keys(t)).toEqual(['b1', 'b2']);
    expect((t.b1 ?? 0) + (t.b2 ?? 0)).toBe(40);
    expect(b3.calls).toBe(before);
    expect(s.ads.nacks).toEqual([]);
  });

  it('sends no traffic to a not-ready endpoint', async () => {
    const s = await scenario(2);
    const [b1, b2] = [backend(s, 0), backend(s, 1)];
    await s.apply(
      upserts(
        backendService('alpha', [{ backend: b1 }, { backend: b2, ready: false }]),
        echoIngress('alpha', 'alpha.e2e.test', [{ path: '/echo.Echo/', service: 'alpha' }]),
      ),
    );
    const client = await s.client('alpha.e2e.test');
    await firstSuccess(client);
    expect(tally(await calls(client, methods.echo, 30))).toEqual({ b1: 30 });
    expect(b2.calls).toBe(0);
    // Once ready, it takes its share.
    await s.apply(upserts(slice('alpha', { backend: b2, ready: true })));
    await eventually(
      async () => tally(await calls(client, methods.echo, 10)),
      (t) => (t.b2 ?? 0) > 0,
    );
    expect(s.ads.nacks).toEqual([]);
  });

  it('serves a host added later: a channel opened before the Ingress existed starts working', async () => {
    const s = await scenario(2);
    const [b1, b2] = [backend(s, 0), backend(s, 1)];
    await s.apply(
      upserts(
        backendService('alpha', [{ backend: b1 }]),
        echoIngress('alpha', 'alpha.e2e.test', [{ path: '/echo.Echo/', service: 'alpha' }]),
      ),
    );
    const beta = await s.client('beta.e2e.test');
    const started = Date.now();
    const early = await call(beta, methods.echo, 1500);
    expect(early.ok).toBe(false);
    expect(Date.now() - started).toBeLessThan(3000);
    await s.apply(
      upserts(
        backendService('beta', [{ backend: b2 }]),
        echoIngress('beta', 'beta.e2e.test', [{ path: '/echo.Echo/', service: 'beta' }]),
      ),
    );
    await firstSuccess(beta);
    expect(tally(await calls(beta, methods.echo, 10))).toEqual({ b2: 10 });
    expect(s.ads.nacks).toEqual([]);
  });

  it('fails RPCs within their deadline once the Ingress is deleted', async () => {
    const s = await scenario(1);
    await s.apply(
      upserts(
        backendService('alpha', [{ backend: backend(s, 0) }]),
        echoIngress('alpha', 'alpha.e2e.test', [{ path: '/echo.Echo/', service: 'alpha' }]),
      ),
    );
    const client = await s.client('alpha.e2e.test');
    await firstSuccess(client);
    await s.apply([{ type: 'delete', kind: 'Ingress', namespace, name: 'alpha' }]);
    expect(s.ads.resources.listeners).toEqual([]);
    const started = Date.now();
    const after = await call(client, methods.echo, 1500);
    expect(after.ok).toBe(false);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(s.ads.nacks).toEqual([]);
  });

  it('keeps every RPC working while an Ingress switches to another Service (make before break)', async () => {
    const s = await scenario(2);
    const [b1, b2] = [backend(s, 0), backend(s, 1)];
    await s.apply(
      upserts(
        backendService('old', [{ backend: b1 }]),
        backendService('new', [{ backend: b2 }]),
        echoIngress('alpha', 'alpha.e2e.test', [{ path: '/echo.Echo/', service: 'old' }]),
      ),
    );
    const client = await s.client('alpha.e2e.test');
    await firstSuccess(client);
    // Traffic runs while the route moves to a cluster the client has never seen.
    let running = true;
    const during: Promise<ReturnType<typeof tally>> = (async () => {
      const replies = [];
      while (running) replies.push(...(await calls(client, methods.echo, 5)));
      return tally(replies);
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await s.apply(upserts(echoIngress('alpha', 'alpha.e2e.test', [{ path: '/echo.Echo/', service: 'new' }])));
    await eventually(
      () => call(client, methods.echo),
      (r) => r.ok && r.backend === 'b2',
    );
    running = false;
    const t = await during;
    expect(t.failed).toBeUndefined();
    expect(tally(await calls(client, methods.echo, 10))).toEqual({ b2: 10 });
    expect(s.ads.nacks).toEqual([]);
  });

  it('matches a Prefix path by whole segments, an ImplementationSpecific one by characters', async () => {
    const s = await scenario(2);
    const [b1, b2] = [backend(s, 0), backend(s, 1)];
    await s.apply(
      upserts(
        backendService('segment', [{ backend: b1 }]),
        backendService('chars', [{ backend: b2 }]),
        echoIngress('alpha', 'alpha.e2e.test', [
          { path: '/echo.Echo', pathType: 'Prefix', service: 'segment' },
        ]),
        echoIngress('beta', 'beta.e2e.test', [
          { path: '/echo.Echo', pathType: 'ImplementationSpecific', service: 'chars' },
        ]),
      ),
    );
    // No path_separated_prefix reaches gRPC clients: it is written as exact /p plus prefix /p/.
    const matches = s.ads.resources.routes.flatMap((r) =>
      (r.virtualHosts ?? []).flatMap((v) =>
        (v.routes ?? []).map((route) => route.match?.pathSpecifier?.$case),
      ),
    );
    expect(matches).not.toContain('pathSeparatedPrefix');
    const alpha = await s.client('alpha.e2e.test');
    const beta = await s.client('beta.e2e.test');
    await firstSuccess(alpha);
    await firstSuccess(beta);
    expect(tally(await calls(alpha, methods.echo, 5))).toEqual({ b1: 5 });
    expect(await call(alpha, methods.echoMore, 1500)).toMatchObject({ ok: false, code: UNAVAILABLE });
    expect(tally(await calls(beta, methods.echo, 5))).toEqual({ b2: 5 });
    expect(tally(await calls(beta, methods.echoMore, 5))).toEqual({ b2: 5 });
    expect(s.ads.nacks).toEqual([]);
  });

  it('accepts the string_match :authority matcher of a wildcard host on another Ingress', async () => {
    const s = await scenario(2);
    const [b1, b2] = [backend(s, 0), backend(s, 1)];
    await s.apply(
      upserts(
        backendService('alpha', [{ backend: b1 }]),
        backendService('wild', [{ backend: b2 }]),
        echoIngress('alpha', 'alpha.e2e.test', [{ path: '/echo.Echo/', service: 'alpha' }]),
        echoIngress('wild', '*.e2e.test', [{ path: '/', service: 'wild' }]),
      ),
    );
    // No API listener for a wildcard host: gRPC clients dial one name.
    expect(s.ads.resources.listeners.map((l) => l.name)).toEqual(['alpha.e2e.test', 'ingress_http']);
    const client = await s.client('alpha.e2e.test');
    await firstSuccess(client);
    expect(tally(await calls(client, methods.echo, 5))).toEqual({ b1: 5 });
    expect(s.ads.nacks).toEqual([]);
  });

  it('leaves out a path whose regex is not RE2 (InvalidRegex) without a NACK; the rest still works', async () => {
    const s = await scenario(2);
    const [b1, b2] = [backend(s, 0), backend(s, 1)];
    await s.apply(
      upserts(
        backendService('echo', [{ backend: b1 }]),
        backendService('admin', [{ backend: b2 }]),
        echoIngress('alpha', 'alpha.e2e.test', [
          // A lookahead: valid in PCRE, refused by RE2 (and so by Envoy and gRPC).
          { path: '/echo.Admin/(?=Call)[A-Za-z]+', service: 'admin', pathType: 'ImplementationSpecific' },
          { path: '/echo.Echo/', service: 'echo' },
        ]),
      ),
    );
    expect(s.ads.diagnostics.map((d) => [d.code, d.object.name, d.path.join('.')])).toEqual([
      ['InvalidRegex', 'alpha', 'spec.rules.0.http.paths.0.path'],
    ]);
    const client = await s.client('alpha.e2e.test');
    await firstSuccess(client);
    expect(tally(await calls(client, methods.echo, 10))).toEqual({ b1: 10 });
    expect(await call(client, methods.admin, 1500)).toMatchObject({ ok: false, code: UNAVAILABLE });
    expect(b2.calls).toBe(0);
    expect(s.ads.nacks).toEqual([]);
  });

  it('serves a valid RE2 regex path', async () => {
    const s = await scenario(2);
    const [b1, b2] = [backend(s, 0), backend(s, 1)];
    await s.apply(
      upserts(
        backendService('echo', [{ backend: b1 }]),
        backendService('admin', [{ backend: b2 }]),
        echoIngress('alpha', 'alpha.e2e.test', [
          { path: '/echo.(Admin|Unrouted)/[A-Za-z]+', service: 'admin', pathType: 'ImplementationSpecific' },
          { path: '/', service: 'echo' },
        ]),
      ),
    );
    expect(s.ads.diagnostics).toEqual([]);
    const client = await s.client('alpha.e2e.test');
    await firstSuccess(client);
    expect(tally(await calls(client, methods.admin, 5))).toEqual({ b2: 5 });
    expect(tally(await calls(client, methods.unrouted, 5))).toEqual({ b2: 5 });
    expect(tally(await calls(client, methods.echo, 5))).toEqual({ b1: 5 });
    expect(s.ads.nacks).toEqual([]);
  });

  it('leaves out a path to a Service that does not exist (ServiceNotFound) without a NACK', async () => {
    const s = await scenario(1);
    await s.apply(
      upserts(
        backendService('echo', [{ backend: backend(s, 0) }]),
        echoIngress('alpha', 'alpha.e2e.test', [
          { path: '/echo.Admin/', service: 'missing' },
          { path: '/echo.Echo/', service: 'echo' },
        ]),
      ),
    );
    expect(s.ads.diagnostics.map((d) => [d.code, d.path.join('.')])).toEqual([
      ['ServiceNotFound', 'spec.rules.0.http.paths.0.backend'],
    ]);
    const client = await s.client('alpha.e2e.test');
    await firstSuccess(client);
    expect(tally(await calls(client, methods.echo, 10))).toEqual({ b1: 10 });
    expect(await call(client, methods.admin, 1500)).toMatchObject({ ok: false, code: UNAVAILABLE });
    expect(s.ads.nacks).toEqual([]);
  });
});

/**
 * Output Envoy accepts and gRPC clients refuse. kube-xds serves every plain-HTTP host from one
 * RouteConfiguration (`ingress_http`), and grpc-js rejects a RouteConfiguration as a whole, so one
 * Ingress on *another* host is enough to cut proxyless clients off. These tests pin the current
 * behaviour; when kube-xds changes it, update them (and docs/guides/embedding.md).
 */
describe('Envoy-vs-gRPC incompatibilities (pinned)', () => {
  const alpha = (b: Backend) => [
    backendService('alpha', [{ backend: b }]),
    echoIngress('alpha', 'alpha.e2e.test', [{ path: '/echo.Echo/', service: 'alpha' }]),
  ];

  it('force-ssl-redirect on any host gives a redirect route, which grpc-js NACKs for all of ingress_http', async () => {
    const s = await scenario(1);
    await s.apply(
      upserts(
        alpha(backend(s, 0)),
        tlsSecret(`${namespace}/shop-tls`, { certificate: shopCertificate, privateKey: shopPrivateKey }),
        ingress(`${namespace}/shop`, {
          annotations: { 'ingress.kubernetes.io/force-ssl-redirect': 'true' },
          tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
          rules: [{ host: 'shop.example.com', paths: [{ path: '/', backend: 'alpha:grpc' }] }],
        }),
      ),
    );
    expect(s.ads.diagnostics).toEqual([]);
    const client = await s.client('alpha.e2e.test');
    expect(await call(client, methods.echo, 1500)).toMatchObject({ ok: false });
    await eventually(
      async () => s.ads.nacks,
      (n) => n.length > 0,
    );
    expect(s.ads.nacks[0]?.kind).toBe('routes');
    expect(s.ads.nacks[0]?.message).toContain('redirect');
  });
});
