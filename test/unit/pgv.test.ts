import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { Cluster, Cluster_DiscoveryType } from '../../src/xds-types/envoy/config/cluster/v3/cluster.js';
import { SocketAddress } from '../../src/xds-types/envoy/config/core/v3/address.js';
import { HeaderValueOption, Metadata } from '../../src/xds-types/envoy/config/core/v3/base.js';
import { ApiVersion, ConfigSource } from '../../src/xds-types/envoy/config/core/v3/config_source.js';
import {
  SchemeHeaderTransformation,
  UpstreamHttpProtocolOptions,
} from '../../src/xds-types/envoy/config/core/v3/protocol.js';
import { ClusterLoadAssignment } from '../../src/xds-types/envoy/config/endpoint/v3/endpoint.js';
import { LocalityLbEndpoints } from '../../src/xds-types/envoy/config/endpoint/v3/endpoint_components.js';
import { Listener } from '../../src/xds-types/envoy/config/listener/v3/listener.js';
import { Filter } from '../../src/xds-types/envoy/config/listener/v3/listener_components.js';
import { RouteConfiguration } from '../../src/xds-types/envoy/config/route/v3/route.js';
import {
  HeaderMatcher,
  RouteAction,
  VirtualHost,
  WeightedCluster,
} from '../../src/xds-types/envoy/config/route/v3/route_components.js';
import { Router } from '../../src/xds-types/envoy/extensions/filters/http/router/v3/router.js';
import {
  HttpConnectionManager,
  type HttpFilter,
} from '../../src/xds-types/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.js';
import { TcpProxy } from '../../src/xds-types/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.js';
import { Secret } from '../../src/xds-types/envoy/extensions/transport_sockets/tls/v3/secret.js';
import {
  DownstreamTlsContext,
  UpstreamTlsContext,
} from '../../src/xds-types/envoy/extensions/transport_sockets/tls/v3/tls.js';
import { HttpStatus } from '../../src/xds-types/envoy/type/v3/http_status.js';
import type { Any } from '../../src/xds-types/google/protobuf/any.js';
import { messageTypeRegistry } from '../../src/xds-types/typeRegistry.js';
import {
  assertEnvoyAccepts,
  checkEnvoySemantics,
  checkRoundTrip,
  type EnvoyResourceSet,
  ruleInventory,
  supportedRuleKinds,
  supportedValidateOptions,
  type Violation,
  validateMessage,
} from '../support/pgv.js';
import { allMessageTypes, findMessageType, protoRoot } from '../support/proto-root.js';

interface Codec<T> {
  readonly $type: string;
  encode(message: T): { finish(): Uint8Array };
  toJSON(message: T): unknown;
}

/** validateMessage on a generated message, via its canonical JSON. */
function violationsOf<T>(codec: Codec<T>, message: T): Violation[] {
  return validateMessage(codec.$type, codec.toJSON(message));
}

/** Just the (path, rule) pairs, sorted, for exact assertions. */
function pairs(violations: readonly Violation[]): string[] {
  return violations.map((v) => `${v.path} ${v.rule}`).sort();
}

function pack<T>(codec: Codec<T>, message: T): Any {
  return { typeUrl: `type.googleapis.com/${codec.$type}`, value: codec.encode(message).finish() };
}

const ads = (): ConfigSource =>
  ConfigSource.fromPartial({
    configSourceSpecifier: { $case: 'ads', value: {} },
    resourceApiVersion: ApiVersion.V3,
  });

const routerFilter = (): HttpFilter => ({
  name: 'envoy.filters.http.router',
  configType: { $case: 'typedConfig', value: pack(Router, Router.fromPartial({})) },
});

function hcm(overrides: Partial<HttpConnectionManager> = {}): HttpConnectionManager {
  return HttpConnectionManager.fromPartial({
    statPrefix: 'ingress_http',
    routeSpecifier: { $case: 'rds', value: { routeConfigName: 'routes', configSource: ads() } },
    httpFilters: [routerFilter()],
    ...overrides,
  });
}

function listener(name: string, port: number, manager: HttpConnectionManager): Listener {
  return Listener.fromPartial({
    name,
    address: {
      address: {
        $case: 'socketAddress',
        value: { address: '0.0.0.0', portSpecifier: { $case: 'portValue', value: port } },
      },
    },
    filterChains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            configType: { $case: 'typedConfig', value: pack(HttpConnectionManager, manager) },
          },
        ],
        transportSocket: {
          name: 'envoy.transport_sockets.tls',
          configType: {
            $case: 'typedConfig',
            value: pack(
              DownstreamTlsContext,
              DownstreamTlsContext.fromPartial({
                commonTlsContext: {
                  tlsCertificateSdsSecretConfigs: [{ name: 'tls-cert', sdsConfig: ads() }],
                },
              }),
            ),
          },
        },
      },
    ],
  });
}

function routes(
  name: string,
  vhosts: Array<{ name: string; domains: string[]; cluster: string }>,
): RouteConfiguration {
  return RouteConfiguration.fromPartial({
    name,
    virtualHosts: vhosts.map((v) => ({
      name: v.name,
      domains: v.domains,
      routes: [
        {
          match: { pathSpecifier: { $case: 'prefix', value: '/' } },
          action: { $case: 'route', value: { clusterSpecifier: { $case: 'cluster', value: v.cluster } } },
        },
      ],
    })),
  });
}

