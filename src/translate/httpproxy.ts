/**
 * Stage A for projectcontour.io/v1 HTTPProxy, following Contour's HTTPProxy processor: a root (a proxy
 * with spec.virtualhost) is evaluated with everything it includes, into claims on its host that the
 * engine merges with the Ingress claims on the same host. Every problem is reported against the proxy
 * that has to change, with Contour's condition Type and Reason, and those reports are the only input
 * of the proxies' statuses (translate/status.ts).
 *
 * Deliberate differences from Contour (docs/reference/httpproxy.md): errors that Contour records while
 * still serving the routes (an undefined JWT provider, client validation without a CA) drop them here;
 * regexes are checked with RE2 before they reach Envoy; literal path pieces merged into a regex are
 * escaped; upstream validation on a protocol without TLS is refused rather than ignored.
 */
import { compareText } from '../compare.js';
import type { DiagnosticCode, FieldPath, ObjectRef } from '../diagnostics.js';
import type {
  ClientValidation,
  Cluster,
  CookieRewrite,
  Cors,
  DurationValue,
  ExtAuthz,
  IpFilter,
  JwtProvider,
  LocalRateLimit,
  RateLimitDescriptor,
  Route,
  RouteAction,
  RouteFilters,
  RouteMatch,
  TcpProxy,
  TlsSecret,
  TlsSettings,
  TlsVersion,
  UpstreamProtocol,
  WeightedBackend,
} from '../model/ir.js';
import type {
  AuthorizationPolicySpec,
  HTTPProxyView,
  IncludeSpec,
  RouteSpec,
  ServiceSpec,
  TCPProxySpec,
  UpstreamValidationSpec,
} from '../model/k8s/httpproxy.js';
import { type Lookup, type Report, reportList } from '../model/snapshot.js';
import type { ResolvedOptions } from '../options.js';
import {
  authorization,
  extensionCluster,
  type JwtResult,
  jwtProviders,
  routeAuthorization,
  type Upstreams,
} from './httpproxy-auth.js';
import {
  type Conditions,
  checkCombined,
  concatConditions,
  corsPolicy,
  type Fail,
  headersPolicy,
  httpHealthCheck,
  type Invalid,
  includeKey,
  internalRedirect,
  invalid,
  ipFilter,
  loadBalancing,
  mergedPath,
  noConditions,
  type ParsedHeaders,
  type PolicyContext,
  parseConditions,
  rateLimits,
  redirectAction,
  retryPolicy,
  sortHeaderMatches,
  sortQueryMatches,
  tcpHealthCheck,
  timeoutPolicy,
} from './httpproxy-policy.js';
import { classOf, type RouteClaim, regexProblem, wildcardAuthority } from './ingress.js';
import { routeMatchKey } from './route-order.js';
import {
  createSecretResolver,
  isSecretProblem,
  parseSecretRef,
  type SecretCheckCache,
  type SecretResolver,
} from './secrets.js';
import {
  type ClusterSettings,
  createServiceResolver,
  type EndpointsNeed,
  type ServiceResolver,
} from './services.js';
import { isValidHostname } from './validate.js';

/** `namespace/name` of a proxy. */
export const proxyId = (p: { meta: { namespace: string; name: string } }) =>
  `${p.meta.namespace}/${p.meta.name}`;

/** The TLS side of a root's virtual host. */
export interface SecureClaim {
  readonly secret: TlsSecret | undefined;
  readonly tls: TlsSettings;
  readonly clientValidation?: ClientValidation;
  readonly tcpProxy?: TcpProxy;
  readonly authorization?: ExtAuthz;
  readonly jwtProviders?: readonly JwtProvider[];
  /** The fallback certificate, when the virtual host enables it. */
  readonly fallback?: TlsSecret;
}

/** Virtual-host-wide policies of a root. */
export interface VirtualHostPolicy {
  readonly cors?: Cors;
  readonly localRateLimit?: LocalRateLimit;
  readonly rateLimits?: readonly RateLimitDescriptor[];
  readonly ipFilter?: IpFilter;
}

/** Everything one root HTTPProxy contributes, with what it reached. */
export interface ProxyClaims {
  readonly proxy: HTTPProxyView;
  /** The lower-cased fqdn this root serves; undefined when it serves nothing. */
  readonly fqdn: string | undefined;
  readonly secure: SecureClaim | undefined;
  readonly policy: VirtualHostPolicy;
  readonly routes: readonly RouteClaim[];
  readonly clusters: ReadonlyMap<string, Cluster>;
  readonly endpointNeeds: ReadonlyMap<string, EndpointsNeed>;
  readonly reports: readonly Report[];
  /** `namespace/name` of every proxy this root's evaluation reached, itself included. */
  readonly visited: ReadonlySet<string>;
}

/** Whether this translator serves the proxy (its class, as for Ingress, without IngressClass objects). */
export function proxyServed(proxy: HTTPProxyView, options: ResolvedOptions): boolean {
  const cls = classOf(proxy.meta.annotations, proxy.ingressClassName);
  if (cls !== undefined) return options.ingressClassNames.includes(cls);
  return !options.ingressClassNamesConfigured;
}

/** Roots must live in a root namespace when the option lists some. */
export function inRootNamespace(proxy: HTTPProxyView, options: ResolvedOptions): boolean {
  return options.rootNamespaces.length === 0 || options.rootNamespaces.includes(proxy.meta.namespace);
}

interface Built {
  readonly match: RouteMatch;
  readonly action: RouteAction;
  readonly origin: ObjectRef;
  readonly at: FieldPath;
  readonly permitInsecure: boolean;
  readonly requestHeaders?: Route['requestHeaders'];
  readonly responseHeaders?: Route['responseHeaders'];
  readonly filters?: RouteFilters;
  /**
   * Set on the two routes a prefix rewrite expands into (`/p` and `/p/`): whether this one is the
   * form the user did not write, and the rewrite as written, used when no expansion happens.
   */
  readonly expansion?: { readonly implicit: boolean; readonly asWritten: string };
}

interface Evaluation {
  /** The virtual host's authorization and JWT settings, which every route of the tree inherits. */
  auth?: { readonly policy: AuthorizationPolicySpec | undefined; readonly upstreams: Upstreams };
  jwt?: JwtResult;
  /** The rate limit service's cluster once a global rate limit used it, or why it cannot be used. */
  rateLimit?: Upstreams | string;
  readonly root: HTTPProxyView;
  readonly lookup: Lookup;
  readonly options: ResolvedOptions;
  readonly reports: Report[];
  readonly services: ServiceResolver;
  readonly secrets: SecretResolver;
  readonly visited: Set<string>;
}

function policyContext(ev: Evaluation, proxy: HTTPProxyView): PolicyContext {
  const ref = proxy.meta.ref;
  const fail: Fail = (type, code, at, message) => {
    ev.reports.push([code, ref, at, message, type]);
    return invalid;
  };
  return {
    fail,
    warn: (type, at, message) => void ev.reports.push(['IgnoredField', ref, at, message, type]),
    maxRegexProgramSize: ev.options.maxRegexProgramSize,
    namespace: proxy.meta.namespace,
    rateLimitServiceProblem: () => rateLimitServiceProblem(ev),
  };
}

