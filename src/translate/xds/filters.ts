/**
 * Stage B: HTTP filter configurations, both the listener-level filters of a TLS virtual host and the
 * per-route / per-virtual-host overrides (typed_per_filter_config) the routes carry.
 */
import type {
  CookieRewrite,
  HeaderNameMatch,
  IpFilter,
  Cors as IrCors,
  ExtAuthz as IrExtAuthz,
  JwtProvider as IrJwtProvider,
  LocalRateLimit as IrLocalRateLimit,
  VirtualHost as IrVirtualHost,
  RateLimitDescriptor,
  RateLimitEntry,
  RouteFilters,
} from '../../model/ir.js';
import type { ResolvedOptions } from '../../options.js';
import { extensionClusterName } from '../names.js';
import { packAny } from './any.js';
import { buildDuration } from './common.js';
import { buildHeaderMatcher, buildHeaderValueOptions } from './matchers.js';
import {
  type Any,
  ApiVersion,
  CorsPolicy,
  type ExtAuthz,
  ExtAuthzPerRoute,
  FractionalPercent_DenominatorType,
  type JwtAuthentication,
  JwtPerRouteConfig,
  type JwtProvider,
  LocalRateLimit,
  LuaPerRoute,
  type RateLimit,
  type RateLimit_Action,
  RateLimit_XRateLimitHeadersRFCVersion,
  type RateLimitFilter,
  RateLimitPerRoute,
  RateLimitPerRoute_VhRateLimitsOptions,
  RBAC_Action,
  RBACPerRoute,
  type RbacPolicy,
  StatusCode,
  type StringMatcher,
} from './types.js';

export const luaFilterName = 'envoy.filters.http.lua';
export const corsFilterName = 'envoy.filters.http.cors';
export const localRateLimitFilterName = 'envoy.filters.http.local_ratelimit';
export const rateLimitFilterName = 'envoy.filters.http.ratelimit';
export const rbacFilterName = 'envoy.filters.http.rbac';
export const extAuthzFilterName = 'envoy.filters.http.ext_authz';
export const jwtAuthnFilterName = 'envoy.filters.http.jwt_authn';

/**
 * Answers 421 when a request's host (without port) differs from the TLS SNI, so HTTP/2 connection
 * coalescing across certificates cannot reach the wrong virtual host.
 */
export const misdirectedRequestLua = `function envoy_on_request(request_handle)
  local sni = request_handle:streamInfo():requestedServerName()
  if sni == nil or sni == "" then
    return
  end
  local authority = request_handle:headers():get(":authority")
  if authority == nil then
    return
  end
  local host = string.lower(string.gsub(authority, ":%d+$", ""))
  if host ~= string.lower(sni) then
    request_handle:respond({[":status"] = "421"}, "misdirected request\\n")
  end
end
`;

/**
 * The Lua filter's default script on the plain-HTTP listener, where it only exists to run per-route
 * scripts (Set-Cookie rewrites). It defines no handler, so Envoy skips it.
 */
export const placeholderLua = '-- No default script: routes supply their own.\n';

/** A Lua string literal for any text: quotes, backslashes and control bytes escaped. */
function luaString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\' || ch === '"') out += `\\${ch}`;
    else if (code < 0x20 || code === 0x7f) out += `\\${String(code).padStart(3, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function luaRule(rewrite: CookieRewrite): string {
  const fields: string[] = [];
  if (rewrite.path !== undefined) fields.push(`path = ${luaString(rewrite.path)}`);
  if (rewrite.domain !== undefined) fields.push(`domain = ${luaString(rewrite.domain)}`);
  if (rewrite.secure !== undefined) fields.push(`secure = ${rewrite.secure ? 'true' : 'false'}`);
  if (rewrite.sameSite !== undefined) fields.push(`samesite = ${luaString(rewrite.sameSite)}`);
  return `  [${luaString(rewrite.name)}] = { ${fields.join(', ')} },`;
}

const cookieRewriteFunctions = `local function trim(text)
  return (string.gsub(text, "^%s*(.-)%s*$", "%1"))
end

