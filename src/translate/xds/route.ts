/** Stage B: IR virtual hosts → RouteConfiguration. */
import type {
  HashPolicy,
  HeadersPolicy,
  InternalRedirect,
  Route as IrRoute,
  VirtualHost as IrVirtualHost,
  PathMatch,
  WeightedBackend,
} from '../../model/ir.js';
import { virtualHostName } from '../names.js';
import { packAny } from './any.js';
import { buildDuration } from './common.js';
import {
  buildCookieRewriteConfig,
  buildRateLimits,
  buildRouteFilterConfigs,
  buildVirtualHostFilterConfigs,
  luaFilterName,
} from './filters.js';
import { buildHeaderMatcher, buildQueryParameterMatcher, headerOperations } from './matchers.js';
import {
  FractionalPercent_DenominatorType,
  HeaderValueOption_HeaderAppendAction,
  type InternalRedirectPolicy,
  PreviousRoutesConfig,
  RedirectAction_RedirectResponseCode,
  type Route,
  type RouteAction,
  type RouteAction_HashPolicy,
  type RouteConfiguration,
  type RouteMatch,
  SafeCrossSchemeConfig,
  type VirtualHost,
  type WeightedCluster_ClusterWeight,
} from './types.js';

export { buildHeaderMatcher } from './matchers.js';

function buildPathSpecifier(path: PathMatch): RouteMatch['pathSpecifier'] {
  switch (path.kind) {
    case 'exact':
      return { $case: 'path', value: path.value };
    case 'prefix':
      return { $case: 'prefix', value: path.value };
    case 'segmentPrefix':
      return { $case: 'pathSeparatedPrefix', value: path.value };
    case 'regex':
      return { $case: 'safeRegex', value: { regex: path.value } };
  }
}

export function buildRouteMatch(route: IrRoute): RouteMatch {
  const out: RouteMatch = { pathSpecifier: buildPathSpecifier(route.match.path) };
  if (route.match.headers.length > 0) out.headers = route.match.headers.map(buildHeaderMatcher);
  const queries = route.match.queries ?? [];
  if (queries.length > 0) out.queryParameters = queries.map(buildQueryParameterMatcher);
  return out;
}

/** Match variants the route builder can be asked for. */
export interface RouteStyle {
  /**
   * Write a segment prefix `/p` as two routes, exact `/p` and prefix `/p/`, instead of Envoy's
   * path_separated_prefix, which gRPC's xDS clients refuse. Both forms match the same requests.
   */
  readonly splitSegmentPrefix: boolean;
}

export function buildRoutes(route: IrRoute, style: RouteStyle): Route[] {
  const path = route.match.path;
  if (!style.splitSegmentPrefix || path.kind !== 'segmentPrefix') return [buildRoute(route)];
  return [
    buildRoute({ ...route, match: { ...route.match, path: { kind: 'exact', value: path.value } } }),
    buildRoute({ ...route, match: { ...route.match, path: { kind: 'prefix', value: `${path.value}/` } } }),
  ];
}

const redirectCodes: Readonly<Record<301 | 302 | 303 | 307 | 308, RedirectAction_RedirectResponseCode>> = {
  301: RedirectAction_RedirectResponseCode.MOVED_PERMANENTLY,
  302: RedirectAction_RedirectResponseCode.FOUND,
  303: RedirectAction_RedirectResponseCode.SEE_OTHER,
  307: RedirectAction_RedirectResponseCode.TEMPORARY_REDIRECT,
  308: RedirectAction_RedirectResponseCode.PERMANENT_REDIRECT,
};

function buildHashPolicy(policy: HashPolicy): RouteAction_HashPolicy {
  const terminal = policy.terminal ? { terminal: true } : {};
  switch (policy.kind) {
    case 'header':
      return { policySpecifier: { $case: 'header', value: { headerName: policy.name } }, ...terminal };
    case 'query':
      return { policySpecifier: { $case: 'queryParameter', value: { name: policy.name } }, ...terminal };
    case 'sourceIp':
      return { policySpecifier: { $case: 'connectionProperties', value: { sourceIp: true } }, ...terminal };
    case 'cookie':
      return {
        policySpecifier: {
          $case: 'cookie',
          value: {
            name: policy.name,
            ttl: buildDuration(policy.ttl),
            ...(policy.path !== '' ? { path: policy.path } : {}),
          },
        },
        ...terminal,
      };
  }
}