function edsCluster(name: string): Cluster {
  return Cluster.fromPartial({
    name,
    clusterDiscoveryType: { $case: 'type', value: Cluster_DiscoveryType.EDS },
    edsClusterConfig: { edsConfig: ads(), serviceName: name },
    connectTimeout: { seconds: 5, nanos: 0 },
  });
}

function endpoints(name: string, ip: string, port: number): ClusterLoadAssignment {
  return ClusterLoadAssignment.fromPartial({
    clusterName: name,
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
                    value: { address: ip, portSpecifier: { $case: 'portValue', value: port } },
                  },
                },
              },
            },
          },
        ],
      },
    ],
  });
}

function secret(name: string): Secret {
  return Secret.fromPartial({
    name,
    type: {
      $case: 'tlsCertificate',
      value: {
        certificateChain: { specifier: { $case: 'inlineString', value: 'CERT' } },
        privateKey: { specifier: { $case: 'inlineString', value: 'KEY' } },
      },
    },
  });
}

/** A small, complete, valid set: one TLS listener → RDS → one EDS cluster → endpoints, plus its secret. */
interface ResourceLists extends EnvoyResourceSet {
  listeners: Listener[];
  routes: RouteConfiguration[];
  clusters: Cluster[];
  endpoints: ClusterLoadAssignment[];
  secrets: Secret[];
}

function goodResources(): ResourceLists {
  return {
    listeners: [listener('https', 443, hcm())],
    routes: [routes('routes', [{ name: 'default', domains: ['*'], cluster: 'svc' }])],
    clusters: [edsCluster('svc')],
    endpoints: [endpoints('svc', '10.0.0.1', 8080)],
    secrets: [secret('tls-cert')],
  };
}

describe('validateMessage: known-good messages', () => {
  it('accepts a valid resource of every kind', () => {
    const good = goodResources();
    expect(violationsOf(Listener, good.listeners[0] as Listener)).toEqual([]);
    expect(violationsOf(RouteConfiguration, good.routes[0] as RouteConfiguration)).toEqual([]);
    expect(violationsOf(Cluster, good.clusters[0] as Cluster)).toEqual([]);
    expect(violationsOf(ClusterLoadAssignment, good.endpoints[0] as ClusterLoadAssignment)).toEqual([]);
    expect(violationsOf(Secret, good.secrets[0] as Secret)).toEqual([]);
  });

  it('accepts the boundary values of the rules it is tested with below', () => {
    expect(
      violationsOf(SocketAddress, { address: '::1', portSpecifier: { $case: 'portValue', value: 65535 } }),
    ).toEqual([]);
    expect(
      violationsOf(
        LocalityLbEndpoints,
        LocalityLbEndpoints.fromPartial({ loadBalancingWeight: 1, priority: 128 }),
      ),
    ).toEqual([]);
    // an absent wrapper carries no value, so its uint32 rules do not apply
    expect(violationsOf(LocalityLbEndpoints, LocalityLbEndpoints.fromPartial({}))).toEqual([]);
    expect(violationsOf(Cluster, { ...edsCluster('c'), connectTimeout: { seconds: 0, nanos: 1 } })).toEqual(
      [],
    );
    expect(
      violationsOf(
        HeaderMatcher,
        HeaderMatcher.fromPartial({
          name: ':authority',
          headerMatchSpecifier: {
            $case: 'stringMatch',
            value: { matchPattern: { $case: 'exact', value: 'example.com' } },
          },
        }),
      ),
    ).toEqual([]);
  });
});

