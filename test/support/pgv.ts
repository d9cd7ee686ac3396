// A test-side stand-in for Envoy's config acceptance: it evaluates every protoc-gen-validate (PGV)
// annotation in the Envoy .proto sources against canonical proto3 JSON, plus the checks Envoy itself
// layers on top (Duration ranges, deprecated fields and enum values, unknown fields, Any payloads).
//
// Any PGV rule this file does not implement makes it throw, so a proto update can never silently weaken
// the oracle; see `compileFieldRules` and `ruleInventory`.
import { isIPv4, isIPv6 } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import protobuf from 'protobufjs';
import { RE2JS } from 're2js';
import '../../src/xds-types/registry.js';
import { type MessageType, messageTypeRegistry } from '../../src/xds-types/typeRegistry.js';
import { checkEnvoySemantics, type EnvoyResourceSet } from './envoy-semantics.js';
import { findMessageType, protoRoot } from './proto-root.js';

export { checkEnvoySemantics, type EnvoyResourceSet, type SemanticsReport } from './envoy-semantics.js';

/** One failed rule. `path` uses JSON field names (`virtualHosts[0].domains[1]`); '' is the message itself. */
export interface Violation {
  path: string;
  rule: string;
  message: string;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function asList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

// ---------------------------------------------------------------------------------------------------
// Rule catalogue: every (validate.rules) kind and key this evaluator implements.

const numericRuleKeys = ['const', 'lt', 'lte', 'gt', 'gte', 'in', 'not_in', 'ignore_empty'] as const;

const ruleKeys: Readonly<Record<string, readonly string[]>> = {
  float: numericRuleKeys,
  double: numericRuleKeys,
  int32: numericRuleKeys,
  int64: numericRuleKeys,
  uint32: numericRuleKeys,
  uint64: numericRuleKeys,
  sint32: numericRuleKeys,
  sint64: numericRuleKeys,
  fixed32: numericRuleKeys,
  fixed64: numericRuleKeys,
  sfixed32: numericRuleKeys,
  sfixed64: numericRuleKeys,
  bool: ['const'],
  string: [
    'const',
    'len',
    'min_len',
    'max_len',
    'len_bytes',
    'min_bytes',
    'max_bytes',
    'pattern',
    'prefix',
    'suffix',
    'contains',
    'not_contains',
    'in',
    'not_in',
    'email',
    'hostname',
    'ip',
    'ipv4',
    'ipv6',
    'uri',
    'uri_ref',
    'address',
    'uuid',
    'well_known_regex',
    'strict',
    'ignore_empty',
  ],
  bytes: [
    'const',
    'len',
    'min_len',
    'max_len',
    'pattern',
    'prefix',
    'suffix',
    'contains',
    'in',
    'not_in',
    'ip',
    'ipv4',
    'ipv6',
    'ignore_empty',
  ],
  enum: ['const', 'defined_only', 'in', 'not_in'],
  message: ['skip', 'required'],
  repeated: ['min_items', 'max_items', 'unique', 'items', 'ignore_empty'],
  map: ['min_pairs', 'max_pairs', 'no_sparse', 'keys', 'values', 'ignore_empty'],
  any: ['required', 'in', 'not_in'],
  duration: ['required', 'const', 'lt', 'lte', 'gt', 'gte', 'in', 'not_in'],
  timestamp: ['required', 'const', 'lt', 'lte', 'gt', 'gte', 'lt_now', 'gt_now', 'within'],
};

/** Every `kind.key` the evaluator implements, e.g. `string.min_len`, `repeated.items`. */
export const supportedRuleKinds: ReadonlySet<string> = new Set(
  Object.entries(ruleKeys).flatMap(([kind, keys]) => keys.map((key) => `${kind}.${key}`)),
);

/** PGV options outside `(validate.rules)` that the evaluator implements, by where they may appear. */
export const supportedValidateOptions = {
  field: ['(validate.rules)'],
  oneof: ['(validate.required)'],
  message: ['(validate.disabled)', '(validate.ignored)'],
} as const;

const integerKinds = new Set([
  'int32',
  'int64',
  'uint32',
  'uint64',
  'sint32',
  'sint64',
  'fixed32',
  'fixed64',
  'sfixed32',
  'sfixed64',
]);
const floatKinds = new Set(['float', 'double']);
const scalarKinds = new Set([...integerKinds, ...floatKinds, 'bool', 'string', 'bytes']);

const integerRanges: Readonly<Record<string, readonly [bigint, bigint]>> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};

const wrapperKinds: Readonly<Record<string, string>> = {
  '.google.protobuf.DoubleValue': 'double',
  '.google.protobuf.FloatValue': 'float',
  '.google.protobuf.Int64Value': 'int64',
  '.google.protobuf.UInt64Value': 'uint64',
  '.google.protobuf.Int32Value': 'int32',
  '.google.protobuf.UInt32Value': 'uint32',
  '.google.protobuf.BoolValue': 'bool',
  '.google.protobuf.StringValue': 'string',
  '.google.protobuf.BytesValue': 'bytes',
};

const DURATION = '.google.protobuf.Duration';
const TIMESTAMP = '.google.protobuf.Timestamp';
const ANY = '.google.protobuf.Any';
/** Well-known types whose JSON form is not an object of fields; inside an Any they sit under "value". */
const jsonValueTypes = new Set([
  ...Object.keys(wrapperKinds),
  DURATION,
  TIMESTAMP,
  ANY,
  '.google.protobuf.FieldMask',
  '.google.protobuf.Struct',
  '.google.protobuf.Value',
  '.google.protobuf.ListValue',
]);
const typedStructTypes = new Set(['.xds.type.v3.TypedStruct', '.udpa.type.v1.TypedStruct']);

// ---------------------------------------------------------------------------------------------------
// Compiling a field's rules: check every kind and key is known and fits the field's type.

/** What one value (a singular field, a repeated element, a map key or value) is. */
export type Elem =
  | { tag: 'scalar'; scalar: string }
  | { tag: 'enum'; enumType: protobuf.Enum }
  | { tag: 'message'; type: protobuf.Type };

export interface ElemRules {
  /** `message` rules (skip, required), for message-typed values. */
  message?: JsonObject;
  /** The one type-specific kind (`string`, `uint32`, `duration`, ...) and its rules. */
  kind?: string;
  rules?: JsonObject;
}

export interface FieldPlan {
  elem: Elem;
  single?: ElemRules;
  repeated?: JsonObject;
  items?: ElemRules;
  map?: JsonObject;
  keyElem?: Elem;
  keys?: ElemRules;
  values?: ElemRules;
  /** `message.skip` (or `items/values.message.skip`): PGV does not descend into the value. */
  skip: boolean;
}

function fieldElem(field: protobuf.Field): Elem {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return { tag: 'message', type: resolved };
  if (resolved instanceof protobuf.Enum) return { tag: 'enum', enumType: resolved };
  if (!scalarKinds.has(field.type))
    throw new Error(`pgv: ${field.fullName} has unresolved type ${field.type}`);
  return { tag: 'scalar', scalar: field.type };
}

