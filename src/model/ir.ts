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
  readonly match:
    | { readonly kind: 'regex'; readonly value: string }
    | { readonly kind: 'exact'; readonly value: string };
  readonly invert: boolean;
}

export interface RouteMatch {
  readonly path: PathMatch;
  readonly headers: readonly HeaderMatch[];
}

/** A non-negative span of time, as Envoy's Duration. */
export interface DurationValue {
  readonly seconds: number;
  readonly nanos: number;
}

export interface WeightedBackend {
  readonly clusterName: string;
  readonly weight: number;
}

export interface RetryPolicy {
  readonly retryOn: string;
  readonly numRetries: number;
  readonly perTryTimeout: DurationValue | undefined;
}

export type RouteAction =
  | {
      readonly kind: 'forward';
      readonly backends: readonly WeightedBackend[];
      /** Route timeout; zero disables it; undefined leaves Envoy's default (15s). */
      readonly timeout: DurationValue | undefined;
      readonly retry: RetryPolicy | undefined;
      readonly websocket: boolean;
    }
  | { readonly kind: 'httpsRedirect' }
  | { readonly kind: 'directResponse'; readonly status: number };

export interface Route {
  readonly match: RouteMatch;
  readonly action: RouteAction;
  /** The object the route came from. */
  readonly origin: ObjectRef;
}

export interface VirtualHost {
  /** `*`, `*.example.com` or `example.com`. */
  readonly fqdn: string;
  /** Sorted in Envoy match order. */
  readonly routes: readonly Route[];
}

export interface TlsSettings {
  readonly minimumProtocolVersion: TlsVersion;
  readonly maximumProtocolVersion: TlsVersion;
  readonly cipherSuites: readonly string[];
}

export interface SecureVirtualHost extends VirtualHost {
  readonly secretName: string;
  readonly tls: TlsSettings;
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
}

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

export interface Locality {
  readonly zone: string;
  readonly endpoints: readonly Endpoint[];
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
