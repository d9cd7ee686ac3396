/**
 * The HTTPProxy and ExtensionService parsers: every CRD field is read into the view with its path,
 * every present field of the wrong type is reported and makes the view malformed, missing names read
 * as '' (stage A reports them), and no input makes the parsers throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDiagnosticSink, type Diagnostic, type FieldPath } from '../../src/diagnostics.js';
import { extensionService, httpProxy } from '../../src/fixtures/index.js';
import { parseExtensionService, parseHTTPProxy } from '../../src/model/k8s/httpproxy.js';
import { runs } from '../property/params.js';

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function parse(object: unknown) {
  const sink = createDiagnosticSink();
  return { view: parseHTTPProxy(object, sink), diagnostics: sink.list };
}

const invalidFields = (list: readonly Diagnostic[]) =>
  list.filter((d) => d.code === 'InvalidField').map((d) => ({ path: d.path, message: d.message }));

/** Sets the value at `path` inside `root` (creating nothing: the path must exist up to its parent). */
function setAt(root: unknown, path: FieldPath, value: unknown): void {
  let parent = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (last === undefined) throw new Error('empty path');
  parent[last] = value;
}

const headerCondition = {
  name: 'x-env',
  present: false,
  notpresent: false,
  contains: 'c',
  notcontains: 'nc',
  exact: 'prod',
  notexact: 'dev',
  regex: 'p.*',
  ignoreCase: true,
  treatMissingAsEmpty: true,
};

const fullService = {
  name: 'web',
  port: 80,
  healthPort: 8081,
  protocol: 'h2c',
  weight: 90,
  validation: { caSecret: 'ca', subjectName: 'web.shop', subjectNames: ['web.shop', 'alt.shop'] },
  mirror: false,
  requestHeadersPolicy: { set: [{ name: 'x-a', value: '1' }], remove: ['x-b'] },
  responseHeadersPolicy: { set: [{ name: 'x-c', value: '2' }], remove: [] },
  cookieRewritePolicies: [
    {
      name: 'session',
      pathRewrite: { value: '/app' },
      domainRewrite: { value: 'shop.example.com' },
      secure: true,
      sameSite: 'Strict',
    },
  ],
  slowStartPolicy: { window: '10s', aggression: '1.5', minWeightPercent: 10 },
};

