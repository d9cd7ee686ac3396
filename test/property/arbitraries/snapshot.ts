/**
 * Realistic snapshots: what a cluster running Contour plausibly holds, built only with the
 * src/fixtures builders. A few namespaces with Services (named and unnamed ports, appProtocols,
 * ExternalName), EndpointSlices (ready, not-ready and terminating endpoints in zones, IPv4/IPv6),
 * legacy Endpoints, TLS Secrets (good, broken and of the wrong type), TLSCertificateDelegations,
 * IngressClasses, and Ingresses with every pathType, wildcard hosts, default backends, TLS entries
 * and the Contour annotations. Names come from small vocabularies so references often resolve.
 */
import * as fc from 'fast-check';
import {
  ecCertificate,
  ecPrivateKey,
  endpointSlice,
  endpoints,
  ingress,
  ingressClass,
  noNameCertificate,
  noNamePrivateKey,
  type SliceEndpointOptions,
  secret,
  service,
  shopCertificate,
  shopPrivateKey,
  tlsCertificateDelegation,
  tlsSecret,
  wildcardCertificate,
  wildcardPrivateKey,
} from '../../../src/fixtures/index.js';
import type { KubernetesObject, TranslateOptions } from '../../../src/index.js';
import {
  delegationName,
  hosts,
  ingressClassNames,
  ingressNames,
  ipv4Addresses,
  ipv6Addresses,
  namespaces,
  type SecretKind,
  secretKinds,
  serviceNames,
  servicePorts,
  sliceSuffixes,
  zones,
} from './vocabulary.js';

/** One translate() input: the objects and the options. */
export interface Input {
  readonly objects: readonly unknown[];
  readonly options: TranslateOptions;
}

/** A realistic input: fixture-built objects with unique identities. */
export interface Snapshot extends Input {
  readonly objects: readonly KubernetesObject[];
}

/** Usually undefined, sometimes a value (1 in `absent + 1`). */
export function sometimes<T>(arb: fc.Arbitrary<T>, absent = 3): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: absent, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
}

/** True one time in `oneIn`. */
export function rarely(oneIn: number): fc.Arbitrary<boolean> {
  return fc.integer({ min: 0, max: oneIn - 1 }).map((n) => n === 0);
}

function definedOnly(record: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(record)) if (value !== undefined) out[key] = value;
  return out;
}

function withAnnotations(annotations: Record<string, string>): { annotations?: Record<string, string> } {
  return Object.keys(annotations).length > 0 ? { annotations } : {};
}

export const creationTimestampArb = fc.constantFrom(
  '2026-01-01T00:00:00Z',
  '2025-12-31T23:00:00Z',
  '2026-01-02T00:00:00Z',
  // The same instant as the first one, written with an offset.
  '2026-01-01T01:00:00+01:00',
);

// ---------------------------------------------------------------------------------------------------
// Services, EndpointSlices, Endpoints

const servicePortArb = fc.record({
  spec: fc.constantFrom(...servicePorts),
  appProtocol: sometimes(fc.constantFrom('http', 'https', 'kubernetes.io/h2c', 'kubernetes.io/ws'), 2),
  udp: rarely(15),
});

const endpointArb = fc.record({
  slot: fc.oneof({ weight: 10, arbitrary: fc.nat({ max: 3 }) }, { weight: 1, arbitrary: fc.constant(4) }),
  ready: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  terminating: rarely(5),
  zone: sometimes(fc.constantFrom(...zones), 1),
});

const sliceArb = fc.record({
  suffix: fc.constantFrom(...sliceSuffixes),
  addressType: fc.oneof(
    { weight: 6, arbitrary: fc.constant('IPv4' as const) },
    { weight: 3, arbitrary: fc.constant('IPv6' as const) },
    { weight: 1, arbitrary: fc.constant('FQDN' as const) },
  ),
  endpoints: fc.array(endpointArb, { maxLength: 4 }),
  ports: fc.subarray([...servicePorts], { minLength: 1 }),
  /** Name the ports the other way round from the Service (a mismatch nothing serves). */
  misnamed: rarely(8),
});