function allowedKinds(elem: Elem): string[] {
  if (elem.tag === 'scalar') return [elem.scalar];
  if (elem.tag === 'enum') return ['enum'];
  const name = elem.type.fullName;
  const wrapped = wrapperKinds[name];
  if (wrapped !== undefined) return ['message', wrapped];
  if (name === DURATION) return ['message', 'duration'];
  if (name === TIMESTAMP) return ['message', 'timestamp'];
  if (name === ANY) return ['message', 'any'];
  // Envoy's ExtensionConfigSource.config_source puts `any.required` on a ConfigSource; PGV's generators
  // accept it and check presence only. Allowed for `required` alone (see compileElemRules).
  return ['message', 'any'];
}

const knownRegexNames = new Set(['HTTP_HEADER_NAME', 'HTTP_HEADER_VALUE', 1, 2]);

function checkRuleKeys(kind: string, rules: unknown, where: string): JsonObject {
  const keys = ruleKeys[kind];
  if (keys === undefined) throw new Error(`pgv: unsupported rule kind "${kind}" on ${where}`);
  if (!isObject(rules)) throw new Error(`pgv: rules for "${kind}" on ${where} are not an object`);
  for (const key of Object.keys(rules)) {
    if (!keys.includes(key)) throw new Error(`pgv: unsupported rule "${kind}.${key}" on ${where}`);
  }
  if (kind === 'string') {
    const regex = rules.well_known_regex;
    if (regex !== undefined && !knownRegexNames.has(regex as string)) {
      throw new Error(`pgv: unsupported well_known_regex ${String(regex)} on ${where}`);
    }
  }
  if (!floatKinds.has(kind)) {
    // protobufjs parses integer option values into doubles; beyond 2^53 the written value is lost
    const inexact = (value: unknown): boolean =>
      typeof value === 'number'
        ? Number.isInteger(value) && !Number.isSafeInteger(value)
        : Array.isArray(value)
          ? value.some(inexact)
          : isObject(value) && Object.values(value).some(inexact);
    for (const [key, value] of Object.entries(rules)) {
      if (inexact(value)) {
        throw new Error(
          `pgv: ${kind}.${key} on ${where} holds an integer not exactly representable as a double`,
        );
      }
    }
  }
  if ((kind === 'string' || kind === 'bytes') && rules.pattern !== undefined) {
    if (typeof rules.pattern !== 'string') throw new Error(`pgv: pattern on ${where} is not a string`);
    compiledPattern(rules.pattern); // throws if the RE2 engine rejects it
  }
  return rules;
}

function compileElemRules(raw: unknown, elem: Elem, where: string): ElemRules {
  if (!isObject(raw)) throw new Error(`pgv: rules on ${where} are not an object`);
  const allowed = allowedKinds(elem);
  const out: ElemRules = {};
  for (const [kind, rules] of Object.entries(raw)) {
    if (!allowed.includes(kind)) {
      if (ruleKeys[kind] === undefined) throw new Error(`pgv: unsupported rule kind "${kind}" on ${where}`);
      throw new Error(`pgv: rule kind "${kind}" does not fit ${describeElem(elem)} on ${where}`);
    }
    const checked = checkRuleKeys(kind, rules, where);
    if (kind === 'any' && elem.tag === 'message' && elem.type.fullName !== ANY) {
      const extra = Object.keys(checked).filter((key) => key !== 'required');
      if (extra.length > 0)
        throw new Error(`pgv: any.${extra.join(', any.')} on non-Any message field ${where}`);
    }
    if (kind === 'message') {
      out.message = checked;
    } else {
      if (out.kind !== undefined) throw new Error(`pgv: two rule kinds (${out.kind}, ${kind}) on ${where}`);
      out.kind = kind;
      out.rules = checked;
    }
  }
  return out;
}

function describeElem(elem: Elem): string {
  if (elem.tag === 'scalar') return elem.scalar;
  if (elem.tag === 'enum') return `enum ${elem.enumType.fullName}`;
  return `message ${elem.type.fullName}`;
}

function optionEntries(obj: protobuf.ReflectionObject): Array<[string, unknown]> {
  const parsed: unknown = obj.parsedOptions;
  if (!Array.isArray(parsed)) return [];
  const out: Array<[string, unknown]> = [];
  for (const entry of parsed) if (isObject(entry)) out.push(...Object.entries(entry));
  return out;
}

function deepMerge(a: unknown, b: unknown): unknown {
  if (!isObject(a) || !isObject(b)) return b;
  const out: JsonObject = { ...a };
  for (const [key, value] of Object.entries(b)) out[key] = key in out ? deepMerge(out[key], value) : value;
  return out;
}

function validateOptions(
  obj: protobuf.ReflectionObject,
  allowed: readonly string[],
  where: string,
): JsonObject {
  let merged: JsonObject = {};
  for (const [name, value] of optionEntries(obj)) {
    if (!name.startsWith('(validate.')) continue;
    if (!allowed.includes(name)) throw new Error(`pgv: unsupported option ${name} on ${where}`);
    merged = deepMerge(merged, { [name]: value }) as JsonObject;
  }
  return merged;
}

const planCache = new WeakMap<protobuf.Field, FieldPlan>();

/**
 * The checked rules of one field. Throws if the field carries a rule kind or key the evaluator does not
 * implement, or one that does not fit the field's type.
 */
export function compileFieldRules(field: protobuf.Field): FieldPlan {
  const hit = planCache.get(field);
  if (hit !== undefined) return hit;
  const where = field.fullName.replace(/^\./, '');
  const raw = validateOptions(field, supportedValidateOptions.field, where)['(validate.rules)'];
  const elem = fieldElem(field);
  const plan: FieldPlan = { elem, skip: false };
  if (raw !== undefined) {
    if (!isObject(raw)) throw new Error(`pgv: (validate.rules) on ${where} is not an object`);
    if (field instanceof protobuf.MapField) {
      for (const kind of Object.keys(raw)) {
        if (kind !== 'map') throw new Error(`pgv: rule kind "${kind}" does not fit map field ${where}`);
      }
      const map = checkRuleKeys('map', raw.map, where);
      plan.map = map;
      plan.keyElem = { tag: 'scalar', scalar: field.keyType };
      if (map.keys !== undefined) plan.keys = compileElemRules(map.keys, plan.keyElem, `${where} (keys)`);
      if (map.values !== undefined) plan.values = compileElemRules(map.values, elem, `${where} (values)`);
      plan.skip = plan.values?.message?.skip === true;
    } else if (field.repeated) {
      for (const kind of Object.keys(raw)) {
        if (kind !== 'repeated')
          throw new Error(`pgv: rule kind "${kind}" does not fit repeated field ${where}`);
      }
      const repeated = checkRuleKeys('repeated', raw.repeated, where);
      plan.repeated = repeated;
      if (repeated.items !== undefined)
        plan.items = compileElemRules(repeated.items, elem, `${where} (items)`);
      plan.skip = plan.items?.message?.skip === true;
    } else {
      plan.single = compileElemRules(raw, elem, where);
      plan.skip = plan.single.message?.skip === true;
    }
  }
  planCache.set(field, plan);
  return plan;
}

function messageFlags(type: protobuf.Type): { disabled: boolean; oneofRequired: Set<protobuf.OneOf> } {
  const where = type.fullName.replace(/^\./, '');
  const opts = validateOptions(type, supportedValidateOptions.message, where);
  const oneofRequired = new Set<protobuf.OneOf>();
  for (const oneof of type.oneofsArray) {
    const o = validateOptions(oneof, supportedValidateOptions.oneof, `${where}.${oneof.name}`);
    if (o['(validate.required)'] === true) oneofRequired.add(oneof);
  }
  return {
    disabled: opts['(validate.disabled)'] === true || opts['(validate.ignored)'] === true,
    oneofRequired,
  };
}

