/**
 * Free text where the translator may copy input verbatim into the output: annotation values (e.g.
 * `projectcontour.io/retry-on`) and EndpointSlice zones (locality zones). A realistic snapshot with
 * some of those strings extended or replaced by awkward text: lone surrogates, NUL, newlines,
 * non-ASCII, bidi controls. Output strings must still be valid for the wire (round trip, PGV).
 */
import * as fc from 'fast-check';
import { cloneJson } from './mutation.js';
import { type Input, snapshotArb } from './snapshot.js';

const awkwardCharArb = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '\ud800',
      '\udfff',
      '\u0000',
      '\n',
      '\t',
      'é',
      '😀',
      '\u202e',
      '\ufffd',
      ',',
      ' ',
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
);

type TextEdit =
  | { readonly kind: 'keep' }
  | { readonly kind: 'append'; readonly text: string }
  | { readonly kind: 'replace'; readonly text: string };

const textEditArb: fc.Arbitrary<TextEdit> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<TextEdit>({ kind: 'keep' }) },
  {
    weight: 2,
    arbitrary: fc
      .string({ unit: awkwardCharArb, minLength: 1, maxLength: 4 })
      .map((text): TextEdit => ({ kind: 'append', text })),
  },
  {
    weight: 1,
    arbitrary: fc
      .string({ unit: awkwardCharArb, maxLength: 6 })
      .map((text): TextEdit => ({ kind: 'replace', text })),
  },
);

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function applyEdit(value: string, edit: TextEdit): string {
  switch (edit.kind) {
    case 'keep':
      return value;
    case 'append':
      return value + edit.text;
    case 'replace':
      return edit.text;
  }
}

/** Calls `edit` on every free-text slot of an object, in a stable order. */
function editFreeText(object: unknown, edit: (value: string) => string): void {
  if (!isRecord(object)) return;
  const annotations = isRecord(object.metadata) ? object.metadata.annotations : undefined;
  if (isRecord(annotations)) {
    for (const key of Object.keys(annotations).sort()) {
      const value = annotations[key];
      if (typeof value === 'string') annotations[key] = edit(value);
    }
  }
  if (object.kind === 'EndpointSlice' && Array.isArray(object.endpoints)) {
    for (const endpoint of object.endpoints) {
      if (isRecord(endpoint) && typeof endpoint.zone === 'string') endpoint.zone = edit(endpoint.zone);
    }
  }
}

export const freeTextInputArb: fc.Arbitrary<Input> = fc
  .record({ snapshot: snapshotArb, edits: fc.array(textEditArb, { minLength: 1, maxLength: 12 }) })
  .map(({ snapshot, edits }) => {
    let slot = 0;
    const objects = snapshot.objects.map((original) => {
      const object: unknown = cloneJson(original);
      editFreeText(object, (value) => {
        const edit = edits[slot++ % edits.length];
        return edit === undefined ? value : applyEdit(value, edit);
      });
      return object;
    });
    return { objects, options: snapshot.options };
  });
