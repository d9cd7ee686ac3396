/**
 * Laws of resource versions and diffs, on outputs of translate() for realistic snapshots (built
 * with the src/fixtures builders) and on outputs mutated directly. Pairs of outputs are made to
 * overlap (two subsets of one snapshot, a snapshot and a subset, other options) so that diffs hold
 * unchanged, changed, new and removed names together.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyDiff,
  canonicalBytes,
  diffResources,
  emptyResources,
  isEmpty,
  type ResourceDiff,
  type ResourceOf,
  resourceVersion,
} from '../../src/diff.js';
import {
  fromEnvoyJson,
  type ResourceKind,
  resourceCodecs,
  resourceKinds,
  resourceName,
  toEnvoyJson,
  type XdsResources,
} from '../../src/resources.js';
import { translate } from '../../src/translate/translate.js';
import { packAny } from '../../src/translate/xds/any.js';
import { type Any, GrpcWeb, HttpProtocolOptions, Router } from '../../src/translate/xds/types.js';
import { optionsArb, type Snapshot, snapshotArb } from './arbitraries/index.js';
import { runs, seed } from './params.js';

type Resource = ResourceOf<ResourceKind>;

const nameOf = (kind: ResourceKind, r: Resource) => resourceName(kind, r);
const output = (s: Snapshot): XdsResources => translate(s.objects, s.options).resources;

/** A small deterministic PRNG (mulberry32), so a shuffle is a function of the seed fast-check drew. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}

function shuffleResources(resources: XdsResources, seed: number): XdsResources {
  const random = prng(seed);
  return {
    listeners: shuffled(resources.listeners, random),
    routes: shuffled(resources.routes, random),
    clusters: shuffled(resources.clusters, random),
    endpoints: shuffled(resources.endpoints, random),
    secrets: shuffled(resources.secrets, random),
  };
}

/** A deep copy in which every plain object's keys (message fields and map keys alike) are re-inserted in random order. */
function reinsertKeys(value: unknown, random: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => reinsertKeys(v, random));
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of shuffled(Object.keys(value), random)) {
    out[key] = reinsertKeys((value as Record<string, unknown>)[key], random);
  }
  return out;
}

function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(value).sort())
    out[key] = sortKeysDeep((value as Record<string, unknown>)[key]);
  return out;
}

interface JsonCodec {
  encode(m: unknown): { finish(): Uint8Array };
  toJSON(m: unknown): unknown;
  fromJSON(o: unknown): unknown;
}
const jsonCodec = (kind: ResourceKind) => resourceCodecs[kind] as unknown as JsonCodec;

/** Content as proto3 JSON with sorted keys (maps included, Any expanded): the oracle for "same resource". */
const content = (kind: ResourceKind, r: Resource) => JSON.stringify(sortKeysDeep(jsonCodec(kind).toJSON(r)));

