/**
 * Views of projectcontour.io/v1 HTTPProxy and v1alpha1 ExtensionService. Field names follow the CRD
 * exactly; every nested part carries its field path so stage A can name it in diagnostics and status.
 *
 * The API server would reject an object whose shape breaks the CRD schema; kube-xds reads raw objects,
 * so the parser reports every such field (InvalidField, with its path) and marks the whole view
 * `malformed`: a proxy with a field it could not read is invalid as a whole, never served with that
 * field silently dropped (a dropped header condition would widen what a route matches).
 */
import type { DiagnosticSink, FieldPath } from '../../diagnostics.js';
import { type Meta, parseMeta } from './meta.js';
import {
  field,
  type Reader,
  readArray,
  readBoolean,
  readInteger,
  readRecord,
  readString,
  readStringMap,
} from './read.js';

export interface At {
  /** Where this part sits in the object (named `at` because the CRD has fields called `path`). */
  readonly at: FieldPath;
}

export interface HeaderValueSpec extends At {
  readonly name: string;
  readonly value: string;
}

export interface HeadersPolicySpec extends At {
  readonly set: readonly HeaderValueSpec[];
  readonly remove: readonly (At & { readonly name: string })[];
}

export interface MatchConditionSpec extends At {
  readonly prefix?: string;
  readonly exact?: string;
  readonly regex?: string;
  readonly header?: HeaderMatchConditionSpec;
  readonly queryParameter?: QueryParameterMatchConditionSpec;
}

export interface HeaderMatchConditionSpec extends At {
  readonly name: string;
  readonly present?: boolean;
  readonly notpresent?: boolean;
  readonly contains?: string;
  readonly notcontains?: string;
  readonly exact?: string;
  readonly notexact?: string;
  readonly regex?: string;
  readonly ignoreCase?: boolean;
  readonly treatMissingAsEmpty?: boolean;
}

export interface QueryParameterMatchConditionSpec extends At {
  readonly name: string;
  readonly exact?: string;
  readonly prefix?: string;
  readonly suffix?: string;
  readonly regex?: string;
  readonly contains?: string;
  readonly present?: boolean;
  readonly ignoreCase?: boolean;
}

export interface IncludeSpec extends At {
  readonly name: string;
  /** The includer's namespace when unset. */
  readonly namespace?: string;
  readonly conditions: readonly MatchConditionSpec[];
}

export interface UpstreamValidationSpec extends At {
  readonly caSecret: string;
  readonly subjectName: string;
  readonly subjectNames: readonly string[];
}

export interface SlowStartPolicySpec extends At {
  readonly window: string;
  readonly aggression?: string;
  readonly minWeightPercent?: number;
}

export interface CookieRewritePolicySpec extends At {
  readonly name: string;
  readonly pathRewrite?: At & { readonly value: string };
  readonly domainRewrite?: At & { readonly value: string };
  readonly secure?: boolean;
  readonly sameSite?: string;
}

export interface ServiceSpec extends At {
  readonly name: string;
  readonly port: number;
  readonly healthPort?: number;
  readonly protocol?: string;
  readonly weight?: number;
  readonly validation?: UpstreamValidationSpec;
  readonly mirror?: boolean;
  readonly requestHeadersPolicy?: HeadersPolicySpec;
  readonly responseHeadersPolicy?: HeadersPolicySpec;
  readonly cookieRewritePolicies: readonly CookieRewritePolicySpec[];
  readonly slowStartPolicy?: SlowStartPolicySpec;
}

export interface TimeoutPolicySpec extends At {
  readonly response?: string;
  readonly idle?: string;
  readonly idleConnection?: string;
}

export interface RetryPolicySpec extends At {
  readonly count?: number;
  readonly perTryTimeout?: string;
  readonly retryOn: readonly string[];
  readonly retriableStatusCodes: readonly number[];
}

export interface HTTPHealthCheckPolicySpec extends At {
  readonly path: string;
  readonly host?: string;
  readonly intervalSeconds?: number;
  readonly timeoutSeconds?: number;
  readonly unhealthyThresholdCount?: number;
  readonly healthyThresholdCount?: number;
  readonly expectedStatuses: readonly (At & { readonly start: number; readonly end: number })[];
}

export interface TCPHealthCheckPolicySpec extends At {
  readonly intervalSeconds?: number;
  readonly timeoutSeconds?: number;
  readonly unhealthyThresholdCount?: number;
  readonly healthyThresholdCount?: number;
}

export interface RequestHashPolicySpec extends At {
  readonly terminal?: boolean;
  readonly headerHashOptions?: At & { readonly headerName: string };
  readonly queryParameterHashOptions?: At & { readonly parameterName: string };
  readonly hashSourceIP?: boolean;
}

export interface LoadBalancerPolicySpec extends At {
  readonly strategy?: string;
  readonly requestHashPolicies: readonly RequestHashPolicySpec[];
}

