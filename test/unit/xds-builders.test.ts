/**
 * Stage B builders for the HTTPProxy features of the IR: every new field, checked by its concrete Envoy
 * output (canonical JSON), by the Envoy acceptance oracle, and by a binary round trip.
 */
import { describe, expect, it } from 'vitest';
import type {
  Cluster as IrCluster,
  Route as IrRoute,
  SecureVirtualHost,
  TlsSettings,
  VirtualHost,
} from '../../src/model/ir.js';
import { resolveOptions } from '../../src/options.js';
import { resourceCodecs, resourceKinds, toEnvoyJson, type XdsResources } from '../../src/resources.js';
import { buildCluster } from '../../src/translate/xds/cluster.js';
import { buildClusterLoadAssignment } from '../../src/translate/xds/endpoint.js';
import {
  cookieRewriteLua,
  misdirectedRequestLua,
  usesCookieRewrites,
} from '../../src/translate/xds/filters.js';
import {
  buildHttpListener,
  buildHttpsListener,
  buildSecureFilterChain,
} from '../../src/translate/xds/listener.js';
import { buildRoute, buildRouteConfiguration } from '../../src/translate/xds/route.js';
import { buildSecret } from '../../src/translate/xds/secret.js';
import { assertEnvoyAccepts, checkRoundTrip } from '../support/pgv.js';

// biome-ignore lint/suspicious/noExplicitAny: navigating canonical JSON in assertions
type Json = Record<string, any>;

const options = resolveOptions({});
const style = { splitSegmentPrefix: false };
const origin = { kind: 'HTTPProxy', namespace: 'default', name: 'proxy' } as unknown as IrRoute['origin'];
const s = (seconds: number, nanos = 0) => ({ seconds, nanos });
const bytes = (text: string) => new TextEncoder().encode(text);
const b64 = (text: string) => Buffer.from(text).toString('base64');

const tls: TlsSettings = {
  minimumProtocolVersion: '1.2',
  maximumProtocolVersion: '1.3',
  cipherSuites: ['ECDHE-RSA-AES256-GCM-SHA384'],
};

// ---------------------------------------------------------------------------------------------------
// IR fixtures

function eds(name: string, extra: Partial<IrCluster> = {}): IrCluster {
  return {
    name,
    statName: 'default_app_80',
    service: { namespace: 'default', name: 'app', port: 80 },
    protocol: '',
    circuitBreakers: undefined,
    discovery: { kind: 'eds', serviceName: 'default/app' },
    sni: undefined,
    ...extra,
  };
}

const clusters: IrCluster[] = [
  eds('default/app/80/least', {
    lbPolicy: 'leastRequest',
    slowStart: { window: s(30), aggression: 1.5, minWeightPercent: 10 },
    healthCheck: {
      kind: 'http',
      path: '/healthz',
      host: 'contour-envoy-healthcheck',
      timeout: s(2),
      interval: s(5),
      unhealthyThreshold: 3,
      healthyThreshold: 2,
      expectedStatuses: [
        { start: 200, end: 300 },
        { start: 404, end: 405 },
      ],
      http2: false,
    },
    idleConnectionTimeout: s(60),
  }),
  eds('default/app/80/tls', {
    protocol: 'tls',
    sni: 'backend.internal',
    lbPolicy: 'ringHash',
    healthCheck: {
      kind: 'tcp',
      timeout: s(1),
      interval: s(10),
      unhealthyThreshold: 4,
      healthyThreshold: 1,
    },
    upstreamValidation: {
      caCertificate: bytes('UPSTREAM CA'),
      subjectNames: ['backend.internal', 'alt.internal'],
    },
    idleConnectionTimeout: s(0),
  }),
  eds('default/app/80/h2', {
    protocol: 'h2',
    slowStart: { window: s(10), aggression: 1, minWeightPercent: 5 },
    healthCheck: {
      kind: 'http',
      path: '/ready',
      host: 'h2.internal',
      timeout: s(1),
      interval: s(3),
      unhealthyThreshold: 2,
      healthyThreshold: 2,
      http2: true,
    },
    idleConnectionTimeout: s(90),
  }),
  eds('default/app/80/random', { lbPolicy: 'random' }),
  eds('default/app/80/plain'),
  eds('default/mirror/80/m'),
  eds('projectcontour/authz/9000/x'),
  eds('default/jwks/443/y'),
  eds('default/tcp/443/a'),
  eds('default/tcp/443/b'),
];

