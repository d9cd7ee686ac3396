/**
 * HTTPProxy field policies: each function turns one spec part into IR, or reports why it cannot (with
 * Contour's condition Type and Reason) and returns `invalid`. Shared by routes, services and virtual
 * hosts; translate/httpproxy.ts decides what an invalid part takes down with it.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { compareText } from '../compare.js';
import type { DiagnosticCode, FieldPath } from '../diagnostics.js';
import type {
  Cidr,
  Cors,
  DurationValue,
  HashPolicy,
  HeaderMatch,
  HeadersPolicy,
  HealthCheck,
  InternalRedirect,
  IpFilter,
  LocalRateLimit,
  QueryMatch,
  RateLimitDescriptor,
  RateLimitEntry,
  RetryPolicy,
  RouteAction,
} from '../model/ir.js';
import type {
  CORSPolicySpec,
  HeaderMatchConditionSpec,
  HeadersPolicySpec,
  HTTPHealthCheckPolicySpec,
  InternalRedirectPolicySpec,
  IPFilterPolicySpec,
  LoadBalancerPolicySpec,
  MatchConditionSpec,
  QueryParameterMatchConditionSpec,
  RateLimitPolicySpec,
  RedirectPolicySpec,
  RetryPolicySpec,
  TCPHealthCheckPolicySpec,
} from '../model/k8s/httpproxy.js';
import { parseGoDuration, parseTimeout } from './duration.js';
import { regexProblem } from './ingress.js';
import { isValidLiteralPath } from './validate.js';

export const invalid: unique symbol = Symbol('invalid');
export type Invalid = typeof invalid;

/** Reports a problem on the proxy being evaluated: Contour's condition Type, then the Reason as code. */
export type Fail = (type: string, code: DiagnosticCode, at: FieldPath, message: string) => Invalid;

export interface PolicyContext {
  readonly fail: Fail;
  /** Warnings that leave the proxy valid (SpecError/IgnoredField). */
  readonly warn: (type: string, at: FieldPath, message: string) => void;
  readonly maxRegexProgramSize: number;
  readonly namespace: string;
  /** Why global rate limit descriptors cannot be enforced, or undefined when the service is usable. */
  readonly rateLimitServiceProblem: () => string | undefined;
}

// ---------------------------------------------------------------------------------------------------
// Match conditions

export interface Conditions {
  /** Path pieces along the include chain, each already checked. */
  readonly path: readonly { readonly kind: 'prefix' | 'exact' | 'regex'; readonly value: string }[];
  readonly headers: readonly HeaderMatch[];
  readonly queries: readonly QueryMatch[];
}

export const noConditions: Conditions = { path: [], headers: [], queries: [] };

const headerName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The conditions of one include or route, checked. Includes may not use exact or regex paths. */
export function parseConditions(
  ctx: PolicyContext,
  specs: readonly MatchConditionSpec[],
  where: 'include' | 'route',
): Conditions | Invalid {
  const pathType = where === 'include' ? 'IncludeError' : 'RouteError';
  const path: Conditions['path'][number][] = [];
  const headers: HeaderMatch[] = [];
  const queries: QueryMatch[] = [];
  for (const spec of specs) {
    for (const kind of ['prefix', 'exact', 'regex'] as const) {
      const value = spec[kind];
      if (value === undefined) continue;
      const at = [...spec.at, kind];
      if (where === 'include' && kind !== 'prefix')
        return ctx.fail(
          pathType,
          'PathMatchConditionsNotValid',
          at,
          `include conditions may not use ${kind}`,
        );
      if (path.length > 0)
        return ctx.fail(pathType, 'PathMatchConditionsNotValid', at, 'more than one path condition');
      if (kind === 'regex') {
        const problem = regexProblem(`^${value}`, ctx.maxRegexProgramSize);
        if (problem !== undefined)
          return ctx.fail(pathType, 'PathMatchConditionsNotValid', at, `regex "${value}" ${problem}`);
        if (!value.startsWith('/'))
          return ctx.fail(
            pathType,
            'PathMatchConditionsNotValid',
            at,
            `regex "${value}" must start with "/"`,
          );
      } else if (!isValidLiteralPath(value)) {
        const why = 'must start with "/" and contain only visible ASCII other than "?" and "#"';
        return ctx.fail(pathType, 'PathMatchConditionsNotValid', at, `${kind} "${value}" ${why}`);
      }
      path.push({ kind, value });
    }
    if (spec.header !== undefined) {
      const header = headerCondition(ctx, spec.header);
      if (header === invalid) return invalid;
      headers.push(header);
    }
    if (spec.queryParameter !== undefined) {
      const query = queryCondition(ctx, spec.queryParameter);
      if (query === invalid) return invalid;
      queries.push(query);
    }
  }
  if (checkCombined(ctx, { path, headers, queries }, specs) === invalid) return invalid;
  return { path, headers, queries };
}

