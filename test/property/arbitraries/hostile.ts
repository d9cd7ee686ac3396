/**
 * Hostile objects: a recognised apiVersion/kind, but wrong field types, garbage PEM, huge strings,
 * invalid hosts, ports and regexes, missing or broken metadata. `hostileObjectArb` always has a fresh
 * identity (its name starts with `hostile-`, or it has no usable name) and refers to nothing a
 * realistic snapshot holds: every route it declares has an unresolvable backend and every TLS entry
 * an unresolvable Secret, so the isolation law can demand that it changes nothing else.
 * `collidingCopyArb` is the opposite: a changed copy of an existing object, with its identity.
 */
import * as fc from 'fast-check';
import {
  endpointSlice,
  endpoints,
  ingress,
  ingressClass,
  secret,
  service,
  shopCertificate,
  shopPrivateKey,
  tlsCertificateDelegation,
  tlsSecret,
  wildcardPrivateKey,
} from '../../../src/fixtures/index.js';
import type { ObjectRef } from '../../../src/index.js';
import {
  applyMutations,
  cloneJson,
  garbagePemTexts,
  hugeStringArb,
  invalidHosts,
  invalidPaths,
  invalidRegexPaths,
  type Mutation,
  mentionsRealisticName,
  mutationArb,
} from './mutation.js';
import { sometimes } from './snapshot.js';
import { hostilePrefix, hosts, namespaces } from './vocabulary.js';

/** The recognised kinds and their apiVersion. */
export const kinds = {
  Ingress: 'networking.k8s.io/v1',
  IngressClass: 'networking.k8s.io/v1',
  Service: 'v1',
  Secret: 'v1',
  Endpoints: 'v1',
  EndpointSlice: 'discovery.k8s.io/v1',
  TLSCertificateDelegation: 'projectcontour.io/v1',
} as const;
export type Kind = keyof typeof kinds;
export const kindNames = Object.keys(kinds) as Kind[];

const hostileNameArb = fc.constantFrom('a', 'b', 'zz').map((tag) => `${hostilePrefix}${tag}`);
const hostileNamespaceArb = fc.constantFrom<string>(...namespaces, `${hostilePrefix}ns`);
const hostileRefArb = fc.tuple(hostileNamespaceArb, hostileNameArb).map(([ns, name]) => `${ns}/${name}`);

/** A backend no snapshot can resolve: the Service `hostile-missing` never exists. */
const deadBackendArb = fc.constantFrom('hostile-missing:80', 'hostile-missing:http', 'hostile-missing:0');
/** A Secret reference no snapshot can resolve. */
const deadSecretArb = fc.constantFrom(
  'hostile-missing',
  'hostile-ns/hostile-missing',
  'a/b/c',
  '',
  '/x',
  'x/',
);

const anyHostArb = fc.oneof(fc.constantFrom<string>(...invalidHosts), fc.constantFrom<string>(...hosts));
const anyPathArb = fc.oneof(
  fc.record({
    pathType: fc.constant('ImplementationSpecific'),
    path: fc.constantFrom<string>(...invalidRegexPaths, '/ok'),
  }),
  fc.record({
    pathType: fc.constantFrom('Prefix', 'Exact'),
    path: fc.constantFrom<string>(...invalidPaths, '/ok'),
  }),
  fc.record({ pathType: fc.constantFrom('', 'prefix', 'Regex'), path: fc.constant('/') }),
);

const hostileIngressAnnotationsArb = fc
  .record({
    'ingress.kubernetes.io/force-ssl-redirect': sometimes(fc.constantFrom('true', 'yes'), 1),
    'projectcontour.io/response-timeout': sometimes(
      fc.constantFrom('-1s', '1y', '9999999999999h', '1.5.5s'),
      1,
    ),
    'projectcontour.io/retry-on': sometimes(fc.constantFrom('5xx\nx', 'x'.repeat(2000), 'reset'), 1),
    'projectcontour.io/num-retries': sometimes(fc.constantFrom('99999999999', '1e3', '-2'), 1),
    'projectcontour.io/per-try-timeout': sometimes(fc.constantFrom('1h1h', 'ms'), 1),
    'projectcontour.io/websocket-routes': sometimes(fc.constantFrom(',,,', '/(', '/ok'), 1),
    'projectcontour.io/tls-minimum-protocol-version': sometimes(fc.constantFrom('1.3', '1.0', 'TLSv1.3'), 1),
    'projectcontour.io/tls-maximum-protocol-version': sometimes(fc.constantFrom('1.2', '2.0'), 1),
    'projectcontour.io/tls-cert-namespace': sometimes(fc.constantFrom('Bad NS', 'hostile-ns'), 1),
  })
  .map((record) => {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(record)) if (value !== undefined) out[key] = value;
    return out;
  });

