/**
 * TranslateOptions: every knob of translate(), all optional, with the defaults documented in
 * docs/reference/options.md. resolveOptions() turns them into ResolvedOptions once per call.
 */

export type TlsVersion = '1.2' | '1.3';

export interface ListenerAddressOptions {
  /** Bind address. Default `0.0.0.0`. */
  readonly address?: string;
  /** Port. Defaults: 8080 for HTTP, 8443 for HTTPS. */
  readonly port?: number;
}

/**
 * Where Envoy fetches RDS, EDS and SDS from. `ads` (default): the aggregated stream Envoy's bootstrap
 * names. `grpc`: a separate gRPC stream to the named bootstrap cluster.
 */
export type ConfigSourceOption =
  | { readonly kind: 'ads' }
  | { readonly kind: 'grpc'; readonly clusterName: string };

export type AccessLogOption =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'stdout' }
  | { readonly kind: 'stderr' }
  | { readonly kind: 'disabled' };

export interface TranslateOptions {
  /** The plain-HTTP listener `ingress_http`. Default 0.0.0.0:8080. */
  readonly http?: ListenerAddressOptions;
  /** The TLS listener `ingress_https`. Default 0.0.0.0:8443. */
  readonly https?: ListenerAddressOptions;
  /** Default `{ kind: 'ads' }`. */
  readonly configSource?: ConfigSourceOption;
  /** Cluster connect timeout in milliseconds. Default 2000. */
  readonly connectTimeoutMs?: number;
  /** Downstream TLS bounds. Defaults: minimum 1.2, maximum 1.3. Per-Ingress annotations only narrow them. */
  readonly tls?: {
    readonly minimumProtocolVersion?: TlsVersion;
    readonly maximumProtocolVersion?: TlsVersion;
    /** Cipher suites for TLS 1.2 (Envoy names). Default: Contour's list. */
    readonly cipherSuites?: readonly string[];
  };
  /**
   * Ingress class names this translator serves. Default: `contour`, and also Ingresses with no class
   * at all. When set, only these names are served (an Ingress with no class is served only through a
   * default IngressClass whose name is listed).
   */
  readonly ingressClassNames?: readonly string[];
  /**
   * IngressClass `spec.controller` value that marks a class as ours, whatever its name. Default
   * `projectcontour.io/ingress-controller`.
   */
  readonly ingressClassController?: string;
  /** Serve ExternalName Services as DNS clusters. Default false (Contour's safe default). */
  readonly enableExternalNameService?: boolean;
  /** Access log for both listeners. Default `{ kind: 'file', path: '/dev/stdout' }`, as Contour. */
  readonly accessLog?: AccessLogOption;
  /** Put the proxy_protocol listener filter first on both listeners. Default false. */
  readonly useProxyProtocol?: boolean;
  /** HCM merge_slashes. Default true. */
  readonly mergeSlashes?: boolean;
  /** gzip response compression filter. Default true. */
  readonly compression?: boolean;
  /**
   * Also emit, for every plain-HTTP virtual host with a DNS name (not `*` or `*.domain`), an API
   * listener named after the host for proxyless gRPC clients (`xds:///<host>`). It uses the same
   * `ingress_http` RouteConfiguration, clusters and endpoints as Envoy, with the router as its only
   * HTTP filter. Default false.
   */
  readonly grpcApiListeners?: boolean;
  /**
   * Largest RE2 program size a regex may compile to. Envoy rejects larger ones unless its runtime key
   * `re2.max_program_size.error_level` is raised. Default 100, Envoy's own default.
   */
  readonly maxRegexProgramSize?: number;
  /**
   * Namespaces where root HTTPProxies (those with spec.virtualhost) may live. Default: every
   * namespace. A root elsewhere gets RootProxyNotAllowedInNamespace and serves nothing.
   */
  readonly rootNamespaces?: readonly string[];
  /** Ignore HTTPProxy routes' permitInsecure: TLS virtual hosts always redirect plain HTTP. Default false. */
  readonly disablePermitInsecure?: boolean;
  /**
   * The certificate Secret served to TLS clients that send no SNI, for HTTPProxies with
   * `tls.enableFallbackCertificate`. Unset: such proxies get FallbackNotPresent.
   */
  readonly fallbackCertificate?: { readonly namespace: string; readonly name: string };
  /**
   * The global rate limit service, an ExtensionService speaking Envoy's rate limit gRPC API. With
   * it, HTTPProxy `rateLimitPolicy.global` descriptors are emitted and Envoy's ratelimit filter asks
   * this service; without it they get an IgnoredField warning and are left out.
   */
  readonly rateLimitService?: RateLimitServiceOption;
}

export interface RateLimitServiceOption {
  readonly extensionService: { readonly namespace: string; readonly name: string };
  /** The rate limit domain sent with every request. */
  readonly domain: string;
  /** Let requests through when the service cannot be reached. Default false (deny, as Contour). */
  readonly failOpen?: boolean;
  /** Add the draft-03 X-RateLimit-* response headers. Default false. */
  readonly enableXRateLimitHeaders?: boolean;
}

