/**
 * Turning manifest text into plain objects for translate(). Pure: no I/O, never throws.
 *
 * Accepted input: YAML streams (`---` separated, empty documents skipped) and JSON (one object, an
 * array, or a `List`/`*List` with `items`, as `kubectl get -o json` prints it). Lists are flattened
 * recursively. A document that does not parse is reported and skipped; the others still load.
 *
 * Also parseOptionsJson(), for the CLI's `--options FILE`.
 */
import { parseAllDocuments } from 'yaml';
import type { TranslateOptions } from '../options.js';

export interface LoadResult {
  /** Every object found, in input order. */
  readonly objects: unknown[];
  /** One line per problem, each naming the source (and the document when there are several). */
  readonly errors: string[];
}

/**
 * Alias nodes one document may expand. Real manifests use few or none; the cap stops "billion laughs"
 * documents from expanding exponentially.
 */
const maxAliasCount = 100;

/** Nesting of lists inside lists; far beyond anything kubectl prints. */
const maxListDepth = 32;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'object' || type === 'undefined' ? `an ${type}` : `a ${type}`;
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.replace(/:\s*$/, '');
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return firstLine(error.message);
  return String(error);
}

/** `ServiceList` → `Service`; `List` → undefined (its items carry their own kind). */
function itemKind(listKind: string): string | undefined {
  return listKind === 'List' ? undefined : listKind.slice(0, -'List'.length);
}

function isList(value: Record<string, unknown>): boolean {
  return typeof value.kind === 'string' && value.kind.endsWith('List') && 'items' in value;
}

class Collector {
  readonly objects: unknown[] = [];
  readonly errors: string[] = [];

  /** Adds `value` (an object, an array of them, or a list), reporting anything else at `where`. */
  add(value: unknown, where: string, depth: number): void {
    if (value === null || value === undefined) return;
    if (depth > maxListDepth) {
      this.errors.push(`${where}: lists nested more than ${maxListDepth} deep; skipped`);
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        this.add(item, `${where}, item ${i}`, depth + 1);
      });
      return;
    }
    if (!isRecord(value)) {
      this.errors.push(`${where}: expected a Kubernetes object, got ${describe(value)}`);
      return;
    }
    if (!isList(value)) {
      this.objects.push(value);
      return;
    }
    const { items, kind, apiVersion } = value;
    if (items === null) return;
    if (!Array.isArray(items)) {
      this.errors.push(`${where}: ${String(kind)}.items must be an array, got ${describe(items)}`);
      return;
    }
    // Typed lists from the API server (`ServiceList`) omit kind and apiVersion on their items.
    const impliedKind = itemKind(String(kind));
    items.forEach((item, i) => {
      let filled = item;
      if (
        impliedKind !== undefined &&
        isRecord(item) &&
        (item.kind === undefined || item.apiVersion === undefined)
      ) {
        filled = { ...item };
        if (item.kind === undefined) Object.assign(filled, { kind: impliedKind });
        if (item.apiVersion === undefined && typeof apiVersion === 'string') {
          Object.assign(filled, { apiVersion });
        }
      }
      this.add(filled, `${where}, items[${i}]`, depth + 1);
    });
  }
}

/** JSON.parse when the text looks like JSON and is valid JSON; undefined otherwise (YAML takes over). */
function tryJson(text: string): { value: unknown } | undefined {
  const start = text.trimStart()[0];
  if (start !== '{' && start !== '[') return undefined;
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    // Not strict JSON (maybe YAML flow style, or several JSON documents separated by `---`).
    return undefined;
  }
}

/**
 * Parses the manifests in `text`. `source` names the input in error messages (a file name, or `-`
 * for stdin).
 */
export function parseManifests(text: string, source: string): LoadResult {
  const collector = new Collector();
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const json = tryJson(body);
  if (json !== undefined) {
    collector.add(json.value, source, 0);
    return { objects: collector.objects, errors: collector.errors };
  }
  let documents: ReturnType<typeof parseAllDocuments>;
  try {
    documents = parseAllDocuments(body, {
      // Plain JSON-like data only: `!!binary`, `!!set` and custom tags stay strings (with a warning
      // we ignore), so translate() never sees Uint8Array, Set or Map values.
      resolveKnownTags: false,
      // kubectl (go-yaml) honours `<<` merge keys, so manifests in the wild use them.
      merge: true,
      logLevel: 'silent',
      prettyErrors: true,
    });
  } catch (error) {
    // Only resource exhaustion (e.g. stack overflow on absurd nesting) gets here.
    return { objects: [], errors: [`${source}: cannot parse: ${errorMessage(error)}`] };
  }
  documents.forEach((document, i) => {
    const where = `${source}: document ${i + 1}`;
    const [error] = document.errors;
    if (error !== undefined) {
      collector.errors.push(`${where}: ${errorMessage(error)}`);
      return;
    }
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount });
    } catch (error) {
      collector.errors.push(`${where}: ${errorMessage(error)}`);
      return;
    }
    collector.add(value, where, 0);
  });
  return { objects: collector.objects, errors: collector.errors };
}

