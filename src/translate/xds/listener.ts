/** Stage B: the two ingress listeners with Contour's HTTP connection manager defaults. */
import {
  type ClientValidation,
  type TcpProxy as IrTcpProxy,
  type SecureVirtualHost,
  type TlsVersion,
  usesGlobalRateLimits,
} from '../../model/ir.js';
import type { ResolvedOptions } from '../../options.js';
import type { AccessLog } from '../../xds-types/envoy/config/accesslog/v3/accesslog.js';
import type {
  FilterChain,
  ListenerFilter,
} from '../../xds-types/envoy/config/listener/v3/listener_components.js';
import {
  fallbackFilterChainName,
  fallbackRouteConfigName,
  httpListenerName,
  httpRouteConfigName,
  httpsListenerName,
  httpsRouteConfigName,
} from '../names.js';
import { packAny } from './any.js';
import { buildConfigSource } from './common.js';
import {
  buildExtAuthz,
  buildJwtAuthentication,
  buildRateLimitFilter,
  corsFilterName,
  extAuthzFilterName,
  jwtAuthnFilterName,
  localRateLimitFilterName,
  luaFilterName,
  misdirectedRequestLua,
  placeholderLua,
  rateLimitFilterName,
  rbacFilterName,
} from './filters.js';
import {
  type CertificateValidationContext,
  CertificateValidationContext_TrustChainVerification,
  Compressor,
  Cors,
  DownstreamTlsContext,
  ExtAuthz,
  FileAccessLog,
  GrpcStatsFilterConfig,
  GrpcWeb,
  Gzip,
  HttpConnectionManager,
  HttpConnectionManager_CodecType,
  HttpConnectionManager_ForwardClientCertDetails,
  type HttpFilter,
  JwtAuthentication,
  type Listener,
  LocalRateLimit,
  Lua,
  ProxyProtocol,
  RateLimitFilter,
  RBAC,
  Router,
  type SocketOption,
  SocketOption_SocketState,
  StderrAccessLog,
  StdoutAccessLog,
  TcpProxy,
  TlsInspector,
  TlsParameters_TlsProtocol,
} from './types.js';

function buildAccessLog(options: ResolvedOptions): AccessLog[] {
  const log = options.accessLog;
  switch (log.kind) {
    case 'disabled':
      return [];
    case 'file':
      return [
        {
          name: 'envoy.access_loggers.file',
          configType: { $case: 'typedConfig', value: packAny(FileAccessLog, { path: log.path }) },
        },
      ];
    case 'stdout':
      return [
        {
          name: 'envoy.access_loggers.stdout',
          configType: { $case: 'typedConfig', value: packAny(StdoutAccessLog, {}) },
        },
      ];
    case 'stderr':
      return [
        {
          name: 'envoy.access_loggers.stderr',
          configType: { $case: 'typedConfig', value: packAny(StderrAccessLog, {}) },
        },
      ];
  }
}

const typed = <T>(name: string, codec: Parameters<typeof packAny<T>>[0], message: T): HttpFilter => ({
  name,
  configType: { $case: 'typedConfig', value: packAny(codec, message) },
});

/** What varies between the connection managers of the plain-HTTP listener and of each TLS virtual host. */
interface HcmFeatures {
  /** The Lua filter's default script; no Lua filter when undefined. */
  readonly lua: string | undefined;
  /** The TLS virtual host whose filter chain this is (authorization, JWT, client certificates). */
  readonly vhost?: SecureVirtualHost;
  /** Add the ratelimit filter that asks the rateLimitService option's service. */
  readonly rateLimit?: boolean;
}