/** An HTTPProxy using every field of the CRD. */
const fullSpec = {
  ingressClassName: 'contour',
  virtualhost: {
    fqdn: 'shop.example.com',
    tls: {
      secretName: 'shop-tls',
      minimumProtocolVersion: '1.2',
      maximumProtocolVersion: '1.3',
      passthrough: false,
      enableFallbackCertificate: false,
      clientValidation: {
        caSecret: 'client-ca',
        skipClientCertValidation: false,
        crlSecret: 'crl',
        crlOnlyVerifyLeafCert: true,
        optionalClientCertificate: true,
        forwardClientCertificate: { subject: true, cert: false, chain: true, dns: false, uri: true },
      },
    },
    authorization: {
      extensionRef: { apiVersion: 'projectcontour.io/v1alpha1', namespace: 'auth', name: 'authz' },
      serviceType: 'http',
      authPolicy: { disabled: false, context: { zeta: 'z', alpha: 'a' } },
      responseTimeout: '1s',
      failOpen: true,
      withRequestBody: { maxRequestBytes: 1024, allowPartialMessage: true, packAsBytes: false },
      httpSettings: {
        pathPrefix: '/check',
        allowedAuthorizationHeaders: ['cookie'],
        allowedUpstreamHeaders: [{ exact: 'x-user' }, { prefix: 'x-role', ignoreCase: true }],
      },
    },
    corsPolicy: {
      allowCredentials: true,
      allowPrivateNetwork: false,
      allowOrigin: ['https://a.example.com'],
      allowMethods: ['GET', 'POST'],
      allowHeaders: ['authorization'],
      exposeHeaders: ['x-trace'],
      maxAge: '10m',
    },
    rateLimitPolicy: {
      local: {
        requests: 100,
        unit: 'minute',
        burst: 20,
        responseStatusCode: 429,
        responseHeadersToAdd: [{ name: 'x-limited', value: 'yes' }],
      },
      global: {
        disabled: false,
        descriptors: [
          {
            entries: [
              { genericKey: { key: 'k', value: 'v' } },
              { requestHeader: { headerName: 'x-id', descriptorKey: 'id' } },
              {
                requestHeaderValueMatch: {
                  headers: [{ name: 'x-tier', exact: 'gold' }],
                  expectMatch: true,
                  value: 'gold',
                },
              },
              { remoteAddress: {} },
            ],
          },
        ],
      },
    },
    jwtProviders: [
      {
        name: 'idp',
        default: true,
        issuer: 'https://idp.example.com',
        audiences: ['shop', 'pay'],
        remoteJWKS: {
          uri: 'https://idp.example.com/jwks',
          validation: { caSecret: 'idp-ca', subjectName: 'idp.example.com' },
          timeout: '2s',
          cacheDuration: '1h',
          dnsLookupFamily: 'v4',
        },
        forwardJWT: true,
      },
      { name: 'local', localJWKS: { secretName: 'jwks', key: 'jwks.json' } },
    ],
    ipAllowPolicy: [{ source: 'Peer', cidr: '10.0.0.0/8' }],
    ipDenyPolicy: [{ source: 'Remote', cidr: '10.1.0.0/16' }],
  },
  routes: [
    {
      conditions: [
        { prefix: '/api' },
        { header: headerCondition },
        {
          queryParameter: {
            name: 'debug',
            exact: '1',
            prefix: 'p',
            suffix: 's',
            regex: 'r',
            contains: 'c',
            present: true,
            ignoreCase: false,
          },
        },
      ],
      services: [fullService, { name: 'mirror', port: 8080, mirror: true }],
      enableWebsockets: true,
      permitInsecure: false,
      authPolicy: { disabled: true },
      timeoutPolicy: { response: '30s', idle: '5m', idleConnection: '1h' },
      retryPolicy: {
        count: 3,
        perTryTimeout: '1s',
        retryOn: ['5xx', 'retriable-status-codes'],
        retriableStatusCodes: [502, 503],
      },
      healthCheckPolicy: {
        path: '/healthz',
        host: 'probe',
        intervalSeconds: 5,
        timeoutSeconds: 2,
        unhealthyThresholdCount: 3,
        healthyThresholdCount: 1,
        expectedStatuses: [{ start: 200, end: 300 }],
      },
      loadBalancerPolicy: {
        strategy: 'RequestHash',
        requestHashPolicies: [
          { headerHashOptions: { headerName: 'x-user' }, terminal: true },
          { queryParameterHashOptions: { parameterName: 'session' } },
          { hashSourceIP: true },
        ],
      },
      pathRewritePolicy: { replacePrefix: [{ prefix: '/api', replacement: '/' }, { replacement: '/v1' }] },
      requestHeadersPolicy: {
        set: [
          { name: 'x-one', value: '1' },
          { name: 'x-two', value: '2' },
          { name: 'x-three', value: '3' },
        ],
        remove: ['x-old'],
      },
      responseHeadersPolicy: { set: [], remove: ['server'] },
      cookieRewritePolicies: [{ name: 'c', secure: false }],
      rateLimitPolicy: { global: { disabled: true } },
      requestRedirectPolicy: {
        scheme: 'https',
        hostname: 'new.example.com',
        port: 443,
        statusCode: 301,
        path: '/new',
        prefix: '/p',
      },
      directResponsePolicy: { statusCode: 503, body: 'down' },
      internalRedirectPolicy: {
        maxInternalRedirects: 2,
        redirectResponseCodes: [301, 302],
        allowCrossSchemeRedirect: 'SafeOnly',
        denyRepeatedRouteRedirect: true,
      },
      jwtVerificationPolicy: { require: 'idp', disabled: false },
      ipAllowPolicy: [{ source: 'Peer', cidr: '192.168.0.0/16' }],
      ipDenyPolicy: [],
    },
  ],
  includes: [
    { name: 'child', namespace: 'team', conditions: [{ prefix: '/team' }, { header: headerCondition }] },
    { name: 'sibling' },
  ],
  tcpproxy: {
    services: [{ name: 'db', port: 5432, weight: 1 }],
    include: { name: 'tcp-child', namespace: 'tcp' },
    includes: { name: 'tcp-old' },
    loadBalancerPolicy: { strategy: 'Random' },
    healthCheckPolicy: {
      intervalSeconds: 10,
      timeoutSeconds: 1,
      unhealthyThresholdCount: 2,
      healthyThresholdCount: 4,
    },
  },
};

const fullProxy = () => httpProxy('shop/web', clone(fullSpec), { generation: 7 });

const R = ['spec', 'routes', 0] as const;
const S = [...R, 'services', 0] as const;
const V = ['spec', 'virtualhost'] as const;

