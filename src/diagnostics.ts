/**
 * One shape for every problem kube-xds finds in its input. Diagnostics are data: hosts match on
 * `code`, show `message`, and point users at `object` and `path`. Codes are stable and documented in
 * docs/reference/diagnostics.md (a test keeps the two in step).
 */
import { compareText } from './compare.js';

/** Every diagnostic code, with its severity. `error`: something was left out of the output. */
export const diagnosticCodes = {
  InvalidObject: 'error',
  InvalidField: 'error',
  DuplicateObject: 'error',
  MultipleDefaultIngressClasses: 'warning',
  InvalidHostname: 'error',
  InvalidPath: 'error',
  InvalidRegex: 'error',
  InvalidAnnotation: 'warning',
  InvalidBackend: 'error',
  ServiceNotFound: 'error',
  ServicePortNotFound: 'error',
  UnsupportedServiceProtocol: 'error',
  ExternalNameDisabled: 'error',
  ExternalNameForbidden: 'error',
  InvalidEndpoint: 'warning',
  SecretNotFound: 'error',
  SecretInvalid: 'error',
  DelegationNotPermitted: 'error',
  TLSVersionInvalid: 'error',
  TLSHostInvalid: 'error',
  TLSHostConflict: 'warning',
  RouteConflict: 'warning',
  ClusterConflict: 'warning',
  // HTTPProxy and ExtensionService: the code is Contour's condition Reason, and the report names the
  // condition Type (VirtualHostError, RouteError, ...) that the object's status carries it under.
  FQDNNotSpecified: 'error',
  DuplicateVhost: 'error',
  RateLimitPolicyNotValid: 'error',
  RootProxyNotAllowedInNamespace: 'error',
  NothingDefined: 'error',
  TLSIncompatibleFeatures: 'error',
  TLSConfigNotValid: 'error',
  SecretNotValid: 'error',
  FallbackNotPresent: 'error',
  FallbackNotDelegated: 'error',
  FallbackNotValid: 'error',
  ClientValidationInvalid: 'error',
  CACertificateNotDelegated: 'error',
  AuthNotPermitted: 'error',
  AuthBadResourceVersion: 'error',
  ExtensionServiceNotFound: 'error',
  AuthResponseTimeoutInvalid: 'error',
  AuthContextForHTTP: 'error',
  AuthBadAllowedHeader: 'error',
  JWTVerificationNotPermitted: 'error',
  DuplicateProviderName: 'error',
  MultipleDefaultProvidersSpecified: 'error',
  JWKSSourceConflict: 'error',
  JWKSSourceMissing: 'error',
  LocalJWKSInvalid: 'error',
  RemoteJWKSURIInvalid: 'error',
  RemoteJWKSSchemeInvalid: 'error',
  RemoteJWKSUpstreamValidationInvalid: 'error',
  RemoteJWKSCACertificateNotDelegated: 'error',
  RemoteJWKSTimeoutInvalid: 'error',
  RemoteJWKSCacheDurationInvalid: 'error',
  RemoteJWKSPortInvalid: 'error',
  RemoteJWKSDNSLookupFamilyInvalid: 'error',
  JWTProviderNotDefined: 'error',
  InvalidJWTVerificationPolicy: 'error',
  IncompatibleIPAddressFilters: 'error',
  IPFilterPolicyNotValid: 'error',
  InvalidCIDR: 'error',
  PolicyDidNotParse: 'error',
  IncludeCreatesCycle: 'error',
  PathMatchConditionsNotValid: 'error',
  DuplicateMatchConditions: 'error',
  IncludeNotFound: 'error',
  RootIncludesRoot: 'error',
  RouteActionCountNotValid: 'error',
  HeaderMatchConditionsNotValid: 'error',
  QueryParameterMatchConditionsNotValid: 'error',
  RequestHeadersPolicyInvalid: 'error',
  ResponseHeaderPolicyInvalid: 'error',
  CookieRewritePoliciesInvalid: 'error',
  TimeoutPolicyNotValid: 'error',
  RequestRedirectPolicy: 'error',
  HealthCheckPolicyInvalid: 'error',
  MustHavePrefix: 'error',
  DuplicateReplacement: 'error',
  AmbiguousReplacement: 'error',
  ServicePortInvalid: 'error',
  ServiceUnresolvedReference: 'error',
  UnsupportedProtocol: 'error',
  TLSUpstreamValidation: 'error',
  ResponseHeadersPolicyInvalid: 'error',
  SlowStartInvalid: 'error',
  OnlyOneMirror: 'error',
  TLSMustBeConfigured: 'error',
  NoServicesAndInclude: 'error',
  UnsupportedServiceType: 'error',
  IgnoredField: 'warning',
  Orphaned: 'warning',
} as const satisfies Record<string, Severity>;

export type Severity = 'error' | 'warning' | 'info';
export type DiagnosticCode = keyof typeof diagnosticCodes;

/** The Kubernetes object a diagnostic is about. */
export interface ObjectRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** A field path inside the object, e.g. `['spec', 'rules', 0, 'host']`. */
export type FieldPath = readonly (string | number)[];

export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly object: ObjectRef;
  readonly path: FieldPath;
  readonly message: string;
  /**
   * For objects that carry a status (HTTPProxy, ExtensionService): the condition Type the problem is
   * filed under in that status, e.g. `RouteError`; its Reason is `code`.
   */
  readonly conditionType?: string;
}

/** Collects diagnostics during one translate() call. */
export interface DiagnosticSink {
  report(
    code: DiagnosticCode,
    object: ObjectRef,
    path: FieldPath,
    message: string,
    conditionType?: string,
  ): void;
}

/** A Diagnostic from a sink's report() arguments. */
export function diagnosticOf(
  code: DiagnosticCode,
  object: ObjectRef,
  path: FieldPath,
  message: string,
  conditionType?: string,
): Diagnostic {
  const d = { code, severity: diagnosticCodes[code], object, path, message };
  return conditionType === undefined ? d : { ...d, conditionType };
}

export function createDiagnosticSink(): DiagnosticSink & { readonly list: Diagnostic[] } {
  const list: Diagnostic[] = [];
  return {
    list,
    report(...args) {
      list.push(diagnosticOf(...args));
    },
  };
}

/** `spec.rules[0].host` */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

/** One human-readable line: `error ServiceNotFound Ingress default/web spec.rules[0]...: message`. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.object.namespace === '' ? d.object.name : `${d.object.namespace}/${d.object.name}`;
  const path = d.path.length === 0 ? '' : ` ${formatPath(d.path)}`;
  return `${d.severity} ${d.code} ${d.object.kind} ${where}${path}: ${d.message}`;
}

/** Sorts by object (kind, namespace, name), then path, then code, then message; removes exact repeats. */
export function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  const keyed = list.map((d) => ({ d, path: formatPath(d.path) }));
  keyed.sort(
    (x, y) =>
      compareText(x.d.object.kind, y.d.object.kind) ||
      compareText(x.d.object.namespace, y.d.object.namespace) ||
      compareText(x.d.object.name, y.d.object.name) ||
      compareText(x.path, y.path) ||
      compareText(x.d.code, y.d.code) ||
      compareText(x.d.message, y.d.message),
  );
  const out: Diagnostic[] = [];
  let previous = '';
  for (const { d, path } of keyed) {
    const key = `${d.object.kind}\0${d.object.namespace}\0${d.object.name}\0${path}\0${d.code}\0${d.message}`;
    if (key !== previous) out.push(d);
    previous = key;
  }
  return out;
}
