// Cross-resource checks Envoy performs (or that make a config useless) beyond per-field PGV rules:
// unique names, unique domains, filter ordering, unique filter chain matches and listener addresses,
// EDS endpoint addresses, and that every reference (RDS, CDS, EDS, SDS) resolves, both ways.
import { isIP } from 'node:net';
import '../../src/xds-types/registry.js';
import { type Cluster, Cluster_DiscoveryType } from '../../src/xds-types/envoy/config/cluster/v3/cluster.js';
import type { Address } from '../../src/xds-types/envoy/config/core/v3/address.js';
import type { TransportSocket } from '../../src/xds-types/envoy/config/core/v3/base.js';
import type { ClusterLoadAssignment } from '../../src/xds-types/envoy/config/endpoint/v3/endpoint.js';
import type { Listener } from '../../src/xds-types/envoy/config/listener/v3/listener.js';
import type {
  Filter,
  FilterChain,
  FilterChainMatch,
} from '../../src/xds-types/envoy/config/listener/v3/listener_components.js';
import type { RouteConfiguration } from '../../src/xds-types/envoy/config/route/v3/route.js';
import type { RouteAction_RequestMirrorPolicy } from '../../src/xds-types/envoy/config/route/v3/route_components.js';
import { ExtAuthz } from '../../src/xds-types/envoy/extensions/filters/http/ext_authz/v3/ext_authz.js';
import { JwtAuthentication } from '../../src/xds-types/envoy/extensions/filters/http/jwt_authn/v3/config.js';
import { RateLimit as RateLimitFilter } from '../../src/xds-types/envoy/extensions/filters/http/ratelimit/v3/rate_limit.js';
import { Router } from '../../src/xds-types/envoy/extensions/filters/http/router/v3/router.js';
import {
  type HttpConnectionManager,
  HttpConnectionManager as HttpConnectionManagerCodec,
} from '../../src/xds-types/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.js';
import { TcpProxy } from '../../src/xds-types/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.js';
import type {
  SdsSecretConfig,
  Secret,
} from '../../src/xds-types/envoy/extensions/transport_sockets/tls/v3/secret.js';
import {
  type CommonTlsContext,
  DownstreamTlsContext,
  UpstreamTlsContext,
} from '../../src/xds-types/envoy/extensions/transport_sockets/tls/v3/tls.js';
import type { Any } from '../../src/xds-types/google/protobuf/any.js';

/** The five xDS resource collections (each optional), as ts-proto objects. */
export interface EnvoyResourceSet {
  readonly listeners?: readonly Listener[] | undefined;
  readonly routes?: readonly RouteConfiguration[] | undefined;
  readonly clusters?: readonly Cluster[] | undefined;
  readonly endpoints?: readonly ClusterLoadAssignment[] | undefined;
  readonly secrets?: readonly Secret[] | undefined;
}

export interface SemanticsReport {
  problems: string[];
}

const HCM_NAME = 'envoy.filters.network.http_connection_manager';
const TCP_PROXY_NAME = 'envoy.filters.network.tcp_proxy';
const ROUTER_NAME = 'envoy.filters.http.router';

function anyTypeName(any: Any | undefined): string | undefined {
  const url = any?.typeUrl;
  return url === undefined || url === '' ? undefined : url.slice(url.lastIndexOf('/') + 1);
}

function typedConfig(holder: {
  configType?: { $case: string; value: unknown } | undefined;
}): Any | undefined {
  const config = holder.configType;
  return config?.$case === 'typedConfig' ? (config.value as Any) : undefined;
}

/** Which extension a filter is: by its typed_config type when there is one (as Envoy does), else by name. */
function isFilterOfType(
  filter: { name?: string | undefined; configType?: { $case: string; value: unknown } | undefined },
  typeName: string,
  legacyName: string,
): boolean {
  const type = anyTypeName(typedConfig(filter));
  return type !== undefined ? type === typeName : filter.name === legacyName;
}

