/**
 * Stage A for networking.k8s.io/v1 Ingress, following Contour's Ingress processor: class selection,
 * default backend, host and path rules, TLS hosts and the Contour annotations that matter most. Where
 * Contour depends on map order (two Ingresses claiming one host and path) the oldest Ingress wins and
 * the other gets a diagnostic.
 */
import { RE2JS } from 're2js';
import { type DiagnosticSink, type FieldPath, formatPath } from '../diagnostics.js';
import type {
  Cluster,
  DurationValue,
  PathMatch,
  RetryPolicy,
  Route,
  RouteAction,
  RouteMatch,
  SecureVirtualHost,
  TlsSecret,
  TlsSettings,
  TlsVersion,
  VirtualHost,
} from '../model/ir.js';
import type { IngressPathView, IngressView } from '../model/k8s/ingress.js';
import type { IngressClassView } from '../model/k8s/ingress-class.js';
import { type Lookup, type Report, reportList } from '../model/snapshot.js';
import type { ResolvedOptions } from '../options.js';
import { parseTimeout } from './duration.js';
import type { ProxyClaims } from './httpproxy.js';
import { routeMatchKey, sortRoutes } from './route-order.js';
import {
  createSecretResolver,
  parseSecretRef,
  type SecretCheckCache,
  type SecretResolver,
} from './secrets.js';
import {
  createServiceResolver,
  type EndpointsNeed,
  type ServiceCache,
  type ServiceResolver,
} from './services.js';
import { isValidHostname, isValidLiteralPath } from './validate.js';

const annotation = {
  ingressClass: 'kubernetes.io/ingress.class',
  contourIngressClass: 'projectcontour.io/ingress.class',
  allowHttp: 'kubernetes.io/ingress.allow-http',
  forceSslRedirect: 'ingress.kubernetes.io/force-ssl-redirect',
  responseTimeout: 'projectcontour.io/response-timeout',
  requestTimeout: 'projectcontour.io/request-timeout',
  retryOn: 'projectcontour.io/retry-on',
  numRetries: 'projectcontour.io/num-retries',
  perTryTimeout: 'projectcontour.io/per-try-timeout',
  websocketRoutes: 'projectcontour.io/websocket-routes',
  tlsMinimum: 'projectcontour.io/tls-minimum-protocol-version',
  tlsMaximum: 'projectcontour.io/tls-maximum-protocol-version',
  tlsCertNamespace: 'projectcontour.io/tls-cert-namespace',
} as const;

const annotationPath = (name: string): FieldPath => ['metadata', 'annotations', name];

/** One route an Ingress asks for on one virtual host. */
export interface RouteClaim {
  readonly fqdn: string;
  /**
   * `http`: the plain listener; `https`: the TLS virtual host, if one exists for the fqdn; `both`:
   * the same route on each (one claim instead of two, as most Ingress routes are).
   */
  readonly listener: 'http' | 'https' | 'both';
  readonly route: Route;
  readonly path: FieldPath;
  readonly isDefaultBackend: boolean;
}

/** A TLS host an Ingress asks for, with its resolved certificate. */
export interface TlsClaim {
  readonly fqdn: string;
  readonly path: FieldPath;
  readonly secret: TlsSecret;
  readonly tls: TlsSettings;
}

/**
 * Everything one Ingress contributes, computed from the Ingress and what it looks up alone, so it can
 * be cached until the Ingress or one of its dependencies changes.
 */
export interface IngressClaims {
  readonly ingress: IngressView;
  readonly tls: readonly TlsClaim[];
  readonly routes: readonly RouteClaim[];
  /** Clusters the routes use, by name, and the EDS names those clusters need. */
  readonly clusters: ReadonlyMap<string, Cluster>;
  readonly endpointNeeds: ReadonlyMap<string, EndpointsNeed>;
  /** Diagnostics found while evaluating the Ingress. */
  readonly reports: readonly Report[];
}