/** The HTTP filter chain, in Contour's order; the router is always last. */
function buildHttpFilters(options: ResolvedOptions, features: HcmFeatures): HttpFilter[] {
  const filters: HttpFilter[] = [];
  if (features.lua !== undefined) {
    filters.push(
      typed(luaFilterName, Lua, {
        defaultSourceCode: { specifier: { $case: 'inlineString', value: features.lua } },
      }),
    );
  }
  if (options.compression) {
    filters.push(
      typed('envoy.filters.http.compressor', Compressor, {
        compressorLibrary: { name: 'gzip', typedConfig: packAny(Gzip, {}) },
      }),
    );
  }
  filters.push(
    typed('envoy.filters.http.grpc_web', GrpcWeb, {}),
    typed('envoy.filters.http.grpc_stats', GrpcStatsFilterConfig, {
      emitFilterState: true,
      enableUpstreamStats: true,
    }),
    typed(corsFilterName, Cors, {}),
    typed(localRateLimitFilterName, LocalRateLimit, { statPrefix: 'http' }),
    typed(rbacFilterName, RBAC, {}),
  );
  const vhost = features.vhost;
  if (vhost?.jwtProviders !== undefined && vhost.jwtProviders.length > 0) {
    filters.push(typed(jwtAuthnFilterName, JwtAuthentication, buildJwtAuthentication(vhost.jwtProviders)));
  }
  if (vhost?.authorization !== undefined) {
    filters.push(typed(extAuthzFilterName, ExtAuthz, buildExtAuthz(vhost.authorization)));
  }
  const limiter = options.rateLimitService;
  if (
    limiter !== undefined &&
    (features.rateLimit === true || (vhost !== undefined && usesGlobalRateLimits(vhost)))
  ) {
    filters.push(typed(rateLimitFilterName, RateLimitFilter, buildRateLimitFilter(limiter)));
  }
  filters.push(typed('envoy.filters.http.router', Router, {}));
  return filters;
}

/** XFCC settings when the virtual host forwards client certificate details upstream. */
function clientCertForwarding(
  validation: ClientValidation | undefined,
): Pick<HttpConnectionManager, 'forwardClientCertDetails' | 'setCurrentClientCertDetails'> {
  const details = validation?.forwardClientCertificate;
  if (details === undefined) return {};
  return {
    forwardClientCertDetails: HttpConnectionManager_ForwardClientCertDetails.SANITIZE_SET,
    setCurrentClientCertDetails: {
      ...(details.subject ? { subject: true } : {}),
      ...(details.cert ? { cert: true } : {}),
      ...(details.chain ? { chain: true } : {}),
      ...(details.dns ? { dns: true } : {}),
      ...(details.uri ? { uri: true } : {}),
    },
  };
}

function buildHttpConnectionManager(
  options: ResolvedOptions,
  statPrefix: string,
  routeConfigName: string,
  features: HcmFeatures,
): HttpConnectionManager {
  return {
    codecType: HttpConnectionManager_CodecType.AUTO,
    statPrefix,
    routeSpecifier: { $case: 'rds', value: { configSource: buildConfigSource(options), routeConfigName } },
    httpFilters: buildHttpFilters(options, features),
    httpProtocolOptions: { acceptHttp10: true, allowChunkedLength: true },
    accessLog: buildAccessLog(options),
    useRemoteAddress: true,
    normalizePath: true,
    mergeSlashes: options.mergeSlashes,
    preserveExternalRequestId: true,
    ...clientCertForwarding(features.vhost?.clientValidation),
  };
}

function hcmFilter(hcm: HttpConnectionManager) {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    configType: { $case: 'typedConfig' as const, value: packAny(HttpConnectionManager, hcm) },
  };
}

/** TCP keepalive on accepted sockets: SO_KEEPALIVE, TCP_KEEPIDLE 45s, TCP_KEEPINTVL 5s, TCP_KEEPCNT 9. */
const keepalive: SocketOption[] = [
  [1, 9, 1],
  [6, 4, 45],
  [6, 5, 5],
  [6, 6, 9],
].map(([level, name, value]) => ({
  level,
  name,
  value: { $case: 'intValue', value: value as number },
  state: SocketOption_SocketState.STATE_LISTENING,
}));

function buildAddress(address: string, port: number): Listener['address'] {
  return {
    address: {
      $case: 'socketAddress',
      value: {
        address,
        portSpecifier: { $case: 'portValue', value: port },
        ...(address === '::' ? { ipv4Compat: true } : {}),
      },
    },
  };
}