const redirectPredicates = {
  safeCrossScheme: () => ({
    name: 'envoy.internal_redirect_predicates.safe_cross_scheme',
    typedConfig: packAny(SafeCrossSchemeConfig, {}),
  }),
  previousRoutes: () => ({
    name: 'envoy.internal_redirect_predicates.previous_routes',
    typedConfig: packAny(PreviousRoutesConfig, {}),
  }),
} as const;

function buildInternalRedirectPolicy(redirect: InternalRedirect): InternalRedirectPolicy {
  return {
    ...(redirect.maxInternalRedirects !== undefined
      ? { maxInternalRedirects: redirect.maxInternalRedirects }
      : {}),
    ...(redirect.redirectResponseCodes.length > 0
      ? { redirectResponseCodes: [...redirect.redirectResponseCodes] }
      : {}),
    ...(redirect.predicates.length > 0
      ? { predicates: redirect.predicates.map((p) => redirectPredicates[p]()) }
      : {}),
    ...(redirect.allowCrossSchemeRedirect ? { allowCrossSchemeRedirect: true } : {}),
  };
}

/** Whether a backend needs its own ClusterWeight entry (per-backend headers, host or cookie rewrites). */
function hasBackendSettings(b: WeightedBackend): boolean {
  const some = (p: HeadersPolicy | undefined) => p !== undefined && (p.set.length > 0 || p.remove.length > 0);
  return (
    some(b.requestHeaders) ||
    some(b.responseHeaders) ||
    b.hostRewrite !== undefined ||
    (b.cookieRewrites ?? []).length > 0
  );
}

function buildClusterWeight(b: WeightedBackend): WeightedCluster_ClusterWeight {
  const cookies = b.cookieRewrites ?? [];
  return {
    name: b.clusterName,
    weight: b.weight,
    ...headerOperations(b.requestHeaders, b.responseHeaders),
    ...(cookies.length > 0
      ? { typedPerFilterConfig: { [luaFilterName]: buildCookieRewriteConfig(cookies) } }
      : {}),
    ...(b.hostRewrite !== undefined
      ? { hostRewriteSpecifier: { $case: 'hostRewriteLiteral', value: b.hostRewrite } }
      : {}),
  };
}

function buildForwardAction(
  action: Extract<IrRoute['action'], { kind: 'forward' }>,
  route: IrRoute,
): RouteAction {
  const single = action.backends.length === 1 ? action.backends[0] : undefined;
  const out: RouteAction = {
    clusterSpecifier:
      single !== undefined && action.weighted !== true && !hasBackendSettings(single)
        ? { $case: 'cluster', value: single.clusterName }
        : { $case: 'weightedClusters', value: { clusters: action.backends.map(buildClusterWeight) } },
  };
  // Fields are set one by one (not spread from conditional literals): this runs once per route.
  if (action.prefixRewrite !== undefined) out.prefixRewrite = action.prefixRewrite;
  const host = action.hostRewrite;
  if (host !== undefined) {
    out.hostRewriteSpecifier =
      host.kind === 'literal'
        ? { $case: 'hostRewriteLiteral', value: host.value }
        : { $case: 'hostRewriteHeader', value: host.name };
  }
  if (action.timeout !== undefined) out.timeout = buildDuration(action.timeout);
  if (action.idleTimeout !== undefined) out.idleTimeout = buildDuration(action.idleTimeout);
  const retry = action.retry;
  if (retry !== undefined) {
    out.retryPolicy = {
      retryOn: retry.retryOn,
      numRetries: retry.numRetries,
      ...(retry.perTryTimeout !== undefined ? { perTryTimeout: buildDuration(retry.perTryTimeout) } : {}),
      ...(retry.retriableStatusCodes !== undefined && retry.retriableStatusCodes.length > 0
        ? { retriableStatusCodes: [...retry.retriableStatusCodes] }
        : {}),
    };
  }
  const mirrors = action.mirrors ?? [];
  if (mirrors.length > 0) {
    out.requestMirrorPolicies = mirrors.map((m) => ({
      cluster: m.clusterName,
      runtimeFraction: {
        defaultValue: { numerator: m.percent, denominator: FractionalPercent_DenominatorType.HUNDRED },
      },
    }));
  }
  const rateLimits = route.filters?.rateLimits ?? [];
  if (rateLimits.length > 0) out.rateLimits = buildRateLimits(rateLimits);
  const hashPolicies = action.hashPolicies ?? [];
  if (hashPolicies.length > 0) out.hashPolicy = hashPolicies.map(buildHashPolicy);
  if (action.websocket) out.upgradeConfigs = [{ upgradeType: 'websocket' }];
  if (action.internalRedirect !== undefined)
    out.internalRedirectPolicy = buildInternalRedirectPolicy(action.internalRedirect);
  return out;
}