/** One Ingress evaluation's inputs; plain data, so every context shares one hidden class. */
interface Context {
  readonly options: ResolvedOptions;
  readonly sink: DiagnosticSink;
  readonly services: ServiceResolver;
  readonly lookup: Lookup;
  readonly secretChecks: SecretCheckCache;
  /** Made on first use: most Ingresses have no TLS. */
  secrets: SecretResolver | undefined;
}

/** Which Ingresses a translator serves: a literal for `servesIngress`, not a closure per engine. */
export interface IngressClassFilter {
  /** Class names that are ours: the configured ones and those of IngressClasses naming our controller. */
  readonly ours: ReadonlySet<string>;
  /** IngressClasses marked default. */
  readonly defaults: readonly IngressClassView[];
  readonly namesConfigured: boolean;
}

/** Whether an Ingress is ours by its class (spec.ingressClassName, annotations, default IngressClass). */
export function servesIngress(filter: IngressClassFilter, ingress: IngressView): boolean {
  const cls = classOf(ingress.meta.annotations, ingress.ingressClassName);
  if (cls !== undefined) return filter.ours.has(cls);
  const { defaults, ours } = filter;
  if (defaults.length > 0) return defaults.some((c) => ours.has(c.meta.name));
  return !filter.namesConfigured;
}

/** The class filter for these IngressClasses (servesIngress applies it); reports several defaults. */
export function ingressClassFilter(
  classes: readonly IngressClassView[],
  options: ResolvedOptions,
  sink: DiagnosticSink,
): IngressClassFilter {
  const ours = new Set(options.ingressClassNames);
  for (const cls of classes) {
    if (cls.controller !== '' && cls.controller === options.ingressClassController) ours.add(cls.meta.name);
  }
  const defaults = classes.filter((c) => c.isDefault);
  if (defaults.length > 1) {
    const names = defaults.map((c) => c.meta.name).join(', ');
    for (const cls of defaults) {
      sink.report(
        'MultipleDefaultIngressClasses',
        cls.meta.ref,
        annotationPath('ingressclass.kubernetes.io/is-default-class'),
        `several IngressClasses are marked default (${names}); an Ingress without a class is served if any of them is ours`,
      );
    }
  }
  return { ours, defaults, namesConfigured: options.ingressClassNamesConfigured };
}

/**
 * The class an Ingress or HTTPProxy asks for: Contour's annotation, then the Kubernetes one, then
 * spec.ingressClassName; undefined when none is set.
 */
export function classOf(
  annotations: ReadonlyMap<string, string>,
  ingressClassName: string | undefined,
): string | undefined {
  return (
    nonEmpty(annotations.get(annotation.contourIngressClass)) ??
    nonEmpty(annotations.get(annotation.ingressClass)) ??
    nonEmpty(ingressClassName)
  );
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text === '' ? undefined : text;
}

/** Regex metacharacters that make an ImplementationSpecific path a regex (Contour's rule). */
const regexChars = /[\^+*[\]%]/;

/** Whether a path is a usable literal; reports it when not. */
function literalPathOk(ctx: Context, ingress: IngressView, entry: IngressPathView, value: string): boolean {
  if (isValidLiteralPath(value)) return true;
  const why = 'must start with "/" and contain only visible ASCII other than "?" and "#"';
  ctx.sink.report('InvalidPath', ingress.meta.ref, [...entry.path, 'path'], `"${value}" ${why}`);
  return false;
}