/** Flattened rule paths of one rules object: `string.min_len`, `repeated.items`, ... */
function flattenRuleKinds(raw: JsonObject, out: Set<string>): void {
  for (const [kind, rules] of Object.entries(raw)) {
    if (!isObject(rules)) continue;
    for (const [key, value] of Object.entries(rules)) {
      out.add(`${kind}.${key}`);
      if ((key === 'items' || key === 'keys' || key === 'values') && isObject(value))
        flattenRuleKinds(value, out);
    }
  }
}

export interface RuleInventory {
  /** Message types visited. */
  types: number;
  /** Fields that carry `(validate.rules)`. */
  ruledFields: number;
  /** `kind.key` → fields using it (full names). */
  kinds: Map<string, string[]>;
  /** Oneofs with `(validate.required)`, messages with `(validate.disabled)`/`(validate.ignored)`. */
  requiredOneofs: number;
  disabledMessages: number;
}

/**
 * Walks every message type reachable (through fields) from the given types, compiles each field's rules
 * (throwing on anything unsupported) and lists the rule kinds found.
 */
export function ruleInventory(typeNames: readonly string[]): RuleInventory {
  const seen = new Set<protobuf.Type>();
  const queue: protobuf.Type[] = [];
  for (const name of typeNames) {
    const type = findMessageType(name);
    if (type === undefined) throw new Error(`pgv: unknown message type ${name}`);
    queue.push(type);
  }
  const inventory: RuleInventory = {
    types: 0,
    ruledFields: 0,
    kinds: new Map(),
    requiredOneofs: 0,
    disabledMessages: 0,
  };
  while (queue.length > 0) {
    const type = queue.pop();
    if (type === undefined || seen.has(type)) continue;
    seen.add(type);
    inventory.types++;
    const flags = messageFlags(type);
    inventory.requiredOneofs += flags.oneofRequired.size;
    if (flags.disabled) inventory.disabledMessages++;
    for (const field of type.fieldsArray) {
      compileFieldRules(field);
      const raw = validateOptions(field, supportedValidateOptions.field, field.fullName)['(validate.rules)'];
      if (isObject(raw)) {
        inventory.ruledFields++;
        const kinds = new Set<string>();
        flattenRuleKinds(raw, kinds);
        for (const kind of kinds) {
          const users = inventory.kinds.get(kind) ?? [];
          users.push(field.fullName.replace(/^\./, ''));
          inventory.kinds.set(kind, users);
        }
      }
      if (field.resolvedType instanceof protobuf.Type) queue.push(field.resolvedType);
    }
  }
  return inventory;
}

// ---------------------------------------------------------------------------------------------------
// Value parsing.

function toBigInt(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : undefined;
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return BigInt(value.trim());
  if (isObject(value) && typeof value.low === 'number' && typeof value.high === 'number') {
    // a Long, as protobufjs may produce for 64-bit option values
    const unsigned = value.unsigned === true;
    const low = BigInt(value.low >>> 0);
    const high = BigInt(value.high);
    const n = (unsigned ? BigInt.asUintN(32, high) : high) * 2n ** 32n + low;
    return n;
  }
  return undefined;
}

function toFloat(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    if (value === 'NaN') return Number.NaN;
    if (value === 'Infinity') return Number.POSITIVE_INFINITY;
    if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
    if (value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  }
  return undefined;
}

type Num = number | bigint;

function cmp(a: Num, b: Num): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const durationRe = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

/** Duration JSON ("1.5s") → { seconds, nanos } with the sign on both, or undefined if malformed. */
export function parseDuration(value: unknown): { seconds: bigint; nanos: number } | undefined {
  if (typeof value !== 'string') return undefined;
  const m = durationRe.exec(value);
  if (m === null) return undefined;
  const sign = m[1] === '-' ? -1 : 1;
  const seconds = BigInt(m[2] ?? '0') * BigInt(sign);
  const nanos = Number((m[3] ?? '').padEnd(9, '0')) * sign;
  return { seconds, nanos: nanos === 0 ? 0 : nanos };
}

function formatDuration(v: Num): string {
  const n = BigInt(v);
  const abs = n < 0n ? -n : n;
  const frac = (abs % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${n < 0n ? '-' : ''}${abs / 1_000_000_000n}${frac === '' ? '' : `.${frac}`}s`;
}

function formatTimestamp(v: Num): string {
  const ms = BigInt(v) / 1_000_000n;
  const date = new Date(Number(ms));
  return Number.isNaN(date.getTime()) ? `${v}ns` : date.toISOString();
}

function durationNanos(value: unknown): bigint | undefined {
  const d = parseDuration(value);
  return d === undefined ? undefined : d.seconds * 1_000_000_000n + BigInt(d.nanos);
}

/** A Duration or Timestamp given as an option value ({seconds, nanos}, both optional) → nanoseconds. */
function optionNanos(value: unknown): bigint {
  if (!isObject(value))
    throw new Error(`pgv: duration/timestamp rule value ${JSON.stringify(value)} is not a message`);
  const seconds = toBigInt(value.seconds ?? 0);
  const nanos = toBigInt(value.nanos ?? 0);
  if (seconds === undefined || nanos === undefined)
    throw new Error('pgv: malformed duration/timestamp rule value');
  return seconds * 1_000_000_000n + nanos;
}

const timestampRe = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i;

function timestampNanos(value: unknown): bigint | undefined {
  if (typeof value !== 'string') return undefined;
  const m = timestampRe.exec(value);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms)) return undefined;
  let offsetMinutes = 0;
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    offsetMinutes = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  }
  const seconds = BigInt(ms / 1000 - offsetMinutes * 60);
  return seconds * 1_000_000_000n + BigInt((frac ?? '').padEnd(9, '0') || '0');
}

function base64Bytes(value: unknown): Uint8Array | undefined {
  if (typeof value !== 'string') return undefined;
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) return undefined;
  return new Uint8Array(
    Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64'),
  );
}

const patternCache = new Map<string, RE2JS>();

function compiledPattern(pattern: string): RE2JS {
  let re = patternCache.get(pattern);
  if (re === undefined) {
    re = RE2JS.compile(pattern);
    patternCache.set(pattern, re);
  }
  return re;
}

// PGV's well-known regexes (RFC 7230). Note that PGV writes the header-name class as `*+-.`, where `+-.`
// is a range (0x2B-0x2E) and so also admits ',': reproduced here as PGV generates it.
const headerNameStrict = RE2JS.compile("^:?[0-9a-zA-Z!#$%&'*+\\-.^_|~`,]+$");
const headerValueStrict = RE2JS.compile('^[^\\x00-\\x08\\x0A-\\x1F\\x7F]*$');
const headerLoose = RE2JS.compile('^[^\\x00\\x0A\\x0D]*$');

function isHostname(s: string): boolean {
  const host = s.endsWith('.') ? s.slice(0, -1) : s;
  if (host.length === 0 || host.length > 253) return false;
  return host
    .split('.')
    .every(
      (label) =>
        label.length > 0 && label.length <= 63 && /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/.test(label),
    );
}

function isEmail(s: string): boolean {
  const inner = /^[^<]*<([^>]*)>$/.exec(s)?.[1] ?? s;
  if (inner.length > 254) return false;
  const at = inner.lastIndexOf('@');
  if (at <= 0) return false;
  const local = inner.slice(0, at);
  return local.length <= 64 && /^[^\s@]+$/.test(local) && isHostname(inner.slice(at + 1));
}

function isUri(s: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(s)) return false;
  try {
    new URL(s);
    return true;
  } catch {
    return false;
  }
}

