/**
 * Fuzzed inputs: a realistic snapshot with a few of its objects corrupted in place (any field but
 * apiVersion and kind, so identities may change and collide) and a few hostile objects or colliding
 * copies inserted anywhere. Every output law except isolation must hold for these too.
 */
import * as fc from 'fast-check';
import { collidingCopy, copyChangeArb, hostileObjectArb } from './hostile.js';
import { applyMutations, cloneJson, mutationArb } from './mutation.js';
import { type Input, snapshotArb } from './snapshot.js';

const editArb = fc.record({
  target: fc.nat(),
  mutations: fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
});

const extraArb = fc.record({
  at: fc.nat(),
  object: fc.oneof(
    { weight: 2, arbitrary: hostileObjectArb.map((object) => ({ kind: 'hostile' as const, object })) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('copy' as const), source: fc.nat(), change: copyChangeArb }),
    },
  ),
});

export const fuzzedInputArb: fc.Arbitrary<Input> = fc
  .record({
    snapshot: snapshotArb,
    edits: fc.array(editArb, { maxLength: 4 }),
    extras: fc.array(extraArb, { maxLength: 2 }),
  })
  .map(({ snapshot, edits, extras }) => {
    const original = snapshot.objects;
    const objects: unknown[] = original.map((o) => cloneJson(o));
    for (const edit of edits) {
      if (objects.length === 0) break;
      const i = edit.target % objects.length;
      objects[i] = applyMutations(objects[i], edit.mutations, 'typeOnly');
    }
    for (const extra of extras) {
      const add = extra.object;
      let object: unknown;
      if (add.kind === 'hostile') object = add.object;
      else if (original.length > 0)
        object = collidingCopy(original[add.source % original.length], add.change);
      else continue;
      objects.splice(extra.at % (objects.length + 1), 0, object);
    }
    return { objects, options: snapshot.options };
  });