export interface ResolvedOptions {
  readonly http: { readonly address: string; readonly port: number };
  readonly https: { readonly address: string; readonly port: number };
  readonly configSource: ConfigSourceOption;
  readonly connectTimeoutMs: number;
  readonly tls: {
    readonly minimumProtocolVersion: TlsVersion;
    readonly maximumProtocolVersion: TlsVersion;
    readonly cipherSuites: readonly string[];
  };
  readonly ingressClassNames: readonly string[];
  readonly ingressClassNamesConfigured: boolean;
  readonly ingressClassController: string;
  readonly enableExternalNameService: boolean;
  readonly accessLog: AccessLogOption;
  readonly useProxyProtocol: boolean;
  readonly mergeSlashes: boolean;
  readonly compression: boolean;
  readonly maxRegexProgramSize: number;
  readonly grpcApiListeners: boolean;
  readonly rootNamespaces: readonly string[];
  readonly disablePermitInsecure: boolean;
  readonly fallbackCertificate: { readonly namespace: string; readonly name: string } | undefined;
  readonly rateLimitService: Required<RateLimitServiceOption> | undefined;
}

/** Contour's default TLS 1.2 cipher suites. */
export const defaultCipherSuites: readonly string[] = [
  '[ECDHE-ECDSA-AES128-GCM-SHA256|ECDHE-ECDSA-CHACHA20-POLY1305]',
  '[ECDHE-RSA-AES128-GCM-SHA256|ECDHE-RSA-CHACHA20-POLY1305]',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
];

function port(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new RangeError(`TranslateOptions.${what}.port must be an integer in 1..65535, got ${value}`);
  }
  return value;
}

function rateLimitService(
  service: TranslateOptions['rateLimitService'],
): ResolvedOptions['rateLimitService'] {
  if (service === undefined) return undefined;
  const { namespace, name } = service.extensionService;
  if (namespace === '' || name === '' || service.domain === '' || /[\0\r\n]/.test(service.domain))
    throw new RangeError(
      'TranslateOptions.rateLimitService needs an extensionService namespace and name and a domain',
    );
  return {
    extensionService: { namespace, name },
    domain: service.domain,
    failOpen: service.failOpen ?? false,
    enableXRateLimitHeaders: service.enableXRateLimitHeaders ?? false,
  };
}

function fallbackCertificate(
  ref: TranslateOptions['fallbackCertificate'],
): ResolvedOptions['fallbackCertificate'] {
  if (ref === undefined) return undefined;
  if (ref.namespace === '' || ref.name === '')
    throw new RangeError('TranslateOptions.fallbackCertificate needs a namespace and a name');
  return { namespace: ref.namespace, name: ref.name };
}

/**
 * Options are the host program's own configuration, not cluster input, so a bad option is a
 * programmer error and throws (unlike objects, which never make translate() throw).
 */
export function resolveOptions(options: TranslateOptions = {}): ResolvedOptions {
  const min = options.tls?.minimumProtocolVersion ?? '1.2';
  const max = options.tls?.maximumProtocolVersion ?? '1.3';
  if (min > max) throw new RangeError(`TranslateOptions.tls: minimum ${min} is above maximum ${max}`);
  const connectTimeoutMs = options.connectTimeoutMs ?? 2000;
  if (!Number.isInteger(connectTimeoutMs) || connectTimeoutMs <= 0) {
    throw new RangeError(
      `TranslateOptions.connectTimeoutMs must be a positive integer, got ${connectTimeoutMs}`,
    );
  }
  const maxRegexProgramSize = options.maxRegexProgramSize ?? 100;
  if (!Number.isInteger(maxRegexProgramSize) || maxRegexProgramSize < 1) {
    throw new RangeError(
      `TranslateOptions.maxRegexProgramSize must be a positive integer, got ${maxRegexProgramSize}`,
    );
  }
  const configSource = options.configSource ?? { kind: 'ads' };
  if (configSource.kind === 'grpc' && configSource.clusterName === '') {
    throw new RangeError('TranslateOptions.configSource.clusterName must not be empty');
  }
  const http = { address: options.http?.address ?? '0.0.0.0', port: port(options.http?.port, 8080, 'http') };
  const https = {
    address: options.https?.address ?? '0.0.0.0',
    port: port(options.https?.port, 8443, 'https'),
  };
  if (http.port === https.port && http.address === https.address) {
    throw new RangeError(
      `TranslateOptions: the HTTP and HTTPS listeners cannot share ${http.address}:${http.port}`,
    );
  }
  return {
    http,
    https,
    configSource,
    connectTimeoutMs,
    tls: {
      minimumProtocolVersion: min,
      maximumProtocolVersion: max,
      cipherSuites: options.tls?.cipherSuites ?? defaultCipherSuites,
    },
    ingressClassNames: options.ingressClassNames ?? ['contour'],
    ingressClassNamesConfigured: options.ingressClassNames !== undefined,
    ingressClassController: options.ingressClassController ?? 'projectcontour.io/ingress-controller',
    enableExternalNameService: options.enableExternalNameService ?? false,
    accessLog: options.accessLog ?? { kind: 'file', path: '/dev/stdout' },
    useProxyProtocol: options.useProxyProtocol ?? false,
    mergeSlashes: options.mergeSlashes ?? true,
    compression: options.compression ?? true,
    maxRegexProgramSize,
    grpcApiListeners: options.grpcApiListeners ?? false,
    rootNamespaces: [...new Set(options.rootNamespaces ?? [])].sort(),
    disablePermitInsecure: options.disablePermitInsecure ?? false,
    fallbackCertificate: fallbackCertificate(options.fallbackCertificate),
    rateLimitService: rateLimitService(options.rateLimitService),
  };
}