const legacyArb = fc.record({
  addresses: fc.subarray(ipv4Addresses.slice(0, 4), { minLength: 1 }),
  notReady: fc.subarray(ipv4Addresses.slice(0, 4), { maxLength: 2 }),
  ports: fc.subarray([...servicePorts], { minLength: 1 }),
});

const serviceGroupArb = fc.record({
  name: fc.constantFrom(...serviceNames),
  /** An orphan group has slices but no Service. */
  withService: fc.oneof(
    { weight: 8, arbitrary: fc.constant(true) },
    { weight: 1, arbitrary: fc.constant(false) },
  ),
  ports: fc.uniqueArray(servicePortArb, { selector: (p) => p.spec.port, minLength: 1, maxLength: 3 }),
  /** A single port may be unnamed (Kubernetes requires names only with several ports). */
  unnamed: fc.boolean(),
  externalName: sometimes(fc.constantFrom('backend.example.net', 'localhost', '127.0.0.1'), 10),
  h2Ports: sometimes(fc.constantFrom('grpc', '443', 'http,grpc'), 4),
  maxConnections: sometimes(fc.constantFrom('100', 'lots', '0'), 6),
  creationTimestamp: creationTimestampArb,
  slices: fc.uniqueArray(sliceArb, { selector: (s) => s.suffix, maxLength: 2 }),
  legacy: sometimes(legacyArb, 3),
});
type ServiceGroup = typeof serviceGroupArb extends fc.Arbitrary<infer T> ? T : never;

function addressOf(type: 'IPv4' | 'IPv6' | 'FQDN', slot: number): string {
  if (type === 'FQDN') return `pod-${slot}.example.com`;
  const pool = type === 'IPv4' ? ipv4Addresses : ipv6Addresses;
  return pool[slot] ?? pool[0];
}