function headerCondition(ctx: PolicyContext, spec: HeaderMatchConditionSpec): HeaderMatch | Invalid {
  const fail = (message: string): Invalid =>
    ctx.fail('RouteError', 'HeaderMatchConditionsNotValid', spec.at, message);
  if (!headerName.test(spec.name) && !/^:[a-z]+$/.test(spec.name))
    return fail(`header name "${spec.name}" is not a valid HTTP header name`);
  const ops = (
    ['present', 'notpresent', 'contains', 'notcontains', 'exact', 'notexact', 'regex'] as const
  ).filter((op) => spec[op] !== undefined && spec[op] !== false);
  if (ops.length !== 1) {
    return fail(
      ops.length === 0
        ? `header condition "${spec.name}" sets no match (present, notpresent, contains, notcontains, exact, notexact or regex)`
        : `header condition "${spec.name}" sets more than one match: ${ops.join(', ')}`,
    );
  }
  const op = ops[0] as (typeof ops)[number];
  const invert = op.startsWith('not');
  const ignoreCase = spec.ignoreCase === true;
  const missing = invert && spec.treatMissingAsEmpty === true ? { treatMissingAsEmpty: true } : {};
  const value = (v: string | boolean | undefined) => (typeof v === 'string' ? v : '');
  if (/[\0\r\n]/.test(value(spec[op])))
    return fail(`header condition "${spec.name}" value holds a control character`);
  switch (op) {
    case 'present':
    case 'notpresent':
      return { name: spec.name, match: { kind: 'present' }, invert, ...missing };
    case 'contains':
    case 'notcontains':
      return {
        name: spec.name,
        match: { kind: 'contains', value: value(spec[op]), ...(ignoreCase ? { ignoreCase } : {}) },
        invert,
        ...missing,
      };
    case 'exact':
    case 'notexact':
      return {
        name: spec.name,
        match: { kind: 'exact', value: value(spec[op]), ...(ignoreCase ? { ignoreCase } : {}) },
        invert,
        ...missing,
      };
    case 'regex': {
      const problem = regexProblem(value(spec.regex), ctx.maxRegexProgramSize);
      if (problem !== undefined) return fail(`header "${spec.name}" regex "${spec.regex}" ${problem}`);
      return { name: spec.name, match: { kind: 'regex', value: value(spec.regex) }, invert: false };
    }
  }
}

/** Contour's contradiction rules for the header conditions of one route or include. */
/** headerContradiction for conditions merged along an include chain. */
/**
 * Rules on a set of conditions taken together: no header contradiction and at most one exact match
 * per query parameter (names compared lower-cased, as Contour does). Applied to each block list and
 * again to the conditions merged along an include chain.
 */
export function checkCombined(
  ctx: PolicyContext,
  conditions: Conditions,
  specs: readonly MatchConditionSpec[],
): Invalid | undefined {
  if (headerContradiction(ctx, conditions.headers, specs) === invalid) return invalid;
  const exactNames = conditions.queries
    .filter((q) => q.match.kind === 'exact')
    .map((q) => q.name.toLowerCase());
  const repeated = exactNames.find((name, i) => exactNames.indexOf(name) !== i);
  if (repeated === undefined) return undefined;
  const at = specs.find((s) => s.queryParameter?.name.toLowerCase() === repeated)?.at ?? specs[0]?.at ?? [];
  return ctx.fail(
    'RouteError',
    'QueryParameterMatchConditionsNotValid',
    at,
    `more than one exact match on query parameter "${repeated}"`,
  );
}

function headerContradiction(
  ctx: PolicyContext,
  headers: readonly HeaderMatch[],
  specs: readonly MatchConditionSpec[],
): Invalid | undefined {
  const at = specs.find((s) => s.header !== undefined)?.at ?? [];
  const fail = (message: string): Invalid =>
    ctx.fail('RouteError', 'HeaderMatchConditionsNotValid', at, message);
  const lower = (h: HeaderMatch) => h.name.toLowerCase();
  const exact = headers.filter((h) => h.match.kind === 'exact' && !h.invert).map(lower);
  const twice = exact.find((name, i) => exact.indexOf(name) !== i);
  if (twice !== undefined)
    return fail(`cannot specify duplicate header "exact match" conditions for "${twice}"`);
  for (const h of headers) {
    const clash = headers.find(
      (o) =>
        o !== h &&
        lower(o) === lower(h) &&
        o.match.kind === h.match.kind &&
        o.invert !== h.invert &&
        (o.match.kind === 'present' ||
          ('value' in o.match && 'value' in h.match && o.match.value === h.match.value)),
    );
    if (clash !== undefined)
      return fail(`header "${h.name}" has a condition and its negation with the same value`);
  }
  return undefined;
}

function queryCondition(ctx: PolicyContext, spec: QueryParameterMatchConditionSpec): QueryMatch | Invalid {
  const fail = (message: string): Invalid =>
    ctx.fail('RouteError', 'QueryParameterMatchConditionsNotValid', spec.at, message);
  if (spec.name === '' || /[\0\r\n]/.test(spec.name)) return fail('query parameter name must be set');
  const ops = (['exact', 'prefix', 'suffix', 'regex', 'contains', 'present'] as const).filter(
    (op) => spec[op] !== undefined && spec[op] !== false,
  );
  if (ops.length !== 1)
    return fail(`query parameter condition "${spec.name}" must set exactly one match, found ${ops.length}`);
  const op = ops[0] as (typeof ops)[number];
  const ignoreCase = spec.ignoreCase === true;
  switch (op) {
    case 'present':
      return { name: spec.name, match: { kind: 'present' } };
    case 'regex': {
      const problem = regexProblem(spec.regex ?? '', ctx.maxRegexProgramSize);
      if (problem !== undefined) return fail(`query parameter "${spec.name}" regex ${problem}`);
      return { name: spec.name, match: { kind: 'regex', value: spec.regex ?? '' } };
    }
    default: {
      const value = spec[op] ?? '';
      if (/[\0\r\n]/.test(value))
        return fail(`query parameter "${spec.name}" value holds a control character`);
      return { name: spec.name, match: { kind: op, value, ignoreCase } };
    }
  }
}