function isUriRef(s: string): boolean {
  // RFC 3986 URI-reference characters; relative references are allowed.
  return /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/.test(s);
}

// ---------------------------------------------------------------------------------------------------
// Evaluating rules on one value.

class Sink {
  readonly violations: Violation[] = [];
  add(path: string, rule: string, message: string): void {
    this.violations.push({ path, rule, message });
  }
}

function show(value: unknown): string {
  return typeof value === 'bigint' ? value.toString() : JSON.stringify(value);
}

function checkRange(
  value: Num,
  rules: JsonObject,
  conv: (x: unknown) => Num | undefined,
  path: string,
  rule: string,
  sink: Sink,
  fmt: (v: Num) => string = show,
): void {
  const bound = (key: string): Num | undefined => {
    const raw = rules[key];
    if (raw === undefined) return undefined;
    const v = conv(raw);
    if (v === undefined) throw new Error(`pgv: malformed ${rule}.${key} value ${show(raw)}`);
    return v;
  };
  const c = bound('const');
  if (c !== undefined && cmp(value, c) !== 0) sink.add(path, `${rule}.const`, `must equal ${fmt(c)}`);
  const gt = bound('gt');
  const gte = bound('gte');
  const lt = bound('lt');
  const lte = bound('lte');
  const lowKey = gt !== undefined ? 'gt' : gte !== undefined ? 'gte' : undefined;
  const low = gt ?? gte;
  const highKey = lt !== undefined ? 'lt' : lte !== undefined ? 'lte' : undefined;
  const high = lt ?? lte;
  const lowOk = low === undefined || (lowKey === 'gt' ? cmp(value, low) > 0 : cmp(value, low) >= 0);
  const highOk = high === undefined || (highKey === 'lt' ? cmp(value, high) < 0 : cmp(value, high) <= 0);
  if (low !== undefined && high !== undefined && cmp(high, low) <= 0) {
    // PGV: an upper bound not above the lower bound means "outside the range".
    if (!lowOk && !highOk) {
      sink.add(path, `${rule}.${lowKey}`, `must be ${lowKey} ${fmt(low)} or ${highKey} ${fmt(high)}`);
    }
    return;
  }
  if (!lowOk)
    sink.add(
      path,
      `${rule}.${lowKey}`,
      `must be ${lowKey === 'gt' ? '>' : '>='} ${fmt(low ?? 0)}, got ${fmt(value)}`,
    );
  if (!highOk)
    sink.add(
      path,
      `${rule}.${highKey}`,
      `must be ${highKey === 'lt' ? '<' : '<='} ${fmt(high ?? 0)}, got ${fmt(value)}`,
    );
  const inList = asList(rules.in).map((x) => conv(x));
  if (inList.length > 0 && !inList.some((x) => x !== undefined && cmp(value, x) === 0)) {
    sink.add(
      path,
      `${rule}.in`,
      `must be one of ${inList.map((x) => (x === undefined ? '?' : fmt(x))).join(', ')}`,
    );
  }
  const notIn = asList(rules.not_in).map((x) => conv(x));
  if (notIn.some((x) => x !== undefined && cmp(value, x) === 0)) {
    sink.add(path, `${rule}.not_in`, `must not be ${fmt(value)}`);
  }
}

function evalString(s: string, r: JsonObject, path: string, rule: string, sink: Sink): void {
  if (r.ignore_empty === true && s === '') return;
  const runes = [...s].length;
  const bytes = Buffer.byteLength(s, 'utf8');
  const n = (key: string): number | undefined => {
    const v = r[key];
    if (v === undefined) return undefined;
    const b = toBigInt(v);
    if (b === undefined) throw new Error(`pgv: malformed ${rule}.${key}`);
    return Number(b);
  };
  if (r.const !== undefined && s !== r.const) sink.add(path, `${rule}.const`, `must equal ${show(r.const)}`);
  const len = n('len');
  if (len !== undefined && runes !== len) sink.add(path, `${rule}.len`, `must be ${len} characters long`);
  const minLen = n('min_len');
  if (minLen !== undefined && runes < minLen) {
    sink.add(path, `${rule}.min_len`, `must be at least ${minLen} characters long (got ${runes})`);
  }
  const maxLen = n('max_len');
  if (maxLen !== undefined && runes > maxLen) {
    sink.add(path, `${rule}.max_len`, `must be at most ${maxLen} characters long (got ${runes})`);
  }
  const lenBytes = n('len_bytes');
  if (lenBytes !== undefined && bytes !== lenBytes)
    sink.add(path, `${rule}.len_bytes`, `must be ${lenBytes} bytes`);
  const minBytes = n('min_bytes');
  if (minBytes !== undefined && bytes < minBytes) {
    sink.add(path, `${rule}.min_bytes`, `must be at least ${minBytes} bytes (got ${bytes})`);
  }
  const maxBytes = n('max_bytes');
  if (maxBytes !== undefined && bytes > maxBytes) {
    sink.add(path, `${rule}.max_bytes`, `must be at most ${maxBytes} bytes (got ${bytes})`);
  }
  if (typeof r.pattern === 'string' && !compiledPattern(r.pattern).test(s)) {
    sink.add(path, `${rule}.pattern`, `must match the RE2 pattern ${JSON.stringify(r.pattern)}`);
  }
  if (typeof r.prefix === 'string' && !s.startsWith(r.prefix)) {
    sink.add(path, `${rule}.prefix`, `must start with ${show(r.prefix)}`);
  }
  if (typeof r.suffix === 'string' && !s.endsWith(r.suffix)) {
    sink.add(path, `${rule}.suffix`, `must end with ${show(r.suffix)}`);
  }
  if (typeof r.contains === 'string' && !s.includes(r.contains)) {
    sink.add(path, `${rule}.contains`, `must contain ${show(r.contains)}`);
  }
  if (typeof r.not_contains === 'string' && s.includes(r.not_contains)) {
    sink.add(path, `${rule}.not_contains`, `must not contain ${show(r.not_contains)}`);
  }
  const inList = asList(r.in);
  if (inList.length > 0 && !inList.includes(s)) {
    sink.add(path, `${rule}.in`, `must be one of ${inList.map(show).join(', ')}`);
  }
  if (asList(r.not_in).includes(s)) sink.add(path, `${rule}.not_in`, `must not be ${show(s)}`);
  const wellKnown: Array<[string, (x: string) => boolean, string]> = [
    ['email', isEmail, 'a valid email address'],
    ['hostname', isHostname, 'a valid hostname'],
    ['ip', (x) => isIPv4(x) || (isIPv6(x) && !x.includes('%')), 'a valid IP address'],
    ['ipv4', isIPv4, 'a valid IPv4 address'],
    ['ipv6', (x) => isIPv6(x) && !x.includes('%'), 'a valid IPv6 address'],
    ['uri', isUri, 'an absolute URI'],
    ['uri_ref', isUriRef, 'a URI reference'],
    [
      'address',
      (x) => isHostname(x) || isIPv4(x) || (isIPv6(x) && !x.includes('%')),
      'a hostname or IP address',
    ],
    ['uuid', (x) => /^[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$/.test(x), 'a UUID'],
  ];
  for (const [key, test, what] of wellKnown) {
    if (r[key] === true && !test(s)) sink.add(path, `${rule}.${key}`, `must be ${what}`);
  }
  const known = r.well_known_regex;
  if (known !== undefined) {
    const strict = r.strict !== false;
    const name = known === 1 ? 'HTTP_HEADER_NAME' : known === 2 ? 'HTTP_HEADER_VALUE' : known;
    const re = !strict ? headerLoose : name === 'HTTP_HEADER_NAME' ? headerNameStrict : headerValueStrict;
    if (!re.test(s)) {
      const what = name === 'HTTP_HEADER_NAME' ? 'header name' : 'header value';
      sink.add(
        path,
        `${rule}.well_known_regex`,
        strict
          ? `must be a valid HTTP ${what} (RFC 7230)`
          : `must be a valid HTTP ${what}: no NUL, CR or LF characters`,
      );
    }
  }
}

function optionBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return new Uint8Array(Buffer.from(value, 'latin1'));
  throw new Error(`pgv: malformed bytes rule value ${show(value)}`);
}

