/** Stage B: the two ingress listeners with Contour's HTTP connection manager defaults. */
import type { SecureVirtualHost, TlsVersion } from '../../model/ir.js';
import type { ResolvedOptions } from '../../options.js';
import type { AccessLog } from '../../xds-types/envoy/config/accesslog/v3/accesslog.js';
import type {
  FilterChain,
  ListenerFilter,
} from '../../xds-types/envoy/config/listener/v3/listener_components.js';
import { httpListenerName, httpRouteConfigName, httpsListenerName, httpsRouteConfigName } from '../names.js';
import { packAny } from './any.js';
import { buildConfigSource } from './common.js';
import {
  Compressor,
  Cors,
  DownstreamTlsContext,
  FileAccessLog,
  GrpcStatsFilterConfig,
  GrpcWeb,
  Gzip,
  HttpConnectionManager,
  HttpConnectionManager_CodecType,
  type HttpFilter,
  type Listener,
  LocalRateLimit,
  Lua,
  ProxyProtocol,
  RBAC,
  Router,
  type SocketOption,
  SocketOption_SocketState,
  StderrAccessLog,
  StdoutAccessLog,
  TlsInspector,
  TlsParameters_TlsProtocol,
} from './types.js';

/**
 * Answers 421 when a request's host (without port) differs from the TLS SNI, so HTTP/2 connection
 * coalescing across certificates cannot reach the wrong virtual host.
 */
const misdirectedRequestLua = `function envoy_on_request(request_handle)
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

/** The HTTP filter chain, in Contour's order; the router is always last. */
function buildHttpFilters(options: ResolvedOptions, secure: boolean): HttpFilter[] {
  const filters: HttpFilter[] = [];
  if (secure) {
    filters.push(
      typed('envoy.filters.http.lua', Lua, {
        defaultSourceCode: { specifier: { $case: 'inlineString', value: misdirectedRequestLua } },
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
    typed('envoy.filters.http.cors', Cors, {}),
    typed('envoy.filters.http.local_ratelimit', LocalRateLimit, { statPrefix: 'http' }),
    typed('envoy.filters.http.rbac', RBAC, {}),
    typed('envoy.filters.http.router', Router, {}),
  );
  return filters;
}

function buildHttpConnectionManager(
  options: ResolvedOptions,
  statPrefix: string,
  routeConfigName: string,
  secure: boolean,
): HttpConnectionManager {
  return {
    codecType: HttpConnectionManager_CodecType.AUTO,
    statPrefix,
    routeSpecifier: { $case: 'rds', value: { configSource: buildConfigSource(options), routeConfigName } },
    httpFilters: buildHttpFilters(options, secure),
    httpProtocolOptions: { acceptHttp10: true, allowChunkedLength: true },
    accessLog: buildAccessLog(options),
    useRemoteAddress: true,
    normalizePath: true,
    mergeSlashes: options.mergeSlashes,
    preserveExternalRequestId: true,
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

export function buildSecureFilterChain(vhost: SecureVirtualHost, options: ResolvedOptions): FilterChain {
  const context: DownstreamTlsContext = {
    commonTlsContext: {
      tlsParams: {
        tlsMinimumProtocolVersion: tlsProtocol[vhost.tls.minimumProtocolVersion],
        tlsMaximumProtocolVersion: tlsProtocol[vhost.tls.maximumProtocolVersion],
        cipherSuites: [...vhost.tls.cipherSuites],
      },
      tlsCertificateSdsSecretConfigs: [{ name: vhost.secretName, sdsConfig: buildConfigSource(options) }],
      alpnProtocols: ['h2', 'http/1.1'],
    },
  };
  return {
    filterChainMatch: { serverNames: [vhost.fqdn] },
    transportSocket: {
      name: 'envoy.transport_sockets.tls',
      configType: { $case: 'typedConfig', value: packAny(DownstreamTlsContext, context) },
    },
    filters: [
      hcmFilter(buildHttpConnectionManager(options, 'ingress_https', httpsRouteConfigName(vhost.fqdn), true)),
    ],
  };
}

/** `ingress_http`: one filter chain whose HCM takes its routes from RDS `ingress_http`. */
export function buildHttpListener(options: ResolvedOptions): Listener {
  return {
    name: httpListenerName,
    address: buildAddress(options.http.address, options.http.port),
    socketOptions: keepalive,
    ...(options.useProxyProtocol ? { listenerFilters: proxyProtocol(options) } : {}),
    filterChains: [
      {
        filters: [hcmFilter(buildHttpConnectionManager(options, 'ingress_http', httpRouteConfigName, false))],
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