describe('validateMessage: PGV rules', () => {
  it('Cluster: empty name (string.min_len) and connect_timeout 0s (duration.gt {})', () => {
    const cluster = { ...edsCluster(''), connectTimeout: { seconds: 0, nanos: 0 } };
    const violations = violationsOf(Cluster, cluster);
    expect(pairs(violations)).toEqual(['connectTimeout duration.gt', 'name string.min_len']);
    expect(violations.find((v) => v.rule === 'duration.gt')?.message).toBe('must be > 0s, got 0s');
  });

  it('an absent implicit-presence string is checked as its default ""', () => {
    const cluster = Cluster.fromPartial({ connectTimeout: { seconds: 1 } });
    expect(pairs(violationsOf(Cluster, cluster))).toEqual(['name string.min_len']);
  });

  it('SocketAddress: port 70000 (uint32.lte) and missing port (oneof required)', () => {
    expect(
      pairs(
        violationsOf(SocketAddress, {
          address: '10.0.0.1',
          portSpecifier: { $case: 'portValue', value: 70000 },
        }),
      ),
    ).toEqual(['portValue uint32.lte']);
    expect(pairs(violationsOf(SocketAddress, { address: '' }))).toEqual([
      'address string.min_len',
      'portSpecifier oneof.required',
    ]);
  });

  it('LocalityLbEndpoints: wrapper load_balancing_weight 0 (uint32.gte) and priority 200 (uint32.lte)', () => {
    const locality = LocalityLbEndpoints.fromPartial({ loadBalancingWeight: 0, priority: 200 });
    expect(pairs(violationsOf(LocalityLbEndpoints, locality))).toEqual([
      'loadBalancingWeight uint32.gte',
      'priority uint32.lte',
    ]);
  });

  it('VirtualHost: empty domains (repeated.min_items), bad items (repeated.items.*)', () => {
    expect(pairs(violationsOf(VirtualHost, VirtualHost.fromPartial({ name: 'vh', domains: [] })))).toEqual([
      'domains repeated.min_items',
    ]);
    const vhost = VirtualHost.fromPartial({
      name: 'vh',
      domains: ['a\nb'],
      requestHeadersToRemove: ['x-ok', ''],
    });
    expect(pairs(violationsOf(VirtualHost, vhost))).toEqual([
      'domains[0] repeated.items.string.well_known_regex',
      'requestHeadersToRemove[1] repeated.items.string.min_len',
    ]);
  });

  it('WeightedCluster: empty clusters, also when nested in a RouteAction', () => {
    expect(pairs(violationsOf(WeightedCluster, WeightedCluster.fromPartial({ clusters: [] })))).toEqual([
      'clusters repeated.min_items',
    ]);
    const action = RouteAction.fromPartial({
      clusterSpecifier: { $case: 'weightedClusters', value: { clusters: [] } },
    });
    expect(pairs(violationsOf(RouteAction, action))).toEqual([
      'weightedClusters.clusters repeated.min_items',
    ]);
  });

  it('RouteAction: no cluster specifier (validate.required oneof); oneof member rules only when set', () => {
    expect(violationsOf(RouteAction, RouteAction.fromPartial({}))).toEqual([
      {
        path: 'clusterSpecifier',
        rule: 'oneof.required',
        message: expect.stringContaining('exactly one of cluster, clusterHeader, weightedClusters'),
      },
    ]);
    // cluster (min_len 1) is a oneof member: checked when set, ignored when another member is set
    expect(
      pairs(
        violationsOf(
          RouteAction,
          RouteAction.fromPartial({ clusterSpecifier: { $case: 'cluster', value: '' } }),
        ),
      ),
    ).toEqual(['cluster string.min_len']);
    expect(
      violationsOf(
        RouteAction,
        RouteAction.fromPartial({
          clusterSpecifier: { $case: 'weightedClusters', value: { clusters: [{ name: 'a', weight: 1 }] } },
        }),
      ),
    ).toEqual([]);
  });

  it('HttpConnectionManager: missing stat_prefix, route specifier and http filter name', () => {
    const manager = HttpConnectionManager.fromPartial({ httpFilters: [{ name: '' }] });
    expect(pairs(violationsOf(HttpConnectionManager, manager))).toEqual([
      'httpFilters[0].name string.min_len',
      'routeSpecifier oneof.required',
      'statPrefix string.min_len',
    ]);
  });

  it('header names: loose check forbids only NUL/CR/LF; strict check uses the RFC 7230 token', () => {
    const matcher = HeaderMatcher.fromPartial({
      name: 'x-foo\nbar',
      headerMatchSpecifier: { $case: 'presentMatch', value: true },
    });
    expect(violationsOf(HeaderMatcher, matcher)).toEqual([
      {
        path: 'name',
        rule: 'string.well_known_regex',
        message: 'must be a valid HTTP header name: no NUL, CR or LF characters',
      },
    ]);
    // strict: false accepts a space, the strict token rule does not
    expect(violationsOf(HeaderMatcher, { ...matcher, name: 'x foo' })).toEqual([]);
    const strict = (value: string) =>
      pairs(
        violationsOf(
          UpstreamHttpProtocolOptions,
          UpstreamHttpProtocolOptions.fromPartial({ overrideAutoSniHeader: value }),
        ),
      );
    expect(strict('x foo')).toEqual(['overrideAutoSniHeader string.well_known_regex']);
    expect(strict(':authority')).toEqual([]);
    // ignore_empty: "" skips the rule entirely
    expect(strict('')).toEqual([]);
  });

  it('message.required, map keys, string.in, enum.not_in on a defaulted enum', () => {
    expect(pairs(violationsOf(HeaderValueOption, HeaderValueOption.fromPartial({})))).toEqual([
      'header message.required',
    ]);
    expect(
      pairs(violationsOf(Metadata, Metadata.fromPartial({ filterMetadata: { '': {}, 'envoy.lb': {} } }))),
    ).toEqual(['filterMetadata[""] map.keys.string.min_len']);
    expect(
      pairs(
        violationsOf(SchemeHeaderTransformation, {
          transformation: { $case: 'schemeToOverwrite', value: 'ftp' },
        }),
      ),
    ).toEqual(['schemeToOverwrite string.in']);
    // HttpStatus.code: defined_only, not_in [0]; absent means 0
    expect(pairs(violationsOf(HttpStatus, HttpStatus.fromPartial({})))).toEqual(['code enum.not_in']);
    expect(violationsOf(HttpStatus, HttpStatus.fromPartial({ code: 404 }))).toEqual([]);
  });

  it('enum.defined_only rejects an undefined number; an unknown name is a JSON error', () => {
    const base = Cluster.toJSON(edsCluster('c')) as Record<string, unknown>;
    expect(pairs(validateMessage(Cluster.$type, { ...base, lbPolicy: 99 }))).toEqual([
      'lbPolicy enum.defined_only',
    ]);
    expect(pairs(validateMessage(Cluster.$type, { ...base, lbPolicy: 'FASTEST' }))).toEqual([
      'lbPolicy json.enum',
    ]);
  });
});