export interface PathRewritePolicySpec extends At {
  readonly replacePrefix: readonly (At & { readonly prefix?: string; readonly replacement: string })[];
}

export interface LocalRateLimitPolicySpec extends At {
  readonly requests: number;
  readonly unit: string;
  readonly burst?: number;
  readonly responseStatusCode?: number;
  readonly responseHeadersToAdd: readonly HeaderValueSpec[];
}

export interface RateLimitDescriptorEntrySpec extends At {
  readonly genericKey?: At & { readonly key?: string; readonly value: string };
  readonly requestHeader?: At & { readonly headerName: string; readonly descriptorKey: string };
  readonly requestHeaderValueMatch?: At & {
    readonly headers: readonly HeaderMatchConditionSpec[];
    readonly expectMatch?: boolean;
    readonly value: string;
  };
  readonly remoteAddress?: At;
}

export interface GlobalRateLimitPolicySpec extends At {
  readonly disabled?: boolean;
  readonly descriptors: readonly (At & { readonly entries: readonly RateLimitDescriptorEntrySpec[] })[];
}

export interface RateLimitPolicySpec extends At {
  readonly local?: LocalRateLimitPolicySpec;
  readonly global?: GlobalRateLimitPolicySpec;
}

export interface IPFilterPolicySpec extends At {
  /** `Peer` or `Remote`. */
  readonly source: string;
  readonly cidr: string;
}

export interface AuthorizationPolicySpec extends At {
  readonly disabled?: boolean;
  /** Sorted by key. */
  readonly context: ReadonlyMap<string, string>;
}

export interface RedirectPolicySpec extends At {
  readonly scheme?: string;
  readonly hostname?: string;
  readonly port?: number;
  readonly statusCode?: number;
  readonly path?: string;
  readonly prefix?: string;
}

export interface DirectResponsePolicySpec extends At {
  readonly statusCode: number;
  readonly body?: string;
}

export interface InternalRedirectPolicySpec extends At {
  readonly maxInternalRedirects?: number;
  readonly redirectResponseCodes: readonly number[];
  readonly allowCrossSchemeRedirect?: string;
  readonly denyRepeatedRouteRedirect?: boolean;
}

export interface JWTVerificationPolicySpec extends At {
  readonly require?: string;
  readonly disabled?: boolean;
}

export interface RouteSpec extends At {
  readonly conditions: readonly MatchConditionSpec[];
  readonly services: readonly ServiceSpec[];
  readonly enableWebsockets?: boolean;
  readonly permitInsecure?: boolean;
  readonly authPolicy?: AuthorizationPolicySpec;
  readonly timeoutPolicy?: TimeoutPolicySpec;
  readonly retryPolicy?: RetryPolicySpec;
  readonly healthCheckPolicy?: HTTPHealthCheckPolicySpec;
  readonly loadBalancerPolicy?: LoadBalancerPolicySpec;
  readonly pathRewritePolicy?: PathRewritePolicySpec;
  readonly requestHeadersPolicy?: HeadersPolicySpec;
  readonly responseHeadersPolicy?: HeadersPolicySpec;
  readonly cookieRewritePolicies: readonly CookieRewritePolicySpec[];
  readonly rateLimitPolicy?: RateLimitPolicySpec;
  readonly requestRedirectPolicy?: RedirectPolicySpec;
  readonly directResponsePolicy?: DirectResponsePolicySpec;
  readonly internalRedirectPolicy?: InternalRedirectPolicySpec;
  readonly jwtVerificationPolicy?: JWTVerificationPolicySpec;
  readonly ipAllowPolicy: readonly IPFilterPolicySpec[];
  readonly ipDenyPolicy: readonly IPFilterPolicySpec[];
}

export interface TCPProxySpec extends At {
  readonly services: readonly ServiceSpec[];
  readonly include?: At & { readonly name: string; readonly namespace?: string };
  /** The deprecated spelling of `include`. */
  readonly includes?: At & { readonly name: string; readonly namespace?: string };
  readonly loadBalancerPolicy?: LoadBalancerPolicySpec;
  readonly healthCheckPolicy?: TCPHealthCheckPolicySpec;
}

export interface ClientCertificateDetailsSpec extends At {
  readonly subject?: boolean;
  readonly cert?: boolean;
  readonly chain?: boolean;
  readonly dns?: boolean;
  readonly uri?: boolean;
}

export interface DownstreamValidationSpec extends At {
  readonly caSecret?: string;
  readonly skipClientCertValidation?: boolean;
  readonly forwardClientCertificate?: ClientCertificateDetailsSpec;
  readonly crlSecret?: string;
  readonly crlOnlyVerifyLeafCert?: boolean;
  readonly optionalClientCertificate?: boolean;
}