/** Canonical bytes computed another way: key-sorted JSON, parsed and encoded. */
function jsonCanonicalBytes(kind: ResourceKind, r: Resource): Uint8Array {
  const codec = jsonCodec(kind);
  return codec.encode(codec.fromJSON(sortKeysDeep(codec.toJSON(r)))).finish();
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

// ---------------------------------------------------------------------------------------------------
// Direct mutations: what translate() does not produce today but a later feature or a host might.

const protocolOptions = [
  packAny(HttpProtocolOptions, {
    upstreamProtocolOptions: {
      $case: 'explicitHttpConfig',
      value: { protocolConfig: { $case: 'http2ProtocolOptions', value: {} } },
    },
  }),
  packAny(HttpProtocolOptions, {
    upstreamProtocolOptions: {
      $case: 'explicitHttpConfig',
      value: { protocolConfig: { $case: 'httpProtocolOptions', value: {} } },
    },
  }),
  packAny(GrpcWeb, {}),
  packAny(Router, {}),
];

const mutationArb = fc.record({
  /** Which resources to touch: index modulo the kind's length. */
  targets: fc.array(fc.tuple(fc.constantFrom(...resourceKinds), fc.nat()), { maxLength: 3 }),
  mapKeys: fc.uniqueArray(fc.constantFrom('envoy.a', 'envoy.b', 'acme.z', 'x', 'y.1'), {
    minLength: 1,
    maxLength: 4,
  }),
  values: fc.array(fc.nat({ max: protocolOptions.length - 1 }), { minLength: 4, maxLength: 4 }),
  drop: fc.boolean(),
});
type MutationSpec = typeof mutationArb extends fc.Arbitrary<infer T> ? T : never;

/** Adds maps (cluster protocol options, metadata) or drops resources, on copies; inputs stay untouched. */
function mutate(resources: XdsResources, spec: MutationSpec): XdsResources {
  const out: Record<ResourceKind, Resource[]> = {
    listeners: [...resources.listeners],
    routes: [...resources.routes],
    clusters: [...resources.clusters],
    endpoints: [...resources.endpoints],
    secrets: [...resources.secrets],
  };
  for (const [kind, index] of spec.targets) {
    const list = out[kind];
    if (list.length === 0) continue;
    const at = index % list.length;
    if (spec.drop) {
      list.splice(at, 1);
      continue;
    }
    const target = list[at];
    const anyMap: Record<string, Any> = {};
    const struct: Record<string, { n: number; k: string }> = {};
    spec.mapKeys.forEach((k, i) => {
      const v = spec.values[i] ?? 0;
      anyMap[k] = protocolOptions[v] ?? packAny(Router, {});
      struct[k] = { n: v, k };
    });
    if (kind === 'clusters') {
      list[at] = {
        ...(target as ResourceOf<'clusters'>),
        typedExtensionProtocolOptions: anyMap,
        metadata: { filterMetadata: struct },
      };
    } else if (kind === 'listeners') {
      list[at] = {
        ...(target as ResourceOf<'listeners'>),
        metadata: { typedFilterMetadata: anyMap, filterMetadata: struct },
      };
    } else if (kind === 'routes') {
      const config = target as ResourceOf<'routes'>;
      list[at] = {
        ...config,
        virtualHosts: (config.virtualHosts ?? []).map((v) => ({ ...v, typedPerFilterConfig: anyMap })),
      };
    } else if (kind === 'endpoints') {
      const cla = target as ResourceOf<'endpoints'>;
      list[at] = {
        ...cla,
        // An empty assignment gets one (endpoint-less) locality to carry the metadata.
        endpoints: (cla.endpoints?.length ? cla.endpoints : [{}]).map((e) => ({
          ...e,
          metadata: { filterMetadata: struct },
        })),
      };
    }
  }
  return out as unknown as XdsResources;
}

// ---------------------------------------------------------------------------------------------------
// Pairs of outputs

/** The objects with one endpoint of every EndpointSlice flipped between ready and not (copies; the input is untouched). */
function flipReadiness(objects: Snapshot['objects'], pick: number): Snapshot['objects'] {
  return objects.map((o) => {
    if (o.kind !== 'EndpointSlice') return o;
    const copy = JSON.parse(JSON.stringify(o)) as { endpoints?: { conditions?: Record<string, boolean> }[] };
    const list = copy.endpoints ?? [];
    const conditions = list[pick % Math.max(1, list.length)]?.conditions;
    if (conditions !== undefined) {
      conditions.ready = !conditions.ready;
      conditions.serving = conditions.ready;
    }
    return copy as typeof o;
  });
}

/** Two overlapping translate() inputs. */
const inputPairArb: fc.Arbitrary<readonly [Snapshot, Snapshot]> = fc.oneof(
  // Endpoint churn: in every EndpointSlice one endpoint becomes ready or unready.
  snapshotArb.chain((s) =>
    fc.nat().map((pick) => [s, { ...s, objects: flipReadiness(s.objects, pick) }] as const),
  ),
  // Two subsets of one snapshot: adds, removals and changes (a removed Service changes routes) together.
  snapshotArb.chain((s) =>
    fc.tuple(fc.subarray([...s.objects]), fc.subarray([...s.objects])).map(
      ([a, b]) =>
        [
          { ...s, objects: a },
          { ...s, objects: b },
        ] as const,
    ),
  ),
  // A snapshot and a subset, either way round.
  snapshotArb.chain((s) =>
    fc
      .tuple(fc.subarray([...s.objects]), fc.boolean())
      .map(([sub, flip]) =>
        flip ? ([s, { ...s, objects: sub }] as const) : ([{ ...s, objects: sub }, s] as const),
      ),
  ),
  // The same objects under other options: many resources change, few names do.
  fc.tuple(snapshotArb, optionsArb).map(([s, options]) => [s, { ...s, options }] as const),
  // Two unrelated snapshots (the vocabularies are small, so names still meet).
  fc.tuple(snapshotArb, snapshotArb).map(([a, b]) => [a, { ...b, options: a.options }] as const),
);

const outputPairArb: fc.Arbitrary<readonly [XdsResources, XdsResources]> = fc
  .tuple(inputPairArb, fc.option(mutationArb, { freq: 3 }), fc.option(mutationArb, { freq: 3 }))
  .map(([[a, b], ma, mb]) => {
    const prev = output(a);
    const next = output(b);
    return [ma === null ? prev : mutate(prev, ma), mb === null ? next : mutate(next, mb)] as const;
  });

const outputArb: fc.Arbitrary<XdsResources> = fc
  .tuple(snapshotArb, fc.option(mutationArb, { freq: 2 }))
  .map(([s, m]) => (m === null ? output(s) : mutate(output(s), m)));

// ---------------------------------------------------------------------------------------------------
// Laws

function changedNames(diff: ResourceDiff, kind: ResourceKind): string[] {
  return [...diff[kind].upserted.map((u) => u.name), ...diff[kind].removed];
}

describe('diff laws', () => {
  it('applyDiff(prev, diffResources(prev, next)) equals next', () => {
    fc.assert(
      fc.property(outputPairArb, ([prev, next]) => {
        const applied = applyDiff(prev, diffResources(prev, next));
        expect(toEnvoyJson(applied)).toEqual(toEnvoyJson(next));
      }),
      runs(80),
    );
  });

  it('no name is both upserted and removed; upserts are in next, removals only in prev', () => {
    fc.assert(
      fc.property(outputPairArb, ([prev, next]) => {
        const diff = diffResources(prev, next);
        for (const kind of resourceKinds) {
          const upserted = diff[kind].upserted.map((u) => u.name);
          const prevNames = new Set(prev[kind].map((r) => nameOf(kind, r)));
          const nextNames = new Set(next[kind].map((r) => nameOf(kind, r)));
          expect(upserted.filter((n) => diff[kind].removed.includes(n))).toEqual([]);
          expect(upserted.every((n) => nextNames.has(n))).toBe(true);
          expect(diff[kind].removed.every((n) => prevNames.has(n) && !nextNames.has(n))).toBe(true);
          expect(diff[kind].names).toEqual([...nextNames].sort());
        }
      }),
      runs(80),
    );
  });

  it('diff(a, a) is empty, also against a copy that went through canonical JSON', () => {
    fc.assert(
      fc.property(outputArb, (a) => {
        for (const other of [a, fromEnvoyJson(toEnvoyJson(a))]) {
          const diff = diffResources(a, other);
          expect(isEmpty(diff)).toBe(true);
          expect(diff.plan).toEqual([]);
          for (const kind of resourceKinds)
            expect(diff[kind].version).toBe(diffResources(emptyResources, a)[kind].version);
        }
      }),
      runs(60),
    );
  });

  it('a resource’s version changes iff its canonical bytes change, and equal content has equal bytes', () => {
    fc.assert(
      fc.property(outputPairArb, ([prev, next]) => {
        const diff = diffResources(prev, next);
        for (const kind of resourceKinds) {
          const before = new Map(prev[kind].map((r) => [nameOf(kind, r), r] as const));
          for (const r of next[kind]) {
            const name = nameOf(kind, r);
            const old = before.get(name);
            if (old === undefined) continue;
            const sameVersion = resourceVersion(kind, old as never) === resourceVersion(kind, r as never);
            const same = sameBytes(canonicalBytes(kind, old as never), canonicalBytes(kind, r as never));
            expect(sameVersion).toBe(same);
            if (content(kind, old) === content(kind, r)) expect(same).toBe(true);
            expect(diff[kind].upserted.some((u) => u.name === name)).toBe(!same);
          }
        }
      }),
      runs(80),
    );
  });

  it('canonical bytes equal those of a key-sorted JSON round trip and ignore map insertion order', () => {
    fc.assert(
      fc.property(outputArb, fc.integer(), (a, seed) => {
        const random = prng(seed);
        for (const kind of resourceKinds) {
          for (const r of a[kind]) {
            const bytes = canonicalBytes(kind, r as never);
            expect(sameBytes(bytes, jsonCanonicalBytes(kind, r))).toBe(true);
            const reordered = reinsertKeys(r, random) as Resource;
            expect(sameBytes(bytes, canonicalBytes(kind, reordered as never))).toBe(true);
          }
        }
      }),
      runs(60),
    );
  });

  it('the per-type version changes iff some resource of that type changed', () => {
    fc.assert(
      fc.property(outputPairArb, ([prev, next]) => {
        const diff = diffResources(prev, next);
        const before = diffResources(emptyResources, prev);
        for (const kind of resourceKinds) {
          expect(diff[kind].version !== before[kind].version).toBe(changedNames(diff, kind).length > 0);
        }
      }),
      runs(80),
    );
  });

  it('input order does not matter', () => {
    fc.assert(
      fc.property(outputPairArb, fc.integer(), fc.integer(), ([prev, next], s1, s2) => {
        const sorted = diffResources(prev, next);
        const mixed = diffResources(shuffleResources(prev, s1), shuffleResources(next, s2));
        expect(mixed).toEqual(sorted);
        expect(toEnvoyJson(applyDiff(shuffleResources(prev, s2), mixed))).toEqual(toEnvoyJson(next));
      }),
      runs(60),
    );
  });

  it('∅ → X upserts everything and X → ∅ removes everything', () => {
    fc.assert(
      fc.property(outputArb, (x) => {
        const up = diffResources(emptyResources, x);
        const down = diffResources(x, emptyResources);
        for (const kind of resourceKinds) {
          const names = x[kind].map((r) => nameOf(kind, r)).sort();
          expect(up[kind].upserted.map((u) => u.name)).toEqual(names);
          expect(up[kind].upserted.map((u) => u.version)).toEqual(
            up[kind].upserted.map((u) => resourceVersion(kind, u.resource as never)),
          );
          expect(up[kind].removed).toEqual([]);
          expect(down[kind].upserted).toEqual([]);
          expect(down[kind].removed).toEqual(names);
          expect(down[kind].names).toEqual([]);
        }
        expect(up.plan.every((s) => s.action === 'upsert')).toBe(true);
        expect(down.plan.every((s) => s.action === 'remove')).toBe(true);
      }),
      runs(60),
    );
  });

  it('the plan covers every change once, clusters before listeners, every removal after every upsert', () => {
    fc.assert(
      fc.property(outputPairArb, ([prev, next]) => {
        const diff = diffResources(prev, next);
        const { plan } = diff;
        for (const step of plan) expect(step.names.length).toBeGreaterThan(0);
        for (const kind of resourceKinds) {
          const planned = plan.filter((s) => s.kind === kind);
          expect(planned.filter((s) => s.action === 'upsert').flatMap((s) => s.names)).toEqual(
            diff[kind].upserted.map((u) => u.name),
          );
          expect(planned.filter((s) => s.action === 'remove').flatMap((s) => s.names)).toEqual(
            diff[kind].removed,
          );
        }
        const index = (kind: ResourceKind, action: 'upsert' | 'remove') =>
          plan.findIndex((s) => s.kind === kind && s.action === action);
        const clusters = index('clusters', 'upsert');
        const listeners = index('listeners', 'upsert');
        if (clusters >= 0 && listeners >= 0) expect(clusters).toBeLessThan(listeners);
        const lastUpsert = plan.map((s) => s.action).lastIndexOf('upsert');
        const firstRemove = plan.findIndex((s) => s.action === 'remove');
        if (firstRemove >= 0) expect(firstRemove).toBeGreaterThan(lastUpsert);
        // Make-before-break inside each phase too: referents up before referrers, referrers down first.
        const order = (action: 'upsert' | 'remove') =>
          plan.filter((s) => s.action === action).map((s) => s.kind);
        const upOrder: readonly ResourceKind[] = ['secrets', 'clusters', 'endpoints', 'listeners', 'routes'];
        const downOrder: readonly ResourceKind[] = [
          'listeners',
          'routes',
          'clusters',
          'endpoints',
          'secrets',
        ];
        expect(order('upsert')).toEqual(upOrder.filter((k) => diff[k].upserted.length > 0));
        expect(order('remove')).toEqual(downOrder.filter((k) => diff[k].removed.length > 0));
      }),
      runs(80),
    );
  });

  it('generates diffs with every kind of change (guards the arbitraries)', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(outputPairArb, ([prev, next]) => {
        const diff = diffResources(prev, next);
        for (const kind of resourceKinds) {
          const prevNames = new Set(prev[kind].map((r) => nameOf(kind, r)));
          for (const u of diff[kind].upserted)
            seen.add(`${kind}:${prevNames.has(u.name) ? 'changed' : 'added'}`);
          if (diff[kind].removed.length > 0) seen.add(`${kind}:removed`);
        }
      }),
      // A fixed seed unless FC_SEED is set: this checks the generators, so it must not flake.
      { ...runs(200), seed: seed ?? 20261121 },
    );
    const wanted = resourceKinds.flatMap((k) => ['added', 'changed', 'removed'].map((c) => `${k}:${c}`));
    // Secrets never change in place (their names hash their content); everything else must show up.
    expect(wanted.filter((w) => !seen.has(w) && w !== 'secrets:changed')).toEqual([]);
  });
});