/**
 * Whether the rateLimitService option's ExtensionService can back global rate limits; on first use
 * its cluster joins this root's claims. Undefined when usable, else why not.
 */
function rateLimitServiceProblem(ev: Evaluation): string | undefined {
  if (ev.rateLimit !== undefined) return typeof ev.rateLimit === 'string' ? ev.rateLimit : undefined;
  const service = ev.options.rateLimitService;
  if (service === undefined) {
    ev.rateLimit = 'no rate limit service is configured (the rateLimitService option)';
    return ev.rateLimit;
  }
  const { namespace, name } = service.extensionService;
  const ext = ev.lookup.extensionService(namespace, name);
  let why =
    ext === undefined ? `the rate limit service ExtensionService ${namespace}/${name} is not found` : '';
  const upstream =
    ext === undefined
      ? undefined
      : extensionCluster(
          { lookup: ev.lookup, options: ev.options, secrets: ev.secrets },
          ext,
          (_c, _t, _a, message) => {
            why ||= `the rate limit service ExtensionService ${namespace}/${name} cannot be used: ${message}`;
          },
        );
  ev.rateLimit = upstream === undefined ? why : { clusters: [upstream.cluster], needs: [upstream.need] };
  return upstream === undefined ? why : undefined;
}

const tlsVersions = new Set<string>(['1.2', '1.3']);

/** Evaluates one root HTTPProxy (spec.virtualhost set) against the current objects. */
export function evaluateProxy(
  root: HTTPProxyView,
  lookup: Lookup,
  options: ResolvedOptions,
  secretChecks: SecretCheckCache,
): ProxyClaims {
  const reports: Report[] = [];
  const sink = reportList(reports);
  const ev: Evaluation = {
    root,
    lookup,
    options,
    reports,
    services: createServiceResolver(lookup, options, sink),
    secrets: createSecretResolver(lookup, sink, secretChecks),
    visited: new Set([proxyId(root)]),
  };
  const nothing = (): ProxyClaims => ({
    proxy: root,
    fqdn: undefined,
    secure: undefined,
    policy: {},
    routes: [],
    clusters: new Map(),
    endpointNeeds: new Map(),
    reports,
    visited: ev.visited,
  });
  const ctx = policyContext(ev, root);
  const vh = root.virtualhost;
  if (vh === undefined || root.malformed) return nothing();
  if (!inRootNamespace(root, options)) {
    ctx.fail(
      'RootNamespaceError',
      'RootProxyNotAllowedInNamespace',
      ['spec', 'virtualhost'],
      `root HTTPProxy cannot be defined in namespace "${root.meta.namespace}"; root namespaces are ${options.rootNamespaces.join(', ')}`,
    );
    return nothing();
  }
  if (vh.fqdn === '') {
    ctx.fail(
      'VirtualHostError',
      'FQDNNotSpecified',
      [...vh.at, 'fqdn'],
      'Spec.VirtualHost.Fqdn must be specified',
    );
    return nothing();
  }
  const fqdn = vh.fqdn.toLowerCase();
  const claimants = lookup
    .proxyRoots(fqdn)
    .filter((p) => !p.malformed && proxyServed(p, options) && inRootNamespace(p, options))
    .map(proxyId)
    .sort(compareText);
  if (claimants.length > 1) {
    ctx.fail(
      'VirtualHostError',
      'DuplicateVhost',
      [...vh.at, 'fqdn'],
      `fqdn "${fqdn}" is used in multiple HTTPProxies: ${claimants.join(', ')}`,
    );
    return nothing();
  }
  if (!isValidHostname(fqdn)) {
    ctx.fail(
      'VirtualHostError',
      'InvalidHostname',
      [...vh.at, 'fqdn'],
      `"${vh.fqdn}" is not a valid DNS name or *.wildcard`,
    );
    return nothing();
  }
  if (root.routes.length === 0 && root.includes.length === 0 && root.tcpproxy === undefined) {
    ctx.fail(
      'SpecError',
      'NothingDefined',
      ['spec'],
      'HTTPProxy.Spec must have at least one Route, Include, or a TCPProxy',
    );
    return nothing();
  }

  // TLS
  let secure: SecureClaim | undefined;
  const tlsSpec = vh.tls;
  if (tlsSpec !== undefined) {
    const result = secureClaim(ev, ctx, tlsSpec);
    if (result === invalid) return nothing();
    secure = result;
  }
  // Authentication: refused outright unless it can be enforced (TLS with a certificate).
  const deps = { lookup, options, secrets: ev.secrets };
  if (secure?.fallback !== undefined && (vh.authorization !== undefined || vh.jwtProviders.length > 0)) {
    const what = vh.authorization !== undefined ? 'authorization' : 'JWT verification';
    ctx.fail(
      'TLSError',
      'TLSIncompatibleFeatures',
      [...vh.at, 'tls', 'enableFallbackCertificate'],
      `Spec.VirtualHost.TLS fallback certificate is not compatible with ${what}`,
    );
    return nothing();
  }
  const withoutCertificate = (type: string, code: DiagnosticCode, key: string, field: string): boolean => {
    if (secure?.secret !== undefined) return false;
    ctx.fail(type, code, [...vh.at, key], `${field} requires TLS with a certificate (not passthrough)`);
    return true;
  };
  if (vh.authorization !== undefined) {
    const field = 'Spec.VirtualHost.Authorization.ServiceRef';
    if (withoutCertificate('AuthError', 'AuthNotPermitted', 'authorization', field)) return nothing();
    const auth = authorization(ctx, deps, vh.authorization, root.meta.namespace);
    if (auth === invalid) return nothing();
    ev.auth = auth;
    secure = { ...(secure as SecureClaim), authorization: auth.ir };
  }
  if (vh.jwtProviders.length > 0) {
    const field = 'Spec.VirtualHost.JWTProviders';
    if (withoutCertificate('JWTVerificationError', 'JWTVerificationNotPermitted', 'jwtProviders', field))
      return nothing();
    const jwt = jwtProviders(ctx, deps, vh.jwtProviders, root.meta.namespace);
    if (jwt === invalid) return nothing();
    ev.jwt = jwt;
    secure = { ...(secure as SecureClaim), jwtProviders: jwt.providers };
  }

  // Virtual-host policies
  const cors = corsPolicy(ctx, vh.corsPolicy);
  if (cors === invalid) return nothing();
  const limits = rateLimits(ctx, vh.rateLimitPolicy, 'VirtualHostError', `vhost.${fqdn}`);
  if (limits === invalid) return nothing();
  const filter = ipFilter(ctx, vh.ipAllowPolicy, vh.ipDenyPolicy, vh.at);
  if (filter === invalid) return nothing();
  const policy: VirtualHostPolicy = {
    ...(cors !== undefined ? { cors } : {}),
    ...(limits.local !== undefined ? { localRateLimit: limits.local } : {}),
    ...(limits.global !== undefined ? { rateLimits: limits.global } : {}),
    ...(filter !== undefined ? { ipFilter: filter } : {}),
  };

  // TCP proxying
  if (root.tcpproxy !== undefined) {
    if (secure === undefined) {
      ctx.fail(
        'TCPProxyError',
        'TLSMustBeConfigured',
        ['spec', 'tcpproxy'],
        'Spec.TCPProxy requires that either Spec.TLS.Passthrough or Spec.TLS.SecretName be set',
      );
      return nothing();
    }
    const tcp = tcpProxy(ev, root, root.tcpproxy, [root]);
    if (tcp === invalid) return nothing();
    secure = { ...secure, tcpProxy: tcp };
  } else if (secure !== undefined && secure.secret === undefined) {
    ctx.fail(
      'TLSError',
      'TLSConfigNotValid',
      [...vh.at, 'tls', 'passthrough'],
      'tls.passthrough requires a tcpproxy',
    );
    return nothing();
  }

  // HTTP routes, through the include tree.
  const built = withoutClashingExpansions(proxyRoutes(ev, root, noConditions, [root]) ?? []);
  const routes: RouteClaim[] = [];
  const authority = wildcardAuthority(fqdn);
  const insecureAllowed = !options.disablePermitInsecure;
  for (const b of built) {
    const route: Route = {
      match: authority.length > 0 ? { ...b.match, headers: [...authority, ...b.match.headers] } : b.match,
      action: b.action,
      origin: b.origin,
      ...(b.requestHeaders !== undefined ? { requestHeaders: b.requestHeaders } : {}),
      ...(b.responseHeaders !== undefined ? { responseHeaders: b.responseHeaders } : {}),
      ...(b.filters !== undefined ? { filters: b.filters } : {}),
    };
    const claim = (listener: RouteClaim['listener'], r: Route): RouteClaim => ({
      fqdn,
      listener,
      route: r,
      path: b.at,
      isDefaultBackend: false,
    });
    if (secure === undefined) {
      routes.push(claim('http', route));
      continue;
    }
    if (secure.tcpProxy === undefined) routes.push(claim('https', route));
    routes.push(
      claim(
        'http',
        b.permitInsecure && insecureAllowed
          ? withoutAuthentication(route)
          : { match: route.match, action: { kind: 'httpsRedirect' }, origin: route.origin },
      ),
    );
  }
  const clusters = new Map(ev.services.clusters);
  const endpointNeeds = new Map(ev.services.endpointNeeds);
  const rateLimit = typeof ev.rateLimit === 'string' ? undefined : ev.rateLimit;
  for (const u of [ev.auth?.upstreams, ev.jwt?.upstreams, rateLimit]) {
    for (const c of u?.clusters ?? []) clusters.set(c.name, c);
    for (const n of u?.needs ?? []) endpointNeeds.set(n.name, n);
  }
  return { proxy: root, fqdn, secure, policy, routes, clusters, endpointNeeds, reports, visited: ev.visited };
}