function buildAction(route: IrRoute): Route['action'] {
  const action = route.action;
  switch (action.kind) {
    case 'httpsRedirect':
      return {
        $case: 'redirect',
        value: { schemeRewriteSpecifier: { $case: 'httpsRedirect', value: true } },
      };
    case 'redirect':
      return {
        $case: 'redirect',
        value: {
          ...(action.scheme !== undefined
            ? { schemeRewriteSpecifier: { $case: 'schemeRedirect', value: action.scheme } }
            : {}),
          ...(action.host !== undefined ? { hostRedirect: action.host } : {}),
          ...(action.port !== undefined ? { portRedirect: action.port } : {}),
          ...(action.path !== undefined
            ? { pathRewriteSpecifier: { $case: 'pathRedirect', value: action.path } }
            : action.prefix !== undefined
              ? { pathRewriteSpecifier: { $case: 'prefixRewrite', value: action.prefix } }
              : {}),
          responseCode: redirectCodes[action.statusCode],
        },
      };
    case 'directResponse':
      return {
        $case: 'directResponse',
        value:
          action.body === undefined
            ? { status: action.status }
            : { status: action.status, body: { specifier: { $case: 'inlineString', value: action.body } } },
      };
    case 'forward':
      return { $case: 'route', value: buildForwardAction(action, route) };
  }
}

export function buildRoute(route: IrRoute): Route {
  const out: Route = { match: buildRouteMatch(route), action: buildAction(route) };
  const typedPerFilterConfig = buildRouteFilterConfigs(route.filters);
  if (typedPerFilterConfig !== undefined) out.typedPerFilterConfig = typedPerFilterConfig;
  if (route.requestHeaders !== undefined || route.responseHeaders !== undefined)
    Object.assign(out, headerOperations(route.requestHeaders, route.responseHeaders));
  return out;
}

export function buildVirtualHost(vhost: IrVirtualHost, style: RouteStyle): VirtualHost {
  const typedPerFilterConfig = buildVirtualHostFilterConfigs(vhost);
  const rateLimits = vhost.rateLimits ?? [];
  return {
    name: virtualHostName(vhost.fqdn),
    domains: [vhost.fqdn],
    routes: vhost.routes.flatMap((route) => buildRoutes(route, style)),
    ...(rateLimits.length > 0 ? { rateLimits: buildRateLimits(rateLimits) } : {}),
    ...(typedPerFilterConfig !== undefined ? { typedPerFilterConfig } : {}),
  };
}

/** A RouteConfiguration with Contour's defaults: the x-request-start header and port-blind host matching. */
export function buildRouteConfiguration(
  name: string,
  vhosts: readonly IrVirtualHost[],
  style: RouteStyle,
): RouteConfiguration {
  return buildRouteConfigurationFrom(
    name,
    vhosts.map((v) => buildVirtualHost(v, style)),
  );
}

/** buildRouteConfiguration from virtual hosts already built (the incremental translator caches them). */
export function buildRouteConfigurationFrom(name: string, virtualHosts: VirtualHost[]): RouteConfiguration {
  return {
    name,
    virtualHosts,
    requestHeadersToAdd: [
      {
        header: { key: 'x-request-start', value: 't=%START_TIME(%s.%3f)%' },
        appendAction: HeaderValueOption_HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD,
      },
    ],
    ignorePortInHostMatching: true,
  };
}