export interface TLSSpec extends At {
  readonly secretName?: string;
  readonly minimumProtocolVersion?: string;
  readonly maximumProtocolVersion?: string;
  readonly passthrough?: boolean;
  readonly clientValidation?: DownstreamValidationSpec;
  readonly enableFallbackCertificate?: boolean;
}

export interface CORSPolicySpec extends At {
  readonly allowCredentials?: boolean;
  readonly allowPrivateNetwork?: boolean;
  readonly allowOrigin: readonly string[];
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAge?: string;
}

export interface ExtensionServiceReferenceSpec extends At {
  readonly apiVersion?: string;
  readonly namespace?: string;
  readonly name: string;
}

export interface AuthorizationServerSpec extends At {
  readonly extensionRef: ExtensionServiceReferenceSpec;
  /** `grpc` (default) or `http`. */
  readonly serviceType?: string;
  readonly authPolicy?: AuthorizationPolicySpec;
  readonly responseTimeout?: string;
  readonly failOpen?: boolean;
  readonly withRequestBody?: At & {
    readonly maxRequestBytes?: number;
    readonly allowPartialMessage?: boolean;
    readonly packAsBytes?: boolean;
  };
  readonly httpSettings?: At & {
    readonly pathPrefix?: string;
    readonly allowedAuthorizationHeaders: readonly AllowedHeaderSpec[];
    readonly allowedUpstreamHeaders: readonly AllowedHeaderSpec[];
  };
}

/** One allowed-header matcher (Contour's shape); a plain string in the list reads as `exact`. */
export interface AllowedHeaderSpec extends At {
  readonly exact?: string;
  readonly prefix?: string;
  readonly suffix?: string;
  readonly contains?: string;
  readonly ignoreCase?: boolean;
}

export interface JWTProviderSpec extends At {
  readonly name: string;
  readonly default?: boolean;
  readonly issuer?: string;
  readonly audiences: readonly string[];
  readonly remoteJWKS?: At & {
    readonly uri: string;
    readonly validation?: UpstreamValidationSpec;
    readonly timeout?: string;
    readonly cacheDuration?: string;
    readonly dnsLookupFamily?: string;
  };
  readonly localJWKS?: At & { readonly secretName: string; readonly key?: string };
  readonly forwardJWT?: boolean;
}

export interface VirtualHostSpec extends At {
  readonly fqdn: string;
  readonly tls?: TLSSpec;
  readonly authorization?: AuthorizationServerSpec;
  readonly corsPolicy?: CORSPolicySpec;
  readonly rateLimitPolicy?: RateLimitPolicySpec;
  readonly jwtProviders: readonly JWTProviderSpec[];
  readonly ipAllowPolicy: readonly IPFilterPolicySpec[];
  readonly ipDenyPolicy: readonly IPFilterPolicySpec[];
}

export interface HTTPProxyView {
  readonly kind: 'HTTPProxy';
  readonly meta: Meta;
  /** metadata.generation, for the status's observedGeneration (0 when absent). */
  readonly generation: number;
  /** Some field could not be read (reported as InvalidField); the proxy is invalid as a whole. */
  readonly malformed: boolean;
  readonly ingressClassName?: string;
  readonly virtualhost?: VirtualHostSpec;
  readonly routes: readonly RouteSpec[];
  readonly includes: readonly IncludeSpec[];
  readonly tcpproxy?: TCPProxySpec;
}

export interface ExtensionServiceView {
  readonly kind: 'ExtensionService';
  readonly meta: Meta;
  readonly generation: number;
  readonly malformed: boolean;
  readonly services: readonly (At & {
    readonly name: string;
    readonly port: number;
    readonly weight?: number;
  })[];
  /** `h2` (default) or `h2c`. */
  readonly protocol?: string;
  readonly protocolVersion?: string;
  readonly validation?: UpstreamValidationSpec;
  readonly loadBalancerPolicy?: LoadBalancerPolicySpec;
  readonly timeoutPolicy?: TimeoutPolicySpec;
  readonly circuitBreakerPolicy?: At & {
    readonly maxConnections?: number;
    readonly maxPendingRequests?: number;
    readonly maxRequests?: number;
    readonly maxRetries?: number;
    readonly perHostMaxConnections?: number;
  };
}

// ---------------------------------------------------------------------------------------------------
// Parsing

const minInt32 = -2147483648;
const maxInt32 = 2147483647;
/** Longest array read from one field; bounds the work hostile input can cause. */
const maxEntries = 10000;

/** An object read from the input, with its path and the reader reporting on its fields. */
interface Node {
  readonly r: Reader;
  readonly at: FieldPath;
  readonly value: Record<string, unknown>;
}

/** Removes undefined properties, so optional fields are absent (exactOptionalPropertyTypes). */
type Compact<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

function compact<T extends object>(parts: T): Compact<T> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parts)) if (value !== undefined) out[key] = value;
  return out as Compact<T>;
}