function serviceGroupObjects(namespace: string, group: ServiceGroup): KubernetesObject[] {
  const named = group.ports.length > 1 || !group.unnamed;
  const out: KubernetesObject[] = [];
  if (group.withService) {
    out.push(
      service(`${namespace}/${group.name}`, {
        creationTimestamp: group.creationTimestamp,
        ...withAnnotations(
          definedOnly({
            'projectcontour.io/upstream-protocol.h2': group.h2Ports,
            'projectcontour.io/max-connections': group.maxConnections,
          }),
        ),
        ...(group.externalName !== undefined
          ? { type: 'ExternalName', externalName: group.externalName }
          : {}),
        ports: group.ports.map((p) => ({
          ...(named ? { name: p.spec.name } : {}),
          port: p.spec.port,
          targetPort: p.spec.targetPort,
          ...(p.udp ? { protocol: 'UDP' } : {}),
          ...(p.appProtocol !== undefined ? { appProtocol: p.appProtocol } : {}),
        })),
      }),
    );
  }
  for (const slice of group.slices) {
    const sliceNamed = slice.misnamed ? !named : named;
    out.push(
      endpointSlice(`${namespace}/${group.name}-${slice.suffix}`, {
        service: group.name,
        addressType: slice.addressType,
        endpoints: slice.endpoints.map(
          (e): SliceEndpointOptions => ({
            address: addressOf(slice.addressType, e.slot),
            ready: e.ready,
            terminating: e.terminating,
            ...(e.zone !== undefined ? { zone: e.zone } : {}),
          }),
        ),
        ports: slice.ports.map((p) => ({ ...(sliceNamed ? { name: p.name } : {}), port: p.targetPort })),
      }),
    );
  }
  if (group.legacy !== undefined) {
    out.push(
      endpoints(`${namespace}/${group.name}`, {
        subsets: [
          {
            addresses: group.legacy.addresses,
            notReadyAddresses: group.legacy.notReady,
            ports: group.legacy.ports.map((p) => ({
              ...(named ? { name: p.name } : {}),
              port: p.targetPort,
            })),
          },
        ],
      }),
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Secrets and delegations

const brokenPem = '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n';

function secretObject(namespace: string, kind: SecretKind): KubernetesObject {
  const ref = `${namespace}/${kind}`;
  switch (kind) {
    case 'shop-tls':
      return tlsSecret(ref, { certificate: shopCertificate, privateKey: shopPrivateKey });
    case 'wildcard-tls':
      return tlsSecret(ref, { certificate: wildcardCertificate, privateKey: wildcardPrivateKey });
    case 'ec-tls':
      return tlsSecret(ref, { certificate: ecCertificate, privateKey: ecPrivateKey });
    case 'noname-tls':
      return tlsSecret(ref, { certificate: noNameCertificate, privateKey: noNamePrivateKey });
    case 'broken-tls':
      return tlsSecret(ref, { certificate: brokenPem, privateKey: 'not a key' });
    case 'mismatch-tls':
      // A rotated certificate stored with the old key: the pair does not match.
      return tlsSecret(ref, { certificate: shopCertificate, privateKey: wildcardPrivateKey });
    case 'opaque-tls':
      return secret(ref, { data: { 'tls.crt': shopCertificate, 'tls.key': shopPrivateKey } });
    case 'generic':
      return secret(ref, { data: { password: 'hunter2' } });
  }
}

const delegationsArb = fc.array(
  fc.record({
    secretName: fc.constantFrom(...secretKinds),
    targetNamespaces: fc.oneof(
      fc.subarray<string>([...namespaces], { minLength: 1 }),
      fc.constant<string[]>(['*']),
    ),
  }),
  { minLength: 1, maxLength: 2 },
);

// ---------------------------------------------------------------------------------------------------
// Ingresses

/**
 * A backend: usually a port of a Service the namespace has (picked by index once the namespace's
 * Services are known, by number or by name), sometimes an arbitrary `service:port` that may miss.
 */
const backendArb = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('existing' as const), pick: fc.nat(), byName: fc.boolean() }),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...serviceNames, 'missing'),
        fc.constantFrom('80', '443', '8080', '9000', 'http', 'https', 'http-alt', 'grpc', 'nope'),
      )
      .map(([name, port]) => ({ kind: 'text' as const, text: `${name}:${port}` })),
  },
);
type BackendChoice = typeof backendArb extends fc.Arbitrary<infer T> ? T : never;

const prefixPaths = ['/', '/api', '/api/', '/static/css', '/ws', ''] as const;
const exactPaths = ['/', '/api', '/healthz', '/ws'] as const;
/** Literal prefixes, valid regexes, and two regexes RE2 rejects (syntax, program size). */
const implementationSpecificPaths = [
  '/',
  '/api',
  '/v1/.*',
  '/img/[a-z]+\\.png',
  '/files/%41',
  '/(unclosed[',
  '/x{1000}',
] as const;

const pathArb = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ pathType: fc.constant('Prefix'), path: fc.constantFrom(...prefixPaths) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ pathType: fc.constant('Exact'), path: fc.constantFrom(...exactPaths) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      pathType: fc.constant('ImplementationSpecific'),
      path: fc.constantFrom(...implementationSpecificPaths),
    }),
  },
  { weight: 1, arbitrary: fc.record({ pathType: fc.constant('Regex'), path: fc.constant('/') }) },
);

const ruleArb = fc.record({
  host: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom<string | undefined>(...hosts) },
    { weight: 2, arbitrary: fc.constant(undefined) },
    // A realistic mistake: a trailing dot, which Ingress does not allow.
    { weight: 1, arbitrary: fc.constant('shop.example.com.') },
  ),
  paths: fc.array(fc.record({ path: pathArb, backend: backendArb }), { minLength: 1, maxLength: 3 }),
});

/** A TLS entry: hosts mostly from the Ingress's own rules, a Secret mostly from its namespace. */
const tlsEntryArb = fc.record({
  hostPicks: fc.array(fc.nat(), { minLength: 1, maxLength: 2 }),
  extraHost: sometimes(fc.constantFrom<string>(...hosts), 3),
  secretName: fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.constantFrom<string>(...secretKinds) },
    { weight: 1, arbitrary: fc.constantFrom('missing-tls', 'shop/shop-tls', 'blog/wildcard-tls') },
  ),
  secretPick: fc.nat(),
});