describe('validateMessage: Any, Envoy durations, deprecation, JSON shape', () => {
  it('an Any with an unknown @type is a violation', () => {
    const json = { name: 'f', typedConfig: { '@type': 'type.googleapis.com/example.Unknown', foo: 1 } };
    expect(validateMessage(Filter.$type, json)).toEqual([
      {
        path: 'typedConfig',
        rule: 'any.unknown_type',
        message: 'Any type "type.googleapis.com/example.Unknown" is not a known message type',
      },
    ]);
    expect(pairs(validateMessage(Filter.$type, { name: 'f', typedConfig: {} }))).toEqual([
      'typedConfig any.type_url',
    ]);
  });

  it('recurses into Any payloads (listener → filter → HCM → http filter)', () => {
    const bad = listener('l', 80, hcm({ statPrefix: '', httpFilters: [{ ...routerFilter(), name: '' }] }));
    expect(pairs(violationsOf(Listener, bad))).toEqual([
      'filterChains[0].filters[0].typedConfig.httpFilters[0].name string.min_len',
      'filterChains[0].filters[0].typedConfig.statPrefix string.min_len',
    ]);
  });

  it('negative and oversized durations break Envoy’s own rule (envoy.duration)', () => {
    const negative = { ...edsCluster('c'), connectTimeout: { seconds: -1, nanos: 0 } };
    expect(pairs(violationsOf(Cluster, negative))).toEqual([
      'connectTimeout duration.gt',
      'connectTimeout envoy.duration',
    ]);
    // drain_timeout has no PGV rule: only Envoy's
    expect(
      pairs(violationsOf(HttpConnectionManager, hcm({ drainTimeout: { seconds: 0, nanos: -500_000_000 } }))),
    ).toEqual(['drainTimeout envoy.duration']);
    expect(
      pairs(violationsOf(HttpConnectionManager, hcm({ drainTimeout: { seconds: 9223372036, nanos: 0 } }))),
    ).toEqual(['drainTimeout envoy.duration']);
    expect(
      violationsOf(HttpConnectionManager, hcm({ drainTimeout: { seconds: 9223372035, nanos: 0 } })),
    ).toEqual([]);
    expect(
      pairs(
        validateMessage(Cluster.$type, {
          ...(Cluster.toJSON(edsCluster('c')) as object),
          connectTimeout: '5m',
        }),
      ),
    ).toEqual(['connectTimeout json.duration']);
  });

  it('reports deprecated fields and deprecated enum values', () => {
    const matcher = HeaderMatcher.fromPartial({
      name: 'x-a',
      headerMatchSpecifier: { $case: 'exactMatch', value: 'b' },
    });
    expect(violationsOf(HeaderMatcher, matcher)).toEqual([
      {
        path: 'exactMatch',
        rule: 'deprecated',
        message: 'field envoy.config.route.v3.HeaderMatcher.exact_match is deprecated',
      },
    ]);
    const v2 = ConfigSource.fromPartial({
      configSourceSpecifier: { $case: 'ads', value: {} },
      resourceApiVersion: ApiVersion.V2,
    });
    expect(violationsOf(ConfigSource, v2)).toEqual([
      {
        path: 'resourceApiVersion',
        rule: 'deprecated',
        message: 'enum value envoy.config.core.v3.ApiVersion.V2 is deprecated',
      },
    ]);
    // HeaderValueOption.append (BoolValue) is deprecated: set, even to false, it is used
    const option = HeaderValueOption.fromPartial({ header: { key: 'x-a', value: 'b' }, append: false });
    expect(pairs(violationsOf(HeaderValueOption, option))).toEqual(['append deprecated']);
  });

  it('reports unknown fields, several oneof members and out-of-range integers', () => {
    expect(pairs(validateMessage(SocketAddress.$type, { address: 'a', portValue: 1, bogus: true }))).toEqual([
      'bogus json.unknown_field',
    ]);
    expect(
      pairs(validateMessage(SocketAddress.$type, { address: 'a', portValue: 1, namedPort: 'http' })),
    ).toEqual(['portSpecifier json.oneof']);
    expect(pairs(validateMessage(SocketAddress.$type, { address: 'a', portValue: -1 }))).toEqual([
      'portValue json.range',
    ]);
    expect(pairs(validateMessage(SocketAddress.$type, { address: 'a', portValue: '8080' }))).toEqual([]);
  });

  it('throws for a type it does not know', () => {
    expect(() => validateMessage('envoy.nope.v3.Nothing', {})).toThrow(/unknown message type/);
  });
});