/** A sink that counts InvalidField reports: any of them while reading a spec makes the view malformed. */
function countingSink(sink: DiagnosticSink): DiagnosticSink & { readonly invalid: () => number } {
  let invalid = 0;
  return {
    invalid: () => invalid,
    report(code, object, path, message, conditionType) {
      if (code === 'InvalidField') invalid += 1;
      if (conditionType === undefined) sink.report(code, object, path, message);
      else sink.report(code, object, path, message, conditionType);
    },
  };
}

function nodeAt(r: Reader, value: unknown, at: FieldPath): Node | undefined {
  const record = readRecord(r, value, at);
  return record === undefined ? undefined : { r, at, value: record };
}

const get = (n: Node, key: string): unknown => field(n.value, key);
const pathOf = (n: Node, key: string): FieldPath => [...n.at, key];

function str(n: Node, key: string): string | undefined {
  return readString(n.r, get(n, key), pathOf(n, key));
}

/** A required string: '' when missing (stage A reports it with Contour's reason). */
function name(n: Node, key: string): string {
  return str(n, key) ?? '';
}

function bool(n: Node, key: string): boolean | undefined {
  return readBoolean(n.r, get(n, key), pathOf(n, key));
}

function int(n: Node, key: string): number | undefined {
  return readInteger(n.r, get(n, key), pathOf(n, key), minInt32, maxInt32);
}

/** A required integer: missing is a schema violation (InvalidField), read as 0. */
function requiredInt(n: Node, key: string): number {
  const value = get(n, key);
  if (value !== undefined && value !== null) return int(n, key) ?? 0;
  n.r.sink.report('InvalidField', n.r.ref, pathOf(n, key), `${key} is required`);
  return 0;
}

/** The entries of an array field, at most maxEntries of them; null entries are reported and skipped. */
function listOf<T>(
  n: Node,
  key: string,
  read: (r: Reader, value: unknown, at: FieldPath) => T | undefined,
): T[] {
  const at = pathOf(n, key);
  let list = readArray(n.r, get(n, key), at);
  if (list.length > maxEntries) {
    n.r.sink.report('InvalidField', n.r.ref, at, `more than ${maxEntries} entries`);
    list = list.slice(0, maxEntries);
  }
  const out: T[] = [];
  list.forEach((value, i) => {
    if (value === null || value === undefined) {
      n.r.sink.report('InvalidField', n.r.ref, [...at, i], 'entry is null');
      return;
    }
    const item = read(n.r, value, [...at, i]);
    if (item !== undefined) out.push(item);
  });
  return out;
}

const strings = (n: Node, key: string): string[] => listOf(n, key, (r, v, at) => readString(r, v, at));
const integers = (n: Node, key: string): number[] =>
  listOf(n, key, (r, v, at) => readInteger(r, v, at, minInt32, maxInt32));

function children<T>(n: Node, key: string, parse: (n: Node) => T): T[] {
  return listOf(n, key, (r, v, at) => {
    const c = nodeAt(r, v, at);
    return c === undefined ? undefined : parse(c);
  });
}

function child<T>(n: Node, key: string, parse: (n: Node) => T): T | undefined {
  const c = nodeAt(n.r, get(n, key), pathOf(n, key));
  return c === undefined ? undefined : parse(c);
}

// Shared parts

function headerValue(n: Node): HeaderValueSpec {
  return { at: n.at, name: name(n, 'name'), value: name(n, 'value') };
}

function headersPolicy(n: Node): HeadersPolicySpec {
  return {
    at: n.at,
    set: children(n, 'set', headerValue),
    remove: listOf(n, 'remove', (r, v, at) => {
      const text = readString(r, v, at);
      return text === undefined ? undefined : { at, name: text };
    }),
  };
}

function headerMatch(n: Node): HeaderMatchConditionSpec {
  return compact({
    at: n.at,
    name: name(n, 'name'),
    present: bool(n, 'present'),
    notpresent: bool(n, 'notpresent'),
    contains: str(n, 'contains'),
    notcontains: str(n, 'notcontains'),
    exact: str(n, 'exact'),
    notexact: str(n, 'notexact'),
    regex: str(n, 'regex'),
    ignoreCase: bool(n, 'ignoreCase'),
    treatMissingAsEmpty: bool(n, 'treatMissingAsEmpty'),
  });
}

function queryParameterMatch(n: Node): QueryParameterMatchConditionSpec {
  return compact({
    at: n.at,
    name: name(n, 'name'),
    exact: str(n, 'exact'),
    prefix: str(n, 'prefix'),
    suffix: str(n, 'suffix'),
    regex: str(n, 'regex'),
    contains: str(n, 'contains'),
    present: bool(n, 'present'),
    ignoreCase: bool(n, 'ignoreCase'),
  });
}

function matchCondition(n: Node): MatchConditionSpec {
  return compact({
    at: n.at,
    prefix: str(n, 'prefix'),
    exact: str(n, 'exact'),
    regex: str(n, 'regex'),
    header: child(n, 'header', headerMatch),
    queryParameter: child(n, 'queryParameter', queryParameterMatch),
  });
}

