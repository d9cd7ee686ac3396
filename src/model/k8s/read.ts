/**
 * Field readers for untrusted JSON. Each returns a typed value or undefined, reporting
 * `InvalidField` with the field path when a present value has the wrong type or size. None throws.
 */
import type { DiagnosticSink, FieldPath, ObjectRef } from '../../diagnostics.js';

/** Longest string kube-xds reads from an ordinary field; Secret data has its own limit. */
export const maxFieldLength = 16 * 1024;

/**
 * Where a field sits: its path, or a function that builds it. Readers build the path only to report
 * a problem, so a caller can pass `() => [...]` and allocate no path for well-formed input. The
 * hottest loops (an EndpointSlice's endpoints) go further: they test a value with isPlainString or
 * isIntegerIn first and call a reader only for a value it would report.
 */
export type At = FieldPath | (() => FieldPath);

export const pathOf = (at: At): FieldPath => (typeof at === 'function' ? at() : at);

export interface Reader {
  readonly ref: ObjectRef;
  readonly sink: DiagnosticSink;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Whether none of `keys` can be inherited from Object.prototype (nothing has polluted it with one).
 * Together with a record's prototype being Object.prototype, as it is for decoded JSON, a direct read
 * of such a key then sees exactly what ownField sees. Hot loops check this once per object and then
 * read directly: Object.hasOwn is a call of about 35 ns in Node 20, paid five times per endpoint.
 */
export function uninherited(keys: readonly string[]): boolean {
  for (const key of keys) if (key in Object.prototype) return false;
  return true;
}

/** Whether `record`'s fields named in an `uninherited` check may be read directly. */
export function isPlainRecord(record: object): boolean {
  return Object.getPrototypeOf(record) === Object.prototype;
}

/** field() for a value already known to be a record. */
export function ownField(record: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

export function field(value: unknown, key: string): unknown {
  return isRecord(value) ? ownField(value, key) : undefined;
}

declare global {
  interface String {
    /** ES2024; in every Node version kube-xds supports (engines: >= 20.19). */
    isWellFormed(): boolean;
  }
}

/**
 * Whether readString would accept the value as it is. Hot loops test this first and call the reader
 * (with a path) only for values it would report or drop, so well-formed input costs no path.
 */
export function isPlainString(value: unknown, max = maxFieldLength): value is string {
  return typeof value === 'string' && value.length <= max && value.isWellFormed();
}

export function readString(r: Reader, value: unknown, path: At, max = maxFieldLength): string | undefined {
  if (isPlainString(value, max)) return value;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    r.sink.report('InvalidField', r.ref, pathOf(path), `expected a string, got ${describe(value)}`);
    return undefined;
  }
  if (value.length > max) {
    r.sink.report(
      'InvalidField',
      r.ref,
      pathOf(path),
      `string of ${value.length} characters exceeds the limit of ${max}`,
    );
    return undefined;
  }
  // Protobuf strings are UTF-8: an unpaired surrogate would reach Envoy as U+FFFD, not as given.
  if (!value.isWellFormed()) {
    r.sink.report('InvalidField', r.ref, pathOf(path), 'string contains an unpaired UTF-16 surrogate');
    return undefined;
  }
  return value;
}

/**
 * Reads an optional string whose absence has a meaning (an unnamed port, the TCP default): a value
 * that is present but unreadable gives `invalid`, so the caller can leave the part out instead of
 * silently applying the default.
 */
export function readOptionalString(
  r: Reader,
  value: unknown,
  path: At,
  max = maxFieldLength,
): { readonly value: string | undefined } | 'invalid' {
  const text = readString(r, value, path, max);
  return text === undefined && value !== undefined && value !== null ? 'invalid' : { value: text };
}

/** What optionalStringAt returns for a value present but unreadable (reported). */
export const invalidString: unique symbol = Symbol('invalid string');

/**
 * readOptionalString for hot loops: `at(key)` builds the path only when the value is reported, and
 * a present but unreadable value gives invalidString.
 */
export function optionalStringAt(
  r: Reader,
  value: unknown,
  at: (key: string) => FieldPath,
  key: string,
  max: number,
): string | undefined | typeof invalidString {
  if (value === undefined || value === null) return undefined;
  if (isPlainString(value, max)) return value;
  const read = readOptionalString(r, value, at(key), max);
  return read === 'invalid' ? invalidString : read.value;
}

export function readBoolean(r: Reader, value: unknown, path: At): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') {
    r.sink.report('InvalidField', r.ref, pathOf(path), `expected a boolean, got ${describe(value)}`);
    return undefined;
  }
  return value;
}

/** Whether readInteger would accept the value as it is (see isPlainString). */
export function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** An integer in [min, max]. */
export function readInteger(
  r: Reader,
  value: unknown,
  path: At,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    r.sink.report('InvalidField', r.ref, pathOf(path), `expected an integer, got ${describe(value)}`);
    return undefined;
  }
  if (value < min || value > max) {
    r.sink.report('InvalidField', r.ref, pathOf(path), `${value} is outside ${min}..${max}`);
    return undefined;
  }
  return value;
}

/** Kubernetes IntOrString: a port number or a port name. */
export function readIntOrString(r: Reader, value: unknown, path: At): number | string | undefined {
  if (typeof value === 'number') return readInteger(r, value, path, 1, 65535);
  return readString(r, value, path, 253);
}

export function readArray(r: Reader, value: unknown, path: At): readonly unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    r.sink.report('InvalidField', r.ref, pathOf(path), `expected an array, got ${describe(value)}`);
    return [];
  }
  return value;
}

export function readRecord(r: Reader, value: unknown, path: At): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) {
    r.sink.report('InvalidField', r.ref, pathOf(path), `expected an object, got ${describe(value)}`);
    return undefined;
  }
  return value;
}

/** A string-to-string map such as annotations or labels; entries of other types are reported and skipped. */
export function readStringMap(
  r: Reader,
  value: unknown,
  path: At,
  max = maxFieldLength,
): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  const record = readRecord(r, value, path);
  if (record === undefined) return out;
  for (const key of Object.keys(record).sort()) {
    const text = readString(r, record[key], () => [...pathOf(path), key], max);
    if (text !== undefined) out.set(key, text);
  }
  return out;
}

/** Checks a string-to-string map as readStringMap does, reporting the same problems, without keeping it. */
export function checkStringMap(r: Reader, value: unknown, path: At, max = maxFieldLength): void {
  const record = readRecord(r, value, path);
  if (record === undefined) return;
  for (const key in record) {
    if (!Object.hasOwn(record, key) || isPlainString(record[key], max)) continue;
    readString(r, record[key], () => [...pathOf(path), key], max);
  }
}

/**
 * An empty list with room for `n` items, to fill by index (`list[count++] = item`) and close with
 * `settle`. Views keep tens of thousands of short lists, and a list grown by `push` keeps room for
 * at least 17 items. Beyond a thousand items (more than any API object holds) it starts empty and
 * grows, since V8 would make a longer preallocated list a slow dictionary.
 */
export function sized<T>(n: number): T[] {
  return n <= 1024 ? new Array<T>(n) : [];
}

/** Ends a list from `sized` after `count` items. */
export function settle<T>(list: T[], count: number): T[] {
  if (list.length !== count) list.length = count;
  return list;
}