// Rule kinds Envoy's generated protos do not use (or use rarely) are exercised on messages parsed into the
// shared Root under a private package.
const syntheticProto = `
syntax = "proto3";
package kubexds.pgvtest;
import "validate/validate.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/any.proto";
import "google/protobuf/wrappers.proto";

enum Color { COLOR_UNSET = 0; RED = 1; GREEN = 2; }
message Inner { string id = 1 [(validate.rules).string.min_len = 1]; }
message Rare {
  string email = 1 [(validate.rules).string.email = true];
  string host = 2 [(validate.rules).string = {hostname: true, ignore_empty: true}];
  string ip = 3 [(validate.rules).string = {ip: true, ignore_empty: true}];
  string uuid = 4 [(validate.rules).string = {uuid: true, ignore_empty: true}];
  string text = 5 [(validate.rules).string = {prefix: "a", suffix: "z", contains: "m", not_contains: "x", max_len: 5, len_bytes: 5, ignore_empty: true}];
  string pattern = 6 [(validate.rules).string = {pattern: "^[a-z]+(?:-[a-z]+)*$", ignore_empty: true}];
  bytes raw = 7 [(validate.rules).bytes = {min_len: 2, max_len: 3, ignore_empty: true}];
  int64 big = 8 [(validate.rules).int64 = {gt: -5, lt: 9007199254740991}];
  double ratio = 9 [(validate.rules).double = {gte: 0, lte: 1}];
  sint32 outside = 10 [(validate.rules).sint32 = {lt: 0, gt: 10}];
  uint32 choice = 11 [(validate.rules).uint32 = {in: [1, 2, 3], ignore_empty: true}];
  Color color = 12 [(validate.rules).enum = {in: [1, 2]}];
  google.protobuf.Timestamp at = 13 [(validate.rules).timestamp = {gt: {seconds: 0}, lt: {seconds: 4102444800}}];
  google.protobuf.Duration span = 14 [(validate.rules).duration = {required: true, in: [{seconds: 1}, {seconds: 2}]}];
  repeated string tags = 15 [(validate.rules).repeated = {max_items: 2, unique: true}];
  map<string, Inner> children = 16 [(validate.rules).map = {max_pairs: 1, no_sparse: true, values: {message: {required: true}}}];
  Inner skipped = 17 [(validate.rules).message.skip = true];
  Inner checked = 18;
  google.protobuf.Any any = 19 [(validate.rules).any = {in: ["type.googleapis.com/kubexds.pgvtest.Inner"]}];
  bool flag = 20 [(validate.rules).bool.const = true];
  google.protobuf.StringValue wrapped = 21 [(validate.rules).string = {max_len: 2}];
  optional uint32 maybe = 22 [(validate.rules).uint32.gte = 10];
}
message Off {
  option (validate.disabled) = true;
  string name = 1 [(validate.rules).string.min_len = 1];
  Inner inner = 2;
}
message Unsupported { string s = 1 [(validate.rules).string.fancy_new_rule = 3]; }
message Misfit { string s = 1 [(validate.rules).uint32.gt = 3]; }
message Imprecise { uint64 n = 1 [(validate.rules).uint64.lt = 9007199254740993]; }
`;

let syntheticLoaded = false;
function synthetic(): void {
  if (syntheticLoaded) return;
  protobuf.parse(syntheticProto, protoRoot(), { keepCase: true });
  protoRoot().resolveAll();
  syntheticLoaded = true;
}

const goodRare = {
  email: 'ops@example.com',
  flag: true,
  span: '1s',
  at: '2024-01-01T00:00:00Z',
  big: '9007199254740990',
  color: 'RED',
  outside: -3,
};