const hostileIngressArb = fc
  .record({
    ref: hostileRefArb,
    className: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom<string | undefined>(undefined, 'contour') },
      { weight: 1, arbitrary: fc.constant('hostile-none') },
    ),
    annotations: hostileIngressAnnotationsArb,
    defaultBackend: sometimes(deadBackendArb, 1),
    rules: fc.array(
      fc.record({
        host: anyHostArb,
        paths: fc.array(fc.record({ path: anyPathArb, backend: deadBackendArb }), {
          minLength: 1,
          maxLength: 3,
        }),
      }),
      { maxLength: 3 },
    ),
    tls: fc.array(fc.record({ hosts: fc.array(anyHostArb, { maxLength: 2 }), secretName: deadSecretArb }), {
      maxLength: 2,
    }),
  })
  .map((h) =>
    ingress(h.ref, {
      ...(h.className !== undefined ? { className: h.className } : {}),
      annotations: h.annotations,
      ...(h.defaultBackend !== undefined ? { defaultBackend: h.defaultBackend } : {}),
      rules: h.rules.map((r) => ({
        host: r.host,
        paths: r.paths.map((p) => ({ path: p.path.path, pathType: p.path.pathType, backend: p.backend })),
      })),
      tls: h.tls,
    }),
  );

const hostileServiceArb = fc
  .record({
    ref: hostileRefArb,
    type: fc.constantFrom('ClusterIP', 'ExternalName', 'NodePort', 'Bogus'),
    externalName: fc.constantFrom('localhost', '169.254.1.1', '::1', 'a..b', ''),
    protocol: fc.constantFrom('TCP', 'SCTP', 'tcp'),
    name: fc.constantFrom<string | undefined>(undefined, 'UPPER', 'http'),
    appProtocol: fc.constantFrom<string | undefined>(undefined, 'kubernetes.io/h2c', 'h3'),
  })
  .map((h) =>
    service(h.ref, {
      type: h.type,
      externalName: h.externalName,
      annotations: {
        'projectcontour.io/max-connections': 'lots',
        'projectcontour.io/upstream-protocol.h2': ',,',
      },
      ports: [
        {
          ...(h.name !== undefined ? { name: h.name } : {}),
          port: 80,
          protocol: h.protocol,
          ...(h.appProtocol !== undefined ? { appProtocol: h.appProtocol } : {}),
        },
      ],
    }),
  );

const hostileSliceArb = fc
  .record({
    ref: hostileRefArb,
    serviceLabel: fc.constantFrom(`${hostilePrefix}svc`, ''),
    addressType: fc.constantFrom('IPv4', 'IPv6', 'FQDN', 'IPv7'),
    address: fc.constantFrom('999.1.1.1', 'fd00::zz', '', '10.0.0.1', 'fd00::1'),
    zone: fc.oneof(fc.constant(undefined), hugeStringArb, fc.constant('\ud800')),
    port: fc.constantFrom(0, 8080, 70000),
  })
  .map((h) =>
    endpointSlice(h.ref, {
      service: h.serviceLabel,
      addressType: h.addressType as 'IPv4',
      endpoints: [{ address: h.address, ...(h.zone !== undefined ? { zone: h.zone } : {}) }],
      ports: [{ name: 'http', port: h.port }],
    }),
  );

const hostileEndpointsArb = fc
  .record({
    ref: hostileRefArb,
    address: fc.constantFrom('not-an-ip', '10.0.0.1', ''),
    port: fc.constantFrom(0, 70000, 80),
  })
  .map((h) => endpoints(h.ref, { subsets: [{ addresses: [h.address], ports: [{ port: h.port }] }] }));

const hostileSecretArb = fc.oneof(
  fc
    .record({
      ref: hostileRefArb,
      certificate: fc.constantFrom(...garbagePemTexts, shopCertificate),
      key: fc.constantFrom(...garbagePemTexts, wildcardPrivateKey),
    })
    .map((h) => tlsSecret(h.ref, { certificate: h.certificate, privateKey: h.key })),
  fc
    .record({
      ref: hostileRefArb,
      type: fc.constantFrom('kubernetes.io/tls', 'Opaque', 'kubernetes.io/dockercfg'),
    })
    .map((h) =>
      secret(h.ref, { type: h.type, data: { 'tls.crt': shopCertificate, 'tls.key': shopPrivateKey } }),
    ),
  fc
    .record({
      ref: hostileRefArb,
      data: fc.constantFrom<unknown>('%%%', [1, 2], { 'tls.crt': 'not base64!' }),
    })
    .map((h) => ({
      ...secret(h.ref, { data: {} }),
      data: h.data,
    })),
);

const hostileIngressClassArb = fc
  .record({
    name: hostileNameArb,
    controller: fc.constantFrom('projectcontour.io/ingress-controller', 'example.com/other', ''),
    isDefault: fc.constantFrom('TRUE', 'yes', 'false'),
  })
  .map((h) =>
    ingressClass(h.name, {
      controller: h.controller,
      annotations: { 'ingressclass.kubernetes.io/is-default-class': h.isDefault },
    }),
  );

