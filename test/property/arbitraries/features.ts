/**
 * What a snapshot contains and what its translation produced, as feature names, so a test can check
 * that the generators keep producing every case (a generator that silently stops producing TLS
 * Ingresses would make every TLS law vacuous).
 */
import type { TranslateResult } from '../../../src/index.js';

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function get(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) current = isRecord(current) ? current[key] : undefined;
  return current;
}

const regexChars = /[\^+*[\]%]/;

function ingressFeatures(object: Json, add: (feature: string) => void): void {
  const spec = get(object, 'spec');
  const annotations = get(object, 'metadata', 'annotations');
  if (list(get(spec, 'tls')).length > 0) add('ingress: TLS entry');
  if (get(spec, 'defaultBackend') !== undefined) add('ingress: default backend');
  if (get(spec, 'ingressClassName') !== undefined) add('ingress: ingressClassName');
  for (const rule of list(get(spec, 'rules'))) {
    const host = get(rule, 'host');
    if (typeof host === 'string' && host.startsWith('*.')) add('ingress: wildcard host');
    if (host === undefined) add('ingress: rule without host');
    for (const path of list(get(rule, 'http', 'paths'))) {
      const type = get(path, 'pathType');
      const value = get(path, 'path');
      add(`ingress: pathType ${String(type)}`);
      if (type === 'ImplementationSpecific' && typeof value === 'string' && regexChars.test(value)) {
        add('ingress: regex path');
      }
      if (get(path, 'backend', 'service', 'port', 'name') !== undefined) add('ingress: backend port by name');
    }
  }
  if (isRecord(annotations)) {
    const has = (key: string) => annotations[key] !== undefined;
    if (annotations['ingress.kubernetes.io/force-ssl-redirect'] === 'true')
      add('annotation: force-ssl-redirect');
    if (has('projectcontour.io/response-timeout') || has('projectcontour.io/request-timeout'))
      add('annotation: timeout');
    if (has('projectcontour.io/retry-on')) add('annotation: retry-on');
    if (has('projectcontour.io/websocket-routes')) add('annotation: websocket-routes');
    if (
      has('projectcontour.io/tls-minimum-protocol-version') ||
      has('projectcontour.io/tls-maximum-protocol-version')
    ) {
      add('annotation: TLS version');
    }
  }
}

/** Features of the input objects. */
export function inputFeatures(objects: readonly unknown[]): Set<string> {
  const features = new Set<string>();
  const add = (feature: string) => void features.add(feature);
  for (const object of objects) {
    if (!isRecord(object)) continue;
    switch (object.kind) {
      case 'Ingress':
        ingressFeatures(object, add);
        break;
      case 'IngressClass':
        add('IngressClass');
        if (
          get(object, 'metadata', 'annotations', 'ingressclass.kubernetes.io/is-default-class') === 'true'
        ) {
          add('IngressClass: default');
        }
        break;
      case 'TLSCertificateDelegation':
        add('TLSCertificateDelegation');
        break;
      case 'Service':
        if (get(object, 'spec', 'type') === 'ExternalName') add('Service: ExternalName');
        for (const port of list(get(object, 'spec', 'ports'))) {
          add(port.name === undefined ? 'Service: unnamed port' : 'Service: named port');
          if (port.appProtocol !== undefined) add('Service: appProtocol');
        }
        break;
      case 'EndpointSlice':
        if (object.addressType === 'IPv6') add('EndpointSlice: IPv6');
        if (object.addressType === 'IPv4') add('EndpointSlice: IPv4');
        for (const endpoint of list(object.endpoints)) {
          if (get(endpoint, 'conditions', 'ready') === false) add('EndpointSlice: not-ready endpoint');
          if (get(endpoint, 'conditions', 'terminating') === true) add('EndpointSlice: terminating endpoint');
          if (endpoint.zone !== undefined) add('EndpointSlice: zone');
        }
        break;
      case 'Endpoints':
        add('Endpoints');
        break;
      case 'Secret':
        add(`Secret: ${String(object.type)}`);
        break;
    }
  }
  return features;
}

/** Features of a translation: which kinds of resources, routes and diagnostics it produced. */
export function outputFeatures(result: TranslateResult): Set<string> {
  const features = new Set<string>();
  const { resources } = result;
  for (const listener of resources.listeners) features.add(`listener ${listener.name}`);
  if (resources.secrets.length > 0) features.add('secret');
  for (const cla of resources.endpoints) {
    const localities = cla.endpoints ?? [];
    if (localities.length > 0) features.add('endpoints with addresses');
    if (localities.length === 0) features.add('endpoints empty');
    if (localities.some((l) => (l.locality?.zone ?? '') !== '')) features.add('endpoints in a zone');
  }
  for (const cluster of resources.clusters) {
    if (cluster.transportSocket !== undefined) features.add('cluster: upstream TLS');
    if (cluster.typedExtensionProtocolOptions !== undefined) features.add('cluster: HTTP/2');
  }
  for (const config of resources.routes) {
    for (const vhost of config.virtualHosts ?? []) {
      if ((vhost.domains ?? []).some((d) => d.startsWith('*.'))) features.add('route: wildcard virtual host');
      for (const route of vhost.routes ?? []) {
        features.add(`route: ${route.match?.pathSpecifier?.$case ?? 'none'} match`);
        const action = route.action;
        if (action?.$case === 'redirect') features.add('route: HTTPS redirect');
        if (action?.$case !== 'route') continue;
        if (action.value.timeout !== undefined) features.add('route: timeout');
        if (action.value.retryPolicy !== undefined) features.add('route: retry policy');
        if ((action.value.upgradeConfigs ?? []).length > 0) features.add('route: websocket');
      }
    }
  }
  for (const d of result.diagnostics) features.add(`diagnostic: ${d.code}`);
  return features;
}