function decodeAs<T>(
  any: Any | undefined,
  codec: { $type: string; decode(input: Uint8Array): T },
): T | undefined {
  if (any === undefined || anyTypeName(any) !== codec.$type) return undefined;
  return codec.decode(any.value ?? new Uint8Array(0));
}

function addressKey(address: Address | undefined): string | undefined {
  const a = address?.address;
  if (a === undefined) return undefined;
  if (a.$case === 'socketAddress') {
    const s = a.value;
    const port =
      s.portSpecifier?.$case === 'portValue' ? String(s.portSpecifier.value) : s.portSpecifier?.value;
    if (port === '0') return undefined; // several port-0 addresses are allowed
    return `${s.protocol ?? 0}:${s.address ?? ''}:${port ?? ''}`;
  }
  if (a.$case === 'pipe') return `pipe:${a.value.path ?? ''}`;
  return `internal:${a.value.addressNameSpecifier?.value ?? ''}:${a.value.endpointId ?? ''}`;
}

function describeAddress(address: Address | undefined): string {
  const a = address?.address;
  if (a?.$case === 'socketAddress') {
    const port = a.value.portSpecifier?.value;
    return `${a.value.address ?? ''}:${port ?? ''}`;
  }
  return a === undefined ? '(none)' : `${a.$case} ${JSON.stringify(a.value)}`;
}

/** Every combination of match criteria a filter chain claims; Envoy rejects two chains sharing one. */
function filterChainMatchKeys(match: FilterChainMatch | undefined): string[] {
  const m = match ?? {};
  const cidrs = (list: FilterChainMatch['prefixRanges']) =>
    (list ?? []).map((c) => `${c.addressPrefix ?? ''}/${c.prefixLen ?? ''}`);
  const dims: string[][] = [
    [String(m.destinationPort ?? '')],
    cidrs(m.prefixRanges),
    [`${m.addressSuffix ?? ''}/${m.suffixLen ?? ''}`],
    cidrs(m.directSourcePrefixRanges),
    [String(m.sourceType ?? 0)],
    cidrs(m.sourcePrefixRanges),
    (m.sourcePorts ?? []).map(String),
    (m.serverNames ?? []).map((s) => s.toLowerCase()),
    [m.transportProtocol ?? ''],
    m.applicationProtocols ?? [],
  ].map((d) => (d.length === 0 ? [''] : d));
  const total = dims.reduce((n, d) => n * d.length, 1);
  if (total > 100_000) return [JSON.stringify(dims)];
  let keys = [''];
  for (const dim of dims) keys = keys.flatMap((k) => dim.map((v) => `${k}|${v}`));
  return keys;
}

class Checker {
  readonly problems: string[] = [];
  readonly routeNames: Set<string>;
  readonly clusterNames: Set<string>;
  readonly claNames: Set<string>;
  readonly secrets: Map<string, Secret>;
  readonly usedRoutes = new Set<string>();
  readonly usedClas = new Set<string>();
  readonly usedSecrets = new Set<string>();

  constructor(readonly resources: EnvoyResourceSet) {
    this.routeNames = new Set((resources.routes ?? []).map((r) => r.name ?? ''));
    this.clusterNames = new Set((resources.clusters ?? []).map((c) => c.name ?? ''));
    this.claNames = new Set((resources.endpoints ?? []).map((e) => e.clusterName ?? ''));
    this.secrets = new Map((resources.secrets ?? []).map((s) => [s.name ?? '', s]));
  }

  problem(message: string): void {
    this.problems.push(message);
  }

  uniqueNames(kind: string, names: readonly string[]): void {
    const seen = new Set<string>();
    for (const name of names) {
      if (name === '') this.problem(`${kind}: a resource has an empty name`);
      else if (seen.has(name)) this.problem(`${kind}: duplicate name ${JSON.stringify(name)}`);
      seen.add(name);
    }
  }