const headerRank: Readonly<Record<HeaderMatch['match']['kind'], number>> = {
  exact: 0,
  regex: 1,
  contains: 2,
  present: 3,
};
const queryRank: Readonly<Record<QueryMatch['match']['kind'], number>> = {
  exact: 0,
  regex: 1,
  prefix: 2,
  suffix: 3,
  contains: 4,
  present: 5,
};
const matchValue = (m: { kind: string; value?: string }) => m.value ?? '';

/** Contour's order of one route's header matchers: name, then match kind, then value, plain first. */
export function sortHeaderMatches(headers: readonly HeaderMatch[]): HeaderMatch[] {
  return [...headers].sort(
    (a, b) =>
      compareText(a.name, b.name) ||
      headerRank[a.match.kind] - headerRank[b.match.kind] ||
      compareText(matchValue(a.match), matchValue(b.match)) ||
      Number(a.invert) - Number(b.invert),
  );
}

/** Contour's order of one route's query matchers: name, then match kind, then value, case-sensitive first. */
export function sortQueryMatches(queries: readonly QueryMatch[]): QueryMatch[] {
  const ignoring = (q: QueryMatch) => ('ignoreCase' in q.match && q.match.ignoreCase ? 1 : 0);
  return [...queries].sort(
    (a, b) =>
      compareText(a.name, b.name) ||
      queryRank[a.match.kind] - queryRank[b.match.kind] ||
      compareText(matchValue(a.match), matchValue(b.match)) ||
      ignoring(a) - ignoring(b),
  );
}

