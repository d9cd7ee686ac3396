/** Stage B: IR clusters → Cluster. */
import type { Cluster as IrCluster, HealthCheck as IrHealthCheck } from '../../model/ir.js';
import type { ResolvedOptions } from '../../options.js';
import { durationFromMs } from '../duration.js';
import { packAny } from './any.js';
import { buildConfigSource, buildDuration } from './common.js';
import {
  type Cluster,
  Cluster_DiscoveryType,
  Cluster_DnsLookupFamily,
  Cluster_LbPolicy,
  CodecClientType,
  type HealthCheck,
  HttpProtocolOptions,
  RoutingPriority,
  SubjectAltNameMatcher_SanType,
  UpstreamTlsContext,
} from './types.js';

const httpProtocolOptionsKey = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

const lbPolicies: Readonly<Record<NonNullable<IrCluster['lbPolicy']>, Cluster_LbPolicy>> = {
  leastRequest: Cluster_LbPolicy.LEAST_REQUEST,
  random: Cluster_LbPolicy.RANDOM,
  ringHash: Cluster_LbPolicy.RING_HASH,
};

function buildHealthCheck(check: IrHealthCheck): HealthCheck {
  const common = {
    timeout: buildDuration(check.timeout),
    interval: buildDuration(check.interval),
    unhealthyThreshold: check.unhealthyThreshold,
    healthyThreshold: check.healthyThreshold,
  };
  if (check.kind === 'tcp') return { ...common, healthChecker: { $case: 'tcpHealthCheck', value: {} } };
  return {
    ...common,
    healthChecker: {
      $case: 'httpHealthCheck',
      value: {
        host: check.host,
        path: check.path,
        ...(check.expectedStatuses !== undefined && check.expectedStatuses.length > 0
          ? { expectedStatuses: check.expectedStatuses.map((r) => ({ start: r.start, end: r.end })) }
          : {}),
        ...(check.http2 ? { codecClientType: CodecClientType.HTTP2 } : {}),
      },
    },
  };
}

/** Load-balancer settings: the policy and, for round robin or least request, slow start. */
function buildLbSettings(cluster: IrCluster): Pick<Cluster, 'lbPolicy' | 'lbConfig'> {
  const policy = cluster.lbPolicy;
  const slow = cluster.slowStart;
  const slowStartConfig =
    slow === undefined
      ? undefined
      : {
          slowStartWindow: buildDuration(slow.window),
          aggression: { defaultValue: slow.aggression, runtimeKey: 'contour.slowstart.aggression' },
          minWeightPercent: { value: slow.minWeightPercent },
        };
  let lbConfig: Cluster['lbConfig'];
  if (slowStartConfig !== undefined && policy === undefined) {
    lbConfig = { $case: 'roundRobinLbConfig', value: { slowStartConfig } };
  } else if (slowStartConfig !== undefined && policy === 'leastRequest') {
    lbConfig = { $case: 'leastRequestLbConfig', value: { slowStartConfig } };
  }
  return {
    ...(policy !== undefined ? { lbPolicy: lbPolicies[policy] } : {}),
    ...(lbConfig !== undefined ? { lbConfig } : {}),
  };
}

/** The upstream HTTP protocol options: HTTP/2 or HTTP/1, with an idle timeout when set. */
function upstreamHttpOptions(idle: IrCluster['idleConnectionTimeout'], http2 = true): HttpProtocolOptions {
  return {
    ...(idle !== undefined ? { commonHttpProtocolOptions: { idleTimeout: buildDuration(idle) } } : {}),
    upstreamProtocolOptions: {
      $case: 'explicitHttpConfig',
      value: {
        protocolConfig: http2
          ? { $case: 'http2ProtocolOptions', value: {} }
          : { $case: 'httpProtocolOptions', value: {} },
      },
    },
  };
}

const dnsFamilies = {
  v4: Cluster_DnsLookupFamily.V4_ONLY,
  v6: Cluster_DnsLookupFamily.V6_ONLY,
  all: Cluster_DnsLookupFamily.ALL,
} as const;

/**
 * Deeply frozen, so a message part shared by many clusters cannot be changed through one (byte
 * arrays cannot be frozen; nothing writes to them).
 */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** The parts every cluster of one set of options has in common, built once and shared (frozen). */
interface SharedParts {
  readonly connectTimeout: NonNullable<Cluster['connectTimeout']>;
  readonly commonLbConfig: NonNullable<Cluster['commonLbConfig']>;
  readonly eds: NonNullable<Cluster['clusterDiscoveryType']>;
  readonly strictDns: NonNullable<Cluster['clusterDiscoveryType']>;
  readonly edsConfig: NonNullable<NonNullable<Cluster['edsClusterConfig']>['edsConfig']>;
  /** HTTP/2 upstream options without an idle timeout: the packed map most gRPC clusters carry. */
  readonly http2Options: NonNullable<Cluster['typedExtensionProtocolOptions']>;
}

const sharedParts = new WeakMap<ResolvedOptions, SharedParts>();