  clusterRef(where: string, name: string | undefined): void {
    if (name === undefined || name === '') {
      this.problem(`${where}: empty cluster name`);
    } else if (!this.clusterNames.has(name)) {
      this.problem(`${where}: cluster ${JSON.stringify(name)} has no Cluster`);
    }
  }

  secretRef(
    where: string,
    config: SdsSecretConfig | undefined,
    expected: NonNullable<Secret['type']>['$case'],
  ): void {
    if (config === undefined) return;
    const name = config.name ?? '';
    const secret = this.secrets.get(name);
    if (secret === undefined) {
      this.problem(`${where}: SDS secret ${JSON.stringify(name)} has no Secret`);
      return;
    }
    this.usedSecrets.add(name);
    if (secret.type?.$case !== expected) {
      this.problem(
        `${where}: SDS secret ${JSON.stringify(name)} is a ${secret.type?.$case ?? 'secret with no type'}, expected ${expected}`,
      );
    }
  }

  commonTls(where: string, common: CommonTlsContext | undefined): void {
    if (common === undefined) return;
    (common.tlsCertificateSdsSecretConfigs ?? []).forEach((config, i) => {
      this.secretRef(`${where} tls_certificate_sds_secret_configs[${i}]`, config, 'tlsCertificate');
    });
    const validation = common.validationContextType;
    if (validation?.$case === 'validationContextSdsSecretConfig') {
      this.secretRef(`${where} validation_context_sds_secret_config`, validation.value, 'validationContext');
    } else if (validation?.$case === 'combinedValidationContext') {
      this.secretRef(
        `${where} combined_validation_context.validation_context_sds_secret_config`,
        validation.value.validationContextSdsSecretConfig,
        'validationContext',
      );
    }
  }

  transportSocket(where: string, socket: TransportSocket | undefined, side: 'downstream' | 'upstream'): void {
    const any = typedConfig(socket ?? {});
    if (side === 'downstream') {
      const tls = decodeAs(any, DownstreamTlsContext);
      if (tls === undefined) return;
      this.commonTls(`${where} (DownstreamTlsContext)`, tls.commonTlsContext);
      const tickets = tls.sessionTicketKeysType;
      if (tickets?.$case === 'sessionTicketKeysSdsSecretConfig') {
        this.secretRef(`${where} session_ticket_keys_sds_secret_config`, tickets.value, 'sessionTicketKeys');
      }
    } else {
      const tls = decodeAs(any, UpstreamTlsContext);
      if (tls !== undefined) this.commonTls(`${where} (UpstreamTlsContext)`, tls.commonTlsContext);
    }
  }

  routeConfiguration(where: string, config: RouteConfiguration): void {
    const domains = new Map<string, string>();
    (config.virtualHosts ?? []).forEach((vhost, v) => {
      const vwhere = `${where} virtual_hosts[${v}] ${JSON.stringify(vhost.name ?? '')}`;
      for (const domain of vhost.domains ?? []) {
        const key = domain.toLowerCase();
        const owner = domains.get(key);
        if (owner !== undefined) {
          this.problem(
            key === '*'
              ? `${vwhere}: only one wildcard domain "*" is permitted (also in ${owner})`
              : `${vwhere}: duplicate domain ${JSON.stringify(domain)} (also in ${owner})`,
          );
        } else {
          domains.set(key, JSON.stringify(vhost.name ?? ''));
        }
      }
      this.mirrors(vwhere, vhost.requestMirrorPolicies);
      (vhost.routes ?? []).forEach((route, r) => {
        const action = route.action;
        if (action?.$case !== 'route') return;
        const rwhere = `${vwhere} routes[${r}]`;
        const spec = action.value.clusterSpecifier;
        if (spec?.$case === 'cluster') this.clusterRef(`${rwhere} route.cluster`, spec.value);
        if (spec?.$case === 'weightedClusters') {
          (spec.value.clusters ?? []).forEach((weighted, w) => {
            if (weighted.clusterHeader !== undefined && weighted.clusterHeader !== '') return;
            this.clusterRef(`${rwhere} route.weighted_clusters.clusters[${w}]`, weighted.name);
          });
        }
        this.mirrors(`${rwhere} route`, action.value.requestMirrorPolicies);
      });
    });
  }