function bytesIncludes(hay: Uint8Array, needle: Uint8Array, at?: 'start' | 'end'): boolean {
  const h = Buffer.from(hay);
  const n = Buffer.from(needle);
  if (at === 'start') return h.subarray(0, n.length).equals(n);
  if (at === 'end') return n.length <= h.length && h.subarray(h.length - n.length).equals(n);
  return h.includes(n);
}

function evalBytes(b: Uint8Array, r: JsonObject, path: string, rule: string, sink: Sink): void {
  if (r.ignore_empty === true && b.length === 0) return;
  const n = (key: string): number | undefined =>
    r[key] === undefined ? undefined : Number(toBigInt(r[key]));
  const eq = (x: Uint8Array, y: Uint8Array) => Buffer.from(x).equals(Buffer.from(y));
  if (r.const !== undefined && !eq(b, optionBytes(r.const)))
    sink.add(path, `${rule}.const`, 'must equal the const');
  const len = n('len');
  if (len !== undefined && b.length !== len) sink.add(path, `${rule}.len`, `must be ${len} bytes`);
  const minLen = n('min_len');
  if (minLen !== undefined && b.length < minLen)
    sink.add(path, `${rule}.min_len`, `must be at least ${minLen} bytes`);
  const maxLen = n('max_len');
  if (maxLen !== undefined && b.length > maxLen)
    sink.add(path, `${rule}.max_len`, `must be at most ${maxLen} bytes`);
  if (typeof r.pattern === 'string' && !compiledPattern(r.pattern).test(Buffer.from(b).toString('utf8'))) {
    sink.add(path, `${rule}.pattern`, `must match the RE2 pattern ${JSON.stringify(r.pattern)}`);
  }
  if (r.prefix !== undefined && !bytesIncludes(b, optionBytes(r.prefix), 'start')) {
    sink.add(path, `${rule}.prefix`, 'must start with the prefix');
  }
  if (r.suffix !== undefined && !bytesIncludes(b, optionBytes(r.suffix), 'end')) {
    sink.add(path, `${rule}.suffix`, 'must end with the suffix');
  }
  if (r.contains !== undefined && !bytesIncludes(b, optionBytes(r.contains))) {
    sink.add(path, `${rule}.contains`, 'must contain the given bytes');
  }
  const inList = asList(r.in).map(optionBytes);
  if (inList.length > 0 && !inList.some((x) => eq(b, x)))
    sink.add(path, `${rule}.in`, 'must be one of the listed values');
  if (
    asList(r.not_in)
      .map(optionBytes)
      .some((x) => eq(b, x))
  )
    sink.add(path, `${rule}.not_in`, 'must not be this value');
  if (r.ip === true && b.length !== 4 && b.length !== 16)
    sink.add(path, `${rule}.ip`, 'must be 4 or 16 bytes');
  if (r.ipv4 === true && b.length !== 4) sink.add(path, `${rule}.ipv4`, 'must be 4 bytes');
  if (r.ipv6 === true && b.length !== 16) sink.add(path, `${rule}.ipv6`, 'must be 16 bytes');
}

function enumNumber(enumType: protobuf.Enum, value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string') return enumType.values[value];
  return undefined;
}

function evalEnum(
  enumType: protobuf.Enum,
  value: unknown,
  r: JsonObject,
  path: string,
  rule: string,
  sink: Sink,
): void {
  const n = enumNumber(enumType, value);
  if (n === undefined) return; // reported as json.enum by the walker
  if (r.defined_only === true && !Object.values(enumType.values).includes(n)) {
    sink.add(path, `${rule}.defined_only`, `${n} is not a defined value of ${enumType.fullName.slice(1)}`);
  }
  const label = enumType.valuesById[n] ?? String(n);
  const asNum = (x: unknown): number | undefined => enumNumber(enumType, x);
  if (r.const !== undefined && asNum(r.const) !== n)
    sink.add(path, `${rule}.const`, `must be ${show(r.const)}`);
  const inList = asList(r.in).map(asNum);
  if (inList.length > 0 && !inList.includes(n)) sink.add(path, `${rule}.in`, `${label} is not allowed here`);
  if (asList(r.not_in).map(asNum).includes(n))
    sink.add(path, `${rule}.not_in`, `${label} is not allowed here`);
}

/** Applies one kind's rules to a present (or defaulted) scalar value, given as JSON. */
function evalScalar(
  kind: string,
  value: unknown,
  r: JsonObject,
  path: string,
  rule: string,
  sink: Sink,
): void {
  if (integerKinds.has(kind)) {
    const v = toBigInt(value);
    if (v === undefined) return;
    if (r.ignore_empty === true && v === 0n) return;
    checkRange(v, r, toBigInt, path, rule, sink);
  } else if (floatKinds.has(kind)) {
    const v = toFloat(value);
    if (v === undefined) return;
    if (r.ignore_empty === true && v === 0) return;
    checkRange(v, r, toFloat, path, rule, sink);
  } else if (kind === 'bool') {
    if (typeof value === 'boolean' && r.const !== undefined && value !== r.const) {
      sink.add(path, `${rule}.const`, `must be ${show(r.const)}`);
    }
  } else if (kind === 'string') {
    if (typeof value === 'string') evalString(value, r, path, rule, sink);
  } else if (kind === 'bytes') {
    const b = base64Bytes(value);
    if (b !== undefined) evalBytes(b, r, path, rule, sink);
  } else {
    throw new Error(`pgv: no evaluator for scalar kind ${kind}`);
  }
}

function scalarDefault(elem: Elem): unknown {
  if (elem.tag === 'enum') return 0;
  if (elem.tag !== 'scalar') return undefined;
  if (elem.scalar === 'string' || elem.scalar === 'bytes') return '';
  if (elem.scalar === 'bool') return false;
  return 0;
}

