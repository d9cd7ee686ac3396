/**
 * The protocol-agnostic intermediate model between stage A (Kubernetes → IR) and stage B (IR → Envoy).
 * Immutable data with discriminated unions; no Envoy types. Resource names are already computed
 * (translate/names.ts) so stage B only shapes messages.
 */
import type { ObjectRef } from '../diagnostics.js';

export type TlsVersion = '1.2' | '1.3';

export type PathMatch =
  | { readonly kind: 'exact'; readonly value: string }
  | { readonly kind: 'prefix'; readonly value: string }
  /** Matches `value` and `value/…` but not `valueX` (Envoy path_separated_prefix). */
  | { readonly kind: 'segmentPrefix'; readonly value: string }
  /** A full RE2 regex, already anchored with `^` and checked. */
  | { readonly kind: 'regex'; readonly value: string };

export interface HeaderMatch {
  readonly name: string;
  readonly match: /** A full RE2 regex, already checked. */
    | { readonly kind: 'regex'; readonly value: string }
    | { readonly kind: 'exact'; readonly value: string; readonly ignoreCase?: boolean }
    | { readonly kind: 'contains'; readonly value: string; readonly ignoreCase?: boolean }
    | { readonly kind: 'present' };
  readonly invert: boolean;
  /** Envoy treat_missing_header_as_empty; set only together with invert. */
  readonly treatMissingAsEmpty?: boolean;
}

export interface QueryMatch {
  readonly name: string;
  readonly match:
    | {
        readonly kind: 'exact' | 'prefix' | 'suffix' | 'contains';
        readonly value: string;
        readonly ignoreCase: boolean;
      }
    | { readonly kind: 'regex'; readonly value: string }
    | { readonly kind: 'present' };
}

export interface RouteMatch {
  readonly path: PathMatch;
  readonly headers: readonly HeaderMatch[];
  /** Query parameter matchers; absent means none. */
  readonly queries?: readonly QueryMatch[];
}

/** A non-negative span of time, as Envoy's Duration. */
export interface DurationValue {
  readonly seconds: number;
  readonly nanos: number;
}

/** Header operations; values are already escaped for Envoy (a literal `%` written `%%`). */
export interface HeadersPolicy {
  /** Overwrite-or-add, sorted by name. */
  readonly set: readonly { readonly name: string; readonly value: string }[];
  /** Sorted. */
  readonly remove: readonly string[];
}

export interface CookieRewrite {
  readonly name: string;
  readonly path?: string;
  readonly domain?: string;
  readonly secure?: boolean;
  /** `Strict`, `Lax` or `None`. */
  readonly sameSite?: string;
}

export interface WeightedBackend {
  readonly clusterName: string;
  readonly weight: number;
  readonly requestHeaders?: HeadersPolicy;
  readonly responseHeaders?: HeadersPolicy;
  /** Weighted-cluster host_rewrite_literal. */
  readonly hostRewrite?: string;
  readonly cookieRewrites?: readonly CookieRewrite[];
}

export interface RetryPolicy {
  readonly retryOn: string;
  readonly numRetries: number;
  readonly perTryTimeout: DurationValue | undefined;
  /** Envoy retriable_status_codes; absent means none. */
  readonly retriableStatusCodes?: readonly number[];
}

export type HashPolicy =
  | { readonly kind: 'header'; readonly name: string; readonly terminal: boolean }
  | { readonly kind: 'query'; readonly name: string; readonly terminal: boolean }
  | { readonly kind: 'sourceIp'; readonly terminal: boolean }
  | {
      readonly kind: 'cookie';
      readonly name: string;
      readonly ttl: DurationValue;
      readonly path: string;
      readonly terminal: boolean;
    };

export interface InternalRedirect {
  /** Envoy's default (1) when absent. */
  readonly maxInternalRedirects?: number;
  readonly redirectResponseCodes: readonly number[];
  readonly allowCrossSchemeRedirect: boolean;
  /** Predicates, in order: `safeCrossScheme`, `previousRoutes`. */
  readonly predicates: readonly ('safeCrossScheme' | 'previousRoutes')[];
}