const rich: IrRoute = {
  origin,
  match: {
    path: { kind: 'prefix', value: '/api' },
    headers: [
      { name: 'x-exact', match: { kind: 'exact', value: 'one' }, invert: false },
      { name: 'x-exact-ci', match: { kind: 'exact', value: 'Two', ignoreCase: true }, invert: false },
      { name: 'x-contains', match: { kind: 'contains', value: 'three', ignoreCase: true }, invert: true },
      { name: 'x-contains-cs', match: { kind: 'contains', value: 'Four' }, invert: false },
      { name: 'x-regex', match: { kind: 'regex', value: '^v[0-9]+$' }, invert: false },
      { name: 'x-present', match: { kind: 'present' }, invert: true, treatMissingAsEmpty: true },
    ],
    queries: [
      { name: 'qe', match: { kind: 'exact', value: 'a', ignoreCase: true } },
      { name: 'qp', match: { kind: 'prefix', value: 'b', ignoreCase: false } },
      { name: 'qs', match: { kind: 'suffix', value: 'c', ignoreCase: false } },
      { name: 'qc', match: { kind: 'contains', value: 'd', ignoreCase: true } },
      { name: 'qr', match: { kind: 'regex', value: '^e+$' } },
      { name: 'qx', match: { kind: 'present' } },
    ],
  },
  requestHeaders: {
    set: [
      { name: 'x-b', value: '2' },
      { name: 'x-a', value: '1' },
    ],
    remove: ['x-gone'],
  },
  responseHeaders: { set: [{ name: 'x-resp', value: '100%%' }], remove: [] },
  filters: {
    localRateLimit: {
      maxTokens: 10,
      tokensPerFill: 5,
      fillInterval: s(1),
      responseStatusCode: 503,
      responseHeaders: [{ name: 'x-limited', value: 'yes' }],
      statPrefix: 'vhost.route',
    },
    rateLimits: [
      {
        entries: [
          { kind: 'generic', key: 'route', value: 'api' },
          { kind: 'generic', value: 'nokey' },
          { kind: 'requestHeader', headerName: 'x-user', descriptorKey: 'user' },
          {
            kind: 'headerValueMatch',
            headers: [{ name: 'x-tier', match: { kind: 'exact', value: 'free' }, invert: false }],
            expectMatch: false,
            value: 'free-tier',
          },
          { kind: 'remoteAddress' },
        ],
      },
    ],
    ignoreVirtualHostRateLimits: true,
    extAuthz: {
      kind: 'context',
      context: [
        ['tenant', 'blue'],
        ['zone', 'a'],
      ],
    },
    jwtRequirement: 'remote',
    ipFilter: {
      action: 'deny',
      rules: [
        { remote: false, cidr: { address: '10.0.0.0', prefixLen: 8 } },
        { remote: true, cidr: { address: '2001:db8::', prefixLen: 32 } },
      ],
    },
  },
  action: {
    kind: 'forward',
    backends: [
      {
        clusterName: 'default/app/80/least',
        weight: 80,
        requestHeaders: { set: [{ name: 'x-backend', value: 'least' }], remove: ['x-drop'] },
        responseHeaders: { set: [], remove: ['server'] },
        hostRewrite: 'least.internal',
        cookieRewrites: [
          { name: 'session', path: '/app', domain: 'example.com', secure: true, sameSite: 'Strict' },
          { name: 'pref', secure: false },
        ],
      },
      { clusterName: 'default/app/80/tls', weight: 20 },
    ],
    timeout: s(30),
    retry: {
      retryOn: '5xx',
      numRetries: 3,
      perTryTimeout: s(2, 500_000_000),
      retriableStatusCodes: [502, 504],
    },
    websocket: true,
    idleTimeout: s(300),
    hashPolicies: [
      { kind: 'header', name: 'x-user', terminal: true },
      { kind: 'query', name: 'id', terminal: false },
      { kind: 'sourceIp', terminal: false },
      { kind: 'cookie', name: 'X-Contour-Session-Affinity', ttl: s(0), path: '/', terminal: false },
    ],
    mirrors: [{ clusterName: 'default/mirror/80/m', percent: 25 }],
    prefixRewrite: '/v2',
    hostRewrite: { kind: 'header', name: 'x-target-host' },
    internalRedirect: {
      maxInternalRedirects: 4,
      redirectResponseCodes: [301, 307],
      allowCrossSchemeRedirect: true,
      predicates: ['safeCrossScheme', 'previousRoutes'],
    },
  },
};

const forceWeighted: IrRoute = {
  origin,
  match: { path: { kind: 'exact', value: '/weighted' }, headers: [] },
  action: {
    kind: 'forward',
    backends: [{ clusterName: 'default/app/80/plain', weight: 1 }],
    timeout: undefined,
    retry: undefined,
    websocket: false,
    weighted: true,
    hostRewrite: { kind: 'literal', value: 'rewritten.example.com' },
  },
};

const plain: IrRoute = {
  origin,
  match: { path: { kind: 'prefix', value: '/' }, headers: [] },
  filters: { extAuthz: { kind: 'disabled' } },
  action: {
    kind: 'forward',
    backends: [{ clusterName: 'default/app/80/h2', weight: 1 }],
    timeout: undefined,
    retry: undefined,
    websocket: false,
  },
};

const redirectPath: IrRoute = {
  origin,
  match: { path: { kind: 'exact', value: '/old' }, headers: [] },
  action: {
    kind: 'redirect',
    scheme: 'https',
    host: 'new.example.com',
    port: 8443,
    path: '/new',
    statusCode: 301,
  },
};

const redirectPrefix: IrRoute = {
  origin,
  match: { path: { kind: 'prefix', value: '/legacy' }, headers: [] },
  action: { kind: 'redirect', prefix: '/modern', statusCode: 308 },
};

