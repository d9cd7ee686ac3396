/**
 * Law 6: translate() never throws on input, whatever it is given, and always returns arrays. Also:
 * any iterable is read like the array of its items.
 */
import * as fc from 'fast-check';
import { describe, it } from 'vitest';
import { kindNames, kinds, recognisedKindWithBody } from './arbitraries/index.js';
import { assertSameResult, translateChecked } from './laws.js';
import { runs } from './params.js';

/** An object of a recognised kind with a valid identity (from a pool of two, so copies collide). */
function withIdentity(body: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc
    .record({
      kind: fc.constantFrom(...kindNames),
      name: fc.constantFrom('x', 'y'),
      annotations: body,
      labels: body,
      creationTimestamp: body,
      spec: body,
      data: body,
      endpoints: body,
      subsets: body,
      addressType: body,
    })
    .map(({ kind, name, annotations, labels, creationTimestamp, ...rest }) => ({
      ...rest,
      apiVersion: kinds[kind],
      kind,
      metadata: { name, namespace: 'default', annotations, labels, creationTimestamp },
    }));
}

const objectsOf = (arb: fc.Arbitrary<unknown>) => fc.array(arb, { maxLength: 8 });

describe('law 6: never throws', () => {
  it('on arrays of fc.anything()', () => {
    fc.assert(
      fc.property(objectsOf(fc.anything()), (objects) => void translateChecked(objects)),
      runs(300),
    );
  });

  it('on arrays of fc.anything() with null prototypes', () => {
    fc.assert(
      fc.property(
        objectsOf(fc.anything({ withNullPrototype: true })),
        (objects) => void translateChecked(objects),
      ),
      runs(150),
    );
  });

  it('on recognised kinds with fc.jsonValue() bodies and metadata', () => {
    fc.assert(
      fc.property(
        objectsOf(recognisedKindWithBody(fc.jsonValue())),
        (objects) => void translateChecked(objects),
      ),
      runs(300),
    );
  });

  it('on recognised kinds with fc.anything() bodies', () => {
    fc.assert(
      fc.property(
        objectsOf(recognisedKindWithBody(fc.anything({ withNullPrototype: true }))),
        (objects) => void translateChecked(objects),
      ),
      runs(150),
    );
  });

  it('on recognised kinds with a valid identity, colliding copies and fc.jsonValue() fields', () => {
    fc.assert(
      fc.property(
        objectsOf(withIdentity(fc.jsonValue({ maxDepth: 3 }))),
        (objects) => void translateChecked(objects),
      ),
      runs(300),
    );
  });

  it('on recognised kinds with a valid identity, colliding copies and fc.anything() fields', () => {
    fc.assert(
      fc.property(
        objectsOf(withIdentity(fc.anything({ withNullPrototype: true, maxDepth: 3 }))),
        (objects) => void translateChecked(objects),
      ),
      runs(150),
    );
  });

  it('reads any iterable like the array of its items', () => {
    fc.assert(
      fc.property(objectsOf(withIdentity(fc.jsonValue({ maxDepth: 2 }))), (objects) => {
        const fromArray = translateChecked(objects);
        function* generate() {
          yield* objects;
        }
        assertSameResult(fromArray, translateChecked(generate()));
        assertSameResult(fromArray, translateChecked(new Set(objects)));
      }),
      runs(60),
    );
  });
});