export interface LocalRateLimit {
  readonly maxTokens: number;
  readonly tokensPerFill: number;
  readonly fillInterval: DurationValue;
  /** Envoy's default (429) when absent. */
  readonly responseStatusCode?: number;
  readonly responseHeaders: readonly { readonly name: string; readonly value: string }[];
  readonly statPrefix: string;
}

export type RateLimitEntry =
  | { readonly kind: 'generic'; readonly key?: string; readonly value: string }
  | { readonly kind: 'requestHeader'; readonly headerName: string; readonly descriptorKey: string }
  | {
      readonly kind: 'headerValueMatch';
      readonly headers: readonly HeaderMatch[];
      readonly expectMatch: boolean;
      readonly value: string;
    }
  | { readonly kind: 'remoteAddress' };

/** One global rate-limit descriptor: Envoy `rate_limits[].actions`. */
export interface RateLimitDescriptor {
  readonly entries: readonly RateLimitEntry[];
}

export interface Cidr {
  readonly address: string;
  readonly prefixLen: number;
}

/** RBAC with one policy `ip-rules`: allow or deny requests whose source address is in one of the ranges. */
export interface IpFilter {
  readonly action: 'allow' | 'deny';
  readonly rules: readonly { readonly remote: boolean; readonly cidr: Cidr }[];
}

/** Per-route settings for the HTTP filters (Envoy typed_per_filter_config and rate_limits). */
export interface RouteFilters {
  readonly localRateLimit?: LocalRateLimit;
  /** Global rate-limit descriptors on the route action. */
  readonly rateLimits?: readonly RateLimitDescriptor[];
  /** RateLimitPerRoute vh_rate_limits IGNORE: the virtual host's descriptors do not apply. */
  readonly ignoreVirtualHostRateLimits?: boolean;
  readonly extAuthz?:
    | { readonly kind: 'disabled' }
    | { readonly kind: 'context'; readonly context: readonly (readonly [string, string])[] };
  /** jwt_authn PerRouteConfig requirement_name. */
  readonly jwtRequirement?: string;
  readonly ipFilter?: IpFilter;
}

export type RouteAction =
  | {
      readonly kind: 'forward';
      readonly backends: readonly WeightedBackend[];
      /** Route timeout; zero disables it; undefined leaves Envoy's default (15s). */
      readonly timeout: DurationValue | undefined;
      readonly retry: RetryPolicy | undefined;
      readonly websocket: boolean;
      /** Route idle_timeout; zero disables it. */
      readonly idleTimeout?: DurationValue;
      /** Write weighted_clusters even for one backend (backend header ops and cookie rewrites need it). */
      readonly weighted?: boolean;
      readonly hashPolicies?: readonly HashPolicy[];
      /** request_mirror_policies; percent in 0..100. */
      readonly mirrors?: readonly { readonly clusterName: string; readonly percent: number }[];
      readonly prefixRewrite?: string;
      readonly hostRewrite?:
        | { readonly kind: 'literal'; readonly value: string }
        | { readonly kind: 'header'; readonly name: string };
      readonly internalRedirect?: InternalRedirect;
    }
  | { readonly kind: 'httpsRedirect' }
  | {
      readonly kind: 'redirect';
      readonly scheme?: 'http' | 'https';
      readonly host?: string;
      readonly port?: number;
      /** path_redirect */
      readonly path?: string;
      /** prefix_rewrite */
      readonly prefix?: string;
      readonly statusCode: 301 | 302 | 303 | 307 | 308;
    }
  | { readonly kind: 'directResponse'; readonly status: number; readonly body?: string };

export interface Route {
  readonly match: RouteMatch;
  readonly action: RouteAction;
  /** The object the route came from. */
  readonly origin: ObjectRef;
  /** Route-level request_headers_to_add/remove (forward routes). */
  readonly requestHeaders?: HeadersPolicy;
  readonly responseHeaders?: HeadersPolicy;
  readonly filters?: RouteFilters;
}