function include(n: Node): IncludeSpec {
  return compact({
    at: n.at,
    name: name(n, 'name'),
    namespace: str(n, 'namespace'),
    conditions: children(n, 'conditions', matchCondition),
  });
}

function tcpInclude(n: Node): At & { readonly name: string; readonly namespace?: string } {
  return compact({ at: n.at, name: name(n, 'name'), namespace: str(n, 'namespace') });
}

function upstreamValidation(n: Node): UpstreamValidationSpec {
  return {
    at: n.at,
    caSecret: name(n, 'caSecret'),
    subjectName: name(n, 'subjectName'),
    subjectNames: strings(n, 'subjectNames'),
  };
}

function requestHashPolicy(n: Node): RequestHashPolicySpec {
  return compact({
    at: n.at,
    terminal: bool(n, 'terminal'),
    headerHashOptions: child(n, 'headerHashOptions', (h) => ({
      at: h.at,
      headerName: name(h, 'headerName'),
    })),
    queryParameterHashOptions: child(n, 'queryParameterHashOptions', (q) => ({
      at: q.at,
      parameterName: name(q, 'parameterName'),
    })),
    hashSourceIP: bool(n, 'hashSourceIP'),
  });
}

function loadBalancerPolicy(n: Node): LoadBalancerPolicySpec {
  return compact({
    at: n.at,
    strategy: str(n, 'strategy'),
    requestHashPolicies: children(n, 'requestHashPolicies', requestHashPolicy),
  });
}

function timeoutPolicy(n: Node): TimeoutPolicySpec {
  return compact({
    at: n.at,
    response: str(n, 'response'),
    idle: str(n, 'idle'),
    idleConnection: str(n, 'idleConnection'),
  });
}

function healthThresholds(n: Node) {
  return {
    intervalSeconds: int(n, 'intervalSeconds'),
    timeoutSeconds: int(n, 'timeoutSeconds'),
    unhealthyThresholdCount: int(n, 'unhealthyThresholdCount'),
    healthyThresholdCount: int(n, 'healthyThresholdCount'),
  };
}

function tcpHealthCheckPolicy(n: Node): TCPHealthCheckPolicySpec {
  return compact({ at: n.at, ...healthThresholds(n) });
}

function httpHealthCheckPolicy(n: Node): HTTPHealthCheckPolicySpec {
  return compact({
    at: n.at,
    path: name(n, 'path'),
    host: str(n, 'host'),
    ...healthThresholds(n),
    expectedStatuses: children(n, 'expectedStatuses', (s) => ({
      at: s.at,
      start: requiredInt(s, 'start'),
      end: requiredInt(s, 'end'),
    })),
  });
}

function authorizationPolicy(n: Node): AuthorizationPolicySpec {
  return compact({
    at: n.at,
    disabled: bool(n, 'disabled'),
    context: readStringMap(n.r, get(n, 'context'), pathOf(n, 'context')),
  });
}

function ipFilter(n: Node): IPFilterPolicySpec {
  return { at: n.at, source: name(n, 'source'), cidr: name(n, 'cidr') };
}

// Rate limits

function localRateLimit(n: Node): LocalRateLimitPolicySpec {
  return compact({
    at: n.at,
    requests: requiredInt(n, 'requests'),
    unit: name(n, 'unit'),
    burst: int(n, 'burst'),
    responseStatusCode: int(n, 'responseStatusCode'),
    responseHeadersToAdd: children(n, 'responseHeadersToAdd', headerValue),
  });
}

function descriptorEntry(n: Node): RateLimitDescriptorEntrySpec {
  return compact({
    at: n.at,
    genericKey: child(n, 'genericKey', (g) =>
      compact({ at: g.at, key: str(g, 'key'), value: name(g, 'value') }),
    ),
    requestHeader: child(n, 'requestHeader', (h) => ({
      at: h.at,
      headerName: name(h, 'headerName'),
      descriptorKey: name(h, 'descriptorKey'),
    })),
    requestHeaderValueMatch: child(n, 'requestHeaderValueMatch', (m) =>
      compact({
        at: m.at,
        headers: children(m, 'headers', headerMatch),
        expectMatch: bool(m, 'expectMatch'),
        value: name(m, 'value'),
      }),
    ),
    remoteAddress: child(n, 'remoteAddress', (a) => ({ at: a.at })),
  });
}

function globalRateLimit(n: Node): GlobalRateLimitPolicySpec {
  return compact({
    at: n.at,
    disabled: bool(n, 'disabled'),
    descriptors: children(n, 'descriptors', (d) => ({
      at: d.at,
      entries: children(d, 'entries', descriptorEntry),
    })),
  });
}