describe('parseHTTPProxy: a full-featured proxy', () => {
  const { view, diagnostics } = parse(fullProxy());

  it('parses without diagnostics, well-formed, with metadata and generation', () => {
    expect(diagnostics).toEqual([]);
    expect(view?.kind).toBe('HTTPProxy');
    expect(view?.malformed).toBe(false);
    expect(view?.generation).toBe(7);
    expect(view?.meta.ref).toEqual({ kind: 'HTTPProxy', namespace: 'shop', name: 'web' });
    expect(view?.ingressClassName).toBe('contour');
  });

  it('reads the virtual host: fqdn, TLS and client validation', () => {
    const vh = view?.virtualhost;
    expect(vh?.at).toEqual(V);
    expect(vh?.fqdn).toBe('shop.example.com');
    expect(vh?.tls).toEqual({
      at: [...V, 'tls'],
      secretName: 'shop-tls',
      minimumProtocolVersion: '1.2',
      maximumProtocolVersion: '1.3',
      passthrough: false,
      enableFallbackCertificate: false,
      clientValidation: {
        at: [...V, 'tls', 'clientValidation'],
        caSecret: 'client-ca',
        skipClientCertValidation: false,
        crlSecret: 'crl',
        crlOnlyVerifyLeafCert: true,
        optionalClientCertificate: true,
        forwardClientCertificate: {
          at: [...V, 'tls', 'clientValidation', 'forwardClientCertificate'],
          subject: true,
          cert: false,
          chain: true,
          dns: false,
          uri: true,
        },
      },
    });
  });

  it('reads the authorization server, with its context sorted by key', () => {
    const auth = view?.virtualhost?.authorization;
    const at = [...V, 'authorization'];
    expect(auth).toEqual({
      at,
      extensionRef: {
        at: [...at, 'extensionRef'],
        apiVersion: 'projectcontour.io/v1alpha1',
        namespace: 'auth',
        name: 'authz',
      },
      serviceType: 'http',
      authPolicy: { at: [...at, 'authPolicy'], disabled: false, context: expect.any(Map) },
      responseTimeout: '1s',
      failOpen: true,
      withRequestBody: {
        at: [...at, 'withRequestBody'],
        maxRequestBytes: 1024,
        allowPartialMessage: true,
        packAsBytes: false,
      },
      httpSettings: {
        at: [...at, 'httpSettings'],
        pathPrefix: '/check',
        // A plain name reads as an exact matcher; objects are Contour's matcher shape.
        allowedAuthorizationHeaders: [
          {
            at: [...at, 'httpSettings', 'allowedAuthorizationHeaders', 0],
            exact: 'cookie',
            ignoreCase: true,
          },
        ],
        allowedUpstreamHeaders: [
          { at: [...at, 'httpSettings', 'allowedUpstreamHeaders', 0], exact: 'x-user' },
          { at: [...at, 'httpSettings', 'allowedUpstreamHeaders', 1], prefix: 'x-role', ignoreCase: true },
        ],
      },
    });
    expect([...(auth?.authPolicy?.context ?? [])]).toEqual([
      ['alpha', 'a'],
      ['zeta', 'z'],
    ]);
  });

  it('reads CORS, IP filters and rate limits', () => {
    const vh = view?.virtualhost;
    expect(vh?.corsPolicy).toEqual({
      at: [...V, 'corsPolicy'],
      allowCredentials: true,
      allowPrivateNetwork: false,
      allowOrigin: ['https://a.example.com'],
      allowMethods: ['GET', 'POST'],
      allowHeaders: ['authorization'],
      exposeHeaders: ['x-trace'],
      maxAge: '10m',
    });
    expect(vh?.ipAllowPolicy).toEqual([
      { at: [...V, 'ipAllowPolicy', 0], source: 'Peer', cidr: '10.0.0.0/8' },
    ]);
    expect(vh?.ipDenyPolicy).toEqual([
      { at: [...V, 'ipDenyPolicy', 0], source: 'Remote', cidr: '10.1.0.0/16' },
    ]);
    const rl = [...V, 'rateLimitPolicy'];
    expect(vh?.rateLimitPolicy?.local).toEqual({
      at: [...rl, 'local'],
      requests: 100,
      unit: 'minute',
      burst: 20,
      responseStatusCode: 429,
      responseHeadersToAdd: [
        { at: [...rl, 'local', 'responseHeadersToAdd', 0], name: 'x-limited', value: 'yes' },
      ],
    });
    const d = [...rl, 'global', 'descriptors', 0];
    expect(vh?.rateLimitPolicy?.global).toEqual({
      at: [...rl, 'global'],
      disabled: false,
      descriptors: [
        {
          at: d,
          entries: [
            {
              at: [...d, 'entries', 0],
              genericKey: { at: [...d, 'entries', 0, 'genericKey'], key: 'k', value: 'v' },
            },
            {
              at: [...d, 'entries', 1],
              requestHeader: {
                at: [...d, 'entries', 1, 'requestHeader'],
                headerName: 'x-id',
                descriptorKey: 'id',
              },
            },
            {
              at: [...d, 'entries', 2],
              requestHeaderValueMatch: {
                at: [...d, 'entries', 2, 'requestHeaderValueMatch'],
                headers: [
                  {
                    at: [...d, 'entries', 2, 'requestHeaderValueMatch', 'headers', 0],
                    name: 'x-tier',
                    exact: 'gold',
                  },
                ],
                expectMatch: true,
                value: 'gold',
              },
            },
            { at: [...d, 'entries', 3], remoteAddress: { at: [...d, 'entries', 3, 'remoteAddress'] } },
          ],
        },
      ],
    });
  });

  it('reads JWT providers, remote and local', () => {
    const p = [...V, 'jwtProviders'];
    expect(view?.virtualhost?.jwtProviders).toEqual([
      {
        at: [...p, 0],
        name: 'idp',
        default: true,
        issuer: 'https://idp.example.com',
        audiences: ['shop', 'pay'],
        remoteJWKS: {
          at: [...p, 0, 'remoteJWKS'],
          uri: 'https://idp.example.com/jwks',
          validation: {
            at: [...p, 0, 'remoteJWKS', 'validation'],
            caSecret: 'idp-ca',
            subjectName: 'idp.example.com',
            subjectNames: [],
          },
          timeout: '2s',
          cacheDuration: '1h',
          dnsLookupFamily: 'v4',
        },
        forwardJWT: true,
      },
      {
        at: [...p, 1],
        name: 'local',
        audiences: [],
        localJWKS: { at: [...p, 1, 'localJWKS'], secretName: 'jwks', key: 'jwks.json' },
      },
    ]);
  });

  it('reads route conditions', () => {
    expect(view?.routes.map((r) => r.at)).toEqual([R]);
    const c = [...R, 'conditions'];
    expect(view?.routes[0]?.conditions).toEqual([
      { at: [...c, 0], prefix: '/api' },
      { at: [...c, 1], header: { at: [...c, 1, 'header'], ...headerCondition } },
      {
        at: [...c, 2],
        queryParameter: {
          at: [...c, 2, 'queryParameter'],
          name: 'debug',
          exact: '1',
          prefix: 'p',
          suffix: 's',
          regex: 'r',
          contains: 'c',
          present: true,
          ignoreCase: false,
        },
      },
    ]);
  });

  it('reads a service with every field', () => {
    expect(view?.routes[0]?.services[0]).toEqual({
      at: S,
      name: 'web',
      port: 80,
      healthPort: 8081,
      protocol: 'h2c',
      weight: 90,
      validation: {
        at: [...S, 'validation'],
        caSecret: 'ca',
        subjectName: 'web.shop',
        subjectNames: ['web.shop', 'alt.shop'],
      },
      mirror: false,
      requestHeadersPolicy: {
        at: [...S, 'requestHeadersPolicy'],
        set: [{ at: [...S, 'requestHeadersPolicy', 'set', 0], name: 'x-a', value: '1' }],
        remove: [{ at: [...S, 'requestHeadersPolicy', 'remove', 0], name: 'x-b' }],
      },
      responseHeadersPolicy: {
        at: [...S, 'responseHeadersPolicy'],
        set: [{ at: [...S, 'responseHeadersPolicy', 'set', 0], name: 'x-c', value: '2' }],
        remove: [],
      },
      cookieRewritePolicies: [
        {
          at: [...S, 'cookieRewritePolicies', 0],
          name: 'session',
          pathRewrite: { at: [...S, 'cookieRewritePolicies', 0, 'pathRewrite'], value: '/app' },
          domainRewrite: {
            at: [...S, 'cookieRewritePolicies', 0, 'domainRewrite'],
            value: 'shop.example.com',
          },
          secure: true,
          sameSite: 'Strict',
        },
      ],
      slowStartPolicy: {
        at: [...S, 'slowStartPolicy'],
        window: '10s',
        aggression: '1.5',
        minWeightPercent: 10,
      },
    });
    expect(view?.routes[0]?.services[1]).toEqual({
      at: [...R, 'services', 1],
      name: 'mirror',
      port: 8080,
      mirror: true,
      cookieRewritePolicies: [],
    });
  });

  it('reads every route policy', () => {
    const route = view?.routes[0];
    expect(route?.enableWebsockets).toBe(true);
    expect(route?.permitInsecure).toBe(false);
    expect(route?.authPolicy).toEqual({ at: [...R, 'authPolicy'], disabled: true, context: new Map() });
    expect(route?.timeoutPolicy).toEqual({
      at: [...R, 'timeoutPolicy'],
      response: '30s',
      idle: '5m',
      idleConnection: '1h',
    });
    expect(route?.retryPolicy).toEqual({
      at: [...R, 'retryPolicy'],
      count: 3,
      perTryTimeout: '1s',
      retryOn: ['5xx', 'retriable-status-codes'],
      retriableStatusCodes: [502, 503],
    });
    expect(route?.healthCheckPolicy).toEqual({
      at: [...R, 'healthCheckPolicy'],
      path: '/healthz',
      host: 'probe',
      intervalSeconds: 5,
      timeoutSeconds: 2,
      unhealthyThresholdCount: 3,
      healthyThresholdCount: 1,
      expectedStatuses: [{ at: [...R, 'healthCheckPolicy', 'expectedStatuses', 0], start: 200, end: 300 }],
    });
    const lb = [...R, 'loadBalancerPolicy', 'requestHashPolicies'];
    expect(route?.loadBalancerPolicy).toEqual({
      at: [...R, 'loadBalancerPolicy'],
      strategy: 'RequestHash',
      requestHashPolicies: [
        {
          at: [...lb, 0],
          terminal: true,
          headerHashOptions: { at: [...lb, 0, 'headerHashOptions'], headerName: 'x-user' },
        },
        {
          at: [...lb, 1],
          queryParameterHashOptions: {
            at: [...lb, 1, 'queryParameterHashOptions'],
            parameterName: 'session',
          },
        },
        { at: [...lb, 2], hashSourceIP: true },
      ],
    });
    const rp = [...R, 'pathRewritePolicy', 'replacePrefix'];
    expect(route?.pathRewritePolicy).toEqual({
      at: [...R, 'pathRewritePolicy'],
      replacePrefix: [
        { at: [...rp, 0], prefix: '/api', replacement: '/' },
        { at: [...rp, 1], replacement: '/v1' },
      ],
    });
    expect(route?.cookieRewritePolicies).toEqual([
      { at: [...R, 'cookieRewritePolicies', 0], name: 'c', secure: false },
    ]);
    expect(route?.rateLimitPolicy).toEqual({
      at: [...R, 'rateLimitPolicy'],
      global: { at: [...R, 'rateLimitPolicy', 'global'], disabled: true, descriptors: [] },
    });
    expect(route?.requestRedirectPolicy).toEqual({
      at: [...R, 'requestRedirectPolicy'],
      scheme: 'https',
      hostname: 'new.example.com',
      port: 443,
      statusCode: 301,
      path: '/new',
      prefix: '/p',
    });
    expect(route?.directResponsePolicy).toEqual({
      at: [...R, 'directResponsePolicy'],
      statusCode: 503,
      body: 'down',
    });
    expect(route?.internalRedirectPolicy).toEqual({
      at: [...R, 'internalRedirectPolicy'],
      maxInternalRedirects: 2,
      redirectResponseCodes: [301, 302],
      allowCrossSchemeRedirect: 'SafeOnly',
      denyRepeatedRouteRedirect: true,
    });
    expect(route?.jwtVerificationPolicy).toEqual({
      at: [...R, 'jwtVerificationPolicy'],
      require: 'idp',
      disabled: false,
    });
    expect(route?.ipAllowPolicy).toEqual([
      { at: [...R, 'ipAllowPolicy', 0], source: 'Peer', cidr: '192.168.0.0/16' },
    ]);
    expect(route?.ipDenyPolicy).toEqual([]);
  });

  it('reads header policies with the path of each entry', () => {
    const hp = [...R, 'requestHeadersPolicy'];
    expect(view?.routes[0]?.requestHeadersPolicy).toEqual({
      at: hp,
      set: [
        { at: [...hp, 'set', 0], name: 'x-one', value: '1' },
        { at: [...hp, 'set', 1], name: 'x-two', value: '2' },
        { at: [...hp, 'set', 2], name: 'x-three', value: '3' },
      ],
      remove: [{ at: [...hp, 'remove', 0], name: 'x-old' }],
    });
    expect(view?.routes[0]?.responseHeadersPolicy).toEqual({
      at: [...R, 'responseHeadersPolicy'],
      set: [],
      remove: [{ at: [...R, 'responseHeadersPolicy', 'remove', 0], name: 'server' }],
    });
  });

  it('reads includes, with namespace absent when unset', () => {
    const inc = ['spec', 'includes'];
    expect(view?.includes).toEqual([
      {
        at: [...inc, 0],
        name: 'child',
        namespace: 'team',
        conditions: [
          { at: [...inc, 0, 'conditions', 0], prefix: '/team' },
          {
            at: [...inc, 0, 'conditions', 1],
            header: { at: [...inc, 0, 'conditions', 1, 'header'], ...headerCondition },
          },
        ],
      },
      { at: [...inc, 1], name: 'sibling', conditions: [] },
    ]);
    expect(view?.includes[1] !== undefined && 'namespace' in view.includes[1]).toBe(false);
  });

  it('reads the TCP proxy', () => {
    const t = ['spec', 'tcpproxy'];
    expect(view?.tcpproxy).toEqual({
      at: t,
      services: [{ at: [...t, 'services', 0], name: 'db', port: 5432, weight: 1, cookieRewritePolicies: [] }],
      include: { at: [...t, 'include'], name: 'tcp-child', namespace: 'tcp' },
      includes: { at: [...t, 'includes'], name: 'tcp-old' },
      loadBalancerPolicy: { at: [...t, 'loadBalancerPolicy'], strategy: 'Random', requestHashPolicies: [] },
      healthCheckPolicy: {
        at: [...t, 'healthCheckPolicy'],
        intervalSeconds: 10,
        timeoutSeconds: 1,
        unhealthyThresholdCount: 2,
        healthyThresholdCount: 4,
      },
    });
  });
});

