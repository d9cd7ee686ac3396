/** Law 1: the same input twice gives byte-identical resources and identical diagnostics. */
import * as fc from 'fast-check';
import { describe, it } from 'vitest';
import { fuzzedInputArb, snapshotArb } from './arbitraries/index.js';
import { assertDeterministic, assertOrdered, run } from './laws.js';
import { runs } from './params.js';

describe('law 1: determinism', () => {
  it('realistic snapshots translate identically twice (a deep copy too), and the input is not changed', () => {
    fc.assert(
      fc.property(snapshotArb, (snapshot) => assertDeterministic(snapshot)),
      runs(100),
    );
  });

  it('fuzzed snapshots translate identically twice', () => {
    fc.assert(
      fc.property(fuzzedInputArb, (input) => assertDeterministic(input)),
      runs(100),
    );
  });

  it('resources are sorted by name and diagnostics by object, with their code’s severity', () => {
    fc.assert(
      fc.property(fc.oneof(snapshotArb, fuzzedInputArb), (input) => assertOrdered(run(input))),
      runs(60),
    );
  });
});