function pathMatch(ctx: Context, ingress: IngressView, entry: IngressPathView): PathMatch | undefined {
  const value = entry.value === '' ? '/' : entry.value;
  switch (entry.pathType) {
    case 'Exact':
    case 'Prefix': {
      if (!literalPathOk(ctx, ingress, entry, value)) return undefined;
      if (entry.pathType === 'Exact') return { kind: 'exact', value };
      if (value === '/') return { kind: 'prefix', value: '/' };
      const trimmed = value.endsWith('/') ? value.replace(/\/+$/, '') : value;
      return trimmed === '' ? { kind: 'prefix', value: '/' } : { kind: 'segmentPrefix', value: trimmed };
    }
    case 'ImplementationSpecific': {
      if (!regexChars.test(value)) {
        return literalPathOk(ctx, ingress, entry, value) ? { kind: 'prefix', value } : undefined;
      }
      const regex = value.startsWith('^') ? value : `^${value}`;
      const problem = regexProblem(regex, ctx.options.maxRegexProgramSize);
      if (problem !== undefined) {
        ctx.sink.report('InvalidRegex', ingress.meta.ref, [...entry.path, 'path'], `"${value}" ${problem}`);
        return undefined;
      }
      return { kind: 'regex', value: regex };
    }
    default:
      ctx.sink.report(
        'InvalidPath',
        ingress.meta.ref,
        [...entry.path, 'pathType'],
        `unknown pathType "${entry.pathType}"; use Exact, Prefix or ImplementationSpecific`,
      );
      return undefined;
  }
}

/** Why Envoy's RE2 would reject this regex, or undefined when it compiles within the program-size limit. */
export function regexProblem(regex: string, maxProgramSize: number): string | undefined {
  if (/[\0\r\n]/.test(regex)) return 'contains a control character';
  try {
    const compiled = RE2JS.compile(regex);
    const size = compiled.programSize();
    if (size > maxProgramSize)
      return `compiles to an RE2 program of size ${size}, above the limit of ${maxProgramSize}`;
  } catch (error) {
    return `is not a valid RE2 regular expression (${error instanceof Error ? error.message : String(error)})`;
  }
  return undefined;
}

/** IR is never mutated, so routes without header matches share one empty list. */
const noHeaders: RouteMatch['headers'] = [];

/** `*.example.com` virtual hosts also match `:authority` against exactly one DNS label (Contour). */
export function wildcardAuthority(fqdn: string): RouteMatch['headers'] {
  if (!fqdn.startsWith('*.')) return noHeaders;
  const escaped = fqdn.slice(1).replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
  return [
    {
      name: ':authority',
      match: { kind: 'regex', value: `^[a-z0-9]([-a-z0-9]*[a-z0-9])?${escaped}(:[0-9]+)?` },
      invert: false,
    },
  ];
}

interface IngressPolicy {
  readonly allowHttp: boolean;
  readonly forceSslRedirect: boolean;
  readonly timeout: DurationValue | undefined;
  readonly retry: RetryPolicy | undefined;
  readonly websocketPaths: ReadonlySet<string>;
}

function timeoutAnnotation(
  ctx: Context,
  ingress: IngressView,
  name: string,
): { value: DurationValue | undefined } | undefined {
  const text = ingress.meta.annotations.get(name);
  if (text === undefined) return undefined;
  const setting = parseTimeout(text);
  switch (setting.kind) {
    case 'default':
      return { value: undefined };
    case 'disabled':
      return { value: { seconds: 0, nanos: 0 } };
    case 'set':
      return { value: setting.value };
    case 'invalid':
      ctx.sink.report(
        'InvalidAnnotation',
        ingress.meta.ref,
        annotationPath(name),
        `"${text}" is not a duration (e.g. "30s", "1m30s") or "infinity"; Envoy's default is used`,
      );
      return { value: undefined };
  }
}

function numRetries(ctx: Context, ingress: IngressView): number {
  const text = ingress.meta.annotations.get(annotation.numRetries);
  if (text === undefined || text.trim() === '') return 1;
  const trimmed = text.trim();
  if (!/^-?\d{1,10}$/.test(trimmed) || Number(trimmed) > 0xffffffff) {
    ctx.sink.report(
      'InvalidAnnotation',
      ingress.meta.ref,
      annotationPath(annotation.numRetries),
      `"${text}" is not an integer; 1 retry is used`,
    );
    return 1;
  }
  const n = Number(trimmed);
  if (n === -1) return 0;
  return n <= 0 ? 1 : n;
}

const noPaths: ReadonlySet<string> = new Set();

