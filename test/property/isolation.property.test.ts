/**
 * Law 3: isolation. One hostile object with a fresh identity changes no resource and no diagnostic
 * about any other object. A changed copy of an existing object (same kind, namespace and name) is
 * deduplicated: the copy whose canonical sorted-key JSON sorts first is kept, and the other one gets
 * exactly one DuplicateObject diagnostic.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ingress } from '../../src/fixtures/index.js';
import type { Diagnostic, ObjectRef } from '../../src/index.js';
import { collidingCopy, copyChangeArb, hostileObjectArb, isAbout, snapshotArb } from './arbitraries/index.js';
import { assertSameDiagnostics, assertSameResources, run, translateChecked } from './laws.js';
import { runs } from './params.js';

function insertAt<T>(list: readonly T[], at: number, item: T): T[] {
  const out = [...list];
  out.splice(at % (list.length + 1), 0, item);
  return out;
}

/** JSON with keys sorted at every level. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function refOf(object: unknown): ObjectRef {
  const o = object as { kind: string; metadata: { namespace?: string; name: string } };
  return { kind: o.kind, namespace: o.metadata.namespace ?? '', name: o.metadata.name };
}

describe('law 3: isolation', () => {
  it('a hostile object with a fresh identity changes nothing but its own diagnostics', () => {
    let withOwnDiagnostics = 0;
    let total = 0;
    fc.assert(
      fc.property(snapshotArb, hostileObjectArb, fc.nat(), (snapshot, hostile, at) => {
        const about = (d: Diagnostic) => isAbout(hostile, d.object);
        const base = run(snapshot);
        if (base.diagnostics.some(about)) throw new Error('the hostile object’s identity is not fresh');
        const result = run({ objects: insertAt(snapshot.objects, at, hostile), options: snapshot.options });
        assertSameResources(base.resources, result.resources);
        assertSameDiagnostics(
          base.diagnostics,
          result.diagnostics.filter((d) => !about(d)),
        );
        total++;
        if (result.diagnostics.some(about)) withOwnDiagnostics++;
      }),
      runs(120),
    );
    // Not vacuous: most hostile objects are noticed.
    expect(withOwnDiagnostics).toBeGreaterThan(total / 3);
  });

  it('a changed copy with an existing identity: the canonically first copy wins, the other is a DuplicateObject', () => {
    const seen = { identical: 0, copyWins: 0, originalWins: 0 };
    fc.assert(
      fc.property(
        snapshotArb.filter((s) => s.objects.length > 0),
        fc.nat(),
        copyChangeArb,
        fc.nat(),
        (snapshot, pick, change, at) => {
          const objects = snapshot.objects;
          const index = pick % objects.length;
          const original = objects[index];
          const copy = collidingCopy(original, change);
          const originalText = canonicalJson(original);
          const copyText = canonicalJson(copy);
          const winner = copyText < originalText ? copy : original;
          const expected = run({
            objects: objects.map((o, i) => (i === index ? winner : o)),
            options: snapshot.options,
          });
          const actual = run({ objects: insertAt(objects, at, copy), options: snapshot.options });

          assertSameResources(expected.resources, actual.resources);
          const isDuplicate = (d: Diagnostic) => d.code === 'DuplicateObject';
          expect(expected.diagnostics.filter(isDuplicate)).toEqual([]);
          const duplicates = actual.diagnostics.filter(isDuplicate);
          if (copyText === originalText) {
            seen.identical++;
            expect(duplicates).toEqual([]);
          } else {
            if (winner === copy) seen.copyWins++;
            else seen.originalWins++;
            expect(duplicates).toEqual([
              {
                code: 'DuplicateObject',
                severity: 'error',
                object: refOf(original),
                path: [],
                message: expect.any(String),
              },
            ]);
          }
          assertSameDiagnostics(
            expected.diagnostics,
            actual.diagnostics.filter((d) => !isDuplicate(d)),
          );
        },
      ),
      runs(120),
    );
    expect(seen.identical).toBeGreaterThan(0);
    expect(seen.copyWins).toBeGreaterThan(0);
    expect(seen.originalWins).toBeGreaterThan(0);
  });

  it('minimal reproduction: DuplicateObject names the dropped copy even when that copy does not parse', () => {
    const valid = ingress('shop/site', { className: 'contour', defaultBackend: 'web:80' });
    // Sorts after `valid` (canonically `{` > `"`), so it is the copy that is dropped.
    const broken = { ...valid, spec: { ...valid.spec, ingressClassName: {} } };
    for (const objects of [
      [valid, broken],
      [broken, valid],
    ]) {
      const duplicates = translateChecked(objects).diagnostics.filter((d) => d.code === 'DuplicateObject');
      expect(duplicates.map((d) => d.object)).toEqual([{ kind: 'Ingress', namespace: 'shop', name: 'site' }]);
    }
  });
});