const direct: IrRoute = {
  origin,
  match: { path: { kind: 'exact', value: '/teapot' }, headers: [] },
  action: { kind: 'directResponse', status: 418, body: "I'm a teapot" },
};

const httpHost: VirtualHost = {
  fqdn: 'www.example.com',
  routes: [rich, forceWeighted, redirectPath, redirectPrefix, direct, plain],
  cors: {
    allowOrigin: [
      { kind: 'exact', value: 'https://app.example.com' },
      { kind: 'regex', value: 'https://.*\\.example\\.org' },
    ],
    allowMethods: 'GET,POST',
    allowHeaders: 'authorization,content-type',
    exposeHeaders: 'x-request-id',
    maxAge: '600',
    allowCredentials: true,
    allowPrivateNetwork: false,
  },
  localRateLimit: {
    maxTokens: 100,
    tokensPerFill: 100,
    fillInterval: s(60),
    responseHeaders: [],
    statPrefix: 'vhost.www',
  },
  rateLimits: [{ entries: [{ kind: 'remoteAddress' }] }],
  ipFilter: { action: 'allow', rules: [{ remote: true, cidr: { address: '192.168.0.0', prefixLen: 16 } }] },
};

const secureHost: SecureVirtualHost = {
  fqdn: 'secure.example.com',
  routes: [plain],
  secretName: 'default/tls-cert',
  tls,
  clientValidation: {
    caCertificate: bytes('CLIENT CA'),
    crl: bytes('CLIENT CRL'),
    onlyVerifyLeafCertCrl: true,
    skipVerification: false,
    optional: false,
    forwardClientCertificate: { subject: true, cert: false, chain: true, dns: false, uri: true },
  },
  authorization: {
    clusterName: 'projectcontour/authz/9000/x',
    protocol: 'grpc',
    timeout: s(0, 500_000_000),
    failOpen: true,
    withRequestBody: { maxRequestBytes: 4096, allowPartialMessage: true, packAsBytes: false },
  },
  jwtProviders: [
    {
      name: 'remote',
      issuer: 'https://issuer.example.com',
      audiences: ['api', 'web'],
      forward: true,
      jwks: {
        kind: 'remote',
        uri: 'https://jwks.example.com/keys',
        clusterName: 'default/jwks/443/y',
        timeout: s(2),
        cacheDuration: s(300),
      },
    },
    { name: 'local', audiences: [], forward: false, jwks: { kind: 'local', inline: '{"keys":[]}' } },
  ],
};

const httpAuthzHost: SecureVirtualHost = {
  fqdn: 'auth.example.com',
  routes: [plain],
  secretName: 'default/tls-cert',
  tls,
  clientValidation: { onlyVerifyLeafCertCrl: false, skipVerification: true, optional: true },
  authorization: {
    clusterName: 'projectcontour/authz/9000/x',
    protocol: 'http',
    timeout: s(1),
    failOpen: false,
    http: {
      pathPrefix: '/check',
      allowedAuthorizationHeaders: [
        { kind: 'exact', value: 'x-auth-a', ignoreCase: true },
        { kind: 'prefix', value: 'x-auth-', ignoreCase: false },
      ],
      allowedUpstreamHeaders: [{ kind: 'exact', value: 'x-user-id', ignoreCase: true }],
    },
  },
};

const tcpHost: SecureVirtualHost = {
  fqdn: 'tcp.example.com',
  routes: [],
  secretName: 'default/tls-cert',
  tls,
  tcpProxy: {
    backends: [
      { clusterName: 'default/tcp/443/a', weight: 60 },
      { clusterName: 'default/tcp/443/b', weight: 40 },
    ],
  },
};

const passthroughHost: SecureVirtualHost = {
  fqdn: 'passthrough.example.com',
  routes: [],
  secretName: undefined,
  tls,
  tcpProxy: { backends: [{ clusterName: 'default/tcp/443/a', weight: 1 }] },
};

const secureHosts = [httpAuthzHost, passthroughHost, secureHost, tcpHost];

function resources(): XdsResources {
  return {
    listeners: [
      buildHttpListener(options, { lua: usesCookieRewrites([httpHost]) }),
      buildHttpsListener(
        options,
        secureHosts.map((v) => buildSecureFilterChain(v, options)),
      ),
    ],
    routes: [
      buildRouteConfiguration('ingress_http', [httpHost], style),
      buildRouteConfiguration('https/auth.example.com', [httpAuthzHost], style),
      buildRouteConfiguration('https/secure.example.com', [secureHost], style),
    ],
    clusters: clusters.map((c) => buildCluster(c, options)),
    endpoints: [
      buildClusterLoadAssignment({
        name: 'default/app',
        localities: [{ zone: '', addresses: ['10.1.2.3'], ports: 8080 }],
      }),
    ],
    secrets: [
      buildSecret({ name: 'default/tls-cert', certificateChain: bytes('CERT'), privateKey: bytes('KEY') }),
    ],
  };
}