function ingressPolicy(ctx: Context, ingress: IngressView): IngressPolicy {
  const annotations = ingress.meta.annotations;
  const timeout =
    timeoutAnnotation(ctx, ingress, annotation.responseTimeout) ??
    timeoutAnnotation(ctx, ingress, annotation.requestTimeout);
  const retryOn = annotations.get(annotation.retryOn)?.trim() ?? '';
  let retry: RetryPolicy | undefined;
  if (retryOn !== '') {
    if (/[\0\r\n]/.test(retryOn) || retryOn.length > 1024) {
      ctx.sink.report(
        'InvalidAnnotation',
        ingress.meta.ref,
        annotationPath(annotation.retryOn),
        'retry-on holds control characters or is too long; no retry policy',
      );
    } else {
      retry = {
        retryOn,
        numRetries: numRetries(ctx, ingress),
        perTryTimeout: timeoutAnnotation(ctx, ingress, annotation.perTryTimeout)?.value,
      };
    }
  }
  const websocketRoutes = annotations.get(annotation.websocketRoutes);
  const websocketPaths =
    websocketRoutes === undefined
      ? noPaths
      : new Set(
          websocketRoutes
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== ''),
        );
  return {
    allowHttp: annotations.get(annotation.allowHttp) !== 'false',
    forceSslRedirect: annotations.get(annotation.forceSslRedirect) === 'true',
    timeout: timeout?.value,
    retry,
    websocketPaths,
  };
}

function tlsVersion(ctx: Context, ingress: IngressView, name: string): TlsVersion | undefined {
  const text = ingress.meta.annotations.get(name);
  if (text === undefined || text === '') return undefined;
  if (text === '1.2' || text === '1.3') return text;
  ctx.sink.report(
    'InvalidAnnotation',
    ingress.meta.ref,
    annotationPath(name),
    `"${text}" is not "1.2" or "1.3"; ignored`,
  );
  return undefined;
}

function tlsSettings(ctx: Context, ingress: IngressView): TlsSettings | undefined {
  const global = ctx.options.tls;
  const min = tlsVersion(ctx, ingress, annotation.tlsMinimum);
  const max = tlsVersion(ctx, ingress, annotation.tlsMaximum);
  const effectiveMin =
    min !== undefined && min > global.minimumProtocolVersion ? min : global.minimumProtocolVersion;
  const effectiveMax =
    max !== undefined && max < global.maximumProtocolVersion ? max : global.maximumProtocolVersion;
  if (effectiveMin > effectiveMax) {
    ctx.sink.report(
      'TLSVersionInvalid',
      ingress.meta.ref,
      annotationPath(annotation.tlsMinimum),
      `minimum TLS version ${effectiveMin} is above maximum ${effectiveMax}; this Ingress's TLS hosts are not served`,
    );
    return undefined;
  }
  return {
    minimumProtocolVersion: effectiveMin,
    maximumProtocolVersion: effectiveMax,
    cipherSuites: global.cipherSuites,
  };
}

/** TLS claims of one Ingress. */
function tlsClaims(ctx: Context, ingress: IngressView): TlsClaim[] {
  const claims: TlsClaim[] = [];
  if (ingress.tls.length === 0) return claims;
  const tls = tlsSettings(ctx, ingress);
  if (tls === undefined) return claims;
  const certNamespace = ingress.meta.annotations.get(annotation.tlsCertNamespace) || ingress.meta.namespace;
  for (const entry of ingress.tls) {
    const validHosts = entry.hosts.filter(({ host, path }) => {
      if (host === '' || host === '*') {
        ctx.sink.report(
          'TLSHostInvalid',
          ingress.meta.ref,
          path,
          'a TLS host must be a DNS name; "*" cannot select a certificate',
        );
        return false;
      }
      if (!isValidHostname(host)) {
        ctx.sink.report('InvalidHostname', ingress.meta.ref, path, `"${host}" is not a valid DNS host name`);
        return false;
      }
      return true;
    });
    if (validHosts.length === 0) continue;
    const secretPath = [...entry.path, 'secretName'];
    const ref = parseSecretRef(entry.secretName, certNamespace);
    if (ref === undefined) {
      const why =
        entry.secretName === ''
          ? 'secretName is empty; these hosts get no TLS'
          : `"${entry.secretName}" is not "name" or "namespace/name"`;
      ctx.sink.report('SecretNotFound', ingress.meta.ref, secretPath, why);
      continue;
    }
    ctx.secrets ??= createSecretResolver(ctx.lookup, ctx.sink, ctx.secretChecks);
    const secret = ctx.secrets.resolveTls(ingress.meta.ref, secretPath, ref);
    if (secret === undefined) continue;
    for (const { host, path } of validHosts) claims.push({ fqdn: host, path, secret, tls });
  }
  return claims;
}