const hostileDelegationArb = fc
  .record({ ref: hostileRefArb, targets: fc.constantFrom(['*'], ['Bad NS'], [], ['hostile-ns']) })
  .map((h) =>
    tlsCertificateDelegation(h.ref, [{ secretName: `${hostilePrefix}secret`, targetNamespaces: h.targets }]),
  );

const baseArbs: Readonly<Record<Kind, fc.Arbitrary<unknown>>> = {
  Ingress: hostileIngressArb,
  IngressClass: hostileIngressClassArb,
  Service: hostileServiceArb,
  Secret: hostileSecretArb,
  Endpoints: hostileEndpointsArb,
  EndpointSlice: hostileSliceArb,
  TLSCertificateDelegation: hostileDelegationArb,
};

/** Broken metadata: absent, the wrong type, without a name, or with invalid name or namespace. */
const brokenMetadataArb = fc.constantFrom<unknown>(
  undefined,
  null,
  'metadata',
  [],
  {},
  { name: 42 },
  { name: 'UPPER' },
  { name: `${hostilePrefix}a`, namespace: 'Bad NS' },
  { name: `${hostilePrefix}a`, namespace: 7 },
  { name: 'a'.repeat(300) },
  { namespace: 'shop' },
  { name: `${hostilePrefix}a`, annotations: 'x', labels: [1], creationTimestamp: 12 },
);

const missingMetadataArb = fc
  .tuple(
    fc.constantFrom(...kindNames),
    brokenMetadataArb,
    fc.jsonValue({ maxDepth: 1 }).filter((v) => !mentionsRealisticName(v)),
  )
  .map(([kind, metadata, spec]) => ({
    apiVersion: kinds[kind],
    kind,
    ...(metadata !== undefined ? { metadata } : {}),
    spec,
  }));

/** A hostile object with a fresh identity that refers to nothing realistic. */
export const hostileObjectArb: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        // Ingresses have the most to get wrong, so they come up most.
        fc.oneof(
          { weight: 1, arbitrary: fc.constantFrom(...kindNames) },
          { weight: 1, arbitrary: fc.constant<Kind>('Ingress') },
        ),
        fc.array(mutationArb, { maxLength: 3 }),
      )
      .chain(([kind, mutations]) =>
        baseArbs[kind].map((base) => applyMutations(cloneJson(base), mutations, 'freshIdentity')),
      ),
  },
  { weight: 1, arbitrary: missingMetadataArb },
);

/** A whole object of one kind with an `fc.jsonValue()` or `fc.anything()` body. */
export function recognisedKindWithBody(body: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.tuple(fc.constantFrom(...kindNames), body, body).map(([kind, metadata, rest]) => ({
    ...(rest !== null && typeof rest === 'object' && !Array.isArray(rest) ? rest : { spec: rest }),
    apiVersion: kinds[kind],
    kind,
    metadata,
  }));
}

// ---------------------------------------------------------------------------------------------------
// Identities of hostile objects

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Whether a diagnostic's object can be `object`: same kind, the name it gives (or '' when it has no
 * usable name), and its namespace, '' (no usable namespace or cluster-scoped) or `default`.
 */
export function isAbout(object: unknown, ref: ObjectRef): boolean {
  if (!isRecord(object) || ref.kind !== object.kind) return false;
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const text = (v: unknown) => (typeof v === 'string' && v.length <= 253 ? v : '');
  const name = text(metadata.name);
  const namespace = text(metadata.namespace);
  return (
    ref.name === name && (ref.namespace === namespace || ref.namespace === '' || ref.namespace === 'default')
  );
}

// ---------------------------------------------------------------------------------------------------
// Copies that collide with an existing object

export type CopyChange =
  | { readonly kind: 'identical' }
  | { readonly kind: 'annotated'; readonly value: string }
  | { readonly kind: 'mutated'; readonly mutations: readonly Mutation[] };

export const copyChangeArb: fc.Arbitrary<CopyChange> = fc.oneof(
  fc.constant<CopyChange>({ kind: 'identical' }),
  fc.constantFrom('a', 'z', '').map((value): CopyChange => ({ kind: 'annotated', value })),
  fc
    .array(mutationArb, { minLength: 1, maxLength: 3 })
    .map((mutations): CopyChange => ({ kind: 'mutated', mutations })),
);

/** A copy of `object` with the same kind, namespace and name that still parses. */
export function collidingCopy(object: unknown, change: CopyChange): unknown {
  const copy = cloneJson(object);
  switch (change.kind) {
    case 'identical':
      return copy;
    case 'annotated': {
      if (!isRecord(copy) || !isRecord(copy.metadata)) return copy;
      const annotations = isRecord(copy.metadata.annotations) ? copy.metadata.annotations : {};
      return {
        ...copy,
        metadata: { ...copy.metadata, annotations: { ...annotations, 'example.com/copy': change.value } },
      };
    }
    case 'mutated':
      return applyMutations(copy, change.mutations, 'sameIdentity');
  }
}