/**
 * Applies compiled rules to one value. `present` is false when the field is absent; scalar rules then see
 * the proto3 default (callers skip fields with explicit presence).
 */
function evalElem(
  rules: ElemRules,
  elem: Elem,
  value: unknown,
  present: boolean,
  path: string,
  prefix: string,
  sink: Sink,
): void {
  if (rules.message?.required === true && !present)
    sink.add(path, `${prefix}message.required`, 'value is required');
  const kind = rules.kind;
  const r = rules.rules;
  if (kind === undefined || r === undefined) return;
  const rule = `${prefix}${kind}`;
  if (kind === 'duration' || kind === 'timestamp') {
    if (!present) {
      if (r.required === true) sink.add(path, `${rule}.required`, 'value is required');
      return;
    }
    const v = kind === 'duration' ? durationNanos(value) : timestampNanos(value);
    if (v === undefined) return; // malformed JSON is reported by the walker
    checkRange(v, r, optionNanos, path, rule, sink, kind === 'duration' ? formatDuration : formatTimestamp);
    if (kind === 'timestamp') {
      const now = BigInt(Date.now()) * 1_000_000n;
      if (r.lt_now === true && v >= now) sink.add(path, `${rule}.lt_now`, 'must be in the past');
      if (r.gt_now === true && v <= now) sink.add(path, `${rule}.gt_now`, 'must be in the future');
      if (r.within !== undefined) {
        const within = optionNanos(r.within);
        const delta = v > now ? v - now : now - v;
        if (delta > within)
          sink.add(path, `${rule}.within`, `must be within ${formatDuration(within)} of now`);
      }
    }
    return;
  }
  if (kind === 'any') {
    if (!present) {
      if (r.required === true) sink.add(path, `${rule}.required`, 'value is required');
      return;
    }
    const url = isObject(value) ? value['@type'] : undefined;
    const inList = asList(r.in);
    if (inList.length > 0 && !inList.includes(url))
      sink.add(path, `${rule}.in`, `type URL ${show(url)} not allowed`);
    if (asList(r.not_in).includes(url)) sink.add(path, `${rule}.not_in`, `type URL ${show(url)} not allowed`);
    return;
  }
  if (kind === 'enum') {
    if (elem.tag !== 'enum') throw new Error(`pgv: enum rules on ${describeElem(elem)}`);
    evalEnum(elem.enumType, present ? value : 0, r, path, rule, sink);
    return;
  }
  if (elem.tag === 'message') {
    // a wrapper (UInt32Value, StringValue, ...): the rules apply to the wrapped value when present
    if (present) evalScalar(kind, value, r, path, rule, sink);
    return;
  }
  evalScalar(kind, present ? value : scalarDefault(elem), r, path, rule, sink);
}

// ---------------------------------------------------------------------------------------------------
// Walking a JSON message.

interface TypeInfo {
  byKey: Map<string, protobuf.Field>;
  disabled: boolean;
  oneofRequired: Set<protobuf.OneOf>;
}

const typeInfoCache = new WeakMap<protobuf.Type, TypeInfo>();

function typeInfo(type: protobuf.Type): TypeInfo {
  let info = typeInfoCache.get(type);
  if (info === undefined) {
    const byKey = new Map<string, protobuf.Field>();
    for (const field of type.fieldsArray) {
      byKey.set(field.name, field);
      byKey.set(field.jsonName, field);
    }
    info = { byKey, ...messageFlags(type) };
    typeInfoCache.set(type, info);
  }
  return info;
}

function isSyntheticOneof(oneof: protobuf.OneOf): boolean {
  const only = oneof.fieldsArray[0];
  return oneof.fieldsArray.length === 1 && only !== undefined && only.options?.proto3_optional === true;
}

function isDefaultScalar(elem: Elem, value: unknown): boolean {
  if (elem.tag === 'enum') return enumNumber(elem.enumType, value) === 0;
  if (elem.tag !== 'scalar') return false;
  if (elem.scalar === 'string' || elem.scalar === 'bytes') return value === '';
  if (elem.scalar === 'bool') return value === false;
  const n = integerKinds.has(elem.scalar) ? toBigInt(value) : toFloat(value);
  return n !== undefined && cmp(n, 0) === 0 && !Object.is(n, -0);
}

/** Whether Envoy would see the field as set (proto3: an implicit scalar holding its default is not). */
function isSetForEnvoy(field: protobuf.Field, elem: Elem, value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (field instanceof protobuf.MapField) return isObject(value) && Object.keys(value).length > 0;
  if (field.partOf !== null || elem.tag === 'message') return true;
  return !isDefaultScalar(elem, value);
}

function checkScalarJson(elem: Elem, value: unknown, path: string, sink: Sink): void {
  if (elem.tag === 'enum') {
    if (typeof value === 'string') {
      if (elem.enumType.values[value] === undefined) {
        sink.add(path, 'json.enum', `${show(value)} is not a value of ${elem.enumType.fullName.slice(1)}`);
        return;
      }
    } else if (typeof value !== 'number' || !Number.isInteger(value)) {
      sink.add(path, 'json.type', `expected an enum name, got ${show(value)}`);
      return;
    }
    const n = enumNumber(elem.enumType, value);
    const name = n === undefined ? undefined : elem.enumType.valuesById[n];
    if (name !== undefined && elem.enumType.valuesOptions?.[name]?.deprecated === true) {
      sink.add(path, 'deprecated', `enum value ${elem.enumType.fullName.slice(1)}.${name} is deprecated`);
    }
    return;
  }
  if (elem.tag !== 'scalar') return;
  const kind = elem.scalar;
  if (kind === 'string') {
    if (typeof value !== 'string') sink.add(path, 'json.type', `expected a string, got ${show(value)}`);
  } else if (kind === 'bool') {
    if (typeof value !== 'boolean') sink.add(path, 'json.type', `expected a boolean, got ${show(value)}`);
  } else if (kind === 'bytes') {
    if (base64Bytes(value) === undefined) sink.add(path, 'json.type', 'expected base64 bytes');
  } else if (floatKinds.has(kind)) {
    if (toFloat(value) === undefined) sink.add(path, 'json.type', `expected a number, got ${show(value)}`);
  } else {
    const n = toBigInt(value);
    const range = integerRanges[kind];
    if (n === undefined || (typeof value !== 'number' && typeof value !== 'string')) {
      sink.add(path, 'json.type', `expected an integer, got ${show(value)}`);
    } else if (range !== undefined && (n < range[0] || n > range[1])) {
      sink.add(path, 'json.range', `${n} is out of range for ${kind}`);
    }
  }
}

const maxDurationSeconds = 9_223_372_035n;