describe('parseHTTPProxy: fields of the wrong type', () => {
  const cases: { path: FieldPath; value: unknown; reported?: FieldPath }[] = [
    { path: ['spec', 'ingressClassName'], value: 42 },
    { path: ['spec', 'routes'], value: { 0: {} } },
    { path: [...S, 'weight'], value: 'heavy' },
    { path: [...S, 'port'], value: 80.5 },
    { path: [...R, 'services', 1, 'name'], value: ['mirror'] },
    { path: [...R, 'requestHeadersPolicy', 'set', 2, 'value'], value: 3 },
    { path: [...R, 'requestHeadersPolicy', 'set', 2], value: 'x-three: 3' },
    { path: [...R, 'requestHeadersPolicy', 'remove', 0], value: { name: 'x-old' } },
    { path: [...R, 'conditions', 1, 'header', 'present'], value: 'true' },
    { path: [...R, 'conditions', 1, 'header'], value: 'x-env' },
    { path: ['spec', 'includes', 0, 'conditions', 1, 'header', 'exact'], value: false },
    { path: [...R, 'retryPolicy', 'retriableStatusCodes', 1], value: 503.5 },
    { path: [...R, 'retryPolicy', 'count'], value: 2 ** 31 },
    {
      path: [...R, 'authPolicy', 'context'],
      value: { k: 1 },
      reported: [...R, 'authPolicy', 'context', 'k'],
    },
    { path: [...R, 'healthCheckPolicy', 'expectedStatuses', 0, 'end'], value: '300' },
    { path: [...R, 'loadBalancerPolicy', 'requestHashPolicies', 0, 'headerHashOptions'], value: [] },
    { path: [...V, 'tls', 'clientValidation', 'forwardClientCertificate', 'dns'], value: 'yes' },
    { path: [...V, 'jwtProviders', 0, 'remoteJWKS', 'validation', 'subjectNames'], value: 'x' },
    {
      path: [
        ...V,
        'rateLimitPolicy',
        'global',
        'descriptors',
        0,
        'entries',
        2,
        'requestHeaderValueMatch',
        'headers',
        0,
        'name',
      ],
      value: 5,
    },
    { path: [...V, 'corsPolicy', 'allowOrigin', 0], value: 7 },
    { path: [...V, 'fqdn'], value: 'a'.repeat(20000) },
    { path: ['spec', 'tcpproxy', 'include', 'namespace'], value: true },
    { path: ['spec', 'virtualhost'], value: 'shop.example.com' },
    { path: ['spec'], value: [] },
  ];

  it.each(cases)('reports $path and marks the proxy malformed', ({ path, value, reported }) => {
    const object = fullProxy();
    setAt(object, path, value);
    const { view, diagnostics } = parse(object);
    expect(view?.malformed).toBe(true);
    expect(invalidFields(diagnostics).map((d) => d.path)).toEqual([reported ?? path]);
  });

  it('a null array entry is reported, never silently dropped', () => {
    const object = fullProxy();
    setAt(object, [...R, 'conditions', 0], null);
    const { view, diagnostics } = parse(object);
    expect(view?.malformed).toBe(true);
    expect(invalidFields(diagnostics)).toEqual([{ path: [...R, 'conditions', 0], message: 'entry is null' }]);
    expect(view?.routes[0]?.conditions.map((c) => c.at)).toEqual([
      [...R, 'conditions', 1],
      [...R, 'conditions', 2],
    ]);
  });

  it('a null optional field reads as absent', () => {
    const object = fullProxy();
    setAt(object, [...R, 'timeoutPolicy'], null);
    const { view, diagnostics } = parse(object);
    expect(diagnostics).toEqual([]);
    expect(view?.malformed).toBe(false);
    expect(view?.routes[0] !== undefined && 'timeoutPolicy' in view.routes[0]).toBe(false);
  });

  it('caps arrays at 10000 entries', () => {
    const object = httpProxy('shop/web', { routes: Array.from({ length: 10001 }, () => ({})) });
    const { view, diagnostics } = parse(object);
    expect(view?.malformed).toBe(true);
    expect(invalidFields(diagnostics)).toEqual([
      { path: ['spec', 'routes'], message: 'more than 10000 entries' },
    ]);
    expect(view?.routes).toHaveLength(10000);
  });

  it('10000 entries are fine', () => {
    const { view, diagnostics } = parse(
      httpProxy('shop/web', { includes: Array.from({ length: 10000 }, () => ({ name: 'x' })) }),
    );
    expect(diagnostics).toEqual([]);
    expect(view?.malformed).toBe(false);
    expect(view?.includes).toHaveLength(10000);
  });
});