/**
 * Contour's expandPrefixMatches: when the routes already cover both `/p` and `/p/`, the implicit
 * forms a prefix rewrite adds are dropped and each written route keeps its rewrite as written.
 */
function withoutClashingExpansions(built: Built[]): Built[] {
  const written = new Set(
    built.filter((b) => b.expansion?.implicit !== true).map((b) => routeMatchKey(b.match)),
  );
  const clashing = new Set(
    built
      .filter((b) => b.expansion?.implicit === true && written.has(routeMatchKey(b.match)))
      .map((b) => b.at.join('.')),
  );
  if (clashing.size === 0) return built;
  return built.flatMap((b) => {
    if (b.expansion === undefined || !clashing.has(b.at.join('.'))) return [b];
    if (b.expansion.implicit || b.action.kind !== 'forward') return [];
    return [{ ...b, action: { ...b.action, prefixRewrite: b.expansion.asWritten } }];
  });
}

/** The plain-HTTP copy of a route (permitInsecure): that listener has no ext_authz or jwt_authn filter. */
function withoutAuthentication(route: Route): Route {
  if (route.filters?.extAuthz === undefined && route.filters?.jwtRequirement === undefined) return route;
  const { extAuthz: _a, jwtRequirement: _j, ...rest } = route.filters;
  return { ...route, filters: rest };
}