-- Drops the attributes a rule replaces, then appends the rule's own values.
local function rewrite_cookie(cookie)
  local rule = cookie_rules[trim(string.match(cookie, "^[^=;]*"))]
  if rule == nil then
    return cookie
  end
  local parts = {}
  for piece in string.gmatch(cookie, "[^;]+") do
    local item = trim(piece)
    if #parts == 0 then
      table.insert(parts, item)
    elseif item ~= "" then
      local attribute = string.lower(trim(string.match(item, "^[^=]*")))
      local replaced = (attribute == "path" and rule.path ~= nil)
        or (attribute == "domain" and rule.domain ~= nil)
        or (attribute == "secure" and rule.secure ~= nil)
        or (attribute == "samesite" and rule.samesite ~= nil)
      if not replaced then
        table.insert(parts, item)
      end
    end
  end
  if rule.path ~= nil then
    table.insert(parts, "Path=" .. rule.path)
  end
  if rule.domain ~= nil then
    table.insert(parts, "Domain=" .. rule.domain)
  end
  if rule.secure == true then
    table.insert(parts, "Secure")
  end
  if rule.samesite ~= nil then
    table.insert(parts, "SameSite=" .. rule.samesite)
  end
  return table.concat(parts, "; ")
end

function envoy_on_response(response_handle)
  local headers = response_handle:headers()
  local cookies = {}
  local changed = false
  for key, value in pairs(headers) do
    if key == "set-cookie" then
      local updated = rewrite_cookie(value)
      changed = changed or updated ~= value
      table.insert(cookies, updated)
    end
  end
  if not changed then
    return
  end
  headers:remove("set-cookie")
  for _, cookie in ipairs(cookies) do
    headers:add("set-cookie", cookie)
  end
end
`;

/**
 * The per-route Lua script rewriting Set-Cookie attributes of the named cookies. A per-route script
 * replaces the listener's default one, so it also carries the TLS listener's misdirected-request check
 * (a no-op on plain HTTP, where there is no SNI).
 */
export function cookieRewriteLua(rewrites: readonly CookieRewrite[]): string {
  return `${misdirectedRequestLua}
-- Set-Cookie rewrites: cookie name -> attributes to replace (secure = false removes Secure).
local cookie_rules = {
${rewrites.map(luaRule).join('\n')}
}

