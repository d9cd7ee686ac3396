/**
 * Structure-aware corruption of Kubernetes objects: pick a field anywhere in the object (by index
 * into the list of all field paths) and replace it with garbage of the wrong type, a huge string, an
 * invalid host, port, regex or name, garbage PEM, or delete it. Index-based so it needs no chain and
 * shrinks well.
 */
import * as fc from 'fast-check';
import { shopCertificate, shopPrivateKey, wildcardPrivateKey } from '../../../src/fixtures/index.js';
import { realisticNames } from './vocabulary.js';

export type FieldPath = readonly (string | number)[];

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Every field path inside `value` (not the root), parents before children. */
export function fieldPaths(value: unknown, prefix: FieldPath = []): FieldPath[] {
  const out: FieldPath[] = [];
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      out.push([...prefix, i], ...fieldPaths(item, [...prefix, i]));
    });
  } else if (isRecord(value)) {
    for (const key of Object.keys(value)) {
      out.push([...prefix, key], ...fieldPaths(value[key], [...prefix, key]));
    }
  }
  return out;
}

function samePath(a: FieldPath, b: FieldPath): boolean {
  return a.length === b.length && a.every((part, i) => part === b[i]);
}

/** A deep copy of JSON-like data. */
export function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Returns a copy of `root` with the value at `path` replaced, or removed when `value` is `remove`. */
function setAt(root: unknown, path: FieldPath, change: Change): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return 'remove' in change ? undefined : change.value;
  if (Array.isArray(root) && typeof head === 'number') {
    const copy = [...root];
    if (rest.length === 0 && 'remove' in change) copy.splice(head, 1);
    else copy[head] = setAt(copy[head], rest, change);
    return copy;
  }
  if (isRecord(root) && typeof head === 'string') {
    const copy: Record<string, unknown> = { ...root };
    if (rest.length === 0 && 'remove' in change) delete copy[head];
    else copy[head] = setAt(copy[head], rest, change);
    return copy;
  }
  return root;
}

export type Change = { readonly value: unknown } | { readonly remove: true };

export interface Mutation {
  /** Index into the mutable field paths, modulo their count. */
  readonly at: number;
  readonly change: Change;
}

/** Which fields a mutation may not touch. */
export type Protection = 'typeOnly' | 'sameIdentity' | 'freshIdentity';

const protectedPaths: Readonly<Record<Protection, readonly FieldPath[]>> = {
  // The object stays a recognised kind.
  typeOnly: [['apiVersion'], ['kind']],
  // ...and keeps its identity and parses (metadata stays an object with the same name and namespace).
  sameIdentity: [['apiVersion'], ['kind'], ['metadata'], ['metadata', 'name'], ['metadata', 'namespace']],
  // ...and can neither take another object's identity nor reach other objects.
  freshIdentity: [
    ['apiVersion'],
    ['kind'],
    ['metadata', 'name'],
    ['metadata', 'namespace'],
    ['metadata', 'labels', 'kubernetes.io/service-name'],
    ['metadata', 'annotations', 'ingressclass.kubernetes.io/is-default-class'],
  ],
};

export function applyMutations(
  object: unknown,
  mutations: readonly Mutation[],
  protection: Protection,
): unknown {
  let current = object;
  for (const mutation of mutations) {
    const blocked = protectedPaths[protection];
    const paths = fieldPaths(current).filter((p) => !blocked.some((b) => samePath(b, p)));
    const path = paths[mutation.at % Math.max(paths.length, 1)];
    if (path !== undefined) current = setAt(current, path, mutation.change);
  }
  return current;
}

// ---------------------------------------------------------------------------------------------------
// Garbage

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** Text that looks like PEM but is not usable, raw and base64-encoded (as Secret `data` holds it). */
export const garbagePemTexts: readonly string[] = [
  '-----BEGIN CERTIFICATE-----\n!!not base64!!\n-----END CERTIFICATE-----\n',
  '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
  '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n',
  `${shopPrivateKey}${shopCertificate}`,
  `${shopCertificate.slice(0, 200)}\n-----END CERTIFICATE-----\n`,
  '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
  `${shopPrivateKey}${wildcardPrivateKey}`,
  '-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n',
  '\u0000\uffff\ud800',
];
const garbagePemArb = fc.constantFrom(...garbagePemTexts, ...garbagePemTexts.map(base64));

export const hugeStringArb = fc
  .tuple(
    fc.constantFrom(64, 254, 4097, 16_385, 70_000),
    fc.constantFrom('a', 'Z', '/', '.', 'é', '*', '\u0000'),
  )
  .map(([length, char]) => char.repeat(length));

export const invalidHosts = [
  'Shop.Example.com',
  'a..b',
  '*',
  '*.',
  '*.*.example.com',
  'foo.*.example.com',
  'host:80',
  '10.0.0.1',
  '[::1]',
  'ex ample.com',
  `${'a'.repeat(64)}.com`,
  '-lead.example.com',
  'under_score.example.com',
  'ünïcode.example.com',
  'trailing.example.com.',
] as const;

export const invalidRegexPaths = [
  '/(',
  '/[z-a]',
  '/a{1001}',
  '/x{1000}',
  '/\\',
  '/(?P<n>x)(?P<n>y)',
  '/\\C+',
  '/a**',
  '/[[:foo:]]',
  '/(?<!x)y',
  '/\\8',
  '/*',
  '/a\n*',
] as const;

export const invalidPaths = ['api', '/a b', '/a?b', '/a#b', '/\u00e9', '/\t', ''] as const;
export const invalidNames = [
  'UPPER',
  'bad_name',
  '-lead',
  'trail-',
  'a'.repeat(254),
  'dots..dots',
  '',
] as const;
export const invalidPorts = [0, -1, 65536, 80.5, '80', 'http', 1e21, -0] as const;

/** Wrong-type values for any field. */
const wrongTypeArb = fc.constantFrom<unknown>(
  null,
  true,
  false,
  0,
  -1,
  1.5,
  65536,
  1e308,
  '',
  ' ',
  '\ud800',
  '\u0000',
  [],
  {},
  [null],
  { name: 42 },
  [[[]]],
);

/** Whether a name from the realistic vocabulary appears anywhere in `value` (as a string or key). */
export function mentionsRealisticName(value: unknown): boolean {
  if (typeof value === 'string') return realisticNames.has(value);
  if (Array.isArray(value)) return value.some(mentionsRealisticName);
  if (isRecord(value))
    return Object.entries(value).some(([k, v]) => realisticNames.has(k) || mentionsRealisticName(v));
  return false;
}

/**
 * A garbage value: never a name from the realistic vocabulary, so garbage alone can never make a
 * hostile object refer to a realistic one.
 */
export const garbageArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: wrongTypeArb },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }).filter((v) => !mentionsRealisticName(v)) },
  {
    weight: 1,
    arbitrary: fc.string({ unit: 'binary', maxLength: 12 }).filter((v) => !realisticNames.has(v)),
  },
  { weight: 1, arbitrary: hugeStringArb },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(...invalidHosts, ...invalidRegexPaths, ...invalidPaths) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(...invalidNames, ...invalidPorts) },
  { weight: 1, arbitrary: garbagePemArb },
);

export const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  change: fc.oneof(
    { weight: 4, arbitrary: garbageArb.map((value): Change => ({ value })) },
    { weight: 1, arbitrary: fc.constant<Change>({ remove: true }) },
  ),
});