const json = () => toEnvoyJson(resources()) as unknown as Record<string, Json[]>;
const byName = (list: Json[], name: string): Json => {
  const found = list.find((x) => x.name === name);
  if (found === undefined) throw new Error(`no ${name}`);
  return found;
};
const httpRoutes = (): Json[] => byName(json().routes as Json[], 'ingress_http').virtualHosts[0].routes;
const hcmOf = (chain: Json): Json => chain.filters[0].typedConfig;
const chainFor = (fqdn: string): Json =>
  (byName(json().listeners as Json[], 'ingress_https').filterChains as Json[]).find(
    (c) => c.filterChainMatch.serverNames[0] === fqdn,
  ) as Json;
const clusterJson = (name: string): Json => byName(json().clusters as Json[], name);

const type = (name: string) => `type.googleapis.com/${name}`;
const overwrite = (key: string, value: string) => ({
  header: { key, value },
  appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD',
});

// ---------------------------------------------------------------------------------------------------

describe('xds builders: the whole resource set', () => {
  it('is accepted by Envoy', () => {
    expect(() => assertEnvoyAccepts(resources())).not.toThrow();
  });

  it('survives a binary round trip unchanged', () => {
    const all = resources();
    for (const kind of resourceKinds) {
      const codec = resourceCodecs[kind] as (typeof resourceCodecs)['routes'];
      for (const message of all[kind]) {
        expect(checkRoundTrip(codec.$type, message)).toEqual([]);
        const bytes1 = codec.encode(message as never).finish();
        const decoded = codec.decode(bytes1);
        expect(codec.encode(decoded).finish()).toEqual(bytes1);
        expect(codec.toJSON(decoded)).toEqual(codec.toJSON(message as never));
      }
    }
  });

  it('is deterministic', () => {
    expect(json()).toEqual(json());
  });
});

describe('route match', () => {
  it('encodes header matchers with their flags', () => {
    expect(httpRoutes()[0]?.match.headers).toEqual([
      { name: 'x-exact', stringMatch: { exact: 'one' } },
      { name: 'x-exact-ci', stringMatch: { exact: 'Two', ignoreCase: true } },
      { name: 'x-contains', stringMatch: { contains: 'three', ignoreCase: true }, invertMatch: true },
      { name: 'x-contains-cs', stringMatch: { contains: 'Four' } },
      { name: 'x-regex', stringMatch: { safeRegex: { regex: '^v[0-9]+$' } } },
      { name: 'x-present', presentMatch: true, invertMatch: true, treatMissingHeaderAsEmpty: true },
    ]);
  });

  it('encodes query parameter matchers', () => {
    expect(httpRoutes()[0]?.match.queryParameters).toEqual([
      { name: 'qe', stringMatch: { exact: 'a', ignoreCase: true } },
      { name: 'qp', stringMatch: { prefix: 'b' } },
      { name: 'qs', stringMatch: { suffix: 'c' } },
      { name: 'qc', stringMatch: { contains: 'd', ignoreCase: true } },
      { name: 'qr', stringMatch: { safeRegex: { regex: '^e+$' } } },
      { name: 'qx', presentMatch: true },
    ]);
  });

  it('omits headers and query parameters when there are none', () => {
    const match = httpRoutes()[5]?.match;
    expect(match).toEqual({ prefix: '/' });
  });
});

