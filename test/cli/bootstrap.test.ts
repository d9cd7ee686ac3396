import { describe, expect, it } from 'vitest';
import { toBootstrap } from '../../src/cli/bootstrap.js';
import type { EnvoyJson } from '../../src/index.js';

const hcmType =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const routerType = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const downstreamTlsType =
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
const ads = { ads: {}, resourceApiVersion: 'V3' };

const routeConfig = {
  name: 'https/shop.example.com',
  virtualHosts: [
    {
      domains: ['shop.example.com'],
      name: 'shop.example.com',
      routes: [{ match: { prefix: '/' }, route: { cluster: 'shop/web/80/da39a3ee5e' } }],
    },
  ],
};

const assignment = {
  clusterName: 'shop/web/http',
  endpoints: [
    {
      lbEndpoints: [
        { endpoint: { address: { socketAddress: { address: '10.244.1.17', portValue: 8080 } } } },
        { endpoint: { address: { socketAddress: { address: 'fd00:10:244:1::28', portValue: 8080 } } } },
      ],
      locality: { zone: 'eu-west-1a' },
    },
  ],
};

const secret = {
  name: 'shop/shop-tls/5f3a1c',
  tlsCertificate: { certificateChain: { inlineBytes: 'Y2VydA==' }, privateKey: { inlineBytes: 'a2V5' } },
};

function input(): EnvoyJson {
  return {
    listeners: [
      {
        address: { socketAddress: { address: '0.0.0.0', portValue: 8443 } },
        filterChains: [
          {
            filterChainMatch: { serverNames: ['shop.example.com'] },
            filters: [
              {
                name: 'envoy.filters.network.http_connection_manager',
                typedConfig: {
                  '@type': hcmType,
                  httpFilters: [{ name: 'envoy.filters.http.router', typedConfig: { '@type': routerType } }],
                  rds: { configSource: ads, routeConfigName: 'https/shop.example.com' },
                  statPrefix: 'https',
                },
              },
            ],
            transportSocket: {
              name: 'envoy.transport_sockets.tls',
              typedConfig: {
                '@type': downstreamTlsType,
                commonTlsContext: {
                  alpnProtocols: ['h2', 'http/1.1'],
                  tlsCertificateSdsSecretConfigs: [{ name: 'shop/shop-tls/5f3a1c', sdsConfig: ads }],
                },
              },
            },
          },
        ],
        name: 'ingress_https',
      },
    ],
    routes: [routeConfig, { name: 'ingress_http', virtualHosts: [] }],
    clusters: [
      {
        connectTimeout: '2s',
        edsClusterConfig: { edsConfig: ads, serviceName: 'shop/web/http' },
        name: 'shop/web/80/da39a3ee5e',
        type: 'EDS',
      },
    ],
    endpoints: [assignment],
    secrets: [secret],
  };
}