function secureClaim(
  ev: Evaluation,
  ctx: PolicyContext,
  spec: NonNullable<NonNullable<HTTPProxyView['virtualhost']>['tls']>,
): SecureClaim | Invalid {
  const ns = ev.root.meta.namespace;
  const fail = (code: DiagnosticCode, at: FieldPath, message: string): Invalid =>
    ctx.fail('TLSError', code, at, message);
  const global = ev.options.tls;
  const version = (text: string | undefined): TlsVersion | undefined =>
    text !== undefined && tlsVersions.has(text) ? (text as TlsVersion) : undefined;
  const min = version(spec.minimumProtocolVersion);
  const max = version(spec.maximumProtocolVersion);
  const tls: TlsSettings = {
    minimumProtocolVersion:
      min !== undefined && min > global.minimumProtocolVersion ? min : global.minimumProtocolVersion,
    maximumProtocolVersion:
      max !== undefined && max < global.maximumProtocolVersion ? max : global.maximumProtocolVersion,
    cipherSuites: global.cipherSuites,
  };
  if (tls.minimumProtocolVersion > tls.maximumProtocolVersion)
    return fail(
      'TLSConfigNotValid',
      spec.at,
      `minimum TLS version ${tls.minimumProtocolVersion} is above maximum ${tls.maximumProtocolVersion}`,
    );
  const passthrough = spec.passthrough === true;
  const secretName = spec.secretName ?? '';
  if (passthrough && secretName !== '')
    return fail(
      'TLSConfigNotValid',
      spec.at,
      'Spec.VirtualHost.TLS: both Passthrough and SecretName were specified',
    );
  if (!passthrough && secretName === '')
    return fail(
      'TLSConfigNotValid',
      spec.at,
      'Spec.VirtualHost.TLS.SecretName or Spec.VirtualHost.TLS.Passthrough must be specified',
    );
  if (spec.enableFallbackCertificate === true) {
    if (passthrough)
      return fail(
        'TLSIncompatibleFeatures',
        spec.at,
        'Spec.VirtualHost.TLS fallback certificate is not compatible with passthrough',
      );
    if (spec.clientValidation !== undefined)
      return fail(
        'TLSIncompatibleFeatures',
        spec.at,
        'Spec.VirtualHost.TLS fallback certificate is not compatible with client validation',
      );
  }
  const fallback = spec.enableFallbackCertificate === true ? fallbackSecret(ev, fail, spec.at) : undefined;
  if (fallback === invalid) return invalid;
  let secret: TlsSecret | undefined;
  if (!passthrough) {
    const ref = parseSecretRef(secretName, ns);
    const at = [...spec.at, 'secretName'];
    if (ref === undefined)
      return fail(
        'SecretNotValid',
        at,
        `Spec.VirtualHost.TLS Secret "${secretName}" is invalid: not "name" or "namespace/name"`,
      );
    const result = ev.secrets.tls(ref, ns);
    if (isSecretProblem(result)) {
      if (result.problem === 'notDelegated')
        return fail(
          'DelegationNotPermitted',
          at,
          `Spec.VirtualHost.TLS Secret "${secretName}" certificate delegation not permitted`,
        );
      return fail(
        'SecretNotValid',
        at,
        `Spec.VirtualHost.TLS Secret "${secretName}" is invalid: ${result.message}`,
      );
    }
    secret = result;
  }
  let clientValidation: ClientValidation | undefined;
  const cv = spec.clientValidation;
  if (cv !== undefined) {
    if (passthrough)
      return fail(
        'TLSIncompatibleFeatures',
        cv.at,
        'client validation is not compatible with TLS passthrough',
      );
    const skip = cv.skipClientCertValidation === true;
    const caName = cv.caSecret ?? '';
    if (caName === '' && !skip)
      return fail(
        'ClientValidationInvalid',
        cv.at,
        'Spec.VirtualHost.TLS client validation is invalid: CA Secret must be specified',
      );
    const pem = (name: string, key: 'ca.crt' | 'crl.pem', at: FieldPath): Uint8Array | Invalid => {
      const ref = parseSecretRef(name, ns);
      const result =
        ref === undefined
          ? { problem: 'invalid' as const, message: `"${name}" is not "name" or "namespace/name"` }
          : ev.secrets.pem(ref, ns, key);
      if (!isSecretProblem(result)) return result;
      // Contour files an undelegated client CA or CRL like an undelegated certificate.
      if (result.problem === 'notDelegated')
        return fail(
          'DelegationNotPermitted',
          at,
          `Spec.VirtualHost.TLS CA Secret "${name}" is invalid: ${result.message}`,
        );
      return fail(
        'ClientValidationInvalid',
        at,
        `Spec.VirtualHost.TLS client validation is invalid: ${result.message}`,
      );
    };
    const ca = caName === '' ? undefined : pem(caName, 'ca.crt', [...cv.at, 'caSecret']);
    if (ca === invalid) return invalid;
    const crl =
      cv.crlSecret === undefined || cv.crlSecret === ''
        ? undefined
        : pem(cv.crlSecret, 'crl.pem', [...cv.at, 'crlSecret']);
    if (crl === invalid) return invalid;
    const f = cv.forwardClientCertificate;
    clientValidation = {
      ...(ca !== undefined ? { caCertificate: ca } : {}),
      ...(crl !== undefined ? { crl } : {}),
      onlyVerifyLeafCertCrl: cv.crlOnlyVerifyLeafCert === true,
      skipVerification: skip,
      optional: cv.optionalClientCertificate === true,
      ...(f !== undefined
        ? {
            forwardClientCertificate: {
              subject: f.subject === true,
              cert: f.cert === true,
              chain: f.chain === true,
              dns: f.dns === true,
              uri: f.uri === true,
            },
          }
        : {}),
    };
  }
  return {
    secret,
    tls,
    ...(clientValidation !== undefined ? { clientValidation } : {}),
    ...(fallback !== undefined ? { fallback } : {}),
  };
}

/** The fallback certificate (an option), usable from the proxy's namespace only through delegation. */
function fallbackSecret(
  ev: Evaluation,
  fail: (code: DiagnosticCode, at: FieldPath, message: string) => Invalid,
  at: FieldPath,
): TlsSecret | Invalid {
  const ref = ev.options.fallbackCertificate;
  const field = [...at, 'enableFallbackCertificate'];
  if (ref === undefined)
    return fail(
      'FallbackNotPresent',
      field,
      'Spec.Virtualhost.TLS enabled fallback but the fallback Certificate Secret is not configured',
    );
  const result = ev.secrets.tls(ref, ev.root.meta.namespace);
  if (!isSecretProblem(result)) return result;
  const name = `${ref.namespace}/${ref.name}`;
  if (result.problem === 'notDelegated')
    return fail(
      'FallbackNotDelegated',
      field,
      `Spec.VirtualHost.TLS fallback Secret "${name}" is not configured for certificate delegation`,
    );
  return fail(
    'FallbackNotValid',
    field,
    `Spec.Virtualhost.TLS fallback Secret "${name}" is invalid: ${result.message}`,
  );
}

/** Follows tcpproxy includes (own cycle detection) to the proxy that lists services. */
function tcpProxy(
  ev: Evaluation,
  proxy: HTTPProxyView,
  spec: TCPProxySpec,
  chain: HTTPProxyView[],
): TcpProxy | Invalid {
  const ctx = policyContext(ev, proxy);
  const include = spec.include ?? spec.includes;
  if (include !== undefined && spec.services.length > 0)
    return ctx.fail(
      'TCPProxyError',
      'NoServicesAndInclude',
      spec.at,
      'cannot specify services and include in the same httpproxy',
    );
  if (include === undefined && spec.services.length === 0)
    return ctx.fail(
      'TCPProxyError',
      'NothingDefined',
      spec.at,
      'either services or inclusion must be specified',
    );
  if (include !== undefined) {
    const ns = include.namespace ?? proxy.meta.namespace;
    const target = ev.lookup.proxy(ns, include.name);
    if (target === undefined || !proxyServed(target, ev.options))
      return ctx.fail(
        'TCPProxyIncludeError',
        'IncludeNotFound',
        include.at,
        `include ${ns}/${include.name} not found`,
      );
    if (target.virtualhost !== undefined)
      return ctx.fail(
        'TCPProxyIncludeError',
        'RootIncludesRoot',
        include.at,
        `root httpproxy cannot include another root httpproxy (${ns}/${include.name})`,
      );
    if (chain.includes(target)) {
      // Filed on the proxy whose include closes the cycle (HTTP includes file it on the revisited one).
      const path = [...chain, target].map(proxyId).join(' -> ');
      return ctx.fail(
        'TCPProxyIncludeError',
        'IncludeCreatesCycle',
        include.at,
        `include creates a cycle: ${path}`,
      );
    }
    ev.visited.add(proxyId(target));
    if (target.malformed) return invalid;
    if (target.tcpproxy === undefined)
      return policyContext(ev, target).fail(
        'TCPProxyError',
        'NothingDefined',
        ['spec'],
        'an included tcpproxy must define spec.tcpproxy',
      );
    return tcpProxy(ev, target, target.tcpproxy, [...chain, target]);
  }
  const lb = loadBalancing(ctx, spec.loadBalancerPolicy);
  if (lb.lbPolicy === 'ringHash')
    ctx.warn(
      'TCPProxyError',
      [...(spec.loadBalancerPolicy?.at ?? spec.at), 'strategy'],
      `load balancer strategy "${lb.strategy}" is not supported for tcpproxy; round robin is used`,
    );
  const strategy = lb.lbPolicy === 'ringHash' ? '' : lb.strategy;
  const healthCheck = tcpHealthCheck(spec.healthCheckPolicy);
  const backends: WeightedBackend[] = [];
  for (const svc of spec.services) {
    if (checkServicePortAndProtocol(ctx, svc) === invalid) return invalid;
    const validation = upstreamValidation(ev, ctx, proxy, svc.validation);
    if (validation === invalid) return invalid;
    let failed: string | undefined;
    const protocol = protocolOf(svc);
    const cluster = ev.services.resolve(
      proxy.meta.ref,
      svc.at,
      proxy.meta.namespace,
      svc.name,
      { kind: 'number', number: svc.port },
      {
        settings: {
          ...(protocol !== undefined ? { protocol } : {}),
          ...(validation !== undefined ? { upstreamValidation: validation.ir } : {}),
          hash: {
            ...(strategy === '' ? {} : { lbStrategy: strategy }),
            ...(validation !== undefined ? { validation: validation.hash } : {}),
          },
          ...(lb.lbPolicy !== undefined && lb.lbPolicy !== 'ringHash' ? { lbPolicy: lb.lbPolicy } : {}),
          ...(healthCheck !== undefined ? { healthCheck } : {}),
        },
        onFailure: (message) => {
          failed = message;
        },
      },
    );
    if (cluster === undefined)
      return ctx.fail(
        'TCPProxyError',
        'ServiceUnresolvedReference',
        svc.at,
        `Spec.TCPProxy unresolved service reference: ${failed ?? 'not found'}`,
      );
    if (validation !== undefined && !upstreamValidationProtocols.has(cluster.protocol))
      return ctx.fail(
        'ServiceError',
        'TLSUpstreamValidation',
        [...svc.at, 'validation'],
        'upstream validation requires TLS (protocol tls or h2)',
      );
    backends.push({ clusterName: cluster.name, weight: svc.weight ?? 0 });
  }
  return { backends: normaliseWeights(backends, true) };
}