function walkWellKnown(type: protobuf.Type, json: unknown, path: string, sink: Sink): boolean {
  const name = type.fullName;
  if (name === DURATION) {
    const d = parseDuration(json);
    if (d === undefined) {
      sink.add(path, 'json.duration', `expected a duration like "1.5s", got ${show(json)}`);
    } else if (d.seconds < 0n || d.nanos < 0) {
      sink.add(path, 'envoy.duration', `negative duration ${show(json)} is rejected by Envoy`);
    } else if (d.seconds > maxDurationSeconds) {
      sink.add(path, 'envoy.duration', `duration ${show(json)} exceeds Envoy's ${maxDurationSeconds}s limit`);
    }
    return true;
  }
  if (name === TIMESTAMP) {
    if (timestampNanos(json) === undefined)
      sink.add(path, 'json.timestamp', `expected an RFC 3339 timestamp`);
    return true;
  }
  if (name === ANY) {
    walkAny(json, path, sink);
    return true;
  }
  const wrapped = wrapperKinds[name];
  if (wrapped !== undefined) {
    checkScalarJson({ tag: 'scalar', scalar: wrapped }, json, path, sink);
    return true;
  }
  if (name === '.google.protobuf.Struct') {
    if (!isObject(json)) sink.add(path, 'json.type', 'expected a JSON object');
    return true;
  }
  if (name === '.google.protobuf.ListValue') {
    if (!Array.isArray(json)) sink.add(path, 'json.type', 'expected a JSON array');
    return true;
  }
  if (name === '.google.protobuf.Value') return true;
  if (name === '.google.protobuf.FieldMask') {
    if (typeof json !== 'string') sink.add(path, 'json.type', 'expected a comma-separated field mask');
    return true;
  }
  return false;
}

function walkAny(json: unknown, path: string, sink: Sink): void {
  if (!isObject(json)) {
    sink.add(path, 'json.type', 'expected an Any object with "@type"');
    return;
  }
  const url = json['@type'];
  if (typeof url !== 'string' || url === '') {
    sink.add(path, 'any.type_url', 'Any has no "@type"');
    return;
  }
  const typeName = url.slice(url.lastIndexOf('/') + 1);
  const type = findMessageType(typeName);
  if (type === undefined) {
    sink.add(path, 'any.unknown_type', `Any type ${show(url)} is not a known message type`);
    return;
  }
  let payload: unknown;
  if (jsonValueTypes.has(type.fullName)) {
    payload = json.value;
    const extra = Object.keys(json).filter((k) => k !== '@type' && k !== 'value');
    for (const key of extra) sink.add(join(path, key), 'json.unknown_field', `unknown field ${show(key)}`);
  } else {
    const { '@type': _ignored, ...rest } = json;
    payload = rest;
  }
  // Envoy validates an extension's typed config itself when it instantiates it, whatever PGV did above.
  walkMessage(type, payload, path, true, sink);
  if (typedStructTypes.has(type.fullName) && isObject(payload)) {
    // Envoy converts a TypedStruct's value into the message its type_url names, then validates that.
    const innerUrl = payload.typeUrl ?? payload.type_url;
    if (typeof innerUrl === 'string' && innerUrl !== '') {
      const inner = findMessageType(innerUrl.slice(innerUrl.lastIndexOf('/') + 1));
      if (inner === undefined) {
        sink.add(
          join(path, 'typeUrl'),
          'any.unknown_type',
          `TypedStruct type ${show(innerUrl)} is not known`,
        );
      } else {
        walkMessage(inner, payload.value ?? {}, join(path, 'value'), true, sink);
      }
    }
  }
}

function walkValue(elem: Elem, value: unknown, path: string, pgv: boolean, sink: Sink): void {
  if (elem.tag === 'message') walkMessage(elem.type, value, path, pgv, sink);
  else checkScalarJson(elem, value, path, sink);
}

function walkMessage(type: protobuf.Type, json: unknown, path: string, pgv: boolean, sink: Sink): void {
  if (walkWellKnown(type, json, path, sink)) return;
  if (!isObject(json)) {
    sink.add(path, 'json.type', `expected a ${type.fullName.slice(1)} object, got ${show(json)}`);
    return;
  }
  const info = typeInfo(type);
  for (const key of Object.keys(json)) {
    if (!info.byKey.has(key)) {
      sink.add(join(path, key), 'json.unknown_field', `${type.fullName.slice(1)} has no field ${show(key)}`);
    }
  }
  const rulesOn = pgv && !info.disabled;
  const oneofCounts = new Map<protobuf.OneOf, string[]>();
  for (const field of type.fieldsArray) {
    const key = json[field.jsonName] !== undefined ? field.jsonName : field.name;
    const raw = json[key];
    const fieldPath = join(path, field.jsonName);
    const plan = compileFieldRules(field);
    const isValue = plan.elem.tag === 'message' && plan.elem.type.fullName === '.google.protobuf.Value';
    const present = raw !== undefined && (raw !== null || isValue);
    if (present && field.partOf !== null) {
      oneofCounts.set(field.partOf, [...(oneofCounts.get(field.partOf) ?? []), field.jsonName]);
    }
    if (field.options?.deprecated === true && isSetForEnvoy(field, plan.elem, raw)) {
      sink.add(fieldPath, 'deprecated', `field ${field.fullName.slice(1)} is deprecated`);
    }
    const childPgv = pgv && !plan.skip;
    if (field instanceof protobuf.MapField) {
      const entries = present && isObject(raw) ? Object.entries(raw) : [];
      if (present && !isObject(raw)) sink.add(fieldPath, 'json.type', 'expected a JSON object (map)');
      if (rulesOn) evalMap(plan, entries, fieldPath, sink);
      for (const [k, v] of entries) {
        const entryPath = `${fieldPath}[${JSON.stringify(k)}]`;
        if (plan.keyElem !== undefined && plan.keyElem.tag === 'scalar' && plan.keyElem.scalar !== 'string') {
          checkScalarJson(plan.keyElem, mapKeyValue(plan.keyElem.scalar, k), entryPath, sink);
        }
        if (v === null) continue;
        walkValue(plan.elem, v, entryPath, childPgv, sink);
      }
    } else if (field.repeated) {
      const items = present && Array.isArray(raw) ? raw : [];
      if (present && !Array.isArray(raw)) sink.add(fieldPath, 'json.type', 'expected a JSON array');
      if (rulesOn) evalRepeated(plan, items, fieldPath, sink);
      items.forEach((item, i) => {
        walkValue(plan.elem, item, `${fieldPath}[${i}]`, childPgv, sink);
      });
    } else {
      if (rulesOn && plan.single !== undefined && (present || field.partOf === null)) {
        evalElem(plan.single, plan.elem, raw, present, fieldPath, '', sink);
      }
      if (present) {
        walkValue(plan.elem, raw, fieldPath, childPgv, sink);
      } else if (plan.elem.tag === 'enum' && field.partOf === null) {
        // an absent proto3 enum holds its default; Envoy flags a deprecated default too
        checkScalarJson(plan.elem, 0, fieldPath, sink);
      }
    }
  }
  for (const oneof of type.oneofsArray) {
    if (isSyntheticOneof(oneof)) continue;
    const set = oneofCounts.get(oneof) ?? [];
    if (set.length > 1) {
      sink.add(
        join(path, camelCase(oneof.name)),
        'json.oneof',
        `oneof ${oneof.name} has several members set: ${set.join(', ')}`,
      );
    }
    if (rulesOn && set.length === 0 && info.oneofRequired.has(oneof)) {
      const members = oneof.fieldsArray.map((f) => f.jsonName).join(', ');
      sink.add(join(path, camelCase(oneof.name)), 'oneof.required', `exactly one of ${members} is required`);
    }
  }
}

function mapKeyValue(scalar: string, key: string): unknown {
  if (scalar === 'bool') return key === 'true' ? true : key === 'false' ? false : key;
  return key;
}

