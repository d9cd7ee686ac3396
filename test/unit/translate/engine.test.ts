/**
 * The engine's incremental path must give exactly what a fresh translation of the same objects gives,
 * after every change of a random event stream.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as f from '../../../src/fixtures/index.js';
import { toEnvoyJson, translate } from '../../../src/index.js';
import { resolveOptions } from '../../../src/options.js';
import { createEngine, type ObjectChange } from '../../../src/translate/engine.js';
import { createTranslatorWith } from '../../../src/translator.js';

const namespaces = ['shop', 'pay'] as const;
const services = ['web', 'api'] as const;
const hosts = ['a.example.com', 'b.example.com', '*.example.com'] as const;

const serviceArb = fc
  .record({
    ns: fc.constantFrom(...namespaces),
    name: fc.constantFrom(...services),
    named: fc.boolean(),
    port: fc.constantFrom(80, 8080),
    h2c: fc.boolean(),
    breakers: fc.option(fc.constantFrom('10', '0', 'x'), { nil: undefined }),
  })
  .map((s) =>
    f.service(`${s.ns}/${s.name}`, {
      ports: [
        {
          ...(s.named ? { name: 'http' } : {}),
          port: s.port,
          targetPort: 8080,
          ...(s.h2c ? { appProtocol: 'kubernetes.io/h2c' } : {}),
        },
      ],
      ...(s.breakers !== undefined
        ? { annotations: { 'projectcontour.io/max-connections': s.breakers } }
        : {}),
    }),
  );

const sliceArb = fc
  .record({
    ns: fc.constantFrom(...namespaces),
    service: fc.constantFrom(...services),
    suffix: fc.constantFrom('1', '2'),
    named: fc.boolean(),
    endpoints: fc.array(
      fc.record({
        address: fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3'),
        ready: fc.boolean(),
        zone: fc.constantFrom('z1', 'z2'),
      }),
      { maxLength: 3 },
    ),
  })
  .map((s) =>
    f.endpointSlice(`${s.ns}/${s.service}-${s.suffix}`, {
      service: s.service,
      ports: [{ ...(s.named ? { name: 'http' } : {}), port: 8080 }],
      endpoints: s.endpoints,
    }),
  );

const secretArb = fc.record({ ns: fc.constantFrom(...namespaces), good: fc.boolean() }).map((s) =>
  f.tlsSecret(`${s.ns}/tls`, {
    certificate: s.good ? f.wildcardCertificate : 'garbage',
    privateKey: f.wildcardPrivateKey,
  }),
);

const ingressArb = fc
  .record({
    ns: fc.constantFrom(...namespaces),
    name: fc.constantFrom('one', 'two'),
    age: fc.constantFrom('2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'),
    host: fc.constantFrom(...hosts),
    paths: fc.subarray(['/', '/api', '/x'], { minLength: 1 }),
    backend: fc.constantFrom('web:80', 'web:http', 'api:8080', 'missing:80'),
    tls: fc.boolean(),
    redirect: fc.boolean(),
    className: fc.constantFrom(undefined, 'contour', 'other'),
  })
  .map((i) =>
    f.ingress(`${i.ns}/${i.name}`, {
      creationTimestamp: i.age,
      ...(i.className !== undefined ? { className: i.className } : {}),
      ...(i.redirect ? { annotations: { 'ingress.kubernetes.io/force-ssl-redirect': 'true' } } : {}),
      rules: [{ host: i.host, paths: i.paths.map((path) => ({ path, backend: i.backend })) }],
      ...(i.tls && i.host !== '*.example.com' ? { tls: [{ hosts: [i.host], secretName: 'tls' }] } : {}),
    }),
  );

const classArb = fc.record({ name: fc.constantFrom('contour', 'other'), isDefault: fc.boolean() }).map((c) =>
  f.ingressClass(c.name, {
    isDefault: c.isDefault,
    controller: c.name === 'contour' ? 'projectcontour.io/ingress-controller' : 'example.com/other',
  }),
);

const objectArb = fc.oneof(serviceArb, sliceArb, secretArb, ingressArb, classArb);

type Obj = { kind?: string; metadata?: { namespace?: string; name?: string } };
const identity = (o: unknown) => {
  const obj = o as Obj;
  return `${obj.kind}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name}`;
};

const changeArb = fc.oneof(
  { weight: 3, arbitrary: objectArb.map((object) => ({ op: 'upsert' as const, object })) },
  { weight: 1, arbitrary: fc.nat().map((n) => ({ op: 'delete' as const, n })) },
);

describe('engine', () => {
  it('incremental output equals a fresh translate after every change', () => {
    const options = resolveOptions();
    fc.assert(
      fc.property(fc.array(changeArb, { minLength: 1, maxLength: 25 }), (stream) => {
        // A translator is the engine plus stage B; its full-snapshot twin is translate().
        const translator = createTranslatorWith(options);
        const current = new Map<string, unknown>();
        for (const step of stream) {
          let change: ObjectChange;
          if (step.op === 'upsert') {
            current.set(identity(step.object), step.object);
            change = { type: 'upsert', object: step.object };
          } else {
            const keys = [...current.keys()].sort();
            if (keys.length === 0) continue;
            const id = keys[step.n % keys.length] as string;
            const obj = current.get(id) as Obj;
            current.delete(id);
            change = {
              type: 'delete',
              kind: obj.kind ?? '',
              namespace: obj.metadata?.namespace ?? '',
              name: obj.metadata?.name ?? '',
            };
          }
          const update = translator.apply([change]);
          const fresh = translate([...current.values()]);
          expect(toEnvoyJson(update.resources)).toEqual(toEnvoyJson(fresh.resources));
          expect(update.diagnostics).toEqual(fresh.diagnostics);
        }
      }),
      { numRuns: 150, ...(process.env.FC_SEED !== undefined ? { seed: Number(process.env.FC_SEED) } : {}) },
    );
  });

  it('reports no change for a resync of identical objects', () => {
    const engine = createEngine(resolveOptions());
    const objects = [
      f.service('shop/web', { ports: [{ port: 80 }] }),
      f.ingress('shop/web', {
        rules: [{ host: 'a.example.com', paths: [{ path: '/', backend: 'web:80' }] }],
      }),
    ];
    expect(engine.apply(objects.map((object) => ({ type: 'upsert', object }))).any).toBe(true);
    const copies = objects.map((o) => JSON.parse(JSON.stringify(o)) as unknown);
    const again = engine.apply(copies.map((object) => ({ type: 'upsert', object })));
    expect(again.any).toBe(false);
    expect(again.hosts.size + again.clusters.size + again.endpoints.size + again.secrets.size).toBe(0);
  });

  it('touches only the endpoint group when an endpoint flips ready', () => {
    const engine = createEngine(resolveOptions());
    const slice = (ready: boolean) =>
      f.endpointSlice('shop/web-1', {
        service: 'web',
        ports: [{ port: 8080 }],
        endpoints: [{ address: '10.0.0.1', ready }],
      });
    engine.apply(
      [
        f.service('shop/web', { ports: [{ port: 80, targetPort: 8080 }] }),
        slice(true),
        f.ingress('shop/web', {
          rules: [{ host: 'a.example.com', paths: [{ path: '/', backend: 'web:80' }] }],
        }),
      ].map((object) => ({ type: 'upsert', object })),
    );
    const changes = engine.apply([{ type: 'upsert', object: slice(false) }]);
    expect([...changes.endpoints]).toEqual(['shop/web']);
    expect(changes.hosts.size + changes.clusters.size + changes.secrets.size).toBe(0);
  });

  it('gives the same state without its dependency graph when it applies one batch, and refuses a second', () => {
    const objects = [
      f.service('shop/web', { ports: [{ name: 'http', port: 80, targetPort: 8080 }] }),
      f.endpointSlice('shop/web-1', {
        service: 'web',
        ports: [{ name: 'http', port: 8080 }],
        endpoints: [{ address: '10.0.0.2' }, { address: '10.0.0.1', zone: 'b' }, { address: '10.0.0.1' }],
      }),
      f.ingress('shop/web', {
        rules: [{ host: 'a.example.com', paths: [{ path: '/', backend: 'web:http' }] }],
      }),
    ];
    const changes = objects.map((object): ObjectChange => ({ type: 'upsert', object }));
    const tracked = createEngine(resolveOptions());
    const once = createEngine(resolveOptions(), { incremental: false });
    tracked.apply(changes);
    once.apply(changes);
    expect([...once.state.endpoints]).toEqual([...tracked.state.endpoints]);
    expect([...once.state.http]).toEqual([...tracked.state.http]);
    expect([...once.state.clusters]).toEqual([...tracked.state.clusters]);
    // The duplicate 10.0.0.1 keeps the zone it was first seen in (b); zones sort by name.
    expect(once.state.endpoints.get('shop/web/http')?.localities).toEqual([
      { zone: '', addresses: ['10.0.0.2'], ports: 8080 },
      { zone: 'b', addresses: ['10.0.0.1'], ports: 8080 },
    ]);
    expect(() => once.apply([])).toThrow(/second batch/);
  });
});

describe('conflicts between Ingresses', () => {
  it('settles a cluster defined differently by two Ingresses on the older one, in any input order', () => {
    const svc = f.service('shop/web', {
      ports: [
        { name: 'http', port: 80 },
        { name: 'legacy', port: 80 },
      ],
    });
    const a = f.ingress('shop/a', {
      creationTimestamp: '2026-01-01T00:00:00Z',
      rules: [{ host: 'a.example.com', paths: [{ path: '/', backend: 'web:http' }] }],
    });
    const b = f.ingress('shop/b', {
      creationTimestamp: '2026-02-01T00:00:00Z',
      rules: [{ host: 'b.example.com', paths: [{ path: '/', backend: 'web:legacy' }] }],
    });
    const forward = translate([svc, a, b]);
    const backward = translate([b, a, svc]);
    expect(toEnvoyJson(backward.resources)).toEqual(toEnvoyJson(forward.resources));
    expect(forward.resources.endpoints.map((e) => e.clusterName)).toEqual(['shop/web/http']);
    expect(forward.diagnostics.map((d) => [d.code, d.object.name])).toEqual([['ClusterConflict', 'b']]);
  });

  it('does not judge Ingresses of another class', () => {
    const foreign = {
      ...f.ingress('shop/other', { className: 'nginx', rules: [] }),
      spec: { ingressClassName: 'nginx', defaultBackend: { resource: { kind: 'Bucket', name: 'static' } } },
    };
    expect(translate([foreign]).diagnostics).toEqual([]);
    const ours = { ...foreign, spec: { ...foreign.spec, ingressClassName: 'contour' } };
    expect(translate([ours]).diagnostics.map((d) => d.code)).toEqual(['InvalidBackend']);
  });
});

describe('objects whose identity cannot be read', () => {
  it('keep their own diagnostics whatever the order (a blanked name is no shared identity)', () => {
    const longName = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: 'a'.repeat(300) },
      spec: {},
    };
    const noMetadata = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: 'junk',
      spec: {},
    };
    const forward = translate([longName, noMetadata]).diagnostics;
    expect(translate([noMetadata, longName]).diagnostics).toEqual(forward);
    expect(forward.map((d) => d.path.join('.'))).toEqual(['metadata', 'metadata.name']);
  });
});