/** Contour: if every weight is zero, all get 1. tcp_proxy also drops zero weights among non-zero ones. */
function normaliseWeights(backends: WeightedBackend[], dropZero: boolean): WeightedBackend[] {
  const total = backends.reduce((n, b) => n + b.weight, 0);
  const out =
    total === 0
      ? backends.map((b) => ({ ...b, weight: 1 }))
      : dropZero
        ? backends.filter((b) => b.weight > 0)
        : backends;
  return out.sort((a, b) => compareText(a.clusterName, b.clusterName) || a.weight - b.weight);
}

const protocols = new Set(['h2', 'h2c', 'tls']);

/** A service reference's port range and protocol name, for routes and tcpproxy alike. */
function checkServicePortAndProtocol(ctx: PolicyContext, svc: ServiceSpec): Invalid | undefined {
  if (svc.port < 1 || svc.port > 65535)
    return ctx.fail(
      'ServiceError',
      'ServicePortInvalid',
      [...svc.at, 'port'],
      `service "${svc.name}": port must be in the range 1-65535`,
    );
  if (svc.protocol !== undefined && svc.protocol !== '' && !protocols.has(svc.protocol))
    return ctx.fail(
      'ServiceError',
      'UnsupportedProtocol',
      [...svc.at, 'protocol'],
      `unsupported protocol: ${svc.protocol}`,
    );
  return undefined;
}
const protocolOf = (svc: ServiceSpec): UpstreamProtocol | undefined =>
  svc.protocol !== undefined && protocols.has(svc.protocol) ? (svc.protocol as UpstreamProtocol) : undefined;

/**
 * The routes a proxy contributes under the conditions its includers put on it: its includes first,
 * then its own routes. Undefined when a route-level error drops every route of this proxy.
 */
function proxyRoutes(
  ev: Evaluation,
  proxy: HTTPProxyView,
  inherited: Conditions,
  chain: HTTPProxyView[],
): Built[] | undefined {
  if (proxy.malformed) return undefined;
  const ctx = policyContext(ev, proxy);
  const out: Built[] = [];
  const seen = new Set<string>();
  for (const include of proxy.includes) {
    const conditions = parseConditions(ctx, include.conditions, 'include');
    // Contour skips just this include; the proxy's other includes and routes stay.
    if (conditions === invalid) continue;
    const key = includeKey(conditions);
    if (key !== undefined && seen.has(key)) {
      ctx.fail(
        'IncludeError',
        'DuplicateMatchConditions',
        include.at,
        'duplicate conditions defined on an include',
      );
      continue;
    }
    if (key !== undefined) seen.add(key);
    const merged = concatConditions(inherited, conditions);
    const target = includeTarget(ev, ctx, proxy, include);
    if (target === undefined) {
      // Requests meant for the missing part get a 502 instead of falling through to other routes.
      // Its conditions, merged with the includers', must hold together like any route's.
      if (include.conditions.length > 0 && checkCombined(ctx, merged, include.conditions) !== invalid)
        out.push(badGateway(proxy, include, merged));
      continue;
    }
    if (chain.includes(target)) {
      const path = [...chain, target].map(proxyId).join(' -> ');
      policyContext(ev, target).fail(
        'IncludeError',
        'IncludeCreatesCycle',
        ['spec', 'includes'],
        `include creates an include cycle: ${path}`,
      );
      continue;
    }
    ev.visited.add(proxyId(target));
    const sub = proxyRoutes(ev, target, merged, [...chain, target]);
    if (sub !== undefined) out.push(...sub);
  }
  for (const spec of proxy.routes) {
    const routes = buildRoute(ev, ctx, proxy, spec, inherited);
    if (routes === invalid) return undefined;
    out.push(...routes);
  }
  return out;
}

function includeTarget(
  ev: Evaluation,
  ctx: PolicyContext,
  proxy: HTTPProxyView,
  include: IncludeSpec,
): HTTPProxyView | undefined {
  const ns = include.namespace ?? proxy.meta.namespace;
  const target = ev.lookup.proxy(ns, include.name);
  if (target === undefined || !proxyServed(target, ev.options)) {
    ctx.fail('IncludeError', 'IncludeNotFound', include.at, `include ${ns}/${include.name} not found`);
    return undefined;
  }
  if (target.virtualhost !== undefined) {
    ctx.fail(
      'IncludeError',
      'RootIncludesRoot',
      include.at,
      `root httpproxy cannot include another root httpproxy (${ns}/${include.name})`,
    );
    return undefined;
  }
  return target;
}

function badGateway(proxy: HTTPProxyView, include: IncludeSpec, conditions: Conditions): Built {
  return {
    match: matchOf(conditions),
    action: { kind: 'directResponse', status: 502 },
    origin: proxy.meta.ref,
    at: include.at,
    permitInsecure: false,
  };
}

