/**
 * The one place hand-written code imports generated Envoy types from, so regeneration churn touches
 * a single file.
 */

export { AccessLog } from '../../xds-types/envoy/config/accesslog/v3/accesslog.js';
export { CircuitBreakers } from '../../xds-types/envoy/config/cluster/v3/circuit_breaker.js';
export {
  Cluster,
  Cluster_DiscoveryType,
  Cluster_DnsLookupFamily,
  Cluster_LbPolicy,
} from '../../xds-types/envoy/config/cluster/v3/cluster.js';
export {
  type HeaderValueOption,
  HeaderValueOption_HeaderAppendAction,
  RoutingPriority,
  TrafficDirection,
} from '../../xds-types/envoy/config/core/v3/base.js';
export {
  ApiConfigSource_ApiType,
  ApiVersion,
  ConfigSource,
} from '../../xds-types/envoy/config/core/v3/config_source.js';
export type { HealthCheck } from '../../xds-types/envoy/config/core/v3/health_check.js';
export {
  SocketOption,
  SocketOption_SocketState,
} from '../../xds-types/envoy/config/core/v3/socket_option.js';
export { ClusterLoadAssignment } from '../../xds-types/envoy/config/endpoint/v3/endpoint.js';
export type { LbEndpoint } from '../../xds-types/envoy/config/endpoint/v3/endpoint_components.js';
export { Listener } from '../../xds-types/envoy/config/listener/v3/listener.js';
export type { FilterChain } from '../../xds-types/envoy/config/listener/v3/listener_components.js';
export { type Policy as RbacPolicy, RBAC_Action } from '../../xds-types/envoy/config/rbac/v3/rbac.js';
export { RouteConfiguration } from '../../xds-types/envoy/config/route/v3/route.js';
export {
  type CorsPolicy as RouteCorsPolicy,
  HeaderMatcher,
  type InternalRedirectPolicy,
  QueryParameterMatcher,
  RateLimit,
  type RateLimit_Action,
  RedirectAction_RedirectResponseCode,
  type Route,
  type RouteAction,
  type RouteAction_HashPolicy,
  type RouteMatch,
  VirtualHost,
  WeightedCluster_ClusterWeight,
} from '../../xds-types/envoy/config/route/v3/route_components.js';
export { FileAccessLog } from '../../xds-types/envoy/extensions/access_loggers/file/v3/file.js';
export {
  StderrAccessLog,
  StdoutAccessLog,
} from '../../xds-types/envoy/extensions/access_loggers/stream/v3/stream.js';
export { Gzip } from '../../xds-types/envoy/extensions/compression/gzip/compressor/v3/gzip.js';
export { Compressor } from '../../xds-types/envoy/extensions/filters/http/compressor/v3/compressor.js';
export { Cors, CorsPolicy } from '../../xds-types/envoy/extensions/filters/http/cors/v3/cors.js';
export {
  ExtAuthz,
  ExtAuthzPerRoute,
} from '../../xds-types/envoy/extensions/filters/http/ext_authz/v3/ext_authz.js';
export { FilterConfig as GrpcStatsFilterConfig } from '../../xds-types/envoy/extensions/filters/http/grpc_stats/v3/config.js';
export { GrpcWeb } from '../../xds-types/envoy/extensions/filters/http/grpc_web/v3/grpc_web.js';
export {
  JwtAuthentication,
  type JwtProvider,
  PerRouteConfig as JwtPerRouteConfig,
} from '../../xds-types/envoy/extensions/filters/http/jwt_authn/v3/config.js';
export { LocalRateLimit } from '../../xds-types/envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.js';
export { Lua, LuaPerRoute } from '../../xds-types/envoy/extensions/filters/http/lua/v3/lua.js';
export {
  RateLimit as RateLimitFilter,
  RateLimit_XRateLimitHeadersRFCVersion,
  RateLimitPerRoute,
  RateLimitPerRoute_VhRateLimitsOptions,
} from '../../xds-types/envoy/extensions/filters/http/ratelimit/v3/rate_limit.js';
export { RBAC, RBACPerRoute } from '../../xds-types/envoy/extensions/filters/http/rbac/v3/rbac.js';
export { Router } from '../../xds-types/envoy/extensions/filters/http/router/v3/router.js';
export { ProxyProtocol } from '../../xds-types/envoy/extensions/filters/listener/proxy_protocol/v3/proxy_protocol.js';
export { TlsInspector } from '../../xds-types/envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.js';
export {
  HttpConnectionManager,
  HttpConnectionManager_CodecType,
  HttpConnectionManager_ForwardClientCertDetails,
  HttpFilter,
} from '../../xds-types/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.js';
export { TcpProxy } from '../../xds-types/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.js';
export { PreviousRoutesConfig } from '../../xds-types/envoy/extensions/internal_redirect/previous_routes/v3/previous_routes_config.js';
export { SafeCrossSchemeConfig } from '../../xds-types/envoy/extensions/internal_redirect/safe_cross_scheme/v3/safe_cross_scheme_config.js';
export {
  type CertificateValidationContext,
  CertificateValidationContext_TrustChainVerification,
  SubjectAltNameMatcher_SanType,
  TlsParameters_TlsProtocol,
} from '../../xds-types/envoy/extensions/transport_sockets/tls/v3/common.js';
export { Secret } from '../../xds-types/envoy/extensions/transport_sockets/tls/v3/secret.js';
export {
  DownstreamTlsContext,
  UpstreamTlsContext,
} from '../../xds-types/envoy/extensions/transport_sockets/tls/v3/tls.js';
export { HttpProtocolOptions } from '../../xds-types/envoy/extensions/upstreams/http/v3/http_protocol_options.js';
export {
  DeltaDiscoveryResponse,
  DiscoveryResponse,
  Resource,
} from '../../xds-types/envoy/service/discovery/v3/discovery.js';
export type { StringMatcher } from '../../xds-types/envoy/type/matcher/v3/string.js';
export { CodecClientType } from '../../xds-types/envoy/type/v3/http.js';
export { StatusCode } from '../../xds-types/envoy/type/v3/http_status.js';
export { FractionalPercent_DenominatorType } from '../../xds-types/envoy/type/v3/percent.js';
export { Any } from '../../xds-types/google/protobuf/any.js';
export type { Duration } from '../../xds-types/google/protobuf/duration.js';