function rateLimitPolicy(n: Node): RateLimitPolicySpec {
  return compact({
    at: n.at,
    local: child(n, 'local', localRateLimit),
    global: child(n, 'global', globalRateLimit),
  });
}

// Routes and services

function cookieRewritePolicy(n: Node): CookieRewritePolicySpec {
  const rewrite = (w: Node) => ({ at: w.at, value: name(w, 'value') });
  return compact({
    at: n.at,
    name: name(n, 'name'),
    pathRewrite: child(n, 'pathRewrite', rewrite),
    domainRewrite: child(n, 'domainRewrite', rewrite),
    secure: bool(n, 'secure'),
    sameSite: str(n, 'sameSite'),
  });
}

function slowStartPolicy(n: Node): SlowStartPolicySpec {
  return compact({
    at: n.at,
    window: name(n, 'window'),
    aggression: str(n, 'aggression'),
    minWeightPercent: int(n, 'minWeightPercent'),
  });
}

function service(n: Node): ServiceSpec {
  return compact({
    at: n.at,
    name: name(n, 'name'),
    port: requiredInt(n, 'port'),
    healthPort: int(n, 'healthPort'),
    protocol: str(n, 'protocol'),
    weight: int(n, 'weight'),
    validation: child(n, 'validation', upstreamValidation),
    mirror: bool(n, 'mirror'),
    requestHeadersPolicy: child(n, 'requestHeadersPolicy', headersPolicy),
    responseHeadersPolicy: child(n, 'responseHeadersPolicy', headersPolicy),
    cookieRewritePolicies: children(n, 'cookieRewritePolicies', cookieRewritePolicy),
    slowStartPolicy: child(n, 'slowStartPolicy', slowStartPolicy),
  });
}

function retryPolicy(n: Node): RetryPolicySpec {
  return compact({
    at: n.at,
    count: int(n, 'count'),
    perTryTimeout: str(n, 'perTryTimeout'),
    retryOn: strings(n, 'retryOn'),
    retriableStatusCodes: integers(n, 'retriableStatusCodes'),
  });
}

function pathRewritePolicy(n: Node): PathRewritePolicySpec {
  return {
    at: n.at,
    replacePrefix: children(n, 'replacePrefix', (p) =>
      compact({ at: p.at, prefix: str(p, 'prefix'), replacement: name(p, 'replacement') }),
    ),
  };
}

function redirectPolicy(n: Node): RedirectPolicySpec {
  return compact({
    at: n.at,
    scheme: str(n, 'scheme'),
    hostname: str(n, 'hostname'),
    port: int(n, 'port'),
    statusCode: int(n, 'statusCode'),
    path: str(n, 'path'),
    prefix: str(n, 'prefix'),
  });
}

function directResponsePolicy(n: Node): DirectResponsePolicySpec {
  return compact({ at: n.at, statusCode: requiredInt(n, 'statusCode'), body: str(n, 'body') });
}

function internalRedirectPolicy(n: Node): InternalRedirectPolicySpec {
  return compact({
    at: n.at,
    maxInternalRedirects: int(n, 'maxInternalRedirects'),
    redirectResponseCodes: integers(n, 'redirectResponseCodes'),
    allowCrossSchemeRedirect: str(n, 'allowCrossSchemeRedirect'),
    denyRepeatedRouteRedirect: bool(n, 'denyRepeatedRouteRedirect'),
  });
}

function route(n: Node): RouteSpec {
  return compact({
    at: n.at,
    conditions: children(n, 'conditions', matchCondition),
    services: children(n, 'services', service),
    enableWebsockets: bool(n, 'enableWebsockets'),
    permitInsecure: bool(n, 'permitInsecure'),
    authPolicy: child(n, 'authPolicy', authorizationPolicy),
    timeoutPolicy: child(n, 'timeoutPolicy', timeoutPolicy),
    retryPolicy: child(n, 'retryPolicy', retryPolicy),
    healthCheckPolicy: child(n, 'healthCheckPolicy', httpHealthCheckPolicy),
    loadBalancerPolicy: child(n, 'loadBalancerPolicy', loadBalancerPolicy),
    pathRewritePolicy: child(n, 'pathRewritePolicy', pathRewritePolicy),
    requestHeadersPolicy: child(n, 'requestHeadersPolicy', headersPolicy),
    responseHeadersPolicy: child(n, 'responseHeadersPolicy', headersPolicy),
    cookieRewritePolicies: children(n, 'cookieRewritePolicies', cookieRewritePolicy),
    rateLimitPolicy: child(n, 'rateLimitPolicy', rateLimitPolicy),
    requestRedirectPolicy: child(n, 'requestRedirectPolicy', redirectPolicy),
    directResponsePolicy: child(n, 'directResponsePolicy', directResponsePolicy),
    internalRedirectPolicy: child(n, 'internalRedirectPolicy', internalRedirectPolicy),
    jwtVerificationPolicy: child(n, 'jwtVerificationPolicy', (j) =>
      compact({ at: j.at, require: str(j, 'require'), disabled: bool(j, 'disabled') }),
    ),
    ipAllowPolicy: children(n, 'ipAllowPolicy', ipFilter),
    ipDenyPolicy: children(n, 'ipDenyPolicy', ipFilter),
  });
}

