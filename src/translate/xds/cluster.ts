/** Stage B: IR clusters → Cluster. */
import type { Cluster as IrCluster } from '../../model/ir.js';
import type { ResolvedOptions } from '../../options.js';
import { durationFromMs } from '../duration.js';
import { packAny } from './any.js';
import { buildConfigSource, buildDuration } from './common.js';
import {
  type Cluster,
  Cluster_DiscoveryType,
  HttpProtocolOptions,
  RoutingPriority,
  UpstreamTlsContext,
} from './types.js';

const httpProtocolOptionsKey = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

export function buildCluster(cluster: IrCluster, options: ResolvedOptions): Cluster {
  const out: Cluster = {
    name: cluster.name,
    altStatName: cluster.statName,
    connectTimeout: buildDuration(durationFromMs(options.connectTimeoutMs)),
    // Contour disables panic mode: unhealthy hosts never receive traffic.
    commonLbConfig: { healthyPanicThreshold: { value: 0 } },
  };
  if (cluster.discovery.kind === 'eds') {
    out.clusterDiscoveryType = { $case: 'type', value: Cluster_DiscoveryType.EDS };
    out.edsClusterConfig = {
      edsConfig: buildConfigSource(options),
      serviceName: cluster.discovery.serviceName,
    };
  } else {
    out.clusterDiscoveryType = { $case: 'type', value: Cluster_DiscoveryType.STRICT_DNS };
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
  if (cluster.protocol === 'tls' || cluster.protocol === 'h2') {
    const context: UpstreamTlsContext = {
      commonTlsContext: cluster.protocol === 'h2' ? { alpnProtocols: ['h2'] } : {},
      ...(cluster.sni !== undefined ? { sni: cluster.sni } : {}),
    };
    out.transportSocket = {
      name: 'envoy.transport_sockets.tls',
      configType: { $case: 'typedConfig', value: packAny(UpstreamTlsContext, context) },
    };
  }
  if (cluster.protocol === 'h2' || cluster.protocol === 'h2c') {
    out.typedExtensionProtocolOptions = {
      [httpProtocolOptionsKey]: packAny(HttpProtocolOptions, {
        upstreamProtocolOptions: {
          $case: 'explicitHttpConfig',
          value: { protocolConfig: { $case: 'http2ProtocolOptions', value: {} } },
        },
      }),
    };
  }
  return out;
}