describe('route actions', () => {
  it('writes route-level header operations in the given order, omitting empty lists', () => {
    const route = httpRoutes()[0] as Json;
    expect(route.requestHeadersToAdd).toEqual([overwrite('x-b', '2'), overwrite('x-a', '1')]);
    expect(route.requestHeadersToRemove).toEqual(['x-gone']);
    expect(route.responseHeadersToAdd).toEqual([overwrite('x-resp', '100%%')]);
    expect(route).not.toHaveProperty('responseHeadersToRemove');
  });

  it('writes every forward option', () => {
    const action = (httpRoutes()[0] as Json).route;
    expect(action.timeout).toBe('30s');
    expect(action.idleTimeout).toBe('300s');
    expect(action.prefixRewrite).toBe('/v2');
    expect(action.hostRewriteHeader).toBe('x-target-host');
    expect(action.retryPolicy).toEqual({
      retryOn: '5xx',
      numRetries: 3,
      perTryTimeout: '2.500s',
      retriableStatusCodes: [502, 504],
    });
    expect(action.upgradeConfigs).toEqual([{ upgradeType: 'websocket' }]);
    expect(action.hashPolicy).toEqual([
      { header: { headerName: 'x-user' }, terminal: true },
      { queryParameter: { name: 'id' } },
      { connectionProperties: { sourceIp: true } },
      { cookie: { name: 'X-Contour-Session-Affinity', ttl: '0s', path: '/' } },
    ]);
    expect(action.requestMirrorPolicies).toEqual([
      {
        cluster: 'default/mirror/80/m',
        // denominator HUNDRED is the enum's zero value: canonical JSON omits it.
        runtimeFraction: { defaultValue: { numerator: 25 } },
      },
    ]);
    expect(action.internalRedirectPolicy).toEqual({
      maxInternalRedirects: 4,
      redirectResponseCodes: [301, 307],
      allowCrossSchemeRedirect: true,
      predicates: [
        {
          name: 'envoy.internal_redirect_predicates.safe_cross_scheme',
          typedConfig: {
            '@type': type('envoy.extensions.internal_redirect.safe_cross_scheme.v3.SafeCrossSchemeConfig'),
          },
        },
        {
          name: 'envoy.internal_redirect_predicates.previous_routes',
          typedConfig: {
            '@type': type('envoy.extensions.internal_redirect.previous_routes.v3.PreviousRoutesConfig'),
          },
        },
      ],
    });
  });

  it('omits max_internal_redirects when unset', () => {
    const route = buildRoute({
      ...plain,
      action: {
        ...(plain.action as Extract<IrRoute['action'], { kind: 'forward' }>),
        internalRedirect: { redirectResponseCodes: [], allowCrossSchemeRedirect: false, predicates: [] },
      },
    });
    const action = route.action?.$case === 'route' ? route.action.value : undefined;
    expect(action?.internalRedirectPolicy).toEqual({});
  });

  it('writes weighted clusters with per-backend headers, host rewrite and cookie rewrites', () => {
    const clusters = (httpRoutes()[0] as Json).route.weightedClusters.clusters as Json[];
    expect(clusters.map((c) => [c.name, c.weight])).toEqual([
      ['default/app/80/least', 80],
      ['default/app/80/tls', 20],
    ]);
    const first = clusters[0] as Json;
    expect(first.requestHeadersToAdd).toEqual([overwrite('x-backend', 'least')]);
    expect(first.requestHeadersToRemove).toEqual(['x-drop']);
    expect(first).not.toHaveProperty('responseHeadersToAdd');
    expect(first.responseHeadersToRemove).toEqual(['server']);
    expect(first.hostRewriteLiteral).toBe('least.internal');
    const lua = first.typedPerFilterConfig['envoy.filters.http.lua'];
    expect(lua['@type']).toBe(type('envoy.extensions.filters.http.lua.v3.LuaPerRoute'));
    const script = lua.sourceCode.inlineString as string;
    expect(script).toContain(
      '["session"] = { path = "/app", domain = "example.com", secure = true, samesite = "Strict" },',
    );
    expect(script).toContain('["pref"] = { secure = false },');
    expect(script.startsWith(misdirectedRequestLua)).toBe(true);
    expect(clusters[1]).toEqual({ name: 'default/app/80/tls', weight: 20 });
  });

  it('uses weighted_clusters for one backend when asked, and cluster otherwise', () => {
    const weighted = (httpRoutes()[1] as Json).route;
    expect(weighted.weightedClusters).toEqual({ clusters: [{ name: 'default/app/80/plain', weight: 1 }] });
    expect(weighted.hostRewriteLiteral).toBe('rewritten.example.com');
    expect((httpRoutes()[5] as Json).route.cluster).toBe('default/app/80/h2');
  });

  it('writes redirects with path or prefix and the response code', () => {
    expect((httpRoutes()[2] as Json).redirect).toEqual({
      schemeRedirect: 'https',
      hostRedirect: 'new.example.com',
      portRedirect: 8443,
      pathRedirect: '/new',
    });
    expect((httpRoutes()[3] as Json).redirect).toEqual({
      prefixRewrite: '/modern',
      responseCode: 'PERMANENT_REDIRECT',
    });
    const codes = [301, 302, 303, 307, 308] as const;
    const written = codes.map((statusCode) => {
      const r = buildRoute({ ...redirectPrefix, action: { kind: 'redirect', statusCode } });
      return r.action?.$case === 'redirect' ? r.action.value.responseCode : undefined;
    });
    expect(written).toEqual([0, 1, 2, 3, 4]);
  });

  it('writes a direct response body, and none when absent', () => {
    expect((httpRoutes()[4] as Json).directResponse).toEqual({
      status: 418,
      body: { inlineString: "I'm a teapot" },
    });
    const bare = buildRoute({ ...direct, action: { kind: 'directResponse', status: 404 } });
    expect(bare.action).toEqual({ $case: 'directResponse', value: { status: 404 } });
  });
});