function tcpProxy(n: Node): TCPProxySpec {
  return compact({
    at: n.at,
    services: children(n, 'services', service),
    include: child(n, 'include', tcpInclude),
    includes: child(n, 'includes', tcpInclude),
    loadBalancerPolicy: child(n, 'loadBalancerPolicy', loadBalancerPolicy),
    healthCheckPolicy: child(n, 'healthCheckPolicy', tcpHealthCheckPolicy),
  });
}

// Virtual hosts

function clientCertificateDetails(n: Node): ClientCertificateDetailsSpec {
  return compact({
    at: n.at,
    subject: bool(n, 'subject'),
    cert: bool(n, 'cert'),
    chain: bool(n, 'chain'),
    dns: bool(n, 'dns'),
    uri: bool(n, 'uri'),
  });
}

function downstreamValidation(n: Node): DownstreamValidationSpec {
  return compact({
    at: n.at,
    caSecret: str(n, 'caSecret'),
    skipClientCertValidation: bool(n, 'skipClientCertValidation'),
    forwardClientCertificate: child(n, 'forwardClientCertificate', clientCertificateDetails),
    crlSecret: str(n, 'crlSecret'),
    crlOnlyVerifyLeafCert: bool(n, 'crlOnlyVerifyLeafCert'),
    optionalClientCertificate: bool(n, 'optionalClientCertificate'),
  });
}

function tls(n: Node): TLSSpec {
  return compact({
    at: n.at,
    secretName: str(n, 'secretName'),
    minimumProtocolVersion: str(n, 'minimumProtocolVersion'),
    maximumProtocolVersion: str(n, 'maximumProtocolVersion'),
    passthrough: bool(n, 'passthrough'),
    clientValidation: child(n, 'clientValidation', downstreamValidation),
    enableFallbackCertificate: bool(n, 'enableFallbackCertificate'),
  });
}

function corsPolicy(n: Node): CORSPolicySpec {
  return compact({
    at: n.at,
    allowCredentials: bool(n, 'allowCredentials'),
    allowPrivateNetwork: bool(n, 'allowPrivateNetwork'),
    allowOrigin: strings(n, 'allowOrigin'),
    allowMethods: strings(n, 'allowMethods'),
    allowHeaders: strings(n, 'allowHeaders'),
    exposeHeaders: strings(n, 'exposeHeaders'),
    maxAge: str(n, 'maxAge'),
  });
}

function extensionServiceReference(n: Node): ExtensionServiceReferenceSpec {
  return compact({
    at: n.at,
    apiVersion: str(n, 'apiVersion'),
    namespace: str(n, 'namespace'),
    name: name(n, 'name'),
  });
}

function authorizationServer(n: Node): AuthorizationServerSpec {
  return compact({
    at: n.at,
    extensionRef: child(n, 'extensionRef', extensionServiceReference) ?? {
      at: pathOf(n, 'extensionRef'),
      name: '',
    },
    serviceType: str(n, 'serviceType'),
    authPolicy: child(n, 'authPolicy', authorizationPolicy),
    responseTimeout: str(n, 'responseTimeout'),
    failOpen: bool(n, 'failOpen'),
    withRequestBody: child(n, 'withRequestBody', (w) =>
      compact({
        at: w.at,
        maxRequestBytes: int(w, 'maxRequestBytes'),
        allowPartialMessage: bool(w, 'allowPartialMessage'),
        packAsBytes: bool(w, 'packAsBytes'),
      }),
    ),
    httpSettings: child(n, 'httpSettings', (h) =>
      compact({
        at: h.at,
        pathPrefix: str(h, 'pathPrefix'),
        allowedAuthorizationHeaders: allowedHeaders(h, 'allowedAuthorizationHeaders'),
        allowedUpstreamHeaders: allowedHeaders(h, 'allowedUpstreamHeaders'),
      }),
    ),
  });
}

/** Allowed-header matchers: objects with one of exact/prefix/suffix/contains, or plain names. */
function allowedHeaders(n: Node, key: string): AllowedHeaderSpec[] {
  return listOf(n, key, (r, v, at) => {
    // A plain name matches like a header name: exactly, in any case.
    if (typeof v === 'string') return { at, exact: readString(r, v, at) ?? '', ignoreCase: true };
    const c = nodeAt(r, v, at);
    return c === undefined
      ? undefined
      : compact({
          at: c.at,
          exact: str(c, 'exact'),
          prefix: str(c, 'prefix'),
          suffix: str(c, 'suffix'),
          contains: str(c, 'contains'),
          ignoreCase: bool(c, 'ignoreCase'),
        });
  });
}