${cookieRewriteFunctions}`;
}

export function buildCookieRewriteConfig(rewrites: readonly CookieRewrite[]): Any {
  return packAny(LuaPerRoute, {
    override: {
      $case: 'sourceCode',
      value: { specifier: { $case: 'inlineString', value: cookieRewriteLua(rewrites) } },
    },
  });
}

/** Whether any route of these virtual hosts rewrites cookies, and so needs the Lua HTTP filter. */
export function usesCookieRewrites(vhosts: readonly IrVirtualHost[]): boolean {
  return vhosts.some((vhost) =>
    vhost.routes.some(
      (route) =>
        route.action.kind === 'forward' &&
        route.action.backends.some((b) => (b.cookieRewrites ?? []).length > 0),
    ),
  );
}

const allRequests = (runtimeKey: string) => ({
  defaultValue: { numerator: 100, denominator: FractionalPercent_DenominatorType.HUNDRED },
  runtimeKey,
});

export function buildLocalRateLimit(limit: IrLocalRateLimit): LocalRateLimit {
  return {
    statPrefix: limit.statPrefix,
    ...(limit.responseStatusCode !== undefined
      ? { status: { code: limit.responseStatusCode as StatusCode } }
      : {}),
    tokenBucket: {
      maxTokens: limit.maxTokens,
      tokensPerFill: limit.tokensPerFill,
      fillInterval: buildDuration(limit.fillInterval),
    },
    filterEnabled: allRequests('local_rate_limit_enabled'),
    filterEnforced: allRequests('local_rate_limit_enforced'),
    ...(limit.responseHeaders.length > 0
      ? { responseHeadersToAdd: buildHeaderValueOptions(limit.responseHeaders) }
      : {}),
  };
}

function buildRateLimitAction(entry: RateLimitEntry): RateLimit_Action {
  switch (entry.kind) {
    case 'generic':
      return {
        actionSpecifier: {
          $case: 'genericKey',
          value: {
            descriptorValue: entry.value,
            ...(entry.key !== undefined && entry.key !== '' ? { descriptorKey: entry.key } : {}),
          },
        },
      };
    case 'requestHeader':
      return {
        actionSpecifier: {
          $case: 'requestHeaders',
          value: { headerName: entry.headerName, descriptorKey: entry.descriptorKey },
        },
      };
    case 'headerValueMatch':
      return {
        actionSpecifier: {
          $case: 'headerValueMatch',
          value: {
            descriptorValue: entry.value,
            expectMatch: entry.expectMatch,
            headers: entry.headers.map(buildHeaderMatcher),
          },
        },
      };
    case 'remoteAddress':
      return { actionSpecifier: { $case: 'remoteAddress', value: {} } };
  }
}

/** Global rate-limit descriptors as Envoy `rate_limits`. */
export function buildRateLimits(descriptors: readonly RateLimitDescriptor[]): RateLimit[] {
  return descriptors.map((d) => ({ actions: d.entries.map(buildRateLimitAction) }));
}

export function buildRbacPerRoute(filter: IpFilter): RBACPerRoute {
  const policy: RbacPolicy = {
    permissions: [{ rule: { $case: 'any', value: true } }],
    principals: filter.rules.map((r) => ({
      identifier: {
        $case: r.remote ? 'remoteIp' : 'directRemoteIp',
        value: { addressPrefix: r.cidr.address, prefixLen: r.cidr.prefixLen },
      },
    })),
  };
  return {
    rbac: {
      rules: {
        action: filter.action === 'allow' ? RBAC_Action.ALLOW : RBAC_Action.DENY,
        policies: { 'ip-rules': policy },
      },
    },
  };
}

export function buildCorsPolicy(cors: IrCors): CorsPolicy {
  return {
    allowOriginStringMatch: cors.allowOrigin.map(
      (o): StringMatcher =>
        o.kind === 'exact'
          ? { matchPattern: { $case: 'exact', value: o.value }, ignoreCase: true }
          : { matchPattern: { $case: 'safeRegex', value: { regex: o.value } } },
    ),
    allowMethods: cors.allowMethods,
    ...(cors.allowHeaders !== undefined ? { allowHeaders: cors.allowHeaders } : {}),
    ...(cors.exposeHeaders !== undefined ? { exposeHeaders: cors.exposeHeaders } : {}),
    ...(cors.maxAge !== undefined ? { maxAge: cors.maxAge } : {}),
    allowCredentials: cors.allowCredentials,
    allowPrivateNetworkAccess: cors.allowPrivateNetwork,
  };
}

/** A typed_per_filter_config map with keys in sorted order, or undefined when empty. */
function perFilterConfig(entries: readonly (readonly [string, Any])[]): Record<string, Any> | undefined {
  if (entries.length === 0) return undefined;
  const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(sorted);
}

/** Route typed_per_filter_config for the route's filter settings; undefined when there are none. */
export function buildRouteFilterConfigs(filters: RouteFilters | undefined): Record<string, Any> | undefined {
  if (filters === undefined) return undefined;
  const entries: [string, Any][] = [];
  if (filters.localRateLimit !== undefined) {
    entries.push([
      localRateLimitFilterName,
      packAny(LocalRateLimit, buildLocalRateLimit(filters.localRateLimit)),
    ]);
  }
  if (filters.ignoreVirtualHostRateLimits === true) {
    entries.push([
      rateLimitFilterName,
      packAny(RateLimitPerRoute, { vhRateLimits: RateLimitPerRoute_VhRateLimitsOptions.IGNORE }),
    ]);
  }
  const authz = filters.extAuthz;
  if (authz !== undefined) {
    const message: ExtAuthzPerRoute =
      authz.kind === 'disabled'
        ? { override: { $case: 'disabled', value: true } }
        : {
            override: {
              $case: 'checkSettings',
              value: { contextExtensions: Object.fromEntries(authz.context.map(([k, v]) => [k, v])) },
            },
          };
    entries.push([extAuthzFilterName, packAny(ExtAuthzPerRoute, message)]);
  }
  if (filters.jwtRequirement !== undefined) {
    entries.push([
      jwtAuthnFilterName,
      packAny(JwtPerRouteConfig, {
        requirementSpecifier: { $case: 'requirementName', value: filters.jwtRequirement },
      }),
    ]);
  }
  if (filters.ipFilter !== undefined) {
    entries.push([rbacFilterName, packAny(RBACPerRoute, buildRbacPerRoute(filters.ipFilter))]);
  }
  return perFilterConfig(entries);
}

/** Virtual host typed_per_filter_config (CORS, local rate limit, IP filter); undefined when none. */
export function buildVirtualHostFilterConfigs(vhost: IrVirtualHost): Record<string, Any> | undefined {
  const entries: [string, Any][] = [];
  if (vhost.cors !== undefined)
    entries.push([corsFilterName, packAny(CorsPolicy, buildCorsPolicy(vhost.cors))]);
  if (vhost.localRateLimit !== undefined) {
    entries.push([
      localRateLimitFilterName,
      packAny(LocalRateLimit, buildLocalRateLimit(vhost.localRateLimit)),
    ]);
  }
  if (vhost.ipFilter !== undefined) {
    entries.push([rbacFilterName, packAny(RBACPerRoute, buildRbacPerRoute(vhost.ipFilter))]);
  }
  return perFilterConfig(entries);
}

function buildJwtProvider(provider: IrJwtProvider): JwtProvider {
  const jwks = provider.jwks;
  return {
    ...(provider.issuer !== undefined && provider.issuer !== '' ? { issuer: provider.issuer } : {}),
    ...(provider.audiences.length > 0 ? { audiences: [...provider.audiences] } : {}),
    jwksSourceSpecifier:
      jwks.kind === 'remote'
        ? {
            $case: 'remoteJwks',
            value: {
              httpUri: {
                uri: jwks.uri,
                httpUpstreamType: { $case: 'cluster', value: jwks.clusterName },
                timeout: buildDuration(jwks.timeout),
              },
              ...(jwks.cacheDuration !== undefined
                ? { cacheDuration: buildDuration(jwks.cacheDuration) }
                : {}),
            },
          }
        : { $case: 'localJwks', value: { specifier: { $case: 'inlineString', value: jwks.inline } } },
    ...(provider.forward ? { forward: true } : {}),
  };
}

/** The jwt_authn filter: every provider, and a requirement of the same name routes refer to. */
export function buildJwtAuthentication(providers: readonly IrJwtProvider[]): JwtAuthentication {
  return {
    providers: Object.fromEntries(providers.map((p) => [p.name, buildJwtProvider(p)])),
    requirementMap: Object.fromEntries(
      providers.map((p) => [p.name, { requiresType: { $case: 'providerName' as const, value: p.name } }]),
    ),
  };
}

const exactHeaders = (matches: readonly HeaderNameMatch[]) => ({
  patterns: matches.map(
    (m): StringMatcher => ({
      matchPattern: { $case: m.kind, value: m.value } as StringMatcher['matchPattern'],
      ...(m.ignoreCase ? { ignoreCase: true } : {}),
    }),
  ),
});

/** Envoy's own gRPC client to a cluster, with Contour's authority: the name with `/` as `.`. */
function envoyGrpc(clusterName: string) {
  return { $case: 'envoyGrpc' as const, value: { clusterName, authority: clusterName.replaceAll('/', '.') } };
}

/** The ratelimit filter asking the rateLimitService option's ExtensionService. */
export function buildRateLimitFilter(
  service: NonNullable<ResolvedOptions['rateLimitService']>,
): RateLimitFilter {
  const { namespace, name } = service.extensionService;
  return {
    domain: service.domain,
    rateLimitService: {
      grpcService: { targetSpecifier: envoyGrpc(extensionClusterName(namespace, name)) },
      transportApiVersion: ApiVersion.V3,
    },
    failureModeDeny: !service.failOpen,
    ...(service.enableXRateLimitHeaders
      ? { enableXRatelimitHeaders: RateLimit_XRateLimitHeadersRFCVersion.DRAFT_VERSION_03 }
      : {}),
  };
}

/** The ext_authz filter of a TLS virtual host. */
export function buildExtAuthz(authz: IrExtAuthz): ExtAuthz {
  const timeout = buildDuration(authz.timeout);
  const http = authz.http;
  const services: ExtAuthz['services'] =
    authz.protocol === 'grpc'
      ? {
          $case: 'grpcService',
          value: {
            targetSpecifier: envoyGrpc(authz.clusterName),
            timeout,
          },
        }
      : {
          $case: 'httpService',
          value: {
            serverUri: {
              uri: 'http://dummy',
              httpUpstreamType: { $case: 'cluster', value: authz.clusterName },
              timeout,
            },
            ...(http !== undefined && http.pathPrefix !== '' ? { pathPrefix: http.pathPrefix } : {}),
            ...(http !== undefined && http.allowedUpstreamHeaders.length > 0
              ? {
                  authorizationResponse: {
                    allowedUpstreamHeaders: exactHeaders(http.allowedUpstreamHeaders),
                  },
                }
              : {}),
          },
        };
  const body = authz.withRequestBody;
  return {
    services,
    transportApiVersion: ApiVersion.V3,
    failureModeAllow: authz.failOpen,
    ...(body !== undefined
      ? {
          withRequestBody: {
            maxRequestBytes: body.maxRequestBytes,
            allowPartialMessage: body.allowPartialMessage,
            packAsBytes: body.packAsBytes,
          },
        }
      : {}),
    clearRouteCache: true,
    statusOnError: { code: StatusCode.Forbidden },
    includePeerCertificate: true,
    // The filter-level allowed_headers replaces the deprecated authorization_request.allowed_headers.
    ...(authz.protocol === 'http' && http !== undefined && http.allowedAuthorizationHeaders.length > 0
      ? { allowedHeaders: exactHeaders(http.allowedAuthorizationHeaders) }
      : {}),
  };
}
