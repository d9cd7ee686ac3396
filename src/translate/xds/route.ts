/** Stage B: IR virtual hosts → RouteConfiguration. */
import type {
  HeaderMatch,
  Route as IrRoute,
  VirtualHost as IrVirtualHost,
  PathMatch,
} from '../../model/ir.js';
import type { HeaderMatcher, RouteMatch } from '../../xds-types/envoy/config/route/v3/route_components.js';
import { virtualHostName } from '../names.js';
import { buildDuration } from './common.js';
import {
  HeaderValueOption_HeaderAppendAction,
  type Route,
  type RouteConfiguration,
  type VirtualHost,
} from './types.js';

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

function buildHeaderMatcher(header: HeaderMatch): HeaderMatcher {
  const pattern =
    header.match.kind === 'regex'
      ? ({ $case: 'safeRegex', value: { regex: header.match.value } } as const)
      : ({ $case: 'exact', value: header.match.value } as const);
  return {
    name: header.name,
    headerMatchSpecifier: { $case: 'stringMatch', value: { matchPattern: pattern } },
    ...(header.invert ? { invertMatch: true } : {}),
  };
}

export function buildRouteMatch(route: IrRoute): RouteMatch {
  const headers = route.match.headers.map(buildHeaderMatcher);
  return { pathSpecifier: buildPathSpecifier(route.match.path), ...(headers.length > 0 ? { headers } : {}) };
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

export function buildRoute(route: IrRoute): Route {
  const match = buildRouteMatch(route);
  const action = route.action;
  switch (action.kind) {
    case 'httpsRedirect':
      return {
        match,
        action: {
          $case: 'redirect',
          value: { schemeRewriteSpecifier: { $case: 'httpsRedirect', value: true } },
        },
      };
    case 'directResponse':
      return { match, action: { $case: 'directResponse', value: { status: action.status } } };
    case 'forward': {
      const [single, ...rest] = action.backends;
      const clusterSpecifier =
        single !== undefined && rest.length === 0
          ? ({ $case: 'cluster', value: single.clusterName } as const)
          : ({
              $case: 'weightedClusters',
              value: { clusters: action.backends.map((b) => ({ name: b.clusterName, weight: b.weight })) },
            } as const);
      return {
        match,
        action: {
          $case: 'route',
          value: {
            clusterSpecifier,
            ...(action.timeout !== undefined ? { timeout: buildDuration(action.timeout) } : {}),
            ...(action.retry !== undefined
              ? {
                  retryPolicy: {
                    retryOn: action.retry.retryOn,
                    numRetries: action.retry.numRetries,
                    ...(action.retry.perTryTimeout !== undefined
                      ? { perTryTimeout: buildDuration(action.retry.perTryTimeout) }
                      : {}),
                  },
                }
              : {}),
            ...(action.websocket ? { upgradeConfigs: [{ upgradeType: 'websocket' }] } : {}),
          },
        },
      };
    }
  }
}

export function buildVirtualHost(vhost: IrVirtualHost, style: RouteStyle): VirtualHost {
  return {
    name: virtualHostName(vhost.fqdn),
    domains: [vhost.fqdn],
    routes: vhost.routes.flatMap((route) => buildRoutes(route, style)),
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