describe('toBootstrap', () => {
  it('inlines routes, endpoints and secrets into a static bootstrap', () => {
    expect(toBootstrap(input())).toEqual({
      admin: { address: { socketAddress: { address: '127.0.0.1', portValue: 9001 } } },
      layeredRuntime: {
        layers: [{ name: 'static', staticLayer: { 're2.max_program_size.error_level': 1048576 } }],
      },
      staticResources: {
        listeners: [
          {
            address: { socketAddress: { address: '0.0.0.0', portValue: 8443 } },
            filterChains: [
              {
                filterChainMatch: { serverNames: ['shop.example.com'] },
                filters: [
                  {
                    name: 'envoy.filters.network.http_connection_manager',
                    typedConfig: {
                      '@type': hcmType,
                      httpFilters: [
                        { name: 'envoy.filters.http.router', typedConfig: { '@type': routerType } },
                      ],
                      routeConfig,
                      statPrefix: 'https',
                    },
                  },
                ],
                transportSocket: {
                  name: 'envoy.transport_sockets.tls',
                  typedConfig: {
                    '@type': downstreamTlsType,
                    commonTlsContext: {
                      alpnProtocols: ['h2', 'http/1.1'],
                      tlsCertificateSdsSecretConfigs: [{ name: 'shop/shop-tls/5f3a1c' }],
                    },
                  },
                },
              },
            ],
            name: 'ingress_https',
          },
        ],
        clusters: [
          {
            connectTimeout: '2s',
            loadAssignment: assignment,
            name: 'shop/web/80/da39a3ee5e',
            type: 'STATIC',
          },
        ],
        secrets: [secret],
      },
    });
  });

  it('sorts keys at every level, like toEnvoyJson', () => {
    const sortedKeys = (value: unknown): boolean => {
      if (Array.isArray(value)) return value.every(sortedKeys);
      if (value === null || typeof value !== 'object') return true;
      const keys = Object.keys(value);
      return keys.join('\0') === [...keys].sort().join('\0') && Object.values(value).every(sortedKeys);
    };
    const bootstrap = toBootstrap(input());
    expect(sortedKeys(bootstrap)).toBe(true);
    expect(Object.keys(bootstrap as object)).toEqual(['admin', 'layeredRuntime', 'staticResources']);
  });

  it('does not modify its input', () => {
    const json = input();
    const before = structuredClone(json);
    toBootstrap(json);
    expect(json).toEqual(before);
  });

  it('uses the admin port given', () => {
    const bootstrap = toBootstrap(input(), { adminPort: 19000 }) as { admin: unknown };
    expect(bootstrap.admin).toEqual({
      address: { socketAddress: { address: '127.0.0.1', portValue: 19000 } },
    });
    expect(() => toBootstrap(input(), { adminPort: 70000 })).toThrow(RangeError);
    expect(() => toBootstrap(input(), { adminPort: 1.5 })).toThrow(RangeError);
  });

  it('uses STRICT_DNS when an endpoint is a hostname, and the cluster name when there is no serviceName', () => {
    const json: EnvoyJson = {
      listeners: [],
      routes: [],
      clusters: [{ edsClusterConfig: { edsConfig: ads }, name: 'default/external/443/abc', type: 'EDS' }],
      endpoints: [
        {
          clusterName: 'default/external/443/abc',
          endpoints: [
            {
              lbEndpoints: [
                { endpoint: { address: { socketAddress: { address: 'api.example.net', portValue: 443 } } } },
              ],
            },
          ],
        },
      ],
      secrets: [],
    };
    const bootstrap = toBootstrap(json) as { staticResources: { clusters: unknown[] } };
    expect(bootstrap.staticResources.clusters).toEqual([
      {
        loadAssignment: json.endpoints[0],
        name: 'default/external/443/abc',
        type: 'STRICT_DNS',
      },
    ]);
  });

  it('gives an EDS cluster without a ClusterLoadAssignment no endpoints, and an unknown RDS name an empty route config', () => {
    const json: EnvoyJson = {
      listeners: [
        {
          filterChains: [
            {
              filters: [
                {
                  typedConfig: {
                    '@type': hcmType,
                    rds: { configSource: ads, routeConfigName: 'ingress_http' },
                  },
                },
              ],
            },
          ],
          name: 'ingress_http',
        },
      ],
      routes: [],
      clusters: [
        {
          edsClusterConfig: { edsConfig: ads, serviceName: 'shop/gone/http' },
          name: 'shop/gone/80/abc',
          type: 'EDS',
        },
        { loadAssignment: { clusterName: 'dns' }, name: 'dns', type: 'STRICT_DNS' },
      ],
      endpoints: [],
      secrets: [],
    };
    const bootstrap = toBootstrap(json) as { staticResources: { listeners: unknown[]; clusters: unknown[] } };
    expect(bootstrap.staticResources.clusters).toEqual([
      { loadAssignment: { clusterName: 'shop/gone/http' }, name: 'shop/gone/80/abc', type: 'STATIC' },
      { loadAssignment: { clusterName: 'dns' }, name: 'dns', type: 'STRICT_DNS' },
    ]);
    expect(bootstrap.staticResources.listeners).toEqual([
      {
        filterChains: [
          { filters: [{ typedConfig: { '@type': hcmType, routeConfig: { name: 'ingress_http' } } }] },
        ],
        name: 'ingress_http',
      },
    ]);
  });

  it('leaves fields named rds or sdsConfig alone outside HCMs and TLS contexts', () => {
    const json: EnvoyJson = {
      listeners: [
        { name: 'other', metadata: { rds: 1, tlsCertificateSdsSecretConfigs: [{ sdsConfig: 2 }] } },
      ],
      routes: [],
      clusters: [],
      endpoints: [],
      secrets: [],
    };
    const bootstrap = toBootstrap(json) as { staticResources: { listeners: unknown[] } };
    expect(bootstrap.staticResources.listeners).toEqual(json.listeners);
  });
});