/** Route claims of one Ingress, in rule order (the default backend first). */
function routeClaims(ctx: Context, ingress: IngressView): RouteClaim[] {
  const claims: RouteClaim[] = [];
  const policy = ingressPolicy(ctx, ingress);
  const rules = [...ingress.rules];
  if (ingress.defaultBackend !== undefined) {
    const backend = ingress.defaultBackend;
    const path: FieldPath = ['spec', 'defaultBackend'];
    rules.unshift({
      path,
      host: '',
      paths: [{ path, value: '', pathType: 'ImplementationSpecific', backend }],
    });
  }
  for (const rule of rules) {
    if (rule.host !== '' && !isValidHostname(rule.host)) {
      ctx.sink.report(
        'InvalidHostname',
        ingress.meta.ref,
        [...rule.path, 'host'],
        `"${rule.host}" is not a valid DNS host name; rule skipped`,
      );
      continue;
    }
    const fqdn = rule.host === '' ? '*' : rule.host;
    const isDefaultBackend = rule.path[1] === 'defaultBackend';
    for (const entry of rule.paths) {
      const path = pathMatch(ctx, ingress, entry);
      if (path === undefined || entry.backend === undefined) continue;
      const { serviceName, port } = entry.backend;
      const cluster = ctx.services.resolve(
        ingress.meta.ref,
        entry.backend.path,
        ingress.meta.namespace,
        serviceName,
        port,
      );
      if (cluster === undefined) continue;
      const match: RouteMatch = { path, headers: wildcardAuthority(fqdn) };
      const forward: RouteAction = {
        kind: 'forward',
        backends: onlyBackend(cluster),
        timeout: policy.timeout,
        retry: policy.retry,
        websocket: policy.websocketPaths.has(entry.value === '' ? '/' : entry.value),
      };
      const origin = ingress.meta.ref;
      // One route object for every listener that forwards (IR is never mutated).
      const route = { match, action: forward, origin };
      // The https route is used only if some Ingress configures TLS for this host (Contour's secure
      // virtual hosts are global).
      if (!policy.forceSslRedirect && policy.allowHttp && fqdn !== '*') {
        claims.push(routeClaim(fqdn, 'both', route, entry, isDefaultBackend));
        continue;
      }
      if (policy.forceSslRedirect) {
        const redirect = { match, action: httpsRedirect, origin };
        claims.push(routeClaim(fqdn, 'http', redirect, entry, isDefaultBackend));
      } else if (policy.allowHttp) {
        claims.push(routeClaim(fqdn, 'http', route, entry, isDefaultBackend));
      }
      if (fqdn !== '*') claims.push(routeClaim(fqdn, 'https', route, entry, isDefaultBackend));
    }
  }
  return claims;
}

const httpsRedirect: RouteAction = { kind: 'httpsRedirect' };

function routeClaim(
  fqdn: string,
  listener: RouteClaim['listener'],
  route: RouteClaim['route'],
  entry: IngressPathView,
  isDefaultBackend: boolean,
): RouteClaim {
  return { fqdn, listener, route, path: entry.path, isDefaultBackend };
}

