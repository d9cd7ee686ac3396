/** Small message builders shared by the stage-B modules. */
import type { DurationValue } from '../../model/ir.js';
import type { ResolvedOptions } from '../../options.js';
import { ApiConfigSource_ApiType, ApiVersion, type ConfigSource, type Duration } from './types.js';

export function buildDuration(value: DurationValue): Duration {
  return value.nanos === 0 ? { seconds: value.seconds } : { seconds: value.seconds, nanos: value.nanos };
}

/** Where Envoy fetches RDS/EDS/SDS: ADS by default, or a named gRPC cluster. */
export function buildConfigSource(options: ResolvedOptions): ConfigSource {
  const source = options.configSource;
  if (source.kind === 'ads') {
    return { configSourceSpecifier: { $case: 'ads', value: {} }, resourceApiVersion: ApiVersion.V3 };
  }
  return {
    configSourceSpecifier: {
      $case: 'apiConfigSource',
      value: {
        apiType: ApiConfigSource_ApiType.GRPC,
        transportApiVersion: ApiVersion.V3,
        grpcServices: [
          { targetSpecifier: { $case: 'envoyGrpc', value: { clusterName: source.clusterName } } },
        ],
      },
    },
    resourceApiVersion: ApiVersion.V3,
  };
}