function proxyProtocol(options: ResolvedOptions): ListenerFilter[] {
  return options.useProxyProtocol
    ? [
        {
          name: 'envoy.filters.listener.proxy_protocol',
          configType: { $case: 'typedConfig', value: packAny(ProxyProtocol, {}) },
        },
      ]
    : [];
}

const tlsProtocol: Readonly<Record<TlsVersion, TlsParameters_TlsProtocol>> = {
  '1.2': TlsParameters_TlsProtocol.TLSv1_2,
  '1.3': TlsParameters_TlsProtocol.TLSv1_3,
};

function buildValidationContext(validation: ClientValidation): CertificateValidationContext {
  return {
    ...(validation.caCertificate !== undefined
      ? { trustedCa: { specifier: { $case: 'inlineBytes', value: validation.caCertificate } } }
      : {}),
    ...(validation.crl !== undefined
      ? { crl: { specifier: { $case: 'inlineBytes', value: validation.crl } } }
      : {}),
    ...(validation.onlyVerifyLeafCertCrl ? { onlyVerifyLeafCertCrl: true } : {}),
    ...(validation.skipVerification
      ? { trustChainVerification: CertificateValidationContext_TrustChainVerification.ACCEPT_UNTRUSTED }
      : {}),
  };
}

function buildDownstreamTlsContext(
  vhost: SecureVirtualHost,
  secretName: string,
  options: ResolvedOptions,
): DownstreamTlsContext {
  const validation = vhost.clientValidation;
  return {
    commonTlsContext: {
      tlsParams: {
        tlsMinimumProtocolVersion: tlsProtocol[vhost.tls.minimumProtocolVersion],
        tlsMaximumProtocolVersion: tlsProtocol[vhost.tls.maximumProtocolVersion],
        cipherSuites: [...vhost.tls.cipherSuites],
      },
      tlsCertificateSdsSecretConfigs: [{ name: secretName, sdsConfig: buildConfigSource(options) }],
      ...(validation !== undefined
        ? { validationContextType: { $case: 'validationContext', value: buildValidationContext(validation) } }
        : {}),
      // No ALPN when proxying TCP: the backend answers the client's protocol list itself.
      ...(vhost.tcpProxy === undefined ? { alpnProtocols: ['h2', 'http/1.1'] } : {}),
    },
    ...(validation !== undefined ? { requireClientCertificate: !validation.optional } : {}),
  };
}

/** Contour's idle timeout for proxied TCP connections. */
const tcpProxyIdleTimeout = { seconds: 9001 };

function buildTcpProxy(proxy: IrTcpProxy, options: ResolvedOptions): TcpProxy {
  const [single, ...rest] = proxy.backends;
  return {
    statPrefix: 'ingress_https',
    clusterSpecifier:
      single !== undefined && rest.length === 0
        ? { $case: 'cluster', value: single.clusterName }
        : {
            $case: 'weightedClusters',
            value: { clusters: proxy.backends.map((b) => ({ name: b.clusterName, weight: b.weight })) },
          },
    idleTimeout: tcpProxyIdleTimeout,
    accessLog: buildAccessLog(options),
  };
}

/**
 * The filter chain of one TLS virtual host: TLS termination (absent for passthrough) in front of either
 * the HTTP connection manager or, with `tcpProxy`, a TCP proxy.
 */
export function buildSecureFilterChain(vhost: SecureVirtualHost, options: ResolvedOptions): FilterChain {
  const filter =
    vhost.tcpProxy !== undefined
      ? {
          name: 'envoy.filters.network.tcp_proxy',
          configType: {
            $case: 'typedConfig' as const,
            value: packAny(TcpProxy, buildTcpProxy(vhost.tcpProxy, options)),
          },
        }
      : hcmFilter(
          buildHttpConnectionManager(options, 'ingress_https', httpsRouteConfigName(vhost.fqdn), {
            lua: misdirectedRequestLua,
            vhost,
          }),
        );
  const secretName = vhost.secretName;
  return {
    filterChainMatch: { serverNames: [vhost.fqdn] },
    ...(secretName !== undefined
      ? {
          transportSocket: {
            name: 'envoy.transport_sockets.tls',
            configType: {
              $case: 'typedConfig',
              value: packAny(DownstreamTlsContext, buildDownstreamTlsContext(vhost, secretName, options)),
            },
          },
        }
      : {}),
    filters: [filter],
  };
}