describe('validateMessage: rare rule kinds (synthetic messages)', () => {
  it('accepts a message satisfying every rule', () => {
    synthetic();
    expect(validateMessage('kubexds.pgvtest.Rare', goodRare)).toEqual([]);
    expect(
      validateMessage('kubexds.pgvtest.Rare', {
        ...goodRare,
        host: 'api.example.com.',
        ip: '2001:db8::1',
        uuid: '123e4567-e89b-12d3-a456-426614174000',
        text: 'ammez',
        pattern: 'kube-xds',
        raw: 'AAE=',
        ratio: 1,
        choice: 3,
        tags: ['a', 'b'],
        children: { one: { id: 'x' } },
        skipped: { id: '' },
        checked: { id: 'y' },
        any: { '@type': 'type.googleapis.com/kubexds.pgvtest.Inner', id: 'z' },
        wrapped: 'ok',
        maybe: 10,
      }),
    ).toEqual([]);
  });

  it('reports each failing rule at its path', () => {
    synthetic();
    const violations = validateMessage('kubexds.pgvtest.Rare', {
      email: 'not-an-email',
      host: '-bad-.example',
      ip: '999.1.1.1',
      uuid: '1234',
      text: 'abcxyz',
      pattern: 'Kube',
      raw: 'AA==',
      big: '9007199254740991',
      ratio: 1.5,
      outside: 5,
      choice: 7,
      color: 'COLOR_UNSET',
      at: '1969-12-31T23:59:59Z',
      span: '3s',
      tags: ['a', 'a', 'b'],
      children: { one: { id: 'x' }, two: null },
      skipped: { id: '' },
      checked: { id: '' },
      any: { '@type': 'type.googleapis.com/google.protobuf.Duration', value: '1s' },
      flag: false,
      wrapped: 'long',
      maybe: 0,
    });
    expect(pairs(violations)).toEqual(
      [
        'any any.in',
        'at timestamp.gt',
        'big int64.lt',
        'checked.id string.min_len',
        'children map.max_pairs',
        'children["two"] map.no_sparse',
        'children["two"] map.values.message.required',
        'choice uint32.in',
        'color enum.in',
        'email string.email',
        'flag bool.const',
        'host string.hostname',
        'ip string.ip',
        'maybe uint32.gte',
        'outside sint32.gt',
        'pattern string.pattern',
        'ratio double.lte',
        'raw bytes.min_len',
        'span duration.in',
        'tags repeated.max_items',
        'tags[1] repeated.unique',
        'text string.contains',
        'text string.len_bytes',
        'text string.max_len',
        'text string.not_contains',
        'uuid string.uuid',
        'wrapped string.max_len',
      ].sort(),
    );
  });

  it('absent values: required duration, proto3 optional skipped, ignore_empty', () => {
    synthetic();
    const minimal = { email: 'a@b.co', flag: true, color: 1, outside: -1 };
    expect(pairs(validateMessage('kubexds.pgvtest.Rare', minimal))).toEqual(['span duration.required']);
    // an absent sint32 is 0, which the "outside (0, 10)" range rejects
    const { outside: _outside, ...withoutOutside } = minimal;
    expect(pairs(validateMessage('kubexds.pgvtest.Rare', { ...withoutOutside, span: '2s' }))).toEqual([
      'outside sint32.gt',
    ]);
  });

  it('(validate.disabled) turns off the message’s own rules but not its children’s', () => {
    synthetic();
    expect(pairs(validateMessage('kubexds.pgvtest.Off', { name: '', inner: { id: '' } }))).toEqual([
      'inner.id string.min_len',
    ]);
  });

  it('throws on a rule kind it does not implement, or one that does not fit the field', () => {
    synthetic();
    expect(() => validateMessage('kubexds.pgvtest.Unsupported', {})).toThrow(
      /unsupported rule "string.fancy_new_rule" on kubexds.pgvtest.Unsupported.s/,
    );
    expect(() => validateMessage('kubexds.pgvtest.Misfit', {})).toThrow(
      /rule kind "uint32" does not fit string/,
    );
    // 2^53 + 1 cannot be held exactly by the parsed option value: refuse rather than compare approximately
    expect(() => validateMessage('kubexds.pgvtest.Imprecise', {})).toThrow(
      /uint64.lt on kubexds.pgvtest.Imprecise.n holds an integer not exactly representable/,
    );
  });
});

describe('rule coverage', () => {
  const roots = [
    'envoy.config.listener.v3.Listener',
    'envoy.config.route.v3.RouteConfiguration',
    'envoy.config.cluster.v3.Cluster',
    'envoy.config.endpoint.v3.ClusterLoadAssignment',
    'envoy.extensions.transport_sockets.tls.v3.Secret',
    'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    'envoy.extensions.filters.http.router.v3.Router',
    'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
    'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
    'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
    ...[...messageTypeRegistry.keys()].filter(
      (name) =>
        /^envoy\.extensions\.filters\.http\.[a-z_]+\.v3\./.test(name) && findMessageType(name) !== undefined,
    ),
  ];

  it('knows every rule kind on every field reachable from the xDS root types and HTTP filter configs', () => {
    const inventory = ruleInventory(roots); // compiles every field's rules: throws on anything unsupported
    const unknown = [...inventory.kinds.keys()].filter((kind) => !supportedRuleKinds.has(kind));
    expect(unknown).toEqual([]);
    expect(inventory.ruledFields).toBeGreaterThan(300);
    expect(inventory.requiredOneofs).toBeGreaterThan(40);
    // the kinds Envoy's protos use today; a new one shows up here first
    expect([...inventory.kinds.keys()].sort()).toEqual([
      'any.required',
      'bool.const',
      'bytes.max_len',
      'bytes.min_len',
      'double.gt',
      'double.gte',
      'double.lte',
      'duration.gt',
      'duration.gte',
      'duration.lt',
      'duration.lte',
      'duration.required',
      'enum.defined_only',
      'enum.not_in',
      'map.keys',
      'map.min_pairs',
      'message.required',
      'repeated.items',
      'repeated.max_items',
      'repeated.min_items',
      'repeated.unique',
      'string.ignore_empty',
      'string.in',
      'string.max_bytes',
      'string.min_len',
      'string.pattern',
      'string.strict',
      'string.well_known_regex',
      'uint32.gt',
      'uint32.gte',
      'uint32.lt',
      'uint32.lte',
      'uint64.gt',
      'uint64.gte',
      'uint64.lt',
      'uint64.lte',
    ]);
  });

  it('knows every rule kind and validate option on every message in the loaded protos', () => {
    const all = allMessageTypes()
      .map((type) => type.fullName.slice(1))
      .filter((name) => !name.startsWith('kubexds.pgvtest.'));
    const inventory = ruleInventory(all);
    expect([...inventory.kinds.keys()].filter((kind) => !supportedRuleKinds.has(kind))).toEqual([]);
    expect(inventory.types).toBe(all.length);
    // only these validate options exist on fields, messages and oneofs; any other throws during the walk
    expect(supportedValidateOptions).toEqual({
      field: ['(validate.rules)'],
      oneof: ['(validate.required)'],
      message: ['(validate.disabled)', '(validate.ignored)'],
    });
    // validate.proto was patched in memory with StringRules.ignore_empty (as scripts/prepare-protos.mjs does)
    expect(findMessageType('validate.StringRules')?.fields.ignore_empty?.id).toBe(26);
  });

  it('loads every message the generated codecs register', () => {
    // ts-proto also registers map entry messages (FooEntry), which protobufjs models as map fields
    const isMapEntry = (name: string): boolean => {
      const dot = name.lastIndexOf('.');
      const parent = findMessageType(name.slice(0, dot));
      const entry = name.slice(dot + 1);
      return (
        parent?.fieldsArray.some(
          (f) =>
            f.map &&
            `${f.name.replace(/(^|_)([a-z])/g, (_m, _u, c: string) => c.toUpperCase())}Entry` === entry,
        ) === true
      );
    };
    const missing = [...messageTypeRegistry.keys()].filter(
      (name) => findMessageType(name) === undefined && !isMapEntry(name),
    );
    expect(missing).toEqual([]);
  });
});