describe('route filters', () => {
  it('writes per-filter configs for every filter setting', () => {
    const config = (httpRoutes()[0] as Json).typedPerFilterConfig as Json;
    expect(Object.keys(config)).toEqual([
      'envoy.filters.http.ext_authz',
      'envoy.filters.http.jwt_authn',
      'envoy.filters.http.local_ratelimit',
      'envoy.filters.http.ratelimit',
      'envoy.filters.http.rbac',
    ]);
    expect(config['envoy.filters.http.local_ratelimit']).toEqual({
      '@type': type('envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit'),
      statPrefix: 'vhost.route',
      status: { code: 'ServiceUnavailable' },
      tokenBucket: { maxTokens: 10, tokensPerFill: 5, fillInterval: '1s' },
      filterEnabled: {
        defaultValue: { numerator: 100 },
        runtimeKey: 'local_rate_limit_enabled',
      },
      filterEnforced: {
        defaultValue: { numerator: 100 },
        runtimeKey: 'local_rate_limit_enforced',
      },
      responseHeadersToAdd: [overwrite('x-limited', 'yes')],
    });
    expect(config['envoy.filters.http.ratelimit']).toEqual({
      '@type': type('envoy.extensions.filters.http.ratelimit.v3.RateLimitPerRoute'),
      vhRateLimits: 'IGNORE',
    });
    expect(config['envoy.filters.http.ext_authz']).toEqual({
      '@type': type('envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute'),
      checkSettings: { contextExtensions: { tenant: 'blue', zone: 'a' } },
    });
    expect(config['envoy.filters.http.jwt_authn']).toEqual({
      '@type': type('envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig'),
      requirementName: 'remote',
    });
    expect(config['envoy.filters.http.rbac']).toEqual({
      '@type': type('envoy.extensions.filters.http.rbac.v3.RBACPerRoute'),
      rbac: {
        rules: {
          action: 'DENY',
          policies: {
            'ip-rules': {
              permissions: [{ any: true }],
              principals: [
                { directRemoteIp: { addressPrefix: '10.0.0.0', prefixLen: 8 } },
                { remoteIp: { addressPrefix: '2001:db8::', prefixLen: 32 } },
              ],
            },
          },
        },
      },
    });
  });

  it('writes global rate-limit descriptors on the route action', () => {
    expect((httpRoutes()[0] as Json).route.rateLimits).toEqual([
      {
        actions: [
          { genericKey: { descriptorKey: 'route', descriptorValue: 'api' } },
          { genericKey: { descriptorValue: 'nokey' } },
          { requestHeaders: { headerName: 'x-user', descriptorKey: 'user' } },
          {
            headerValueMatch: {
              descriptorValue: 'free-tier',
              expectMatch: false,
              headers: [{ name: 'x-tier', stringMatch: { exact: 'free' } }],
            },
          },
          { remoteAddress: {} },
        ],
      },
    ]);
  });

  it('disables ext_authz per route, and omits the map when a route has no filters', () => {
    expect((httpRoutes()[5] as Json).typedPerFilterConfig).toEqual({
      'envoy.filters.http.ext_authz': {
        '@type': type('envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute'),
        disabled: true,
      },
    });
    expect(httpRoutes()[1]).not.toHaveProperty('typedPerFilterConfig');
    expect(buildRoute({ ...plain, filters: {} })).not.toHaveProperty('typedPerFilterConfig');
  });
});

describe('virtual host', () => {
  it('writes CORS, local rate limit, IP filter and rate limits', () => {
    const vhost = byName(json().routes as Json[], 'ingress_http').virtualHosts[0] as Json;
    expect(vhost.rateLimits).toEqual([{ actions: [{ remoteAddress: {} }] }]);
    const config = vhost.typedPerFilterConfig as Json;
    expect(config['envoy.filters.http.cors']).toEqual({
      '@type': type('envoy.extensions.filters.http.cors.v3.CorsPolicy'),
      allowOriginStringMatch: [
        { exact: 'https://app.example.com', ignoreCase: true },
        { safeRegex: { regex: 'https://.*\\.example\\.org' } },
      ],
      allowMethods: 'GET,POST',
      allowHeaders: 'authorization,content-type',
      exposeHeaders: 'x-request-id',
      maxAge: '600',
      allowCredentials: true,
      allowPrivateNetworkAccess: false,
    });
    expect(config['envoy.filters.http.local_ratelimit']).toMatchObject({
      statPrefix: 'vhost.www',
      tokenBucket: { maxTokens: 100, tokensPerFill: 100, fillInterval: '60s' },
    });
    expect(config['envoy.filters.http.local_ratelimit']).not.toHaveProperty('status');
    expect(config['envoy.filters.http.local_ratelimit']).not.toHaveProperty('responseHeadersToAdd');
    // ALLOW is RBAC's zero action, so canonical JSON has no `action` (the route above checks DENY).
    expect(config['envoy.filters.http.rbac'].rbac.rules).toEqual({
      policies: {
        'ip-rules': {
          permissions: [{ any: true }],
          principals: [{ remoteIp: { addressPrefix: '192.168.0.0', prefixLen: 16 } }],
        },
      },
    });
  });

  it('has no per-filter config or rate limits for a plain virtual host', () => {
    const vhost = byName(json().routes as Json[], 'https/secure.example.com').virtualHosts[0] as Json;
    expect(Object.keys(vhost).sort()).toEqual(['domains', 'name', 'routes']);
  });
});