const ingressAnnotationsArb = fc
  .record({
    'ingress.kubernetes.io/force-ssl-redirect': sometimes(fc.constantFrom('true', 'false')),
    'kubernetes.io/ingress.allow-http': sometimes(fc.constant('false'), 8),
    'projectcontour.io/response-timeout': sometimes(
      fc.constantFrom('30s', '1m30s', 'infinity', '0s', '', 'soon', '9999999999999h'),
    ),
    'projectcontour.io/request-timeout': sometimes(fc.constantFrom('10s', 'infinite'), 8),
    'projectcontour.io/retry-on': sometimes(fc.constantFrom('5xx', 'gateway-error,connect-failure', ' ')),
    'projectcontour.io/num-retries': sometimes(fc.constantFrom('3', '-1', '0', 'x')),
    'projectcontour.io/per-try-timeout': sometimes(fc.constantFrom('2s', '150ms', 'bad')),
    'projectcontour.io/websocket-routes': sometimes(fc.constantFrom('/ws', '/ws, /', '/')),
    'projectcontour.io/tls-minimum-protocol-version': sometimes(fc.constantFrom('1.2', '1.3', '1.1')),
    'projectcontour.io/tls-maximum-protocol-version': sometimes(fc.constantFrom('1.2', '1.3')),
    'projectcontour.io/tls-cert-namespace': sometimes(fc.constantFrom(...namespaces), 8),
    'kubernetes.io/ingress.class': sometimes(fc.constantFrom('contour', 'nginx'), 10),
  })
  .map(definedOnly);

const ingressArb = fc.record({
  name: fc.constantFrom(...ingressNames),
  className: fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.constant('contour') },
    { weight: 1, arbitrary: fc.constantFrom('nginx', 'custom', 'other') },
  ),
  creationTimestamp: creationTimestampArb,
  annotations: ingressAnnotationsArb,
  defaultBackend: sometimes(backendArb, 3),
  rules: fc.array(ruleArb, { maxLength: 3 }),
  tls: fc.array(tlsEntryArb, { maxLength: 2 }),
});
type IngressSpec = typeof ingressArb extends fc.Arbitrary<infer T> ? T : never;

/** What an Ingress in a namespace can refer to. */
interface NamespaceTargets {
  /** `service:port` and `service:name` per Service port, in a stable order. */
  readonly backends: readonly (readonly [byNumber: string, byName: string])[];
  readonly secrets: readonly string[];
}

function backendText(choice: BackendChoice, targets: NamespaceTargets): string {
  if (choice.kind === 'text') return choice.text;
  const target = targets.backends[choice.pick % Math.max(targets.backends.length, 1)];
  if (target === undefined) return 'missing:80';
  return choice.byName ? target[1] : target[0];
}

function ingressObject(namespace: string, spec: IngressSpec, targets: NamespaceTargets): KubernetesObject {
  const ruleHosts = spec.rules.flatMap((r) => (r.host !== undefined ? [r.host] : []));
  return ingress(`${namespace}/${spec.name}`, {
    creationTimestamp: spec.creationTimestamp,
    ...withAnnotations(spec.annotations),
    ...(spec.className !== undefined ? { className: spec.className } : {}),
    ...(spec.defaultBackend !== undefined
      ? { defaultBackend: backendText(spec.defaultBackend, targets) }
      : {}),
    rules: spec.rules.map((rule) => ({
      ...(rule.host !== undefined ? { host: rule.host } : {}),
      paths: rule.paths.map((p) => ({
        path: p.path.path,
        pathType: p.path.pathType,
        backend: backendText(p.backend, targets),
      })),
    })),
    ...(spec.tls.length > 0
      ? {
          tls: spec.tls.map((t) => {
            const picked =
              ruleHosts.length === 0 ? [] : t.hostPicks.map((i) => ruleHosts[i % ruleHosts.length] ?? '');
            const all = [...picked, ...(t.extraHost !== undefined ? [t.extraHost] : [])];
            return {
              hosts: [...new Set(all.length > 0 ? all : [hosts[0]])],
              secretName:
                t.secretName ??
                targets.secrets[t.secretPick % Math.max(targets.secrets.length, 1)] ??
                'missing-tls',
            };
          }),
        }
      : {}),
  });
}

