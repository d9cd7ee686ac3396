/** Law 2: translate() does not depend on the order of its input. */
import * as fc from 'fast-check';
import { describe, it } from 'vitest';
import { fuzzedInputArb, type Input, snapshotArb } from './arbitraries/index.js';
import { assertSameResult, run } from './laws.js';
import { runs } from './params.js';

/** An input and a permutation of its objects. */
function withPermutation(
  arb: fc.Arbitrary<Input>,
): fc.Arbitrary<{ input: Input; shuffled: readonly unknown[] }> {
  return arb.chain((input) =>
    fc
      .shuffledSubarray([...input.objects], {
        minLength: input.objects.length,
        maxLength: input.objects.length,
      })
      .map((shuffled) => ({ input, shuffled })),
  );
}

describe('law 2: order independence', () => {
  it('a permutation of a realistic snapshot gives the same resources and diagnostics', () => {
    fc.assert(
      fc.property(withPermutation(snapshotArb), ({ input, shuffled }) => {
        assertSameResult(run(input), run({ objects: shuffled, options: input.options }));
      }),
      runs(100),
    );
  });

  it('a permutation of a fuzzed snapshot (with colliding identities) gives the same output', () => {
    fc.assert(
      fc.property(withPermutation(fuzzedInputArb), ({ input, shuffled }) => {
        assertSameResult(run(input), run({ objects: shuffled, options: input.options }));
      }),
      runs(100),
    );
  });

  it('reversing the input gives the same output', () => {
    fc.assert(
      fc.property(fuzzedInputArb, (input) => {
        assertSameResult(run(input), run({ objects: [...input.objects].reverse(), options: input.options }));
      }),
      runs(40),
    );
  });
});