  mirrors(where: string, policies: readonly RouteAction_RequestMirrorPolicy[] | undefined): void {
    (policies ?? []).forEach((policy, i) => {
      if (policy.clusterHeader !== undefined && policy.clusterHeader !== '') return;
      this.clusterRef(`${where} request_mirror_policies[${i}]`, policy.cluster);
    });
  }

  httpConnectionManager(where: string, hcm: HttpConnectionManager): void {
    if ((hcm.statPrefix ?? '') === '') this.problem(`${where}: HttpConnectionManager stat_prefix is empty`);
    const spec = hcm.routeSpecifier;
    if (spec?.$case === 'rds') {
      const name = spec.value.routeConfigName ?? '';
      if (this.routeNames.has(name)) this.usedRoutes.add(name);
      else this.problem(`${where}: rds route_config_name ${JSON.stringify(name)} has no RouteConfiguration`);
    } else if (spec?.$case === 'routeConfig') {
      this.routeConfiguration(`${where} route_config`, spec.value);
    } else if (spec === undefined) {
      this.problem(`${where}: HttpConnectionManager has no route specifier`);
    }
    const filters = hcm.httpFilters ?? [];
    const names = new Set<string>();
    let routers = 0;
    filters.forEach((filter, i) => {
      const name = filter.name ?? '';
      if (names.has(name)) this.problem(`${where}: duplicate http filter name ${JSON.stringify(name)}`);
      names.add(name);
      // Clusters HTTP filters call out to: the authorization server and remote JWKS hosts.
      const any = typedConfig(filter);
      const authz = decodeAs(any, ExtAuthz);
      const service = authz?.services;
      if (service?.$case === 'grpcService' && service.value.targetSpecifier?.$case === 'envoyGrpc')
        this.clusterRef(`${where} ${name} grpc_service`, service.value.targetSpecifier.value.clusterName);
      if (service?.$case === 'httpService') {
        const upstream = service.value.serverUri?.httpUpstreamType;
        this.clusterRef(
          `${where} ${name} http_service`,
          upstream?.$case === 'cluster' ? upstream.value : undefined,
        );
      }
      const limiter = decodeAs(any, RateLimitFilter)?.rateLimitService?.grpcService?.targetSpecifier;
      if (limiter?.$case === 'envoyGrpc')
        this.clusterRef(`${where} ${name} rate_limit_service`, limiter.value.clusterName);
      const jwt = decodeAs(any, JwtAuthentication);
      for (const [provider, config] of Object.entries(jwt?.providers ?? {})) {
        const source = config.jwksSourceSpecifier;
        if (source?.$case === 'remoteJwks') {
          const upstream = source.value.httpUri?.httpUpstreamType;
          this.clusterRef(
            `${where} ${name} provider ${provider}`,
            upstream?.$case === 'cluster' ? upstream.value : undefined,
          );
        }
      }
      if (isFilterOfType(filter, Router.$type, ROUTER_NAME)) {
        routers++;
        if (i !== filters.length - 1) {
          this.problem(
            `${where}: router filter ${JSON.stringify(name)} is at http_filters[${i}], it must be last`,
          );
        }
      }
    });
    if (routers === 0) this.problem(`${where}: no router filter in http_filters`);
    if (routers > 1) this.problem(`${where}: ${routers} router filters in http_filters, expected one`);
  }