export interface Cors {
  readonly allowOrigin: readonly (
    | { readonly kind: 'exact'; readonly value: string }
    | { readonly kind: 'regex'; readonly value: string }
  )[];
  /** Comma-joined lists, as Envoy takes them. */
  readonly allowMethods: string;
  readonly allowHeaders?: string;
  readonly exposeHeaders?: string;
  /** Whole seconds as text (`"0"` allowed). */
  readonly maxAge?: string;
  readonly allowCredentials: boolean;
  readonly allowPrivateNetwork: boolean;
}

export interface VirtualHost {
  /** `*`, `*.example.com` or `example.com`. */
  readonly fqdn: string;
  /** Sorted in Envoy match order. */
  readonly routes: readonly Route[];
  readonly cors?: Cors;
  readonly localRateLimit?: LocalRateLimit;
  readonly rateLimits?: readonly RateLimitDescriptor[];
  readonly ipFilter?: IpFilter;
}

/** Whether a virtual host sends global rate limit descriptors (so it needs the ratelimit filter). */
export function usesGlobalRateLimits(vhost: VirtualHost): boolean {
  return (
    (vhost.rateLimits?.length ?? 0) > 0 ||
    vhost.routes.some(
      (r) => (r.filters?.rateLimits?.length ?? 0) > 0 || r.filters?.ignoreVirtualHostRateLimits === true,
    )
  );
}

export interface TlsSettings {
  readonly minimumProtocolVersion: TlsVersion;
  readonly maximumProtocolVersion: TlsVersion;
  readonly cipherSuites: readonly string[];
}

/** Downstream client-certificate validation (HTTPProxy tls.clientValidation). */
export interface ClientValidation {
  /** PEM bundle inlined as trusted_ca; absent only with skipVerification. */
  readonly caCertificate?: Uint8Array;
  /** PEM CRL inlined as crl. */
  readonly crl?: Uint8Array;
  readonly onlyVerifyLeafCertCrl: boolean;
  /** trust_chain_verification ACCEPT_UNTRUSTED. */
  readonly skipVerification: boolean;
  /** require_client_certificate false. */
  readonly optional: boolean;
  /** HCM forward_client_cert_details SANITIZE_SET with these details; absent leaves the HCM default. */
  readonly forwardClientCertificate?: {
    readonly subject: boolean;
    readonly cert: boolean;
    readonly chain: boolean;
    readonly dns: boolean;
    readonly uri: boolean;
  };
}

/** The ext_authz filter of one TLS virtual host. */
export interface ExtAuthz {
  readonly clusterName: string;
  readonly protocol: 'grpc' | 'http';
  readonly timeout: DurationValue;
  readonly failOpen: boolean;
  readonly withRequestBody?: {
    readonly maxRequestBytes: number;
    readonly allowPartialMessage: boolean;
    readonly packAsBytes: boolean;
  };
  /** HTTP authorization servers only. */
  readonly http?: {
    readonly pathPrefix: string;
    readonly allowedAuthorizationHeaders: readonly HeaderNameMatch[];
    readonly allowedUpstreamHeaders: readonly HeaderNameMatch[];
  };
}

/** A header name pattern (ext_authz allowed headers). */
export interface HeaderNameMatch {
  readonly kind: 'exact' | 'prefix' | 'suffix' | 'contains';
  readonly value: string;
  readonly ignoreCase: boolean;
}

export interface JwtProvider {
  readonly name: string;
  readonly issuer?: string;
  readonly audiences: readonly string[];
  readonly forward: boolean;
  readonly jwks:
    | {
        readonly kind: 'remote';
        readonly uri: string;
        readonly clusterName: string;
        readonly timeout: DurationValue;
        readonly cacheDuration?: DurationValue;
      }
    | { readonly kind: 'local'; readonly inline: string };
}

/** A tcp_proxy filter chain in place of the HTTP connection manager. */
export interface TcpProxy {
  readonly backends: readonly WeightedBackend[];
}