/**
 * The backend list of a route to one cluster, shared by every route to that cluster: clusters
 * resolved for Ingresses are shared per Service port (ServiceCache), so this is one list per port.
 */
const backendLists = new WeakMap<Cluster, readonly { clusterName: string; weight: number }[]>();
function onlyBackend(cluster: Cluster): readonly { clusterName: string; weight: number }[] {
  let list = backendLists.get(cluster);
  if (list === undefined) {
    list = [{ clusterName: cluster.name, weight: 1 }];
    backendLists.set(cluster, list);
  }
  return list;
}

/** Evaluates one served Ingress against the current objects. */
export function evaluateIngress(
  ingress: IngressView,
  lookup: Lookup,
  options: ResolvedOptions,
  secretChecks: SecretCheckCache,
  serviceCache?: ServiceCache,
): IngressClaims {
  const reports: Report[] = [];
  const sink = reportList(reports);
  const services = createServiceResolver(lookup, options, sink, serviceCache);
  const ctx: Context = { options, sink, services, lookup, secretChecks, secrets: undefined };
  const tls = tlsClaims(ctx, ingress);
  const routes = routeClaims(ctx, ingress);
  return {
    ingress,
    tls,
    routes,
    clusters: services.clusters,
    endpointNeeds: services.endpointNeeds,
    reports,
  };
}

/** The TLS settings a host ends up with. */
export interface SecureHost {
  readonly secret: TlsSecret | undefined;
  readonly tls: TlsSettings;
  readonly owner: { readonly meta: IngressView['meta'] };
}

export interface HostResult {
  readonly http: VirtualHost | undefined;
  readonly https: SecureVirtualHost | undefined;
  readonly reports: readonly Report[];
}

type RouteTable = Map<
  string,
  { readonly claim: RouteClaim; readonly owner: { readonly meta: IngressView['meta'] } }
>;

const nameOf = (owner: { readonly meta: IngressView['meta'] }) =>
  `${owner.meta.ref.kind} ${owner.meta.namespace}/${owner.meta.name}`;

function addRoute(
  table: RouteTable,
  fqdn: string,
  claim: RouteClaim,
  ingress: IngressView,
  reports: Report[],
): void {
  const matchKey = routeMatchKey(claim.route.match);
  const existing = table.get(matchKey);
  if (existing === undefined) {
    table.set(matchKey, { claim, owner: ingress });
    return;
  }
  if (existing.owner !== ingress) {
    reports.push([
      'RouteConflict',
      ingress.meta.ref,
      claim.path,
      `host "${fqdn}" already routes this path for the older ${nameOf(existing.owner)}, which wins`,
    ]);
    return;
  }
  // Within one Ingress a later rule replaces an earlier one (the default backend is meant to be overridden).
  if (!existing.claim.isDefaultBackend && existing.claim.path.join('.') !== claim.path.join('.')) {
    reports.push([
      'RouteConflict',
      ingress.meta.ref,
      existing.claim.path,
      `host "${fqdn}" routes the same path again at ${formatPath(claim.path)}, which replaces this one`,
    ]);
  }
  table.set(matchKey, { claim, owner: ingress });
}

/** HTTPProxy routes replace Ingress routes with identical conditions (Contour adds them last). */
function addProxyRoute(
  table: RouteTable,
  fqdn: string,
  claim: RouteClaim,
  proxy: ProxyClaims,
  reports: Report[],
): void {
  const matchKey = routeMatchKey(claim.route.match);
  const existing = table.get(matchKey);
  if (existing !== undefined && existing.owner.meta.ref.kind === 'Ingress') {
    reports.push([
      'RouteConflict',
      existing.owner.meta.ref,
      existing.claim.path,
      `host "${fqdn}": ${nameOf(proxy.proxy)} routes the same conditions, which wins over Ingress routes`,
    ]);
  }
  table.set(matchKey, { claim, owner: proxy.proxy });
}