describe('listeners', () => {
  it('adds the Lua filter to the plain-HTTP listener only when asked', () => {
    const names = (l: ReturnType<typeof buildHttpListener>) =>
      (
        toEnvoyJson({ listeners: [l], routes: [], clusters: [], endpoints: [], secrets: [] })
          .listeners[0] as Json
      ).filterChains[0].filters[0].typedConfig.httpFilters.map((f: Json) => f.name);
    expect(names(buildHttpListener(options))).not.toContain('envoy.filters.http.lua');
    expect(names(buildHttpListener(options, { lua: true }))[0]).toBe('envoy.filters.http.lua');
    expect(usesCookieRewrites([httpHost])).toBe(true);
    expect(usesCookieRewrites([{ ...httpHost, routes: [plain] }])).toBe(false);
  });

  it('adds jwt_authn and ext_authz (gRPC) before the router, and XFCC settings', () => {
    const hcm = hcmOf(chainFor('secure.example.com'));
    const names = (hcm.httpFilters as Json[]).map((f) => f.name);
    expect(names.slice(-4)).toEqual([
      'envoy.filters.http.rbac',
      'envoy.filters.http.jwt_authn',
      'envoy.filters.http.ext_authz',
      'envoy.filters.http.router',
    ]);
    expect(hcm.forwardClientCertDetails).toBe('SANITIZE_SET');
    expect(hcm.setCurrentClientCertDetails).toEqual({ subject: true, chain: true, uri: true });
    const jwt = (hcm.httpFilters as Json[]).find(
      (f) => f.name === 'envoy.filters.http.jwt_authn',
    )?.typedConfig;
    expect(jwt).toEqual({
      '@type': type('envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication'),
      providers: {
        remote: {
          issuer: 'https://issuer.example.com',
          audiences: ['api', 'web'],
          remoteJwks: {
            httpUri: { uri: 'https://jwks.example.com/keys', cluster: 'default/jwks/443/y', timeout: '2s' },
            cacheDuration: '300s',
          },
          forward: true,
        },
        local: { localJwks: { inlineString: '{"keys":[]}' } },
      },
      requirementMap: { remote: { providerName: 'remote' }, local: { providerName: 'local' } },
    });
    const authz = (hcm.httpFilters as Json[]).find(
      (f) => f.name === 'envoy.filters.http.ext_authz',
    )?.typedConfig;
    expect(authz).toEqual({
      '@type': type('envoy.extensions.filters.http.ext_authz.v3.ExtAuthz'),
      grpcService: {
        envoyGrpc: { clusterName: 'projectcontour/authz/9000/x', authority: 'projectcontour.authz.9000.x' },
        timeout: '0.500s',
      },
      transportApiVersion: 'V3',
      failureModeAllow: true,
      withRequestBody: { maxRequestBytes: 4096, allowPartialMessage: true },
      clearRouteCache: true,
      statusOnError: { code: 'Forbidden' },
      includePeerCertificate: true,
    });
  });

  it('writes the HTTP authorization service and its header lists', () => {
    const hcm = hcmOf(chainFor('auth.example.com'));
    expect(hcm).not.toHaveProperty('forwardClientCertDetails');
    const names = (hcm.httpFilters as Json[]).map((f) => f.name);
    expect(names).not.toContain('envoy.filters.http.jwt_authn');
    const authz = (hcm.httpFilters as Json[]).find(
      (f) => f.name === 'envoy.filters.http.ext_authz',
    )?.typedConfig;
    expect(authz.httpService).toEqual({
      serverUri: { uri: 'http://dummy', cluster: 'projectcontour/authz/9000/x', timeout: '1s' },
      pathPrefix: '/check',
      authorizationResponse: {
        allowedUpstreamHeaders: { patterns: [{ exact: 'x-user-id', ignoreCase: true }] },
      },
    });
    expect(authz.allowedHeaders).toEqual({
      patterns: [{ exact: 'x-auth-a', ignoreCase: true }, { prefix: 'x-auth-' }],
    });
    expect(authz).not.toHaveProperty('failureModeAllow');
    expect(authz).not.toHaveProperty('grpcService');
  });

  it('validates client certificates', () => {
    const context = chainFor('secure.example.com').transportSocket.typedConfig;
    expect(context.requireClientCertificate).toBe(true);
    expect(context.commonTlsContext.validationContext).toEqual({
      trustedCa: { inlineBytes: b64('CLIENT CA') },
      crl: { inlineBytes: b64('CLIENT CRL') },
      onlyVerifyLeafCertCrl: true,
    });
    expect(context.commonTlsContext.alpnProtocols).toEqual(['h2', 'http/1.1']);
    const optional = chainFor('auth.example.com').transportSocket.typedConfig;
    expect(optional.requireClientCertificate).toBe(false);
    expect(optional.commonTlsContext.validationContext).toEqual({
      trustChainVerification: 'ACCEPT_UNTRUSTED',
    });
  });

  it('proxies TCP after TLS termination, with weighted clusters and no ALPN', () => {
    const chain = chainFor('tcp.example.com');
    expect(chain.filters).toHaveLength(1);
    expect(chain.filters[0].name).toBe('envoy.filters.network.tcp_proxy');
    expect(chain.filters[0].typedConfig).toEqual({
      '@type': type('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy'),
      statPrefix: 'ingress_https',
      weightedClusters: {
        clusters: [
          { name: 'default/tcp/443/a', weight: 60 },
          { name: 'default/tcp/443/b', weight: 40 },
        ],
      },
      idleTimeout: '9001s',
      accessLog: hcmOf(chainFor('secure.example.com')).accessLog,
    });
    expect(chain.filters[0].typedConfig.accessLog).toHaveLength(1);
    const context = chain.transportSocket.typedConfig;
    expect(context.commonTlsContext.tlsCertificateSdsSecretConfigs[0].name).toBe('default/tls-cert');
    expect(context.commonTlsContext).not.toHaveProperty('alpnProtocols');
  });

  it('passes TLS through without a transport socket', () => {
    const chain = chainFor('passthrough.example.com');
    expect(chain).not.toHaveProperty('transportSocket');
    expect(chain.filterChainMatch).toEqual({ serverNames: ['passthrough.example.com'] });
    expect(chain.filters[0].typedConfig.cluster).toBe('default/tcp/443/a');
  });
});

