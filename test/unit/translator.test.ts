/**
 * The incremental translator against full translations: after every event of a random stream its
 * resources equal a fresh translate() of the current objects, its diff equals diffResources() of the
 * two full outputs, and its versions equal resourceVersion().
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyDiff, diffResources, resourceVersion } from '../../src/diff.js';
import * as f from '../../src/fixtures/index.js';
import {
  createTranslator,
  type ObjectChange,
  toEnvoyJson,
  translate,
  type XdsResources,
} from '../../src/index.js';
import { resolveOptions } from '../../src/options.js';
import { resourceKinds } from '../../src/resources.js';
import { createTranslatorWith } from '../../src/translator.js';

const emptyResources: XdsResources = { listeners: [], routes: [], clusters: [], endpoints: [], secrets: [] };

const objectArb = fc.oneof(
  fc
    .record({
      ns: fc.constantFrom('a', 'b'),
      name: fc.constantFrom('web', 'api'),
      port: fc.constantFrom(80, 81),
      h2: fc.boolean(),
    })
    .map((s) =>
      f.service(`${s.ns}/${s.name}`, {
        ports: [
          {
            name: 'http',
            port: s.port,
            targetPort: 8080,
            ...(s.h2 ? { appProtocol: 'kubernetes.io/h2c' } : {}),
          },
        ],
      }),
    ),
  fc
    .record({
      ns: fc.constantFrom('a', 'b'),
      svc: fc.constantFrom('web', 'api'),
      ips: fc.subarray(['10.0.0.1', '10.0.0.2', 'fd00::1']),
      ready: fc.boolean(),
    })
    .map((s) =>
      f.endpointSlice(`${s.ns}/${s.svc}-x`, {
        service: s.svc,
        addressType: 'IPv4',
        ports: [{ name: 'http', port: 8080 }],
        endpoints: s.ips.filter((ip) => !ip.includes(':')).map((address) => ({ address, ready: s.ready })),
      }),
    ),
  fc.record({ ns: fc.constantFrom('a', 'b'), key: fc.constantFrom('wild', 'ec') }).map((s) =>
    f.tlsSecret(`${s.ns}/cert`, {
      certificate: s.key === 'wild' ? f.wildcardCertificate : f.ecCertificate,
      privateKey: s.key === 'wild' ? f.wildcardPrivateKey : f.ecPrivateKey,
    }),
  ),
  fc
    .record({
      ns: fc.constantFrom('a', 'b'),
      name: fc.constantFrom('i1', 'i2', 'i3'),
      host: fc.constantFrom('x.example.com', 'y.example.com', '*.example.com'),
      path: fc.constantFrom('/', '/p', '/q/'),
      backend: fc.constantFrom('web:http', 'api:80', 'api:81'),
      tls: fc.boolean(),
      day: fc.integer({ min: 1, max: 3 }),
    })
    .map((i) =>
      f.ingress(`${i.ns}/${i.name}`, {
        creationTimestamp: `2026-01-0${i.day}T00:00:00Z`,
        rules: [{ host: i.host, paths: [{ path: i.path, backend: i.backend }] }],
        ...(i.tls && !i.host.startsWith('*') ? { tls: [{ hosts: [i.host], secretName: 'cert' }] } : {}),
      }),
    ),
);

type Obj = { kind?: string; metadata?: { namespace?: string; name?: string } };
const idOf = (o: unknown) =>
  `${(o as Obj).kind}/${(o as Obj).metadata?.namespace}/${(o as Obj).metadata?.name}`;

function summary(diff: ReturnType<typeof diffResources>) {
  return Object.fromEntries(
    resourceKinds.map((k) => [
      k,
      { up: diff[k].upserted.map((u) => `${u.name}@${u.version}`), rm: diff[k].removed },
    ]),
  );
}

describe('createTranslator', () => {
  it('one-shot (translate) gives the same resources and first diff as an incremental translator', () => {
    // One object per identity: for two, translate() keeps the smaller canonical JSON and a translator
    // the last upsert.
    fc.assert(
      fc.property(fc.uniqueArray(objectArb, { maxLength: 12, selector: idOf }), (objects) => {
        const changes = objects.map((object): ObjectChange => ({ type: 'upsert', object }));
        const once = createTranslatorWith(resolveOptions(), { oneShot: true }).apply(changes);
        const tracked = createTranslator().apply(changes);
        expect(toEnvoyJson(once.resources)).toEqual(toEnvoyJson(tracked.resources));
        expect(summary(once.diff)).toEqual(summary(tracked.diff));
        expect(summary(once.diff)).toEqual(summary(diffResources(emptyResources, once.resources)));
      }),
      { numRuns: 60 },
    );
  });

  it.each([
    ['default options', {}],
    ['gRPC API listeners', { grpcApiListeners: true }],
  ] as const)(
    'matches fresh translations, diffResources and resourceVersion after every event (%s)',
    (_, options) => {
      fc.assert(
        fc.property(
          fc.array(
            fc.oneof(
              { weight: 4, arbitrary: objectArb.map((o) => ({ up: o })) },
              { weight: 1, arbitrary: fc.nat().map((n) => ({ del: n })) },
            ),
            {
              minLength: 1,
              maxLength: 20,
            },
          ),
          (events) => {
            const translator = createTranslator(options);
            const current = new Map<string, unknown>();
            let previous = emptyResources;
            for (const event of events) {
              let change: ObjectChange;
              if ('up' in event) {
                current.set(idOf(event.up), event.up);
                change = { type: 'upsert', object: event.up };
              } else {
                const ids = [...current.keys()].sort();
                const id = ids[event.del % Math.max(ids.length, 1)];
                if (id === undefined) continue;
                const o = current.get(id) as Obj;
                current.delete(id);
                change = {
                  type: 'delete',
                  kind: o.kind ?? '',
                  namespace: o.metadata?.namespace ?? '',
                  name: o.metadata?.name ?? '',
                };
              }
              const update = translator.apply([change]);
              const fresh = translate([...current.values()], options).resources;
              expect(toEnvoyJson(update.resources)).toEqual(toEnvoyJson(fresh));
              expect(summary(update.diff)).toEqual(summary(diffResources(previous, fresh)));
              expect(toEnvoyJson(applyDiff(previous, update.diff))).toEqual(toEnvoyJson(fresh));
              for (const kind of resourceKinds) {
                for (const u of update.diff[kind].upserted)
                  expect(u.version).toBe(resourceVersion(kind, u.resource as never));
                expect(update.diff[kind].version).toBe(diffResources(emptyResources, fresh)[kind].version);
              }
              previous = fresh;
            }
          },
        ),
        { numRuns: 80, ...(process.env.FC_SEED !== undefined ? { seed: Number(process.env.FC_SEED) } : {}) },
      );
    },
  );

  it('gives an empty diff for a resync of identical copies and one CLA for an endpoint flip', () => {
    const objects = [
      f.service('a/web', { ports: [{ name: 'http', port: 80, targetPort: 8080 }] }),
      f.endpointSlice('a/web-1', {
        service: 'web',
        ports: [{ name: 'http', port: 8080 }],
        endpoints: [{ address: '10.0.0.1' }],
      }),
      f.ingress('a/web', { rules: [{ host: 'x.example.com', paths: [{ path: '/', backend: 'web:http' }] }] }),
    ];
    const translator = createTranslator();
    translator.apply(objects.map((object) => ({ type: 'upsert', object })));
    const resync = translator.apply(objects.map((o) => ({ type: 'upsert', object: structuredClone(o) })));
    expect(resync.diff.plan).toEqual([]);
    const flipped = f.endpointSlice('a/web-1', {
      service: 'web',
      ports: [{ name: 'http', port: 8080 }],
      endpoints: [{ address: '10.0.0.1', ready: false }],
    });
    const flip = translator.apply([{ type: 'upsert', object: flipped }]);
    expect(flip.diff.plan).toEqual([{ kind: 'endpoints', action: 'upsert', names: ['a/web/http'] }]);
    expect(flip.diff.endpoints.upserted[0]?.resource).toEqual({ clusterName: 'a/web/http' });
  });
});