// ---------------------------------------------------------------------------------------------------
// IngressClasses and options

const ingressClassesArb = fc.uniqueArray(
  fc.record({ name: fc.constantFrom(...ingressClassNames), isDefault: rarely(8) }),
  { selector: (c) => c.name, maxLength: 3 },
);

const controllers: Readonly<Record<(typeof ingressClassNames)[number], string>> = {
  contour: 'projectcontour.io/ingress-controller',
  nginx: 'k8s.io/ingress-nginx',
  custom: 'projectcontour.io/ingress-controller',
};

export const optionsArb: fc.Arbitrary<TranslateOptions> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({}) },
  {
    weight: 2,
    arbitrary: fc
      .record({
        classes: fc.constantFrom<readonly string[] | undefined>(
          undefined,
          ['contour'],
          ['contour', 'custom'],
          ['nginx'],
        ),
        externalName: fc.boolean(),
        tls: fc.constantFrom<TranslateOptions['tls']>(
          undefined,
          { minimumProtocolVersion: '1.3' },
          { maximumProtocolVersion: '1.2' },
        ),
        grpc: fc.boolean(),
        proxyProtocol: fc.boolean(),
        compression: fc.boolean(),
      })
      .map(
        (o): TranslateOptions => ({
          ...(o.classes !== undefined ? { ingressClassNames: o.classes } : {}),
          enableExternalNameService: o.externalName,
          ...(o.tls !== undefined ? { tls: o.tls } : {}),
          ...(o.grpc ? { configSource: { kind: 'grpc', clusterName: 'xds_cluster' } } : {}),
          useProxyProtocol: o.proxyProtocol,
          compression: o.compression,
        }),
      ),
  },
);

// ---------------------------------------------------------------------------------------------------
// Whole snapshots

const namespaceContentArb = fc.record({
  services: fc.uniqueArray(serviceGroupArb, { selector: (g) => g.name, maxLength: 3 }),
  ingresses: fc.uniqueArray(ingressArb, { selector: (i) => i.name, maxLength: 3 }),
  secrets: fc.subarray([...secretKinds], { maxLength: 4 }),
  delegations: sometimes(delegationsArb, 2),
});

/** A realistic snapshot; its objects have unique identities (no DuplicateObject). */
export const snapshotArb: fc.Arbitrary<Snapshot> = fc
  .record({
    contents: fc.tuple(...namespaces.map(() => namespaceContentArb)),
    classes: ingressClassesArb,
    options: optionsArb,
  })
  .map(({ contents, classes, options }) => {
    const objects: KubernetesObject[] = [];
    contents.forEach((content, i) => {
      const namespace = namespaces[i] ?? 'default';
      for (const group of content.services) objects.push(...serviceGroupObjects(namespace, group));
      const targets: NamespaceTargets = {
        backends: content.services
          .filter((g) => g.withService)
          .flatMap((g) =>
            g.ports.map((p) => {
              const byNumber = `${g.name}:${p.spec.port}`;
              const named = g.ports.length > 1 || !g.unnamed;
              return [byNumber, named ? `${g.name}:${p.spec.name}` : byNumber] as const;
            }),
          ),
        secrets: content.secrets,
      };
      for (const spec of content.ingresses) objects.push(ingressObject(namespace, spec, targets));
      for (const kind of content.secrets) objects.push(secretObject(namespace, kind));
      if (content.delegations !== undefined) {
        objects.push(tlsCertificateDelegation(`${namespace}/${delegationName}`, content.delegations));
      }
    });
    for (const cls of classes) {
      objects.push(ingressClass(cls.name, { controller: controllers[cls.name], isDefault: cls.isDefault }));
    }
    return { objects, options };
  });
