/**
 * Law 4: Envoy accepts the output (PGV rules, round trip and closure via test/support/pgv.ts, our own
 * direct closure check, and TLS key pairs Envoy can load). Law 7: nothing is emitted that nothing
 * uses: every cluster is referenced by a route, every route configuration by a listener.
 */
import * as fc from 'fast-check';
import { describe, it } from 'vitest';
import { freeTextInputArb, fuzzedInputArb, snapshotArb } from './arbitraries/index.js';
import { assertEnvoyAcceptsAll, referenceProblems, run } from './laws.js';
import { runs } from './params.js';

describe('law 4: reference closure and Envoy acceptance', () => {
  it('Envoy accepts the translation of realistic snapshots', () => {
    fc.assert(
      fc.property(snapshotArb, (snapshot) => assertEnvoyAcceptsAll(run(snapshot).resources)),
      runs(120),
    );
  });

  it('Envoy accepts the translation of fuzzed snapshots', () => {
    fc.assert(
      fc.property(fuzzedInputArb, (input) => assertEnvoyAcceptsAll(run(input).resources)),
      runs(120),
    );
  });

  it('Envoy accepts the translation of snapshots with awkward free text (annotations, zones)', () => {
    fc.assert(
      fc.property(freeTextInputArb, (input) => assertEnvoyAcceptsAll(run(input).resources)),
      runs(100),
    );
  });
});

describe('law 7: monotone safety', () => {
  it('every cluster is used by a route and every route configuration by a listener', () => {
    fc.assert(
      fc.property(fc.oneof(snapshotArb, fuzzedInputArb), (input) => {
        const problems = referenceProblems(run(input).resources).filter((p) =>
          p.endsWith('is not referenced'),
        );
        if (problems.length > 0) throw new Error(`unreferenced resources:\n  ${problems.join('\n  ')}`);
      }),
      runs(60),
    );
  });
});