describe('parseHTTPProxy: missing fields', () => {
  it('missing names read as empty strings, without diagnostics', () => {
    const { view, diagnostics } = parse(
      httpProxy('shop/web', {
        virtualhost: { tls: {} },
        routes: [
          {
            conditions: [{ header: { present: true } }, { queryParameter: { exact: 'x' } }],
            services: [{ port: 80, validation: {} }],
            requestHeadersPolicy: { set: [{}] },
          },
        ],
        includes: [{}],
        tcpproxy: { include: {} },
      }),
    );
    expect(diagnostics).toEqual([]);
    expect(view?.malformed).toBe(false);
    expect(view?.virtualhost?.fqdn).toBe('');
    expect(view?.virtualhost?.jwtProviders).toEqual([]);
    const route = view?.routes[0];
    expect(route?.conditions[0]?.header).toEqual({
      at: [...R, 'conditions', 0, 'header'],
      name: '',
      present: true,
    });
    expect(route?.conditions[1]?.queryParameter?.name).toBe('');
    expect(route?.services[0]?.name).toBe('');
    expect(route?.services[0]?.validation).toEqual({
      at: [...S, 'validation'],
      caSecret: '',
      subjectName: '',
      subjectNames: [],
    });
    expect(route?.requestHeadersPolicy?.set).toEqual([
      { at: [...R, 'requestHeadersPolicy', 'set', 0], name: '', value: '' },
    ]);
    expect(view?.includes).toEqual([{ at: ['spec', 'includes', 0], name: '', conditions: [] }]);
    expect(view?.tcpproxy?.include).toEqual({ at: ['spec', 'tcpproxy', 'include'], name: '' });
  });

  it('an empty spec gives empty routes and includes and no optional parts', () => {
    const { view, diagnostics } = parse(httpProxy('shop/web', {}));
    expect(diagnostics).toEqual([]);
    expect(view).toMatchObject({ malformed: false, routes: [], includes: [], generation: 0 });
    expect(view !== undefined && ['virtualhost', 'tcpproxy', 'ingressClassName'].some((k) => k in view)).toBe(
      false,
    );
  });

  it('a missing spec reads like an empty one', () => {
    const object = httpProxy('shop/web', {});
    delete (object as { spec?: unknown }).spec;
    const { view, diagnostics } = parse(object);
    expect(diagnostics).toEqual([]);
    expect(view).toMatchObject({ malformed: false, routes: [], includes: [] });
  });

  it('a missing service port is required: reported and malformed', () => {
    const { view, diagnostics } = parse(
      httpProxy('shop/web', {
        routes: [{ services: [{ name: 'web' }] }],
        tcpproxy: { services: [{ name: 'db' }] },
      }),
    );
    expect(view?.malformed).toBe(true);
    expect(invalidFields(diagnostics)).toEqual([
      { path: [...S, 'port'], message: 'port is required' },
      { path: ['spec', 'tcpproxy', 'services', 0, 'port'], message: 'port is required' },
    ]);
    expect(view?.routes[0]?.services[0]).toMatchObject({ name: 'web', port: 0 });
  });

  it('the authorization server without extensionRef gets an empty reference at its path', () => {
    const { view } = parse(
      httpProxy('shop/web', { virtualhost: { fqdn: 'a.example.com', authorization: {} } }),
    );
    expect(view?.virtualhost?.authorization?.extensionRef).toEqual({
      at: [...V, 'authorization', 'extensionRef'],
      name: '',
    });
  });
});