function remoteJWKS(n: Node): NonNullable<JWTProviderSpec['remoteJWKS']> {
  return compact({
    at: n.at,
    uri: name(n, 'uri'),
    validation: child(n, 'validation', upstreamValidation),
    timeout: str(n, 'timeout'),
    cacheDuration: str(n, 'cacheDuration'),
    dnsLookupFamily: str(n, 'dnsLookupFamily'),
  });
}

function jwtProvider(n: Node): JWTProviderSpec {
  return compact({
    at: n.at,
    name: name(n, 'name'),
    default: bool(n, 'default'),
    issuer: str(n, 'issuer'),
    audiences: strings(n, 'audiences'),
    remoteJWKS: child(n, 'remoteJWKS', remoteJWKS),
    localJWKS: child(n, 'localJWKS', (l) =>
      compact({ at: l.at, secretName: name(l, 'secretName'), key: str(l, 'key') }),
    ),
    forwardJWT: bool(n, 'forwardJWT'),
  });
}

function virtualHost(n: Node): VirtualHostSpec {
  return compact({
    at: n.at,
    fqdn: name(n, 'fqdn'),
    tls: child(n, 'tls', tls),
    authorization: child(n, 'authorization', authorizationServer),
    corsPolicy: child(n, 'corsPolicy', corsPolicy),
    rateLimitPolicy: child(n, 'rateLimitPolicy', rateLimitPolicy),
    jwtProviders: children(n, 'jwtProviders', jwtProvider),
    ipAllowPolicy: children(n, 'ipAllowPolicy', ipFilter),
    ipDenyPolicy: children(n, 'ipDenyPolicy', ipFilter),
  });
}

// Objects

interface Reading {
  readonly meta: Meta;
  readonly generation: number;
  readonly spec: Node;
  /** Whether an InvalidField was reported while reading the spec (so far). */
  readonly malformed: () => boolean;
}

/** Metadata, generation and spec of a Contour object; undefined only when the metadata is unusable. */
function beginReading(kind: string, object: unknown, sink: DiagnosticSink): Reading | undefined {
  const meta = parseMeta(kind, object, sink, true);
  if (meta === undefined) return undefined;
  // A bad generation only blurs status reporting: reported, but the object stays well-formed.
  const generation = readInteger(
    { ref: meta.ref, sink },
    field(field(object, 'metadata'), 'generation'),
    ['metadata', 'generation'],
    0,
    Number.MAX_SAFE_INTEGER,
  );
  const counter = countingSink(sink);
  const r: Reader = { ref: meta.ref, sink: counter };
  return {
    meta,
    generation: generation ?? 0,
    spec: nodeAt(r, field(object, 'spec'), ['spec']) ?? { r, at: ['spec'], value: {} },
    malformed: () => counter.invalid() > 0,
  };
}

export function parseHTTPProxy(object: unknown, sink: DiagnosticSink): HTTPProxyView | undefined {
  const reading = beginReading('HTTPProxy', object, sink);
  if (reading === undefined) return undefined;
  const { meta, generation, spec } = reading;
  const parts = compact({
    ingressClassName: str(spec, 'ingressClassName'),
    virtualhost: child(spec, 'virtualhost', virtualHost),
    routes: children(spec, 'routes', route),
    includes: children(spec, 'includes', include),
    tcpproxy: child(spec, 'tcpproxy', tcpProxy),
  });
  return { kind: 'HTTPProxy', meta, generation, malformed: reading.malformed(), ...parts };
}

export function parseExtensionService(
  object: unknown,
  sink: DiagnosticSink,
): ExtensionServiceView | undefined {
  const reading = beginReading('ExtensionService', object, sink);
  if (reading === undefined) return undefined;
  const { meta, generation, spec } = reading;
  const parts = compact({
    services: children(spec, 'services', (s) =>
      compact({ at: s.at, name: name(s, 'name'), port: requiredInt(s, 'port'), weight: int(s, 'weight') }),
    ),
    protocol: str(spec, 'protocol'),
    protocolVersion: str(spec, 'protocolVersion'),
    validation: child(spec, 'validation', upstreamValidation),
    loadBalancerPolicy: child(spec, 'loadBalancerPolicy', loadBalancerPolicy),
    timeoutPolicy: child(spec, 'timeoutPolicy', timeoutPolicy),
    circuitBreakerPolicy: child(spec, 'circuitBreakerPolicy', (c) =>
      compact({
        at: c.at,
        maxConnections: int(c, 'maxConnections'),
        maxPendingRequests: int(c, 'maxPendingRequests'),
        maxRequests: int(c, 'maxRequests'),
        maxRetries: int(c, 'maxRetries'),
        perHostMaxConnections: int(c, 'perHostMaxConnections'),
      }),
    ),
  });
  return { kind: 'ExtensionService', meta, generation, malformed: reading.malformed(), ...parts };
}