function sameTls(a: SecureHost, b: TlsClaim): boolean {
  return (
    a.secret?.name === b.secret.name &&
    a.tls.minimumProtocolVersion === b.tls.minimumProtocolVersion &&
    a.tls.maximumProtocolVersion === b.tls.maximumProtocolVersion
  );
}

/**
 * Merges the claims of every Ingress on one host, oldest Ingress first: the first TLS claim and the
 * first claim on a route match win, later ones get a diagnostic. A root HTTPProxy on the host is
 * merged last, as Contour does: its TLS settings and its routes win.
 */
export function mergeHost(
  fqdn: string,
  claimants: readonly IngressClaims[],
  proxy?: ProxyClaims,
): HostResult {
  const reports: Report[] = [];
  let secure: SecureHost | undefined;
  for (const claims of claimants) {
    for (const claim of claims.tls) {
      if (claim.fqdn !== fqdn) continue;
      if (secure === undefined) {
        secure = { secret: claim.secret, tls: claim.tls, owner: claims.ingress };
      } else if (!sameTls(secure, claim)) {
        reports.push([
          'TLSHostConflict',
          claims.ingress.meta.ref,
          claim.path,
          `TLS for "${fqdn}" is already configured differently by the older ${nameOf(secure.owner)}, which wins`,
        ]);
      }
    }
  }
  const proxySecure = proxy?.secure;
  if (proxy !== undefined && proxySecure !== undefined) {
    if (secure !== undefined && secure.secret?.name !== proxySecure.secret?.name) {
      reports.push([
        'TLSHostConflict',
        secure.owner.meta.ref,
        ['spec', 'tls'],
        `TLS for "${fqdn}" is configured by ${nameOf(proxy.proxy)}, whose settings win`,
      ]);
    }
    secure = { secret: proxySecure.secret, tls: proxySecure.tls, owner: proxy.proxy };
  }
  const http: RouteTable = new Map();
  const https: RouteTable = new Map();
  for (const claims of claimants) {
    for (const claim of claims.routes) {
      if (claim.fqdn !== fqdn) continue;
      if (claim.listener !== 'https') addRoute(http, fqdn, claim, claims.ingress, reports);
      if (claim.listener !== 'http' && secure !== undefined)
        addRoute(https, fqdn, claim, claims.ingress, reports);
    }
  }
  for (const claim of proxy?.routes ?? []) {
    if (claim.listener !== 'https') addProxyRoute(http, fqdn, claim, proxy as ProxyClaims, reports);
    if (claim.listener !== 'http') addProxyRoute(https, fqdn, claim, proxy as ProxyClaims, reports);
  }
  const routes = (table: RouteTable) => {
    const list: Route[] = [];
    for (const entry of table.values()) list.push(entry.claim.route);
    return sortRoutes(list);
  };
  const httpRoutes = routes(http);
  const policy = proxy?.policy ?? {};
  const tcpProxy = proxySecure?.tcpProxy;
  const httpsRoutes = tcpProxy !== undefined ? [] : routes(https);
  return {
    http: httpRoutes.length > 0 ? { fqdn, routes: httpRoutes, ...policy } : undefined,
    https:
      secure !== undefined && (httpsRoutes.length > 0 || tcpProxy !== undefined)
        ? {
            fqdn,
            routes: httpsRoutes,
            secretName: secure.secret?.name,
            tls: secure.tls,
            ...(tcpProxy === undefined ? policy : {}),
            ...(proxySecure?.clientValidation !== undefined
              ? { clientValidation: proxySecure.clientValidation }
              : {}),
            ...(tcpProxy !== undefined ? { tcpProxy } : {}),
            ...(proxySecure?.authorization !== undefined ? { authorization: proxySecure.authorization } : {}),
            ...(proxySecure?.jwtProviders !== undefined ? { jwtProviders: proxySecure.jwtProviders } : {}),
            ...(proxySecure?.fallback !== undefined && tcpProxy === undefined
              ? { fallbackSecretName: proxySecure.fallback.name }
              : {}),
          }
        : undefined,
    reports,
  };
}