describe('parseHTTPProxy: metadata', () => {
  it('reads generation; a bad one reads as 0, is reported, and leaves the proxy well-formed', () => {
    expect(parse(httpProxy('shop/web', {}, { generation: 12 })).view?.generation).toBe(12);
    for (const bad of ['3', -1, 1.5, {}]) {
      const object = httpProxy('shop/web', {});
      setAt(object, ['metadata', 'generation'], bad);
      const { view, diagnostics } = parse(object);
      expect(view?.generation).toBe(0);
      expect(view?.malformed).toBe(false);
      expect(invalidFields(diagnostics).map((d) => d.path)).toEqual([['metadata', 'generation']]);
    }
  });

  it('returns undefined only when the metadata is unusable', () => {
    const noName = httpProxy('shop/web', {});
    setAt(noName, ['metadata', 'name'], 'Not_A_Name');
    const { view, diagnostics } = parse(noName);
    expect(view).toBeUndefined();
    expect(diagnostics.map((d) => d.code)).toEqual(['InvalidObject']);
    expect(parse({ kind: 'HTTPProxy', spec: fullSpec }).view).toBeUndefined();
  });

  it('namespace defaults to default; bad annotations do not make the proxy malformed', () => {
    const object = httpProxy('web', {});
    setAt(object, ['metadata', 'annotations'], { a: 1 });
    const { view, diagnostics } = parse(object);
    expect(view?.meta.namespace).toBe('default');
    expect(view?.malformed).toBe(false);
    expect(invalidFields(diagnostics).map((d) => d.path)).toEqual([['metadata', 'annotations', 'a']]);
  });
});