describe('clusters', () => {
  it('writes least request with slow start, an HTTP health check and the idle timeout (HTTP/1)', () => {
    const c = clusterJson('default/app/80/least');
    expect(c.lbPolicy).toBe('LEAST_REQUEST');
    expect(c.leastRequestLbConfig).toEqual({
      slowStartConfig: {
        slowStartWindow: '30s',
        aggression: { defaultValue: 1.5, runtimeKey: 'contour.slowstart.aggression' },
        minWeightPercent: { value: 10 },
      },
    });
    expect(c.healthChecks).toEqual([
      {
        timeout: '2s',
        interval: '5s',
        unhealthyThreshold: 3,
        healthyThreshold: 2,
        httpHealthCheck: {
          host: 'contour-envoy-healthcheck',
          path: '/healthz',
          expectedStatuses: [
            { start: 200, end: 300 },
            { start: 404, end: 405 },
          ],
        },
      },
    ]);
    expect(c.ignoreHealthOnHostRemoval).toBe(true);
    expect(c.typedExtensionProtocolOptions['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']).toEqual(
      {
        '@type': type('envoy.extensions.upstreams.http.v3.HttpProtocolOptions'),
        commonHttpProtocolOptions: { idleTimeout: '60s' },
        explicitHttpConfig: { httpProtocolOptions: {} },
      },
    );
    expect(c).not.toHaveProperty('transportSocket');
  });

  it('writes ring hash, a TCP health check and upstream validation', () => {
    const c = clusterJson('default/app/80/tls');
    expect(c.lbPolicy).toBe('RING_HASH');
    expect(c).not.toHaveProperty('ringHashLbConfig');
    expect(c.healthChecks).toEqual([
      { timeout: '1s', interval: '10s', unhealthyThreshold: 4, healthyThreshold: 1, tcpHealthCheck: {} },
    ]);
    const tlsContext = c.transportSocket.typedConfig;
    expect(tlsContext.sni).toBe('backend.internal');
    expect(tlsContext.commonTlsContext).toEqual({
      validationContext: {
        trustedCa: { inlineBytes: b64('UPSTREAM CA') },
        matchTypedSubjectAltNames: [
          { sanType: 'DNS', matcher: { exact: 'backend.internal' } },
          { sanType: 'DNS', matcher: { exact: 'alt.internal' } },
        ],
      },
    });
    expect(c.typedExtensionProtocolOptions['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']).toEqual(
      {
        '@type': type('envoy.extensions.upstreams.http.v3.HttpProtocolOptions'),
        commonHttpProtocolOptions: { idleTimeout: '0s' },
        explicitHttpConfig: { httpProtocolOptions: {} },
      },
    );
  });

  it('writes round-robin slow start, HTTP/2 health checks and HTTP/2 with an idle timeout', () => {
    const c = clusterJson('default/app/80/h2');
    expect(c).not.toHaveProperty('lbPolicy');
    expect(c.roundRobinLbConfig.slowStartConfig).toEqual({
      slowStartWindow: '10s',
      aggression: { defaultValue: 1, runtimeKey: 'contour.slowstart.aggression' },
      minWeightPercent: { value: 5 },
    });
    expect(c.healthChecks[0].httpHealthCheck).toEqual({
      host: 'h2.internal',
      path: '/ready',
      codecClientType: 'HTTP2',
    });
    expect(c.transportSocket.typedConfig.commonTlsContext).toEqual({ alpnProtocols: ['h2'] });
    expect(c.typedExtensionProtocolOptions['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']).toEqual(
      {
        '@type': type('envoy.extensions.upstreams.http.v3.HttpProtocolOptions'),
        commonHttpProtocolOptions: { idleTimeout: '90s' },
        explicitHttpConfig: { http2ProtocolOptions: {} },
      },
    );
  });

  it('writes random, and nothing new for a plain cluster', () => {
    expect(clusterJson('default/app/80/random').lbPolicy).toBe('RANDOM');
    const c = clusterJson('default/app/80/plain');
    for (const key of [
      'lbPolicy',
      'healthChecks',
      'ignoreHealthOnHostRemoval',
      'typedExtensionProtocolOptions',
      'roundRobinLbConfig',
      'transportSocket',
    ]) {
      expect(c).not.toHaveProperty(key);
    }
  });
});

describe('cookie rewrite script', () => {
  it('quotes cookie names and values as Lua strings', () => {
    const script = cookieRewriteLua([{ name: 'a"b\\c', path: '/x\ny' }]);
    expect(script).toContain('["a\\"b\\\\c"] = { path = "/x\\010y" },');
  });
});