function canonicalKey(elem: Elem, value: unknown): string {
  if (elem.tag === 'scalar' && integerKinds.has(elem.scalar)) return String(toBigInt(value) ?? show(value));
  if (elem.tag === 'enum') return String(enumNumber(elem.enumType, value) ?? show(value));
  return JSON.stringify(value);
}

function evalRepeated(plan: FieldPlan, items: unknown[], path: string, sink: Sink): void {
  const r = plan.repeated;
  if (r === undefined) return;
  if (r.ignore_empty === true && items.length === 0) return;
  const min = r.min_items === undefined ? undefined : toBigInt(r.min_items);
  if (min !== undefined && BigInt(items.length) < min) {
    sink.add(path, 'repeated.min_items', `must have at least ${min} item(s) (got ${items.length})`);
  }
  const max = r.max_items === undefined ? undefined : toBigInt(r.max_items);
  if (max !== undefined && BigInt(items.length) > max) {
    sink.add(path, 'repeated.max_items', `must have at most ${max} item(s) (got ${items.length})`);
  }
  if (r.unique === true) {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      const key = canonicalKey(plan.elem, item);
      if (seen.has(key)) sink.add(`${path}[${i}]`, 'repeated.unique', `duplicate item ${show(item)}`);
      seen.add(key);
    });
  }
  const itemRules = plan.items;
  if (itemRules !== undefined) {
    items.forEach((item, i) => {
      evalElem(itemRules, plan.elem, item, item !== null, `${path}[${i}]`, 'repeated.items.', sink);
    });
  }
}

function evalMap(plan: FieldPlan, entries: Array<[string, unknown]>, path: string, sink: Sink): void {
  const r = plan.map;
  if (r === undefined) return;
  if (r.ignore_empty === true && entries.length === 0) return;
  const min = r.min_pairs === undefined ? undefined : toBigInt(r.min_pairs);
  if (min !== undefined && BigInt(entries.length) < min) {
    sink.add(path, 'map.min_pairs', `must have at least ${min} entr(ies) (got ${entries.length})`);
  }
  const max = r.max_pairs === undefined ? undefined : toBigInt(r.max_pairs);
  if (max !== undefined && BigInt(entries.length) > max) {
    sink.add(path, 'map.max_pairs', `must have at most ${max} entr(ies) (got ${entries.length})`);
  }
  for (const [k, v] of entries) {
    const entryPath = `${path}[${JSON.stringify(k)}]`;
    if (r.no_sparse === true && v === null)
      sink.add(entryPath, 'map.no_sparse', 'map value must not be null');
    if (plan.keys !== undefined && plan.keyElem !== undefined && plan.keyElem.tag === 'scalar') {
      evalElem(
        plan.keys,
        plan.keyElem,
        mapKeyValue(plan.keyElem.scalar, k),
        true,
        entryPath,
        'map.keys.',
        sink,
      );
    }
    if (plan.values !== undefined)
      evalElem(plan.values, plan.elem, v, v !== null, entryPath, 'map.values.', sink);
  }
}

/**
 * Validates canonical proto3 JSON of `typeName` against every PGV rule in the Envoy protos, Envoy's own
 * Duration limits, deprecated fields and enum values, unknown fields and Any payloads (recursively).
 * Throws if `typeName` is unknown or a rule kind is not implemented.
 */
export function validateMessage(typeName: string, json: unknown): Violation[] {
  protoRoot();
  const type = findMessageType(typeName);
  if (type === undefined) throw new Error(`pgv: unknown message type ${typeName}`);
  const sink = new Sink();
  walkMessage(type, json, '', true, sink);
  return sink.violations;
}

// ---------------------------------------------------------------------------------------------------
// Binary round trip and the all-in-one assertion.

function codecFor(typeName: string): MessageType | undefined {
  return messageTypeRegistry.get(typeName);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

/**
 * Encodes `message` with the generated codec, decodes and re-encodes it: the bytes must be identical and
 * toJSON must agree; toJSON → fromJSON → encode must give the same bytes too. Returns the problems found.
 */
export function checkRoundTrip(typeName: string, message: unknown): string[] {
  const codec = codecFor(typeName);
  if (codec === undefined) return [`${typeName}: no generated codec in messageTypeRegistry`];
  const problems: string[] = [];
  try {
    const first = codec.encode(message).finish();
    const decoded = codec.decode(first);
    const second = codec.encode(decoded).finish();
    if (!equalBytes(first, second)) {
      problems.push(
        `${typeName}: re-encoding the decoded message changed the bytes (${first.length} → ${second.length})`,
      );
    }
    const json = codec.toJSON(message);
    const decodedJson = codec.toJSON(decoded);
    if (!isDeepStrictEqual(json, decodedJson)) {
      problems.push(`${typeName}: toJSON differs after a binary round trip`);
    }
    const fromJson = codec.encode(codec.fromJSON(JSON.parse(JSON.stringify(json)))).finish();
    if (!equalBytes(first, fromJson))
      problems.push(`${typeName}: toJSON → fromJSON → encode changed the bytes`);
  } catch (error) {
    problems.push(`${typeName}: round trip threw: ${error instanceof Error ? error.message : String(error)}`);
  }
  return problems;
}

const resourceTypes = {
  listeners: 'envoy.config.listener.v3.Listener',
  routes: 'envoy.config.route.v3.RouteConfiguration',
  clusters: 'envoy.config.cluster.v3.Cluster',
  endpoints: 'envoy.config.endpoint.v3.ClusterLoadAssignment',
  secrets: 'envoy.extensions.transport_sockets.tls.v3.Secret',
} as const;

function resourceLabel(kind: string, index: number, resource: unknown): string {
  const name = isObject(resource) ? (resource.name ?? resource.clusterName) : undefined;
  return `${kind}[${index}]${typeof name === 'string' ? ` ${JSON.stringify(name)}` : ''}`;
}

/** Every problem validateMessage, checkRoundTrip and checkEnvoySemantics find, one line each. */
export function envoyProblems(resources: EnvoyResourceSet): string[] {
  const problems: string[] = [];
  for (const [kind, typeName] of Object.entries(resourceTypes)) {
    const list: readonly unknown[] = resources[kind as keyof typeof resourceTypes] ?? [];
    const codec = codecFor(typeName);
    if (codec === undefined) throw new Error(`pgv: no codec for ${typeName}`);
    list.forEach((resource, index) => {
      const label = resourceLabel(kind, index, resource);
      let json: unknown;
      try {
        json = codec.toJSON(resource);
      } catch (error) {
        problems.push(`${label}: toJSON threw: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
      for (const v of validateMessage(typeName, json)) {
        problems.push(`${label}: ${v.path === '' ? '(message)' : v.path}: ${v.rule}: ${v.message}`);
      }
      for (const p of checkRoundTrip(typeName, resource)) problems.push(`${label}: ${p}`);
    });
  }
  problems.push(...checkEnvoySemantics(resources).problems);
  return problems;
}

/** Throws an Error listing every problem if Envoy would reject (or warn about) the resources. */
export function assertEnvoyAccepts(resources: EnvoyResourceSet): void {
  const problems = envoyProblems(resources);
  if (problems.length > 0) {
    throw new Error(
      `Envoy would reject these resources (${problems.length} problems):\n  ${problems.join('\n  ')}`,
    );
  }
}