/**
 * The `fallback-certificate` chain: TLS clients that send no SNI (or one no other chain matches) get
 * the fallback certificate and the routes of every virtual host that enables it, from RDS
 * `ingress_fallbackcert`. No 421 check (there is no SNI to compare) and no JWT, as in Contour.
 */
export function buildFallbackFilterChain(secretName: string, options: ResolvedOptions): FilterChain {
  const vhost: SecureVirtualHost = { fqdn: '', routes: [], secretName, tls: options.tls };
  return {
    name: fallbackFilterChainName,
    filterChainMatch: { transportProtocol: 'tls' },
    transportSocket: {
      name: 'envoy.transport_sockets.tls',
      configType: {
        $case: 'typedConfig',
        value: packAny(DownstreamTlsContext, buildDownstreamTlsContext(vhost, secretName, options)),
      },
    },
    filters: [
      hcmFilter(
        buildHttpConnectionManager(options, 'ingress_https', fallbackRouteConfigName, { lua: undefined }),
      ),
    ],
  };
}

/** Extra HTTP filters of the plain-HTTP listener, each off by default. */
export interface HttpListenerFeatures {
  /**
   * Add the Lua filter (with a script that does nothing) so per-route Lua runs: needed when a route
   * rewrites cookies (see usesCookieRewrites in filters.ts). Off, the listener is as for Ingress only.
   */
  readonly lua?: boolean;
  /** Add the ratelimit filter: some plain-HTTP route or host sends global rate limit descriptors. */
  readonly rateLimit?: boolean;
}

/** `ingress_http`: one filter chain whose HCM takes its routes from RDS `ingress_http`. */
export function buildHttpListener(options: ResolvedOptions, features: HttpListenerFeatures = {}): Listener {
  return {
    name: httpListenerName,
    address: buildAddress(options.http.address, options.http.port),
    socketOptions: keepalive,
    ...(options.useProxyProtocol ? { listenerFilters: proxyProtocol(options) } : {}),
    filterChains: [
      {
        filters: [
          hcmFilter(
            buildHttpConnectionManager(options, 'ingress_http', httpRouteConfigName, {
              lua: features.lua === true ? placeholderLua : undefined,
              rateLimit: features.rateLimit === true,
            }),
          ),
        ],
      },
    ],
  };
}

/** `ingress_https`: TLS inspector, then one filter chain per TLS virtual host (sorted by fqdn). */
export function buildHttpsListener(options: ResolvedOptions, filterChains: readonly FilterChain[]): Listener {
  return {
    name: httpsListenerName,
    address: buildAddress(options.https.address, options.https.port),
    socketOptions: keepalive,
    listenerFilters: [
      ...proxyProtocol(options),
      {
        name: 'envoy.filters.listener.tls_inspector',
        configType: { $case: 'typedConfig', value: packAny(TlsInspector, {}) },
      },
    ],
    filterChains: [...filterChains],
  };
}

/** Whether a plain-HTTP virtual host gets a proxyless gRPC API listener (DNS names only). */
export function hasGrpcApiListener(fqdn: string, options: ResolvedOptions): boolean {
  return options.grpcApiListeners && !fqdn.startsWith('*');
}

/**
 * An API listener for proxyless gRPC clients dialling `xds:///<fqdn>`: the listener is named after the
 * host and its connection manager reads `ingress_http` over RDS, with the router as its only filter
 * (gRPC clients refuse filters they do not implement).
 */
export function buildGrpcApiListener(fqdn: string, options: ResolvedOptions): Listener {
  const hcm: HttpConnectionManager = {
    statPrefix: fqdn,
    routeSpecifier: {
      $case: 'rds',
      value: { configSource: buildConfigSource(options), routeConfigName: httpRouteConfigName },
    },
    httpFilters: [typed('envoy.filters.http.router', Router, {})],
  };
  return { name: fqdn, apiListener: { apiListener: packAny(HttpConnectionManager, hcm) } };
}