/** Checks one value; returns the problem (`' must be …'`, or `'.field must be …'` for nested ones). */
type Check = (value: unknown) => string | undefined;

const isString: Check = (v) => (typeof v === 'string' ? undefined : ' must be a string');
const isNumber: Check = (v) => (typeof v === 'number' ? undefined : ' must be a number');
const isBoolean: Check = (v) => (typeof v === 'boolean' ? undefined : ' must be a boolean');
const isStringArray: Check = (v) =>
  Array.isArray(v) && v.every((s) => typeof s === 'string') ? undefined : ' must be an array of strings';

function oneOf(...allowed: string[]): Check {
  return (v) =>
    typeof v === 'string' && allowed.includes(v)
      ? undefined
      : ` must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`;
}

function shape(fields: Readonly<Record<string, Check>>, required: readonly string[] = []): Check {
  return (v) => {
    if (!isRecord(v)) return ' must be an object';
    for (const key of required) if (!(key in v)) return `.${key} is required`;
    for (const [key, inner] of Object.entries(v)) {
      const check = fields[key];
      if (check === undefined) return ` has unknown field ${JSON.stringify(key)}`;
      const problem = check(inner);
      if (problem !== undefined) return `.${key}${problem}`;
    }
    return undefined;
  };
}

/** An object whose `kind` picks the shape of its other fields. */
function tagged(variants: Readonly<Record<string, Readonly<Record<string, Check>>>>): Check {
  return (v) => {
    if (!isRecord(v)) return ' must be an object';
    const kind = typeof v.kind === 'string' ? variants[v.kind] : undefined;
    if (kind === undefined) return `.kind${oneOf(...Object.keys(variants))(v.kind)}`;
    return shape({ ...kind, kind: isString }, Object.keys(kind))(v);
  };
}

const listenerAddress = shape({ address: isString, port: isNumber });

/**
 * The type of each TranslateOptions field. Values (ranges, TLS version order) are checked by
 * translate()'s own option resolution.
 */
const optionChecks = {
  http: listenerAddress,
  https: listenerAddress,
  configSource: tagged({ ads: {}, grpc: { clusterName: isString } }),
  connectTimeoutMs: isNumber,
  tls: shape({
    minimumProtocolVersion: oneOf('1.2', '1.3'),
    maximumProtocolVersion: oneOf('1.2', '1.3'),
    cipherSuites: isStringArray,
  }),
  ingressClassNames: isStringArray,
  ingressClassController: isString,
  enableExternalNameService: isBoolean,
  accessLog: tagged({ file: { path: isString }, stdout: {}, stderr: {}, disabled: {} }),
  useProxyProtocol: isBoolean,
  mergeSlashes: isBoolean,
  compression: isBoolean,
  maxRegexProgramSize: isNumber,
} satisfies Partial<Record<keyof TranslateOptions, Check>>;

export interface OptionsResult {
  readonly options: TranslateOptions;
  /** Problems that make the file unusable. */
  readonly errors: string[];
  /** Fields this version does not know; they are passed through to translate() unchecked. */
  readonly warnings: string[];
}

/** Parses a JSON file of TranslateOptions, checking the type of every known field. */
export function parseOptionsJson(text: string, source: string): OptionsResult {
  let value: unknown;
  try {
    value = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (error) {
    return { options: {}, errors: [`${source}: not valid JSON: ${errorMessage(error)}`], warnings: [] };
  }
  if (!isRecord(value)) {
    return {
      options: {},
      errors: [`${source}: expected a JSON object, got ${describe(value)}`],
      warnings: [],
    };
  }
  const errors: string[] = [];
  const warnings: string[] = [];
  const checks: Readonly<Record<string, Check>> = optionChecks;
  for (const [key, inner] of Object.entries(value)) {
    const check = checks[key];
    if (check === undefined) {
      warnings.push(`${source}: unknown option ${JSON.stringify(key)}`);
      continue;
    }
    const problem = check(inner);
    if (problem !== undefined) errors.push(`${source}: ${key}${problem}`);
  }
  return { options: value, errors, warnings };
}