  networkFilters(where: string, filters: readonly Filter[]): void {
    if (filters.length === 0) {
      this.problem(`${where}: no network filters (the last one must be terminal)`);
      return;
    }
    filters.forEach((filter, i) => {
      const fwhere = `${where} filters[${i}] ${JSON.stringify(filter.name ?? '')}`;
      const isHcm = isFilterOfType(filter, HttpConnectionManagerCodec.$type, HCM_NAME);
      const isTcp = isFilterOfType(filter, TcpProxy.$type, TCP_PROXY_NAME);
      const last = i === filters.length - 1;
      if ((isHcm || isTcp) && !last)
        this.problem(`${fwhere}: terminal filter must be the last network filter`);
      if (!isHcm && !isTcp && last)
        this.problem(`${fwhere}: last network filter is not terminal (HCM or tcp_proxy)`);
      const any = typedConfig(filter);
      const hcm = decodeAs(any, HttpConnectionManagerCodec);
      if (hcm !== undefined) this.httpConnectionManager(fwhere, hcm);
      const tcp = decodeAs(any, TcpProxy);
      if (tcp !== undefined) {
        const spec = tcp.clusterSpecifier;
        if (spec?.$case === 'cluster') this.clusterRef(`${fwhere} cluster`, spec.value);
        else if (spec?.$case === 'weightedClusters') {
          (spec.value.clusters ?? []).forEach((c, w) => {
            this.clusterRef(`${fwhere} weighted_clusters.clusters[${w}]`, c.name);
          });
        }
      }
    });
  }

  listeners(listeners: readonly Listener[]): void {
    const addresses = new Map<string, string>();
    for (const listener of listeners) {
      const where = `listener ${JSON.stringify(listener.name ?? '')}`;
      const all = [listener.address, ...(listener.additionalAddresses ?? []).map((a) => a.address)];
      for (const address of all) {
        const key = addressKey(address);
        if (key === undefined) continue;
        const owner = addresses.get(key);
        if (owner !== undefined)
          this.problem(`${where}: address ${describeAddress(address)} is also used by ${owner}`);
        else addresses.set(key, where);
      }
      const internal = listener.listenerSpecifier?.$case === 'internalListener';
      if (listener.address === undefined && listener.apiListener === undefined && !internal) {
        this.problem(`${where}: no address (only internal and API listeners may omit it)`);
      }
      const chains: Array<[string, FilterChain]> = (listener.filterChains ?? []).map((c, i) => [
        `${where} filter_chains[${i}]${c.name ? ` ${JSON.stringify(c.name)}` : ''}`,
        c,
      ]);
      if (
        listener.apiListener === undefined &&
        chains.length === 0 &&
        listener.defaultFilterChain === undefined
      ) {
        this.problem(`${where}: no filter chains`);
      }
      if (listener.filterChainMatcher === undefined) {
        const claimed = new Map<string, string>();
        for (const [cwhere, chain] of chains) {
          for (const key of filterChainMatchKeys(chain.filterChainMatch)) {
            const owner = claimed.get(key);
            if (owner !== undefined) {
              this.problem(`${cwhere}: filter_chain_match overlaps ${owner} (same matching rules)`);
              break;
            }
            claimed.set(key, cwhere);
          }
        }
      }
      if (listener.defaultFilterChain !== undefined) {
        chains.push([`${where} default_filter_chain`, listener.defaultFilterChain]);
      }
      for (const [cwhere, chain] of chains) {
        this.networkFilters(cwhere, chain.filters ?? []);
        this.transportSocket(`${cwhere} transport_socket`, chain.transportSocket, 'downstream');
      }
    }
  }