function matchOf(conditions: Conditions): RouteMatch {
  const path = mergedPath(conditions);
  return {
    path,
    headers: sortHeaderMatches(conditions.headers),
    ...(conditions.queries.length > 0 ? { queries: sortQueryMatches(conditions.queries) } : {}),
  };
}

/** Direct responses Envoy accepts: a status in 200..599 and a body within its 4 KiB default limit. */
const maxBodyBytes = 4096;

function buildRoute(
  ev: Evaluation,
  ctx: PolicyContext,
  proxy: HTTPProxyView,
  spec: RouteSpec,
  inherited: Conditions,
): Built[] | Invalid {
  const own = parseConditions(ctx, spec.conditions, 'route');
  if (own === invalid) return invalid;
  const conditions = concatConditions(inherited, own);
  // The merged conditions must hold together too: no contradiction across the include chain, and a
  // merged regex within the program-size limit.
  if (
    (inherited.headers.length > 0 || inherited.queries.length > 0) &&
    checkCombined(ctx, conditions, spec.conditions) === invalid
  )
    return invalid;
  const merged = mergedPath(conditions);
  if (merged.kind === 'regex') {
    const problem = regexProblem(merged.value, ev.options.maxRegexProgramSize);
    if (problem !== undefined)
      return ctx.fail(
        'RouteError',
        'PathMatchConditionsNotValid',
        spec.at,
        `the merged path regex "${merged.value}" ${problem}`,
      );
  }
  const actions = [
    spec.services.length > 0,
    spec.requestRedirectPolicy !== undefined,
    spec.directResponsePolicy !== undefined,
  ].filter(Boolean).length;
  if (actions !== 1)
    return ctx.fail(
      'RouteError',
      'RouteActionCountNotValid',
      spec.at,
      'must set exactly one of route.services or route.requestRedirectPolicy or route.directResponsePolicy',
    );
  const request = headersPolicy(ctx, spec.requestHeadersPolicy, 'request', 'RouteError');
  if (request === invalid) return invalid;
  const response = headersPolicy(ctx, spec.responseHeadersPolicy, 'response', 'RouteError');
  if (response === invalid) return invalid;
  const timeouts = timeoutPolicy(ctx, spec.timeoutPolicy);
  if (timeouts === invalid) return invalid;
  const filter = ipFilter(ctx, spec.ipAllowPolicy, spec.ipDenyPolicy, spec.at);
  if (filter === invalid) return invalid;
  const limits = rateLimits(
    ctx,
    spec.rateLimitPolicy,
    'RouteError',
    `vhost.${ev.root.virtualhost?.fqdn.toLowerCase() ?? ''}`,
  );
  if (limits === invalid) return invalid;
  const jwt = spec.jwtVerificationPolicy;
  const required = jwt?.require !== undefined && jwt.require !== '' ? jwt.require : undefined;
  if (jwt !== undefined && required !== undefined && jwt.disabled === true)
    return ctx.fail(
      'JWTVerificationError',
      'InvalidJWTVerificationPolicy',
      jwt.at,
      'route jwtVerificationPolicy cannot specify both require and disabled',
    );
  if (required !== undefined && !(ev.jwt?.providers ?? []).some((p) => p.name === required))
    return ctx.fail(
      'JWTVerificationError',
      'JWTProviderNotDefined',
      [...(jwt?.at ?? spec.at), 'require'],
      `route references an undefined JWT provider "${required}"`,
    );
  const jwtRequirement = jwt?.disabled === true ? undefined : (required ?? ev.jwt?.defaultProvider);
  const extAuthz = ev.auth === undefined ? undefined : routeAuthorization(ev.auth.policy, spec.authPolicy);
  const routeCookies = cookieRewrites(ctx, spec.cookieRewritePolicies, 'RouteError');
  if (routeCookies === invalid) return invalid;
  const filters: RouteFilters = {
    ...(limits.local !== undefined ? { localRateLimit: limits.local } : {}),
    ...(limits.global !== undefined ? { rateLimits: limits.global } : {}),
    ...(limits.disabled === true ? { ignoreVirtualHostRateLimits: true } : {}),
    ...(filter !== undefined ? { ipFilter: filter } : {}),
    ...(extAuthz !== undefined ? { extAuthz } : {}),
    ...(jwtRequirement !== undefined ? { jwtRequirement } : {}),
  };
  const base = {
    origin: proxy.meta.ref,
    at: spec.at,
    permitInsecure: spec.permitInsecure === true,
    ...(Object.keys(filters).length > 0 ? { filters } : {}),
  };
  const match = matchOf(conditions);

  if (spec.requestRedirectPolicy !== undefined) {
    const action = redirectAction(ctx, spec.requestRedirectPolicy);
    if (action === invalid) return invalid;
    return [{ ...base, match, action }];
  }
  if (spec.directResponsePolicy !== undefined) {
    const d = spec.directResponsePolicy;
    if (d.statusCode < 200 || d.statusCode > 599)
      return ctx.fail(
        'RouteError',
        'InvalidField',
        [...d.at, 'statusCode'],
        `status code ${d.statusCode} is outside 200..599`,
      );
    if (d.body !== undefined && Buffer.byteLength(d.body) > maxBodyBytes)
      return ctx.fail(
        'RouteError',
        'InvalidField',
        [...d.at, 'body'],
        `body is larger than Envoy's ${maxBodyBytes}-byte limit`,
      );
    const action: RouteAction = {
      kind: 'directResponse',
      status: d.statusCode,
      ...(d.body !== undefined && d.body !== '' ? { body: d.body } : {}),
    };
    return [{ ...base, match, action }];
  }

  // Forwarding to services.
  const redirect = internalRedirect(ctx, spec.internalRedirectPolicy);
  if (redirect === invalid) return invalid;
  const lb = loadBalancing(ctx, spec.loadBalancerPolicy);
  const mirrors = spec.services.filter((s) => s.mirror === true);
  if (mirrors.length > 1)
    return ctx.fail(
      'ServiceError',
      'OnlyOneMirror',
      [...(mirrors[1] as ServiceSpec).at, 'mirror'],
      'only one service per route may be nominated as mirror',
    );
  const backends: WeightedBackend[] = [];
  const mirrorPolicies: { clusterName: string; percent: number }[] = [];
  const sharedHash = {
    ...(lb.strategy !== '' ? { lbStrategy: lb.strategy } : {}),
    ...(timeouts.idleConnection !== undefined ? { idleConnectionTimeout: timeouts.idleConnection } : {}),
  };
  for (const svc of spec.services) {
    const built = serviceBackend(
      ev,
      ctx,
      proxy,
      spec,
      svc,
      request.host,
      sharedHash,
      lb,
      timeouts.idleConnection,
    );
    if (built === invalid) return invalid;
    if (built === undefined) continue;
    const serviceCookies = cookieRewrites(ctx, svc.cookieRewritePolicies, 'RouteError');
    if (serviceCookies === invalid) return invalid;
    // A service's policy replaces the route's policy for the same cookie.
    // A service's policy overrides the route's for the same cookie, attribute by attribute.
    const cookies = new Map<string, CookieRewrite>(routeCookies.map((c) => [c.name, c]));
    for (const c of serviceCookies) cookies.set(c.name, { ...cookies.get(c.name), ...c });
    if (cookies.size > 0 && svc.mirror !== true) {
      backends.push({
        ...built,
        cookieRewrites: [...cookies.values()].sort((a, b) => compareText(a.name, b.name)),
      });
      continue;
    }
    if (svc.mirror === true) {
      const weight = svc.weight ?? 0;
      mirrorPolicies.push({
        clusterName: built.clusterName,
        percent: weight === 0 || weight > 100 ? 100 : weight,
      });
    } else backends.push(built);
  }
  const action: RouteAction =
    backends.length === 0
      ? { kind: 'directResponse', status: 503 }
      : {
          kind: 'forward',
          backends: normaliseWeights(backends, false),
          timeout: timeouts.response,
          retry: retryPolicy(spec.retryPolicy),
          websocket: spec.enableWebsockets === true,
          ...(timeouts.idle !== undefined ? { idleTimeout: timeouts.idle } : {}),
          ...(backends.some((b) => b.requestHeaders || b.responseHeaders || b.hostRewrite)
            ? { weighted: true }
            : {}),
          ...(lb.hashPolicies.length > 0 ? { hashPolicies: lb.hashPolicies } : {}),
          ...(mirrorPolicies.length > 0 ? { mirrors: mirrorPolicies } : {}),
          ...(request.host !== undefined ? { hostRewrite: request.host } : {}),
          ...(redirect !== undefined ? { internalRedirect: redirect } : {}),
        };
  const headers = {
    ...(request.policy !== undefined ? { requestHeaders: request.policy } : {}),
    ...(response.policy !== undefined ? { responseHeaders: response.policy } : {}),
  };
  const routed: Built = { ...base, ...headers, match, action };
  if (spec.pathRewritePolicy === undefined || action.kind !== 'forward') return [routed];
  return prefixRewrites(ctx, spec, routed, action);
}