describe('parseExtensionService', () => {
  const spec = {
    services: [
      { name: 'authz', port: 9443, weight: 2 },
      { name: 'authz-b', port: 9444 },
    ],
    protocol: 'h2',
    protocolVersion: 'v3',
    validation: { caSecret: 'ca', subjectName: 'authz.auth' },
    loadBalancerPolicy: { strategy: 'RoundRobin' },
    timeoutPolicy: { response: '1s', idle: '10s' },
    circuitBreakerPolicy: {
      maxConnections: 10,
      maxPendingRequests: 20,
      maxRequests: 30,
      maxRetries: 4,
      perHostMaxConnections: 5,
    },
  };

  it('parses every field with its path', () => {
    const sink = createDiagnosticSink();
    const object = extensionService('auth/authz', spec);
    setAt(object, ['metadata', 'generation'], 3);
    const view = parseExtensionService(object, sink);
    expect(sink.list).toEqual([]);
    expect(view).toEqual({
      kind: 'ExtensionService',
      meta: expect.objectContaining({ ref: { kind: 'ExtensionService', namespace: 'auth', name: 'authz' } }),
      generation: 3,
      malformed: false,
      services: [
        { at: ['spec', 'services', 0], name: 'authz', port: 9443, weight: 2 },
        { at: ['spec', 'services', 1], name: 'authz-b', port: 9444 },
      ],
      protocol: 'h2',
      protocolVersion: 'v3',
      validation: { at: ['spec', 'validation'], caSecret: 'ca', subjectName: 'authz.auth', subjectNames: [] },
      loadBalancerPolicy: {
        at: ['spec', 'loadBalancerPolicy'],
        strategy: 'RoundRobin',
        requestHashPolicies: [],
      },
      timeoutPolicy: { at: ['spec', 'timeoutPolicy'], response: '1s', idle: '10s' },
      circuitBreakerPolicy: {
        at: ['spec', 'circuitBreakerPolicy'],
        maxConnections: 10,
        maxPendingRequests: 20,
        maxRequests: 30,
        maxRetries: 4,
        perHostMaxConnections: 5,
      },
    });
  });

  it('reports wrong types and a missing port, and marks the view malformed', () => {
    const sink = createDiagnosticSink();
    const object = extensionService('auth/authz', {
      ...spec,
      services: [{ name: 'authz' }],
      circuitBreakerPolicy: { maxRequests: '30' },
    });
    const view = parseExtensionService(object, sink);
    expect(view?.malformed).toBe(true);
    expect(invalidFields(sink.list)).toEqual([
      { path: ['spec', 'services', 0, 'port'], message: 'port is required' },
      { path: ['spec', 'circuitBreakerPolicy', 'maxRequests'], message: 'expected an integer, got a string' },
    ]);
  });
});