function shared(options: ResolvedOptions): SharedParts {
  let parts = sharedParts.get(options);
  if (parts === undefined) {
    parts = deepFreeze({
      connectTimeout: buildDuration(durationFromMs(options.connectTimeoutMs)),
      // Contour disables panic mode: unhealthy hosts never receive traffic.
      commonLbConfig: { healthyPanicThreshold: { value: 0 } },
      eds: { $case: 'type', value: Cluster_DiscoveryType.EDS },
      strictDns: { $case: 'type', value: Cluster_DiscoveryType.STRICT_DNS },
      edsConfig: buildConfigSource(options),
      http2Options: {
        [httpProtocolOptionsKey]: packAny(HttpProtocolOptions, upstreamHttpOptions(undefined)),
      },
    });
    sharedParts.set(options, parts);
  }
  return parts;
}

export function buildCluster(cluster: IrCluster, options: ResolvedOptions): Cluster {
  const parts = shared(options);
  const out: Cluster = {
    name: cluster.name,
    altStatName: cluster.statName,
    connectTimeout: parts.connectTimeout,
    commonLbConfig: parts.commonLbConfig,
  };
  if (cluster.lbPolicy !== undefined || cluster.slowStart !== undefined)
    Object.assign(out, buildLbSettings(cluster));
  if (cluster.discovery.kind === 'eds') {
    out.clusterDiscoveryType = parts.eds;
    out.edsClusterConfig = { edsConfig: parts.edsConfig, serviceName: cluster.discovery.serviceName };
  } else {
    out.clusterDiscoveryType = parts.strictDns;
    if (cluster.dnsLookupFamily !== undefined) out.dnsLookupFamily = dnsFamilies[cluster.dnsLookupFamily];
    out.loadAssignment = {
      clusterName: cluster.discovery.loadAssignmentName,
      endpoints: [
        {
          lbEndpoints: [
            {
              hostIdentifier: {
                $case: 'endpoint',
                value: {
                  address: {
                    address: {
                      $case: 'socketAddress',
                      value: {
                        address: cluster.discovery.host,
                        portSpecifier: { $case: 'portValue', value: cluster.discovery.port },
                      },
                    },
                  },
                },
              },
            },
          ],
        },
      ],
    };
  }
  const breakers = cluster.circuitBreakers;
  if (breakers !== undefined) {
    const threshold = (n: number) => (n > 0 ? n : undefined);
    out.circuitBreakers = {
      thresholds: [
        {
          priority: RoutingPriority.DEFAULT,
          ...(threshold(breakers.maxConnections) ? { maxConnections: breakers.maxConnections } : {}),
          ...(threshold(breakers.maxPendingRequests)
            ? { maxPendingRequests: breakers.maxPendingRequests }
            : {}),
          ...(threshold(breakers.maxRequests) ? { maxRequests: breakers.maxRequests } : {}),
          ...(threshold(breakers.maxRetries) ? { maxRetries: breakers.maxRetries } : {}),
          trackRemaining: true,
        },
      ],
      ...(breakers.perHostMaxConnections > 0
        ? {
            perHostThresholds: [
              {
                priority: RoutingPriority.DEFAULT,
                maxConnections: breakers.perHostMaxConnections,
                trackRemaining: true,
              },
            ],
          }
        : {}),
    };
  }
  if (cluster.healthCheck !== undefined) {
    out.healthChecks = [buildHealthCheck(cluster.healthCheck)];
    out.ignoreHealthOnHostRemoval = true;
  }
  if (cluster.protocol === 'tls' || cluster.protocol === 'h2') {
    const validation = cluster.upstreamValidation;
    const context: UpstreamTlsContext = {
      commonTlsContext: {
        ...(cluster.protocol === 'h2' ? { alpnProtocols: ['h2'] } : {}),
        ...(validation !== undefined
          ? {
              validationContextType: {
                $case: 'validationContext',
                value: {
                  trustedCa: { specifier: { $case: 'inlineBytes', value: validation.caCertificate } },
                  matchTypedSubjectAltNames: validation.subjectNames.map((name) => ({
                    sanType: SubjectAltNameMatcher_SanType.DNS,
                    matcher: { matchPattern: { $case: 'exact', value: name } },
                  })),
                },
              },
            }
          : {}),
      },
      ...(cluster.sni !== undefined ? { sni: cluster.sni } : {}),
    };
    out.transportSocket = {
      name: 'envoy.transport_sockets.tls',
      configType: { $case: 'typedConfig', value: packAny(UpstreamTlsContext, context) },
    };
  }
  const http2 = cluster.protocol === 'h2' || cluster.protocol === 'h2c';
  if (http2 && cluster.idleConnectionTimeout === undefined) {
    out.typedExtensionProtocolOptions = parts.http2Options;
  } else if (http2 || cluster.idleConnectionTimeout !== undefined) {
    out.typedExtensionProtocolOptions = {
      [httpProtocolOptionsKey]: packAny(
        HttpProtocolOptions,
        upstreamHttpOptions(cluster.idleConnectionTimeout, http2),
      ),
    };
  }
  return out;
}