/** Conditions of an include chain followed by the next block's. */
export function concatConditions(a: Conditions, b: Conditions): Conditions {
  return {
    path: [...a.path, ...b.path],
    headers: [...a.headers, ...b.headers],
    queries: [...a.queries, ...b.queries],
  };
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Contour's path merge: the pieces joined and runs of `/` collapsed, `/` when empty; any regex piece
 * makes a regex (literal pieces escaped, so `.` in a prefix stays a dot), else the last piece's kind.
 */
export function mergedPath(
  conditions: Conditions,
):
  | { readonly kind: 'prefix' | 'exact'; readonly value: string }
  | { readonly kind: 'regex'; readonly value: string } {
  const pieces = conditions.path;
  if (pieces.some((p) => p.kind === 'regex')) {
    const text = pieces.map((p) => (p.kind === 'regex' ? p.value : escapeRegex(p.value))).join('');
    return { kind: 'regex', value: `^${text.replace(/\/{2,}/g, '/')}` };
  }
  const joined = pieces
    .map((p) => p.value)
    .join('')
    .replace(/\/{2,}/g, '/');
  const last = pieces.at(-1);
  return { kind: last?.kind === 'exact' ? 'exact' : 'prefix', value: joined === '' ? '/' : joined };
}

/** The identity of an include's conditions for the duplicate check; undefined when it never clashes. */
export function includeKey(conditions: Conditions): string | undefined {
  const prefix = conditions.path
    .map((p) => p.value)
    .join('')
    .replace(/\/{2,}/g, '/');
  if (conditions.headers.length === 0 && conditions.queries.length === 0 && (prefix === '' || prefix === '/'))
    return undefined;
  const headers = conditions.headers.map((h) => JSON.stringify(h)).sort();
  const queries = conditions.queries.map((q) => JSON.stringify(q)).sort();
  return JSON.stringify([prefix, headers, queries]);
}

// ---------------------------------------------------------------------------------------------------
// Header policies

/** Go's http.CanonicalHeaderKey: `x-foo` → `X-Foo`; names with other characters stay as written. */
export function canonicalHeader(name: string): string {
  if (!headerName.test(name)) return name;
  return name
    .split('-')
    .map((part) => (part === '' ? part : part[0]?.toUpperCase() + part.slice(1).toLowerCase()))
    .join('-');
}

/** Envoy command operators a header value may use as written; every other `%` is escaped as `%%`. */
const envoyVariables = new Set([
  'DOWNSTREAM_REMOTE_ADDRESS',
  'DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT',
  'DOWNSTREAM_REMOTE_PORT',
  'DOWNSTREAM_DIRECT_REMOTE_ADDRESS',
  'DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT',
  'DOWNSTREAM_LOCAL_ADDRESS',
  'DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT',
  'DOWNSTREAM_LOCAL_PORT',
  'DOWNSTREAM_LOCAL_URI_SAN',
  'DOWNSTREAM_PEER_URI_SAN',
  'DOWNSTREAM_LOCAL_SUBJECT',
  'DOWNSTREAM_PEER_SUBJECT',
  'DOWNSTREAM_PEER_ISSUER',
  'DOWNSTREAM_TLS_SESSION_ID',
  'DOWNSTREAM_TLS_CIPHER',
  'DOWNSTREAM_TLS_VERSION',
  'DOWNSTREAM_PEER_FINGERPRINT_256',
  'DOWNSTREAM_PEER_FINGERPRINT_1',
  'DOWNSTREAM_PEER_SERIAL',
  'DOWNSTREAM_PEER_CERT',
  'DOWNSTREAM_PEER_CERT_V_START',
  'DOWNSTREAM_PEER_CERT_V_END',
  'HOSTNAME',
  'PROTOCOL',
  'UPSTREAM_REMOTE_ADDRESS',
  'RESPONSE_FLAGS',
  'RESPONSE_CODE_DETAILS',
  'TLS_JA3_FINGERPRINT',
]);

/**
 * A header value as Envoy should see it: Contour's %CONTOUR_*% variables substituted, known Envoy
 * variables and %REQ(...)% kept, every other `%` doubled so Envoy reads it literally.
 */
export function escapeHeaderValue(
  value: string,
  service?: { name: string; port: number },
  namespace = '',
): string {
  let out = '';
  let rest = value;
  while (rest.length > 0) {
    const m = /^%([A-Z0-9_]+(?:\([^%()]*\))?)%/.exec(rest);
    if (m !== null) {
      const name = m[1] as string;
      const contour: Record<string, string | undefined> = {
        CONTOUR_NAMESPACE: namespace,
        CONTOUR_SERVICE_NAME: service?.name,
        CONTOUR_SERVICE_PORT: service === undefined ? undefined : String(service.port),
      };
      const substituted = contour[name];
      if (substituted !== undefined) {
        out += substituted.replaceAll('%', '%%');
        rest = rest.slice(m[0].length);
        continue;
      }
      if (envoyVariables.has(name) || /^REQ\([^%()]+\)$/.test(name)) {
        out += m[0];
        rest = rest.slice(m[0].length);
        continue;
      }
    }
    out += rest[0] === '%' ? '%%' : rest[0];
    rest = rest.slice(1);
  }
  return out;
}

export interface ParsedHeaders {
  readonly policy: HeadersPolicy | undefined;
  /** A `Host` set on a request policy: a literal rewrite, or `%REQ(X)%` as a header rewrite. */
  readonly host?:
    | { readonly kind: 'literal'; readonly value: string }
    | { readonly kind: 'header'; readonly name: string };
}

/**
 * A request or response header policy: names canonicalised, duplicates and invalid names refused,
 * `Host` turned into a rewrite (request) or refused (response), values escaped.
 */
export function headersPolicy(
  ctx: PolicyContext,
  spec: HeadersPolicySpec | undefined,
  direction: 'request' | 'response',
  type: 'RouteError' | 'ServiceError',
  service?: { name: string; port: number },
): ParsedHeaders | Invalid {
  if (spec === undefined) return { policy: undefined };
  const code: DiagnosticCode =
    direction === 'request'
      ? 'RequestHeadersPolicyInvalid'
      : type === 'RouteError'
        ? 'ResponseHeaderPolicyInvalid'
        : 'ResponseHeadersPolicyInvalid';
  const set: { name: string; value: string }[] = [];
  let host: ParsedHeaders['host'];
  const seen = new Set<string>();
  for (const entry of spec.set) {
    const name = canonicalHeader(entry.name);
    if (!headerName.test(entry.name))
      return ctx.fail(type, code, entry.at, `invalid header name "${entry.name}"`);
    if (seen.has(name)) return ctx.fail(type, code, entry.at, `duplicate header addition: "${name}"`);
    seen.add(name);
    if (/[\0\r\n]/.test(entry.value) || entry.value.length > 16384)
      return ctx.fail(
        type,
        code,
        entry.at,
        `header "${name}" value holds a control character or is too long`,
      );
    if (name === 'Host') {
      if (direction === 'response')
        return ctx.fail(type, code, entry.at, 'rewriting the "Host" header is not supported on responses');
      const req = /^%REQ\(([^%()]+)\)%$/.exec(entry.value);
      host =
        req !== null ? { kind: 'header', name: req[1] as string } : { kind: 'literal', value: entry.value };
      continue;
    }
    set.push({ name, value: escapeHeaderValue(entry.value, service, ctx.namespace) });
  }
  const remove: string[] = [];
  for (const entry of spec.remove) {
    const name = canonicalHeader(entry.name);
    if (!headerName.test(entry.name))
      return ctx.fail(type, code, entry.at, `invalid header name "${entry.name}"`);
    if (name === 'Host') return ctx.fail(type, code, entry.at, 'the "Host" header cannot be removed');
    if (remove.includes(name)) return ctx.fail(type, code, entry.at, `duplicate header removal: "${name}"`);
    remove.push(name);
  }
  set.sort((a, b) => compareText(a.name, b.name));
  remove.sort();
  const policy = set.length === 0 && remove.length === 0 ? undefined : { set, remove };
  return host === undefined ? { policy } : { policy, host };
}

// ---------------------------------------------------------------------------------------------------
// Timeouts, retries, load balancing, health checks

export interface RouteTimeouts {
  readonly response: DurationValue | undefined;
  readonly idle: DurationValue | undefined;
  readonly idleConnection: DurationValue | undefined;
}

export function timeoutPolicy(
  ctx: PolicyContext,
  spec:
    | {
        readonly at: FieldPath;
        readonly response?: string;
        readonly idle?: string;
        readonly idleConnection?: string;
      }
    | undefined,
): RouteTimeouts | Invalid {
  const out: { response?: DurationValue; idle?: DurationValue; idleConnection?: DurationValue } = {};
  for (const key of ['response', 'idle', 'idleConnection'] as const) {
    const text = spec?.[key];
    if (text === undefined) continue;
    const setting = parseTimeout(text);
    if (setting.kind === 'invalid') {
      return ctx.fail(
        'RouteError',
        'TimeoutPolicyNotValid',
        [...(spec?.at ?? []), key],
        `timeoutPolicy.${key} "${text}" is not a duration (e.g. "30s") or "infinity"`,
      );
    }
    if (setting.kind === 'disabled') out[key] = { seconds: 0, nanos: 0 };
    if (setting.kind === 'set') out[key] = setting.value;
  }
  return { response: out.response, idle: out.idle, idleConnection: out.idleConnection };
}

/** Contour's retry rules: `5xx` by default, count -1 → 0, 0 or 1 → 1, always set. */
export function retryPolicy(spec: RetryPolicySpec | undefined): RetryPolicy | undefined {
  if (spec === undefined) return undefined;
  const count = spec.count ?? 1;
  const perTry = spec.perTryTimeout === undefined ? undefined : parseTimeout(spec.perTryTimeout);
  const codes = spec.retriableStatusCodes.filter((c) => c >= 100 && c <= 599);
  return {
    retryOn: spec.retryOn.length === 0 ? '5xx' : spec.retryOn.join(','),
    numRetries: count === -1 ? 0 : count <= 1 ? 1 : count,
    // Like Contour, only a duration counts; "infinity" and anything unreadable keep Envoy's default.
    perTryTimeout: perTry?.kind === 'set' ? perTry.value : undefined,
    ...(codes.length > 0 ? { retriableStatusCodes: codes } : {}),
  };
}

export interface LoadBalancing {
  /** The strategy as hashed into the cluster name ('' for round robin). */
  readonly strategy: string;
  readonly lbPolicy: 'leastRequest' | 'random' | 'ringHash' | undefined;
  readonly hashPolicies: readonly HashPolicy[];
}

const sessionCookie: HashPolicy = {
  kind: 'cookie',
  name: 'X-Contour-Session-Affinity',
  ttl: { seconds: 0, nanos: 0 },
  path: '/',
  terminal: false,
};

/** A route's loadBalancerPolicy. Bad hash entries are warnings; with none left it is round robin. */
export function loadBalancing(ctx: PolicyContext, spec: LoadBalancerPolicySpec | undefined): LoadBalancing {
  const roundRobin: LoadBalancing = { strategy: '', lbPolicy: undefined, hashPolicies: [] };
  switch (spec?.strategy) {
    case 'WeightedLeastRequest':
      return { strategy: 'WeightedLeastRequest', lbPolicy: 'leastRequest', hashPolicies: [] };
    case 'Random':
      return { strategy: 'Random', lbPolicy: 'random', hashPolicies: [] };
    case 'Cookie':
      return { strategy: 'Cookie', lbPolicy: 'ringHash', hashPolicies: [sessionCookie] };
    case 'RequestHash': {
      const policies: HashPolicy[] = [];
      const seen = new Set<string>();
      const add = (policy: HashPolicy, at: FieldPath) => {
        // The same hash input twice adds nothing; Contour keeps the first.
        const key =
          policy.kind === 'header' || policy.kind === 'query' ? `${policy.kind}:${policy.name}` : policy.kind;
        if (seen.has(key)) ctx.warn('SpecError', at, `duplicate request hash policy (${key}); ignored`);
        else policies.push(policy);
        seen.add(key);
      };
      for (const p of spec.requestHashPolicies) {
        const terminal = p.terminal === true;
        const set = [
          p.headerHashOptions,
          p.queryParameterHashOptions,
          p.hashSourceIP === true ? true : undefined,
        ].filter((x) => x !== undefined);
        if (set.length !== 1) {
          ctx.warn(
            'SpecError',
            p.at,
            'a request hash policy must set exactly one of headerHashOptions, queryParameterHashOptions or hashSourceIP; ignored',
          );
          continue;
        }
        if (p.headerHashOptions !== undefined) {
          if (!headerName.test(p.headerHashOptions.headerName)) {
            ctx.warn(
              'SpecError',
              p.headerHashOptions.at,
              `"${p.headerHashOptions.headerName}" is not a valid header name; ignored`,
            );
            continue;
          }
          add({ kind: 'header', name: canonicalHeader(p.headerHashOptions.headerName), terminal }, p.at);
        } else if (p.queryParameterHashOptions !== undefined) {
          const name = p.queryParameterHashOptions.parameterName;
          if (name === '' || /[\0\r\n]/.test(name)) {
            ctx.warn(
              'SpecError',
              p.queryParameterHashOptions.at,
              'query parameter name must be set; ignored',
            );
            continue;
          }
          add({ kind: 'query', name: name.toLowerCase(), terminal }, p.at);
        } else {
          add({ kind: 'sourceIp', terminal }, p.at);
        }
      }
      if (policies.length === 0) return roundRobin;
      return { strategy: 'RequestHash', lbPolicy: 'ringHash', hashPolicies: policies };
    }
    default:
      return roundRobin;
  }
}

const secondsOf = (n: number): DurationValue => ({ seconds: n, nanos: 0 });

export interface HealthCheckSettings {
  readonly check: HealthCheck;
  readonly hash: {
    readonly timeout: DurationValue;
    readonly interval: DurationValue;
    readonly unhealthyThreshold: number;
    readonly healthyThreshold: number;
    readonly path: string;
  };
}

/** A route's HTTP health check with Contour's defaults (2s, 10s, 3, 2, host contour-envoy-healthcheck). */
export function httpHealthCheck(
  ctx: PolicyContext,
  spec: HTTPHealthCheckPolicySpec | undefined,
  http2: boolean,
): HealthCheckSettings | undefined | Invalid {
  if (spec === undefined) return undefined;
  const fail = (at: FieldPath, message: string): Invalid =>
    ctx.fail('RouteError', 'HealthCheckPolicyInvalid', at, message);
  if (!isValidLiteralPath(spec.path))
    return fail([...spec.at, 'path'], `health check path "${spec.path}" must start with "/"`);
  const host = spec.host ?? 'contour-envoy-healthcheck';
  if (host === '' || /[\0\r\n\s]/.test(host))
    return fail([...spec.at, 'host'], `"${host}" is not a valid host`);
  for (const key of [
    'intervalSeconds',
    'timeoutSeconds',
    'unhealthyThresholdCount',
    'healthyThresholdCount',
  ] as const) {
    const v = spec[key];
    if (v !== undefined && (v < 0 || v > 86400))
      return fail([...spec.at, key], `${key} ${v} is outside 0..86400`);
  }
  const statuses: { start: number; end: number }[] = [];
  for (const range of spec.expectedStatuses) {
    if (
      range.start < 100 ||
      range.start > 599 ||
      range.end < 101 ||
      range.end > 600 ||
      range.end <= range.start
    )
      return fail(
        range.at,
        `expected status range [${range.start}, ${range.end}) must have start in 100..599 and end in 101..600 above start`,
      );
    statuses.push({ start: range.start, end: range.end });
  }
  const positive = (v: number | undefined, fallback: number) => (v === undefined || v <= 0 ? fallback : v);
  const check: HealthCheck = {
    kind: 'http',
    path: spec.path,
    host,
    timeout: secondsOf(positive(spec.timeoutSeconds, 2)),
    interval: secondsOf(positive(spec.intervalSeconds, 10)),
    unhealthyThreshold: positive(spec.unhealthyThresholdCount, 3),
    healthyThreshold: positive(spec.healthyThresholdCount, 2),
    http2,
    ...(statuses.length > 0 ? { expectedStatuses: statuses } : {}),
  };
  return {
    check,
    hash: {
      timeout: secondsOf(Math.max(0, spec.timeoutSeconds ?? 0)),
      interval: secondsOf(Math.max(0, spec.intervalSeconds ?? 0)),
      unhealthyThreshold: Math.max(0, spec.unhealthyThresholdCount ?? 0),
      healthyThreshold: Math.max(0, spec.healthyThresholdCount ?? 0),
      path: spec.path,
    },
  };
}

export function tcpHealthCheck(spec: TCPHealthCheckPolicySpec | undefined): HealthCheck | undefined {
  if (spec === undefined) return undefined;
  const positive = (v: number | undefined, fallback: number) =>
    v === undefined || v <= 0 ? fallback : Math.min(v, 86400);
  return {
    kind: 'tcp',
    timeout: secondsOf(positive(spec.timeoutSeconds, 2)),
    interval: secondsOf(positive(spec.intervalSeconds, 10)),
    unhealthyThreshold: positive(spec.unhealthyThresholdCount, 3),
    healthyThreshold: positive(spec.healthyThresholdCount, 2),
  };
}

// ---------------------------------------------------------------------------------------------------
// Redirects and internal redirects

const redirectCodes = new Set([301, 302, 303, 307, 308]);

export function redirectAction(ctx: PolicyContext, spec: RedirectPolicySpec): RouteAction | Invalid {
  const fail = (at: FieldPath, message: string): Invalid =>
    ctx.fail('RouteError', 'RequestRedirectPolicy', at, message);
  const statusCode = spec.statusCode ?? 302;
  if (!redirectCodes.has(statusCode))
    return fail([...spec.at, 'statusCode'], `status code ${statusCode} is not 301, 302, 303, 307 or 308`);
  if (spec.scheme !== undefined && spec.scheme !== 'http' && spec.scheme !== 'https')
    return fail([...spec.at, 'scheme'], `scheme "${spec.scheme}" is not http or https`);
  if (spec.port !== undefined && (spec.port < 1 || spec.port > 65535))
    return fail([...spec.at, 'port'], `port ${spec.port} is outside 1..65535`);
  if (
    spec.hostname !== undefined &&
    !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(spec.hostname)
  )
    return fail([...spec.at, 'hostname'], `"${spec.hostname}" is not a DNS name`);
  if (spec.path !== undefined && spec.prefix !== undefined)
    return fail(spec.at, 'cannot specify both redirect path and redirect prefix');
  for (const key of ['path', 'prefix'] as const) {
    const v = spec[key];
    if (v !== undefined && !isValidLiteralPath(v))
      return fail([...spec.at, key], `redirect ${key} "${v}" must start with "/"`);
  }
  return {
    kind: 'redirect',
    ...(spec.scheme !== undefined ? { scheme: spec.scheme as 'http' | 'https' } : {}),
    ...(spec.hostname !== undefined ? { host: spec.hostname } : {}),
    ...(spec.port !== undefined ? { port: spec.port } : {}),
    ...(spec.path !== undefined ? { path: spec.path } : {}),
    ...(spec.prefix !== undefined ? { prefix: spec.prefix } : {}),
    statusCode: statusCode as 301 | 302 | 303 | 307 | 308,
  };
}

export function internalRedirect(
  ctx: PolicyContext,
  spec: InternalRedirectPolicySpec | undefined,
): InternalRedirect | undefined | Invalid {
  if (spec === undefined) return undefined;
  const bad = spec.redirectResponseCodes.find((c) => !redirectCodes.has(c));
  if (bad !== undefined)
    return ctx.fail(
      'RouteError',
      'RequestRedirectPolicy',
      [...spec.at, 'redirectResponseCodes'],
      `${bad} is not 301, 302, 303, 307 or 308`,
    );
  const mode = spec.allowCrossSchemeRedirect ?? 'Never';
  if (!['Always', 'Never', 'SafeOnly'].includes(mode))
    return ctx.fail(
      'RouteError',
      'RequestRedirectPolicy',
      [...spec.at, 'allowCrossSchemeRedirect'],
      `"${mode}" is not Always, Never or SafeOnly`,
    );
  if (spec.maxInternalRedirects !== undefined && spec.maxInternalRedirects < 0)
    return ctx.fail(
      'RouteError',
      'RequestRedirectPolicy',
      [...spec.at, 'maxInternalRedirects'],
      'must not be negative',
    );
  const predicates: InternalRedirect['predicates'][number][] = [];
  if (mode === 'SafeOnly') predicates.push('safeCrossScheme');
  if (spec.denyRepeatedRouteRedirect === true) predicates.push('previousRoutes');
  return {
    ...(spec.maxInternalRedirects !== undefined ? { maxInternalRedirects: spec.maxInternalRedirects } : {}),
    redirectResponseCodes: [...spec.redirectResponseCodes],
    allowCrossSchemeRedirect: mode !== 'Never',
    predicates,
  };
}

// ---------------------------------------------------------------------------------------------------
// Rate limits, IP filters, CORS

const units: Readonly<Record<string, number>> = { second: 1, minute: 60, hour: 3600 };

export function rateLimits(
  ctx: PolicyContext,
  spec: RateLimitPolicySpec | undefined,
  type: 'VirtualHostError' | 'RouteError',
  statPrefix: string,
): { local?: LocalRateLimit; global?: readonly RateLimitDescriptor[]; disabled?: boolean } | Invalid {
  if (spec === undefined) return {};
  const fail = (at: FieldPath, message: string): Invalid =>
    ctx.fail(type, 'RateLimitPolicyNotValid', at, message);
  const out: { local?: LocalRateLimit; global?: readonly RateLimitDescriptor[]; disabled?: boolean } = {};
  const local = spec.local;
  if (local !== undefined) {
    const seconds = units[local.unit];
    if (seconds === undefined)
      return fail([...local.at, 'unit'], `unit "${local.unit}" is not second, minute or hour`);
    if (local.requests < 1) return fail([...local.at, 'requests'], 'requests must be at least 1');
    const burst = local.burst ?? 0;
    if (burst < 0) return fail([...local.at, 'burst'], 'burst must not be negative');
    const code = local.responseStatusCode;
    if (code !== undefined && code !== 0 && (code < 400 || code > 599))
      return fail([...local.at, 'responseStatusCode'], `status code ${code} is outside 400..599`);
    const headers: { name: string; value: string }[] = [];
    for (const h of local.responseHeadersToAdd) {
      if (!headerName.test(h.name) || /[\0\r\n]/.test(h.value))
        return fail(h.at, `invalid response header "${h.name}"`);
      headers.push({ name: canonicalHeader(h.name), value: escapeHeaderValue(h.value) });
    }
    headers.sort((a, b) => compareText(a.name, b.name));
    out.local = {
      maxTokens: local.requests + burst,
      tokensPerFill: local.requests,
      fillInterval: secondsOf(seconds),
      ...(code !== undefined && code !== 0 ? { responseStatusCode: code } : {}),
      responseHeaders: headers,
      statPrefix,
    };
  }
  const global = spec.global;
  if (global !== undefined) {
    if (global.disabled === true) out.disabled = true;
    const descriptors: RateLimitDescriptor[] = [];
    for (const d of global.descriptors) {
      const entries: RateLimitEntry[] = [];
      for (const e of d.entries) {
        const set = [e.genericKey, e.requestHeader, e.requestHeaderValueMatch, e.remoteAddress].filter(
          (x) => x !== undefined,
        );
        if (set.length !== 1) return fail(e.at, 'a descriptor entry must set exactly one field');
        if (e.genericKey !== undefined) {
          if (e.genericKey.value === '') return fail(e.genericKey.at, 'genericKey.value must be set');
          entries.push({
            kind: 'generic',
            ...(e.genericKey.key ? { key: e.genericKey.key } : {}),
            value: e.genericKey.value,
          });
        } else if (e.requestHeader !== undefined) {
          if (!headerName.test(e.requestHeader.headerName) || e.requestHeader.descriptorKey === '')
            return fail(e.requestHeader.at, 'requestHeader needs a valid headerName and a descriptorKey');
          entries.push({
            kind: 'requestHeader',
            headerName: e.requestHeader.headerName,
            descriptorKey: e.requestHeader.descriptorKey,
          });
        } else if (e.requestHeaderValueMatch !== undefined) {
          const m = e.requestHeaderValueMatch;
          if (m.value === '' || m.headers.length === 0)
            return fail(m.at, 'requestHeaderValueMatch needs a value and at least one header');
          const headers: HeaderMatch[] = [];
          for (const h of m.headers) {
            const header = headerCondition(ctx, h);
            if (header === invalid) return invalid;
            headers.push(header);
          }
          entries.push({
            kind: 'headerValueMatch',
            headers,
            expectMatch: m.expectMatch ?? true,
            value: m.value,
          });
        } else {
          entries.push({ kind: 'remoteAddress' });
        }
      }
      if (entries.length > 0) descriptors.push({ entries });
    }
    // Descriptors need Envoy's ratelimit filter and a usable rate limit service: without one, say so
    // rather than emit limits nothing enforces.
    const problem =
      descriptors.length > 0 || global.disabled === true ? ctx.rateLimitServiceProblem() : undefined;
    if (problem !== undefined) {
      if (descriptors.length > 0)
        ctx.warn(
          'SpecError',
          [...global.at, 'descriptors'],
          `global rate limit descriptors are not applied: ${problem}`,
        );
      delete out.disabled;
    } else if (descriptors.length > 0) {
      out.global = descriptors;
    }
  }
  return out;
}

export function parseCidr(text: string): Cidr | undefined {
  const [address, bits, ...rest] = text.trim().split('/');
  if (address === undefined || rest.length > 0) return undefined;
  const v4 = isIPv4(address);
  if (!v4 && !isIPv6(address)) return undefined;
  const max = v4 ? 32 : 128;
  if (bits === undefined) return { address, prefixLen: max };
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return undefined;
  return { address: networkAddress(address, Number(bits), v4), prefixLen: Number(bits) };
}

/** The network address of a range (`192.168.10.15/24` → `192.168.10.0`), as Contour writes it. */
function networkAddress(address: string, bits: number, v4: boolean): string {
  if (v4) {
    const n = address.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
    const masked = bits === 0 ? 0 : n - (n % 2 ** (32 - bits));
    return [24, 16, 8, 0].map((shift) => Math.floor(masked / 2 ** shift) % 256).join('.');
  }
  const [head = '', tail = ''] = address.split('::');
  const groups = (text: string) => (text === '' ? [] : text.split(':').map((g) => Number.parseInt(g, 16)));
  const h = groups(head);
  const t = groups(tail);
  const words = address.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill(0), ...t] : h;
  const masked = words.map((w, i) => {
    const keep = Math.max(0, Math.min(16, bits - i * 16));
    return keep === 0 ? 0 : w & (0xffff << (16 - keep)) & 0xffff;
  });
  // Canonical text with the longest run of zero groups compressed.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (masked[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && masked[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = masked.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function ipFilter(
  ctx: PolicyContext,
  allow: readonly IPFilterPolicySpec[],
  deny: readonly IPFilterPolicySpec[],
  at: FieldPath,
): IpFilter | undefined | Invalid {
  if (allow.length > 0 && deny.length > 0)
    return ctx.fail(
      'IPFilterError',
      'IncompatibleIPAddressFilters',
      at,
      'cannot specify both ipAllowPolicy and ipDenyPolicy',
    );
  const list = allow.length > 0 ? allow : deny;
  if (list.length === 0) return undefined;
  const rules: { remote: boolean; cidr: Cidr }[] = [];
  for (const rule of list) {
    if (rule.source !== 'Peer' && rule.source !== 'Remote')
      return ctx.fail(
        'IPFilterError',
        'IPFilterPolicyNotValid',
        [...rule.at, 'source'],
        `source "${rule.source}" is not Peer or Remote`,
      );
    const cidr = parseCidr(rule.cidr);
    if (cidr === undefined)
      return ctx.fail(
        'IPFilterError',
        'InvalidCIDR',
        [...rule.at, 'cidr'],
        `"${rule.cidr}" is not an IP address or CIDR range`,
      );
    rules.push({ remote: rule.source === 'Remote', cidr });
  }
  return { action: allow.length > 0 ? 'allow' : 'deny', rules };
}