/** Every path into the full-featured spec, to put junk at. */
function pathsOf(value: unknown, at: FieldPath = ['spec']): FieldPath[] {
  if (value === null || typeof value !== 'object') return [at];
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return [at, ...keys.flatMap((k) => pathsOf((value as Record<string | number, unknown>)[k], [...at, k]))];
}

const junkArb = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withNullPrototype: true,
  withObjectString: true,
  withSet: true,
  withSparseArray: true,
  withTypedArray: true,
});

describe('junk never makes the parsers throw', () => {
  /** malformed is set exactly when some spec field was reported as InvalidField. */
  function checkLaw(view: { malformed: boolean } | undefined, diagnostics: readonly Diagnostic[]) {
    const specInvalid = diagnostics.some((d) => d.code === 'InvalidField' && d.path[0] === 'spec');
    if (view !== undefined && view.malformed !== specInvalid)
      throw new Error('malformed disagrees with diagnostics');
  }

  it('at any path of a full-featured HTTPProxy', () => {
    fc.assert(
      fc.property(fc.constantFrom(...pathsOf(fullSpec)), junkArb, (path, junk) => {
        const object = fullProxy();
        setAt(object, path, junk);
        const { view, diagnostics } = parse(object);
        checkLaw(view, diagnostics);
        return view !== undefined;
      }),
      runs(500),
    );
  });

  it('as the spec, the metadata or the whole object', () => {
    fc.assert(
      fc.property(junkArb, junkArb, (spec, meta) => {
        for (const object of [{ metadata: { name: 'x' }, spec }, { metadata: meta, spec: fullSpec }, spec]) {
          const a = parse(object);
          checkLaw(a.view, a.diagnostics);
          const sink = createDiagnosticSink();
          checkLaw(parseExtensionService(object, sink), sink.list);
        }
      }),
      runs(300),
    );
  });

  it('in ExtensionService spec positions', () => {
    const spec = {
      services: [{ name: 'a', port: 1 }],
      validation: {},
      circuitBreakerPolicy: {},
      loadBalancerPolicy: { requestHashPolicies: [{}] },
    };
    fc.assert(
      fc.property(fc.constantFrom(...pathsOf(spec)), junkArb, (path, junk) => {
        const object = extensionService('auth/authz', clone(spec));
        setAt(object, path, junk);
        const sink = createDiagnosticSink();
        checkLaw(parseExtensionService(object, sink), sink.list);
      }),
      runs(300),
    );
  });
});