/**
 * pathRewritePolicy.replacePrefix: the replacement for this route's prefix (an exact match of the
 * routing prefix first, then the default with no prefix), expanded like Contour into `/p` and `/p/`.
 */
function prefixRewrites(
  ctx: PolicyContext,
  spec: RouteSpec,
  routed: Built,
  action: Extract<RouteAction, { kind: 'forward' }>,
): Built[] | Invalid {
  const policy = spec.pathRewritePolicy;
  if (policy === undefined || policy.replacePrefix.length === 0) return [routed];
  const at = [...policy.at, 'replacePrefix'];
  if (routed.match.path.kind !== 'prefix')
    return ctx.fail(
      'PrefixReplaceError',
      'MustHavePrefix',
      at,
      'cannot specify prefix replacements without a prefix condition',
    );
  const prefixes = policy.replacePrefix.map((r) => r.prefix ?? '');
  const empty = prefixes.filter((p) => p === '').length;
  if (empty > 1)
    return ctx.fail('PrefixReplaceError', 'AmbiguousReplacement', at, 'ambiguous prefix replacement');
  const dup = prefixes.find((p, i) => p !== '' && prefixes.indexOf(p) !== i);
  if (dup !== undefined)
    return ctx.fail(
      'PrefixReplaceError',
      'DuplicateReplacement',
      at,
      `duplicate replacement prefix "${dup}"`,
    );
  const bad = policy.replacePrefix.find(
    (r) => /[\0\r\n?#]/.test(r.replacement) || (r.replacement !== '' && !r.replacement.startsWith('/')),
  );
  if (bad !== undefined)
    return ctx.fail(
      'PrefixReplaceError',
      'InvalidField',
      bad.at,
      `replacement "${bad.replacement}" must be a path starting with "/"`,
    );
  const routing = routed.match.path.value;
  const chosen =
    policy.replacePrefix.find((r) => r.prefix === routing) ??
    policy.replacePrefix.find((r) => (r.prefix ?? '') === '');
  if (chosen === undefined) return [routed];
  const trimmed = routing.replace(/\/+$/, '');
  const replacement = chosen.replacement.replace(/\/+$/, '');
  if (trimmed === '') {
    // Routing on `/` is not expanded; the replacement applies as written.
    return [
      {
        ...routed,
        action: { ...action, prefixRewrite: chosen.replacement === '' ? '/' : chosen.replacement },
      },
    ];
  }
  const asWritten = chosen.replacement === '' ? '/' : chosen.replacement;
  const withPath = (value: string, rewrite: string): Built => ({
    ...routed,
    match: { ...routed.match, path: { kind: 'prefix', value } },
    action: { ...action, prefixRewrite: rewrite },
    expansion: { implicit: value !== routing, asWritten },
  });
  return [
    withPath(`${trimmed}/`, `${replacement}/`),
    withPath(trimmed, replacement === '' ? '/' : replacement),
  ];
}

const upstreamValidationProtocols = new Set(['tls', 'h2']);

const cookieName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const sameSites = new Set(['Strict', 'Lax', 'None']);

/** cookieRewritePolicies: unique names, each rewriting something, values safe for a Set-Cookie header. */
function cookieRewrites(
  ctx: PolicyContext,
  specs: RouteSpec['cookieRewritePolicies'],
  type: 'RouteError' | 'ServiceError',
): CookieRewrite[] | Invalid {
  const fail = (at: FieldPath, message: string): Invalid =>
    ctx.fail(type, 'CookieRewritePoliciesInvalid', at, message);
  const out: CookieRewrite[] = [];
  for (const spec of specs) {
    if (!cookieName.test(spec.name))
      return fail([...spec.at, 'name'], `"${spec.name}" is not a valid cookie name`);
    if (out.some((c) => c.name === spec.name))
      return fail(spec.at, `duplicate cookie rewrite policy for "${spec.name}"`);
    const path = spec.pathRewrite?.value;
    const domain = spec.domainRewrite?.value;
    if (
      path === undefined &&
      domain === undefined &&
      spec.secure === undefined &&
      spec.sameSite === undefined
    )
      return fail(spec.at, `cookie rewrite policy for "${spec.name}" rewrites nothing`);
    if (path !== undefined && !/^[\x21-\x3a\x3c-\x7e]+$/.test(path))
      return fail([...spec.at, 'pathRewrite'], `"${path}" is not a valid cookie path`);
    if (domain !== undefined && !/^[A-Za-z0-9.-]+$/.test(domain))
      return fail([...spec.at, 'domainRewrite'], `"${domain}" is not a valid cookie domain`);
    if (spec.sameSite !== undefined && !sameSites.has(spec.sameSite))
      return fail([...spec.at, 'sameSite'], `sameSite "${spec.sameSite}" is not Strict, Lax or None`);
    out.push({
      name: spec.name,
      ...(path !== undefined ? { path } : {}),
      ...(domain !== undefined ? { domain } : {}),
      ...(spec.secure !== undefined ? { secure: spec.secure } : {}),
      ...(spec.sameSite !== undefined ? { sameSite: spec.sameSite } : {}),
    });
  }
  return out;
}

function serviceBackend(
  ev: Evaluation,
  ctx: PolicyContext,
  proxy: HTTPProxyView,
  route: RouteSpec,
  svc: ServiceSpec,
  routeHost: ParsedHeaders['host'] | undefined,
  sharedHash: ClusterSettings['hash'],
  lb: ReturnType<typeof loadBalancing>,
  idleConnection: DurationValue | undefined,
): WeightedBackend | undefined | Invalid {
  if (checkServicePortAndProtocol(ctx, svc) === invalid) return invalid;
  const protocol = protocolOf(svc);
  const serviceRef = { name: svc.name, port: svc.port };
  const request = headersPolicy(ctx, svc.requestHeadersPolicy, 'request', 'ServiceError', serviceRef);
  if (request === invalid) return invalid;
  const response = headersPolicy(ctx, svc.responseHeadersPolicy, 'response', 'ServiceError', serviceRef);
  if (response === invalid) return invalid;
  const health = httpHealthCheck(ctx, route.healthCheckPolicy, protocol === 'h2' || protocol === 'h2c');
  if (health === invalid) return invalid;
  const validation = upstreamValidation(ev, ctx, proxy, svc.validation);
  if (validation === invalid) return invalid;
  const slow = svc.slowStartPolicy;
  let slowStart: ClusterSettings['slowStart'];
  if (slow !== undefined) {
    if (lb.lbPolicy !== undefined && lb.lbPolicy !== 'leastRequest')
      return ctx.fail(
        'ServiceError',
        'SlowStartInvalid',
        slow.at,
        'slow start is only supported with RoundRobin or WeightedLeastRequest load balancer strategy',
      );
    const window = timeoutPolicy(ctx, { at: slow.at, response: slow.window });
    const aggression = Number(slow.aggression ?? '1.0');
    const minWeight = slow.minWeightPercent ?? 10;
    if (
      window === invalid ||
      window.response === undefined ||
      !Number.isFinite(aggression) ||
      aggression <= 0 ||
      minWeight < 0 ||
      minWeight > 100
    )
      return ctx.fail(
        'ServiceError',
        'SlowStartInvalid',
        slow.at,
        'slow start needs a window duration, a positive aggression and minWeightPercent in 0..100',
      );
    slowStart = { window: window.response, aggression, minWeightPercent: minWeight };
  }
  const host =
    request.host?.kind === 'literal'
      ? request.host.value
      : routeHost?.kind === 'literal'
        ? routeHost.value
        : undefined;
  let failed: string | undefined;
  const cluster = ev.services.resolve(
    proxy.meta.ref,
    svc.at,
    proxy.meta.namespace,
    svc.name,
    { kind: 'number', number: svc.port },
    {
      settings: {
        ...(protocol !== undefined ? { protocol } : {}),
        ...(host !== undefined ? { sni: host } : {}),
        hash: {
          ...sharedHash,
          ...(health !== undefined ? { healthCheck: health.hash } : {}),
          ...(validation !== undefined ? { validation: validation.hash } : {}),
          ...(slowStart !== undefined ? { slowStart } : {}),
        },
        ...(lb.lbPolicy !== undefined ? { lbPolicy: lb.lbPolicy } : {}),
        ...(health !== undefined ? { healthCheck: health.check } : {}),
        ...(validation !== undefined ? { upstreamValidation: validation.ir } : {}),
        ...(idleConnection !== undefined ? { idleConnectionTimeout: idleConnection } : {}),
        ...(slowStart !== undefined ? { slowStart } : {}),
      },
      onFailure: (message) => {
        failed = message;
      },
    },
  );
  if (cluster === undefined) {
    // Only this backend goes; the route keeps its other services, or answers 503 with none left.
    ctx.fail(
      'ServiceError',
      'ServiceUnresolvedReference',
      svc.at,
      `Spec.Routes unresolved service reference: ${failed === undefined || failed === `Service ${proxy.meta.namespace}/${svc.name} not found` ? `service "${proxy.meta.namespace}/${svc.name}" not found` : failed}`,
    );
    return undefined;
  }
  if (validation !== undefined && !upstreamValidationProtocols.has(cluster.protocol))
    return ctx.fail(
      'ServiceError',
      'TLSUpstreamValidation',
      [...svc.at, 'validation'],
      'upstream validation requires TLS (protocol tls or h2)',
    );
  return {
    clusterName: cluster.name,
    weight: svc.weight ?? 0,
    ...(request.policy !== undefined ? { requestHeaders: request.policy } : {}),
    ...(response.policy !== undefined ? { responseHeaders: response.policy } : {}),
    ...(request.host?.kind === 'literal' ? { hostRewrite: request.host.value } : {}),
  };
}

function upstreamValidation(
  ev: Evaluation,
  ctx: PolicyContext,
  proxy: HTTPProxyView,
  spec: UpstreamValidationSpec | undefined,
):
  | { ir: NonNullable<Cluster['upstreamValidation']>; hash: { caSecretName: string; subjectName: string } }
  | undefined
  | Invalid {
  if (spec === undefined) return undefined;
  const fail = (message: string): Invalid =>
    ctx.fail('ServiceError', 'TLSUpstreamValidation', spec.at, message);
  // Whether the resolved protocol is tls or h2 is checked once the Service is resolved.
  const names =
    spec.subjectNames.length > 0 ? spec.subjectNames : spec.subjectName !== '' ? [spec.subjectName] : [];
  if (names.length === 0) return fail('upstream validation requires a subjectName');
  if (names.length > 8) return fail('at most 8 subjectNames are allowed');
  if (spec.subjectNames.length > 0 && spec.subjectName !== '' && spec.subjectNames[0] !== spec.subjectName)
    return fail('subjectNames[0] must equal subjectName');
  if (names.some((n) => n === '' || /[\0\r\n\s]/.test(n)))
    return fail('subject names must be non-empty and contain no whitespace');
  const ns = proxy.meta.namespace;
  const ref = parseSecretRef(spec.caSecret, ns);
  if (ref === undefined) return fail(`CA secret "${spec.caSecret}" is not "name" or "namespace/name"`);
  const ca = ev.secrets.pem(ref, ns, 'ca.crt');
  if (isSecretProblem(ca)) {
    if (ca.problem === 'notDelegated')
      return ctx.fail(
        'TLSError',
        'CACertificateNotDelegated',
        [...spec.at, 'caSecret'],
        `CA Secret "${spec.caSecret}" is not configured for certificate delegation`,
      );
    return fail(`invalid CA Secret "${spec.caSecret}": ${ca.message}`);
  }
  return {
    ir: { caCertificate: ca, subjectNames: names },
    hash: { caSecretName: ref.name, subjectName: names[0] as string },
  };
}