const originUrl = /^[a-z][a-z0-9+.-]*:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/;

export function corsPolicy(ctx: PolicyContext, spec: CORSPolicySpec | undefined): Cors | undefined | Invalid {
  if (spec === undefined) return undefined;
  const fail = (at: FieldPath, message: string): Invalid =>
    ctx.fail('CORSError', 'PolicyDidNotParse', at, message);
  if (spec.allowOrigin.length === 0)
    return fail([...spec.at, 'allowOrigin'], 'allowOrigin must list at least one origin');
  if (spec.allowMethods.length === 0)
    return fail([...spec.at, 'allowMethods'], 'allowMethods must list at least one method');
  const allowOrigin: Cors['allowOrigin'][number][] = [];
  for (const [i, origin] of spec.allowOrigin.entries()) {
    if (origin === '*' || originUrl.test(origin)) {
      allowOrigin.push({ kind: 'exact', value: origin });
      continue;
    }
    const problem = regexProblem(origin, ctx.maxRegexProgramSize);
    if (problem !== undefined) return fail([...spec.at, 'allowOrigin', i], `origin "${origin}" ${problem}`);
    allowOrigin.push({ kind: 'regex', value: origin });
  }
  const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  for (const key of ['allowMethods', 'allowHeaders', 'exposeHeaders'] as const) {
    const bad = spec[key].find((v) => !token.test(v) && !(key !== 'allowMethods' && v === '*'));
    if (bad !== undefined) return fail([...spec.at, key], `"${bad}" is not a valid token`);
  }
  let maxAge: string | undefined;
  if (spec.maxAge !== undefined) {
    const nanos = parseGoDuration(spec.maxAge);
    if (nanos === undefined) return fail([...spec.at, 'maxAge'], `maxAge "${spec.maxAge}" is not a duration`);
    maxAge = String(nanos / 1_000_000_000n);
  }
  return {
    allowOrigin,
    allowMethods: spec.allowMethods.join(','),
    ...(spec.allowHeaders.length > 0 ? { allowHeaders: spec.allowHeaders.join(',') } : {}),
    ...(spec.exposeHeaders.length > 0 ? { exposeHeaders: spec.exposeHeaders.join(',') } : {}),
    ...(maxAge !== undefined ? { maxAge } : {}),
    allowCredentials: spec.allowCredentials === true,
    allowPrivateNetwork: spec.allowPrivateNetwork === true,
  };
}