describe('checkRoundTrip', () => {
  it('passes for generated messages', () => {
    const good = goodResources();
    expect(checkRoundTrip(Listener.$type, good.listeners[0])).toEqual([]);
    expect(checkRoundTrip(Cluster.$type, good.clusters[0])).toEqual([]);
    expect(checkRoundTrip(ClusterLoadAssignment.$type, good.endpoints[0])).toEqual([]);
  });

  it('reports values that do not survive encoding', () => {
    const fractional = { address: '10.0.0.1', portSpecifier: { $case: 'portValue', value: 80.5 } };
    expect(checkRoundTrip(SocketAddress.$type, fractional)).toEqual([
      `${SocketAddress.$type}: round trip threw: invalid uint32: 80.5`,
    ]);
    expect(checkRoundTrip(Cluster.$type, { name: 'bad\uD800' })).toContain(
      `${Cluster.$type}: toJSON differs after a binary round trip`,
    );
    expect(checkRoundTrip('envoy.nope.v3.Nothing', {})).toEqual([
      'envoy.nope.v3.Nothing: no generated codec in messageTypeRegistry',
    ]);
  });
});

describe('checkEnvoySemantics', () => {
  it('accepts a closed, consistent set', () => {
    expect(checkEnvoySemantics(goodResources()).problems).toEqual([]);
  });

  it('dangling route config: the RDS name has no RouteConfiguration (and the real one is unreferenced)', () => {
    const set = goodResources();
    set.listeners = [
      listener(
        'https',
        443,
        hcm({ routeSpecifier: { $case: 'rds', value: { routeConfigName: 'missing', configSource: ads() } } }),
      ),
    ];
    expect(checkEnvoySemantics(set).problems).toEqual([
      'listener "https" filter_chains[0] filters[0] "envoy.filters.network.http_connection_manager": rds route_config_name "missing" has no RouteConfiguration',
      'route "routes": unreferenced RouteConfiguration',
    ]);
  });

  it('dangling cluster from a route, a weighted cluster and a mirror policy', () => {
    const set = goodResources();
    const config = routes('routes', [{ name: 'default', domains: ['*'], cluster: 'nope' }]);
    const route = config.virtualHosts?.[0]?.routes?.[0];
    if (route?.action?.$case !== 'route') throw new Error('fixture');
    route.action.value.requestMirrorPolicies = [{ cluster: 'shadow' }];
    config.virtualHosts?.[0]?.routes?.push({
      match: { pathSpecifier: { $case: 'prefix', value: '/w' } },
      action: {
        $case: 'route',
        value: {
          clusterSpecifier: {
            $case: 'weightedClusters',
            value: { clusters: [{ name: 'svc' }, { name: 'gone' }] },
          },
        },
      },
    });
    set.routes = [config];
    expect(checkEnvoySemantics(set).problems).toEqual([
      'route "routes" virtual_hosts[0] "default" routes[0] route.cluster: cluster "nope" has no Cluster',
      'route "routes" virtual_hosts[0] "default" routes[0] route request_mirror_policies[0]: cluster "shadow" has no Cluster',
      'route "routes" virtual_hosts[0] "default" routes[1] route.weighted_clusters.clusters[1]: cluster "gone" has no Cluster',
    ]);
  });

  it('router filter not last, missing or repeated; duplicate http filter names', () => {
    const other: HttpFilter = { name: 'envoy.filters.http.cors', configType: undefined };
    const problems = (filters: HttpFilter[]) => {
      const set = goodResources();
      set.listeners = [listener('https', 443, hcm({ httpFilters: filters }))];
      return checkEnvoySemantics(set).problems;
    };
    const where =
      'listener "https" filter_chains[0] filters[0] "envoy.filters.network.http_connection_manager"';
    expect(problems([routerFilter(), other])).toEqual([
      `${where}: router filter "envoy.filters.http.router" is at http_filters[0], it must be last`,
    ]);
    expect(problems([other])).toEqual([`${where}: no router filter in http_filters`]);
    expect(problems([{ ...routerFilter(), name: 'r1' }, routerFilter()])).toEqual([
      `${where}: router filter "r1" is at http_filters[0], it must be last`,
      `${where}: 2 router filters in http_filters, expected one`,
    ]);
    expect(problems([other, other, routerFilter()])).toEqual([
      `${where}: duplicate http filter name "envoy.filters.http.cors"`,
    ]);
  });

  it('duplicate domains across virtual hosts, and a second "*"', () => {
    const set = goodResources();
    set.routes = [
      routes('routes', [
        { name: 'a', domains: ['Example.com', '*'], cluster: 'svc' },
        { name: 'b', domains: ['example.COM', 'other.com'], cluster: 'svc' },
        { name: 'c', domains: ['*'], cluster: 'svc' },
      ]),
    ];
    expect(checkEnvoySemantics(set).problems).toEqual([
      'route "routes" virtual_hosts[1] "b": duplicate domain "example.COM" (also in "a")',
      'route "routes" virtual_hosts[2] "c": only one wildcard domain "*" is permitted (also in "a")',
    ]);
  });

  it('EDS, SDS and endpoint checks; unreferenced endpoints and secrets', () => {
    const set = goodResources();
    set.clusters = [edsCluster('svc'), edsCluster('lonely')];
    set.endpoints = [endpoints('svc', 'backend.local', 8080), endpoints('orphan', '10.0.0.2', 80)];
    set.secrets = [secret('tls-cert'), secret('unused')];
    const upstream = pack(
      UpstreamTlsContext,
      UpstreamTlsContext.fromPartial({
        commonTlsContext: {
          validationContextType: {
            $case: 'validationContextSdsSecretConfig',
            value: { name: 'tls-cert', sdsConfig: ads() },
          },
        },
      }),
    );
    (set.clusters[0] as Cluster).transportSocket = {
      name: 'envoy.transport_sockets.tls',
      configType: { $case: 'typedConfig', value: upstream },
    };
    expect(checkEnvoySemantics(set).problems).toEqual([
      'cluster "svc" transport_socket (UpstreamTlsContext) validation_context_sds_secret_config: SDS secret "tls-cert" is a tlsCertificate, expected validationContext',
      'cluster "lonely": EDS service "lonely" has no ClusterLoadAssignment',
      'endpoints "svc" endpoints[0].lb_endpoints[0]: endpoint address "backend.local" is not an IP literal',
      'endpoints "orphan": unreferenced ClusterLoadAssignment',
      'secret "unused": unreferenced Secret',
    ]);
  });

  it('listener structure: unique names and addresses, terminal last filter, unique filter chain matches', () => {
    const set = goodResources();
    const a = listener('https', 443, hcm());
    const b = listener('https', 443, hcm());
    const chain = a.filterChains?.[0];
    if (chain === undefined) throw new Error('fixture');
    a.filterChains = [
      { ...chain, filterChainMatch: { serverNames: ['a.example.com', 'b.example.com'] } },
      { ...chain, filterChainMatch: { serverNames: ['b.example.com'] } },
    ];
    const tcp: Filter = {
      name: 'envoy.filters.network.tcp_proxy',
      configType: {
        $case: 'typedConfig',
        value: pack(
          TcpProxy,
          TcpProxy.fromPartial({ statPrefix: 'tcp', clusterSpecifier: { $case: 'cluster', value: 'svc' } }),
        ),
      },
    };
    b.filterChains = [{ ...chain, filters: [tcp, { name: 'envoy.filters.network.rbac' }] }];
    set.listeners = [a, b];
    expect(checkEnvoySemantics(set).problems).toEqual([
      'listeners: duplicate name "https"',
      'listener "https" filter_chains[1]: filter_chain_match overlaps listener "https" filter_chains[0] (same matching rules)',
      'listener "https": address 0.0.0.0:443 is also used by listener "https"',
      'listener "https" filter_chains[0] filters[0] "envoy.filters.network.tcp_proxy": terminal filter must be the last network filter',
      'listener "https" filter_chains[0] filters[1] "envoy.filters.network.rbac": last network filter is not terminal (HCM or tcp_proxy)',
    ]);
  });
});

describe('assertEnvoyAccepts', () => {
  it('passes for a valid set', () => {
    expect(() => assertEnvoyAccepts(goodResources())).not.toThrow();
  });

  it('throws listing every problem, PGV and semantic alike', () => {
    const set = goodResources();
    set.clusters = [{ ...edsCluster('svc'), connectTimeout: { seconds: 0, nanos: 0 } }];
    set.secrets = [...set.secrets, secret('spare')];
    expect(() => assertEnvoyAccepts(set)).toThrow(
      [
        'Envoy would reject these resources (2 problems):',
        '  clusters[0] "svc": connectTimeout: duration.gt: must be > 0s, got 0s',
        '  secret "spare": unreferenced Secret',
      ].join('\n'),
    );
  });
});