  endpointAddresses(where: string, cla: ClusterLoadAssignment): void {
    (cla.endpoints ?? []).forEach((locality, l) => {
      (locality.lbEndpoints ?? []).forEach((lb, e) => {
        const ewhere = `${where} endpoints[${l}].lb_endpoints[${e}]`;
        const host = lb.hostIdentifier;
        if (host?.$case !== 'endpoint') {
          this.problem(`${ewhere}: expected an endpoint with an address, got ${host?.$case ?? 'nothing'}`);
          return;
        }
        const address = host.value.address?.address;
        if (address?.$case !== 'socketAddress') {
          this.problem(`${ewhere}: endpoint address must be a socket_address`);
          return;
        }
        const ip = address.value.address ?? '';
        if (isIP(ip) === 0)
          this.problem(`${ewhere}: endpoint address ${JSON.stringify(ip)} is not an IP literal`);
        if (address.value.portSpecifier?.$case !== 'portValue') {
          this.problem(`${ewhere}: endpoint ${JSON.stringify(ip)} needs a port_value`);
        }
      });
    });
  }

  clusters(clusters: readonly Cluster[]): void {
    for (const cluster of clusters) {
      const name = cluster.name ?? '';
      const where = `cluster ${JSON.stringify(name)}`;
      const discovery = cluster.clusterDiscoveryType;
      const type = discovery?.$case === 'type' ? discovery.value : discovery === undefined ? 0 : undefined;
      if (type === Cluster_DiscoveryType.EDS) {
        const service = cluster.edsClusterConfig?.serviceName || name;
        if (this.claNames.has(service)) this.usedClas.add(service);
        else this.problem(`${where}: EDS service ${JSON.stringify(service)} has no ClusterLoadAssignment`);
      }
      if (type === Cluster_DiscoveryType.STATIC && cluster.loadAssignment !== undefined) {
        this.endpointAddresses(`${where} load_assignment`, cluster.loadAssignment);
      }
      this.transportSocket(`${where} transport_socket`, cluster.transportSocket, 'upstream');
      (cluster.transportSocketMatches ?? []).forEach((match, i) => {
        this.transportSocket(`${where} transport_socket_matches[${i}]`, match.transportSocket, 'upstream');
      });
    }
  }

  run(): void {
    const r = this.resources;
    this.uniqueNames(
      'listeners',
      (r.listeners ?? []).map((x) => x.name ?? ''),
    );
    this.uniqueNames(
      'routes',
      (r.routes ?? []).map((x) => x.name ?? ''),
    );
    this.uniqueNames(
      'clusters',
      (r.clusters ?? []).map((x) => x.name ?? ''),
    );
    this.uniqueNames(
      'endpoints',
      (r.endpoints ?? []).map((x) => x.clusterName ?? ''),
    );
    this.uniqueNames(
      'secrets',
      (r.secrets ?? []).map((x) => x.name ?? ''),
    );
    this.listeners(r.listeners ?? []);
    for (const route of r.routes ?? [])
      this.routeConfiguration(`route ${JSON.stringify(route.name ?? '')}`, route);
    this.clusters(r.clusters ?? []);
    for (const cla of r.endpoints ?? []) {
      this.endpointAddresses(`endpoints ${JSON.stringify(cla.clusterName ?? '')}`, cla);
    }
    for (const name of this.routeNames) {
      if (!this.usedRoutes.has(name))
        this.problem(`route ${JSON.stringify(name)}: unreferenced RouteConfiguration`);
    }
    for (const name of this.claNames) {
      if (!this.usedClas.has(name))
        this.problem(`endpoints ${JSON.stringify(name)}: unreferenced ClusterLoadAssignment`);
    }
    for (const name of this.secrets.keys()) {
      if (!this.usedSecrets.has(name)) this.problem(`secret ${JSON.stringify(name)}: unreferenced Secret`);
    }
  }
}

/**
 * Cross-resource checks on a set of xDS resources: uniqueness, HCM/filter-chain structure, EDS endpoint
 * addresses and reference closure in both directions (dangling and unreferenced).
 */
export function checkEnvoySemantics(resources: EnvoyResourceSet): SemanticsReport {
  const checker = new Checker(resources);
  checker.run();
  return { problems: checker.problems };
}