export interface SecureVirtualHost extends VirtualHost {
  /** The SDS name of the server certificate; absent only for TLS passthrough (tcpProxy set). */
  readonly secretName: string | undefined;
  readonly tls: TlsSettings;
  readonly clientValidation?: ClientValidation;
  readonly authorization?: ExtAuthz;
  readonly jwtProviders?: readonly JwtProvider[];
  /** When set, the filter chain proxies TCP and `routes` are not served on it. */
  readonly tcpProxy?: TcpProxy;
  /** SDS name of the fallback certificate: the routes are also served to clients without SNI. */
  readonly fallbackSecretName?: string;
}

export type UpstreamProtocol = '' | 'h2' | 'h2c' | 'tls';

export interface CircuitBreakers {
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
  readonly maxRequests: number;
  readonly maxRetries: number;
  readonly perHostMaxConnections: number;
}

export interface Cluster {
  readonly name: string;
  /** `ns_svc_port`, for stats. */
  readonly statName: string;
  readonly service: { readonly namespace: string; readonly name: string; readonly port: number };
  readonly protocol: UpstreamProtocol;
  readonly circuitBreakers: CircuitBreakers | undefined;
  readonly discovery:
    | { readonly kind: 'eds'; readonly serviceName: string }
    /** An ExternalName Service: resolved by DNS, with the load assignment named like its EDS name. */
    | {
        readonly kind: 'dns';
        readonly host: string;
        readonly port: number;
        readonly loadAssignmentName: string;
      };
  /** TLS server name for upstream TLS; part of the cluster name's hash. */
  readonly sni: string | undefined;
  /** DNS clusters: which address families to resolve; absent: Envoy's default (AUTO). */
  readonly dnsLookupFamily?: 'v4' | 'v6' | 'all';
  /** Absent: round robin. `ringHash` for Cookie and RequestHash. */
  readonly lbPolicy?: 'leastRequest' | 'random' | 'ringHash';
  readonly healthCheck?: HealthCheck;
  /** Verify the upstream certificate against this CA and these SAN DNS names. */
  readonly upstreamValidation?: {
    readonly caCertificate: Uint8Array;
    readonly subjectNames: readonly string[];
  };
  /** HttpProtocolOptions common idle_timeout; zero disables it. */
  readonly idleConnectionTimeout?: DurationValue;
  readonly slowStart?: {
    readonly window: DurationValue;
    readonly aggression: number;
    readonly minWeightPercent: number;
  };
}

export type HealthCheck =
  | {
      readonly kind: 'http';
      readonly path: string;
      readonly host: string;
      readonly timeout: DurationValue;
      readonly interval: DurationValue;
      readonly unhealthyThreshold: number;
      readonly healthyThreshold: number;
      /** Half-open ranges [start, end). Absent: Envoy's default (200 only). */
      readonly expectedStatuses?: readonly { readonly start: number; readonly end: number }[];
      /** HTTP/2 health checks for h2 and h2c upstreams. */
      readonly http2: boolean;
    }
  | {
      readonly kind: 'tcp';
      readonly timeout: DurationValue;
      readonly interval: DurationValue;
      readonly unhealthyThreshold: number;
      readonly healthyThreshold: number;
    };

/**
 * The endpoints of one zone, sorted by address, then port, with no address:port twice. Kept as
 * lists rather than an object each: a large cluster holds hundreds of thousands of endpoints.
 */
export interface Locality {
  readonly zone: string;
  readonly addresses: readonly string[];
  /** The one port every address here has, or else the port of each address. */
  readonly ports: number | readonly number[];
}

export interface EndpointGroup {
  /** The EDS name, `ns/svc` or `ns/svc/portName`. */
  readonly name: string;
  readonly localities: readonly Locality[];
}

export interface TlsSecret {
  readonly name: string;
  readonly certificateChain: Uint8Array;
  readonly privateKey: Uint8Array;
}

export interface Ir {
  readonly http: readonly VirtualHost[];
  readonly https: readonly SecureVirtualHost[];
  readonly clusters: readonly Cluster[];
  readonly endpoints: readonly EndpointGroup[];
  readonly secrets: readonly TlsSecret[];
}
