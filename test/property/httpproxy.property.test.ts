/**
 * Laws for HTTPProxy (projectcontour.io/v1) forests: random roots and include trees spread over 2–4
 * namespaces, with shared and case-colliding fqdns, TLS (own, cross-namespace with and without a
 * TLSCertificateDelegation, missing), includes across namespaces with prefix and header conditions,
 * cycles, includes of missing proxies and of roots, routes naming existing, missing and
 * other-namespace-only Services, and invalid parts (a lookahead regex, contradictory header
 * conditions, port 0, a bad timeout, an exact condition on an include, an invalid fqdn), proxies of
 * another ingress class, and sometimes the rootNamespaces and disablePermitInsecure options.
 *
 *   1. Envoy accepts the output, and every reference resolves (routes → clusters → CLAs, chains → SDS).
 *   2. Determinism: a shuffled deep copy translates to byte-identical resources, diagnostics, statuses.
 *   3. No cross-namespace leakage: a route only reaches clusters `ns/svc/...` that a proxy in `ns`
 *      within that virtual host's include tree names.
 *   4. Isolation: breaking one proxy changes no route of a virtual host that cannot reach it and no
 *      status of a proxy that neither is it nor reaches it.
 *   5. Statuses are well-formed and are exactly the diagnostics filed against each proxy; a child no
 *      root includes is orphaned, a root never is.
 *   6. The incremental translator equals a fresh translate() after every step, and its diff applies.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as f from '../../src/fixtures/index.js';
import {
  applyDiff,
  createTranslator,
  type Diagnostic,
  emptyResources,
  formatPath,
  type KubernetesObject,
  type ObjectChange,
  type ObjectStatus,
  type TranslateOptions,
  type TranslateResult,
  type XdsResources,
} from '../../src/index.js';
import { VirtualHost } from '../../src/xds-types/envoy/config/route/v3/route_components.js';
import {
  assertEnvoyAcceptsAll,
  assertSameDiagnostics,
  assertSameResources,
  translateChecked,
} from './laws.js';
import { runs } from './params.js';

// ---------------------------------------------------------------------------------------------------
// Vocabulary

const allNamespaces = ['ns-a', 'ns-b', 'ns-c', 'ns-d'] as const;
const proxyNames = ['p1', 'p2', 'p3', 'p4', 'p5'] as const;
/** `only` exists (when it exists) in ns-a alone; proxies elsewhere still name it. */
const serviceNames = ['web', 'api', 'db', 'only'] as const;
/** One wildcard, one invalid; the last two differ from a.example.com and shop.example.com only in case. */
const fqdns = [
  'a.example.com',
  'b.example.com',
  'c.example.com',
  'd.example.com',
  'e.example.com',
  'f.example.com',
  'g.example.com',
  'shop.example.com',
  '*.example.com',
  'A.Example.com',
  'Shop.Example.COM',
  // Invalid: not a DNS name (drawn rarely: it is last).
  'bad_host.example.com',
] as const;

const pick = <T>(list: readonly T[], i: number): T => list[i % list.length] as T;

// ---------------------------------------------------------------------------------------------------
// Descriptions → objects

const includeConditionKinds = {
  none: [],
  prefix: [{ prefix: '/x' }],
  prefixSlash: [{ prefix: '/y/' }],
  header: [{ header: { name: 'x-env', exact: 'prod' } }],
  prefixHeader: [{ prefix: '/x' }, { header: { name: 'x-env', present: true } }],
  // Valid alone; contradicts `header` (and `envExact` routes) further along an include chain.
  headerNot: [{ header: { name: 'x-env', notexact: 'prod' } }],
  // Valid alone; a second exact match on `q` further along the chain is not.
  query: [{ prefix: '/q' }, { queryParameter: { name: 'Q', exact: '2' } }],
  // Invalid: include conditions may only use prefix.
  exact: [{ exact: '/x' }],
} as const satisfies Record<string, readonly unknown[]>;
type IncludeConditionKind = keyof typeof includeConditionKinds;

const routeConditionKinds = {
  none: [],
  prefix: [{ prefix: '/a' }],
  prefixSlash: [{ prefix: '/b/' }],
  exact: [{ exact: '/a/exact' }],
  regex: [{ regex: '/r/[0-9]+' }],
  header: [{ header: { name: 'x-user', contains: 'bob' } }],
  query: [{ prefix: '/q' }, { queryParameter: { name: 'q', exact: '1' } }],
  // Valid alone; each contradicts some include conditions merged along the chain.
  envExact: [{ header: { name: 'x-env', exact: 'prod' } }],
  envNot: [{ header: { name: 'X-Env', notexact: 'prod' } }],
  // Invalid: RE2 has no lookahead.
  badRegex: [{ regex: '/(?=x)' }],
  // Invalid: a header condition and its negation with the same value.
  headerContradiction: [{ header: { name: 'x-a', exact: '1' } }, { header: { name: 'x-a', notexact: '1' } }],
} as const satisfies Record<string, readonly unknown[]>;
type RouteConditionKind = keyof typeof routeConditionKinds;

interface ServiceRefDesc {
  readonly name: number;
  /** 80 resolves, 8080 resolves on two-port Services, 9999 never, 0 is invalid. */
  readonly port: number;
  readonly weight: number | undefined;
}

interface RouteDesc {
  readonly condition: RouteConditionKind;
  readonly services: readonly ServiceRefDesc[];
  /** '10s' and 'infinity' are valid; 'soon' is not. */
  readonly timeout: string | undefined;
  readonly permitInsecure: boolean;
}

interface IncludeDesc {
  /** A child or (invalid) a root of the forest, by index, or a proxy that does not exist. */
  readonly target: { readonly kind: 'child' | 'root'; readonly index: number } | 'ghost';
  /** Leave out `namespace`: the include then names the proxy in the includer's namespace. */
  readonly omitNamespace: boolean;
  readonly condition: IncludeConditionKind;
}

type TlsDesc = { readonly secret: 'own' | 'missing' } | { readonly secret: 'other'; readonly ns: number };

interface RootDesc {
  readonly fqdn: number;
  readonly tls: TlsDesc | undefined;
}

interface ProxyDesc {
  readonly ns: number;
  readonly name: number;
  readonly root: RootDesc | undefined;
  readonly routes: readonly RouteDesc[];
  readonly includes: readonly IncludeDesc[];
  /** How many of `includes` a child keeps (a root keeps all): children include less, so fewer cycles. */
  readonly childIncludes: number;
  readonly generation: number;
  readonly day: number;
  /** The ingress class annotation: `other` is another controller's, so the proxy is not served. */
  readonly ingressClass: 'contour' | 'other' | undefined;
}

interface ServiceDesc {
  readonly ns: number;
  readonly name: number;
  readonly twoPorts: boolean;
  readonly slice: { readonly ready: boolean; readonly host: number } | undefined;
}

type CertKind = 'shop' | 'wildcard' | 'ec' | 'mismatch';

interface SecretDesc {
  readonly ns: number;
  readonly cert: CertKind;
}

interface DelegationDesc {
  readonly ns: number;
  /** Index of one target namespace, or every namespace. */
  readonly target: number | '*';
}

/** An include resolved to names. */
interface ResolvedInclude {
  readonly name: string;
  readonly namespace: string | undefined;
  readonly condition: IncludeConditionKind;
}

function routeSpec(r: RouteDesc): Record<string, unknown> {
  const conditions = routeConditionKinds[r.condition];
  return {
    ...(conditions.length > 0 ? { conditions } : {}),
    services: r.services.map((s) => ({
      name: pick(serviceNames, s.name),
      port: s.port,
      ...(s.weight !== undefined ? { weight: s.weight } : {}),
    })),
    ...(r.timeout !== undefined ? { timeoutPolicy: { response: r.timeout } } : {}),
    ...(r.permitInsecure ? { permitInsecure: true } : {}),
  };
}

function proxyObject(
  ns: string,
  name: string,
  p: Pick<ProxyDesc, 'root' | 'routes' | 'generation' | 'day' | 'ingressClass'>,
  includes: readonly ResolvedInclude[],
  namespaces: readonly string[],
): KubernetesObject {
  const spec: Record<string, unknown> = {};
  if (p.root !== undefined) {
    const tls = p.root.tls;
    const secretName =
      tls === undefined
        ? undefined
        : 'ns' in tls
          ? `${pick(namespaces, tls.ns)}/cert`
          : tls.secret === 'own'
            ? 'cert'
            : 'missing-cert';
    spec.virtualhost = {
      fqdn: pick(fqdns, p.root.fqdn),
      ...(secretName !== undefined ? { tls: { secretName } } : {}),
    };
  }
  if (includes.length > 0)
    spec.includes = includes.map((i) => {
      const conditions = includeConditionKinds[i.condition];
      return {
        name: i.name,
        ...(i.namespace !== undefined ? { namespace: i.namespace } : {}),
        ...(conditions.length > 0 ? { conditions } : {}),
      };
    });
  if (p.routes.length > 0) spec.routes = p.routes.map(routeSpec);
  return f.httpProxy(`${ns}/${name}`, spec, {
    generation: p.generation,
    creationTimestamp: `2026-01-0${p.day}T00:00:00Z`,
    ...(p.ingressClass !== undefined
      ? { annotations: { 'projectcontour.io/ingress.class': p.ingressClass } }
      : {}),
  });
}

function serviceObjects(ns: string, s: Omit<ServiceDesc, 'ns'>): KubernetesObject[] {
  const name = pick(serviceNames, s.name);
  const out: KubernetesObject[] = [
    f.service(`${ns}/${name}`, {
      ports: [
        { name: 'http', port: 80, targetPort: 8080 },
        ...(s.twoPorts ? [{ name: 'alt', port: 8080, targetPort: 8081 }] : []),
      ],
    }),
  ];
  if (s.slice !== undefined)
    out.push(
      f.endpointSlice(`${ns}/${name}-1`, {
        service: name,
        ports: [
          { name: 'http', port: 8080 },
          { name: 'alt', port: 8081 },
        ],
        endpoints: [{ address: `10.0.0.${s.slice.host}`, ready: s.slice.ready }],
      }),
    );
  return out;
}

const certs: Record<CertKind, { certificate: string; privateKey: string }> = {
  shop: { certificate: f.shopCertificate, privateKey: f.shopPrivateKey },
  wildcard: { certificate: f.wildcardCertificate, privateKey: f.wildcardPrivateKey },
  ec: { certificate: f.ecCertificate, privateKey: f.ecPrivateKey },
  // Envoy would reject the pair: the key is not the certificate's.
  mismatch: { certificate: f.shopCertificate, privateKey: f.wildcardPrivateKey },
};

const secretObject = (ns: string, cert: CertKind) => f.tlsSecret(`${ns}/cert`, certs[cert]);

const delegationObject = (ns: string, targets: readonly string[]) =>
  f.tlsCertificateDelegation(`${ns}/delegation`, [{ secretName: 'cert', targetNamespaces: targets }]);

// ---------------------------------------------------------------------------------------------------
// Arbitraries

/** Mostly the first value; the second one time in `1 + weight`. */
const mostly = <A, B>(usual: fc.Arbitrary<A>, rare: fc.Arbitrary<B>, weight: number) =>
  fc.oneof({ weight, arbitrary: usual }, { weight: 1, arbitrary: rare });

const serviceRefArb: fc.Arbitrary<ServiceRefDesc> = fc.record({
  // Mostly web, api or db; sometimes `only`.
  name: mostly(fc.nat(serviceNames.length - 2), fc.constant(serviceNames.length - 1), 12),
  port: fc.oneof(
    { weight: 30, arbitrary: fc.constant(80) },
    { weight: 4, arbitrary: fc.constant(8080) },
    { weight: 1, arbitrary: fc.constant(9999) },
    // Invalid.
    { weight: 1, arbitrary: fc.constant(0) },
  ),
  weight: fc.option(fc.nat(100), { freq: 4, nil: undefined }),
});

const routeArb: fc.Arbitrary<RouteDesc> = fc.record({
  condition: mostly(
    fc.constantFrom<RouteConditionKind>(
      'none',
      'prefix',
      'prefixSlash',
      'exact',
      'regex',
      'header',
      'query',
      'envExact',
      'envNot',
    ),
    fc.constantFrom<RouteConditionKind>('badRegex', 'headerContradiction'),
    30,
  ),
  // Invalid when empty: a route must have exactly one action.
  services: mostly(fc.array(serviceRefArb, { minLength: 1, maxLength: 2 }), fc.constant([]), 40),
  timeout: fc.oneof(
    { weight: 30, arbitrary: fc.constant(undefined) },
    { weight: 8, arbitrary: fc.constantFrom('10s', 'infinity') },
    // Invalid.
    { weight: 1, arbitrary: fc.constant('soon') },
  ),
  permitInsecure: fc.boolean(),
});

const includeConditionArb: fc.Arbitrary<IncludeConditionKind> = fc.oneof(
  { weight: 4, arbitrary: fc.constant('none') },
  {
    weight: 16,
    arbitrary: fc.constantFrom('prefix', 'prefixSlash', 'header', 'prefixHeader', 'headerNot', 'query'),
  },
  // Invalid.
  { weight: 1, arbitrary: fc.constant('exact') },
);

const includeArb: fc.Arbitrary<IncludeDesc> = fc.record({
  target: fc.oneof(
    { weight: 12, arbitrary: fc.noBias(fc.nat(100)).map((index) => ({ kind: 'child' as const, index })) },
    { weight: 1, arbitrary: fc.noBias(fc.nat(100)).map((index) => ({ kind: 'root' as const, index })) },
    { weight: 1, arbitrary: fc.constant('ghost' as const) },
  ),
  omitNamespace: mostly(fc.constant(false), fc.constant(true), 6),
  condition: includeConditionArb,
});

const tlsArb: fc.Arbitrary<TlsDesc | undefined> = fc.oneof(
  { weight: 8, arbitrary: fc.constant(undefined) },
  { weight: 5, arbitrary: fc.constant({ secret: 'own' as const }) },
  { weight: 3, arbitrary: fc.nat(allNamespaces.length - 1).map((ns) => ({ secret: 'other' as const, ns })) },
  { weight: 1, arbitrary: fc.constant({ secret: 'missing' as const }) },
);

/** A fqdn from the vocabulary (roots of one forest sometimes share one), rarely the invalid one. */
const rootArb: fc.Arbitrary<RootDesc> = fc.record({
  fqdn: mostly(fc.noBias(fc.nat(fqdns.length - 2)), fc.constant(fqdns.length - 1), 20),
  tls: tlsArb,
});

const proxyDescArb: fc.Arbitrary<ProxyDesc> = fc.record({
  // Unbiased, so that identities, fqdns and include targets spread instead of piling up on index 0.
  ns: fc.noBias(fc.nat(allNamespaces.length - 1)),
  name: fc.noBias(fc.nat(proxyNames.length - 1)),
  root: fc.option(rootArb, { freq: 2, nil: undefined }),
  routes: fc.array(routeArb, { maxLength: 3 }),
  includes: mostly(fc.array(includeArb, { minLength: 1, maxLength: 3 }), fc.constant([]), 4),
  childIncludes: mostly(fc.nat(1), fc.constant(3), 3),
  generation: fc.integer({ min: 1, max: 3 }),
  day: fc.integer({ min: 1, max: 3 }),
  ingressClass: fc.oneof(
    { weight: 12, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.constant('contour' as const) },
    { weight: 1, arbitrary: fc.constant('other' as const) },
  ),
});

const sliceArb = fc.option(
  fc.record({
    ready: mostly(fc.constant(true), fc.constant(false), 3),
    host: fc.integer({ min: 1, max: 3 }),
  }),
  {
    freq: 5,
    nil: undefined,
  },
);

const serviceDescArb: fc.Arbitrary<ServiceDesc> = fc.record({
  ns: fc.nat(allNamespaces.length - 1),
  name: fc.nat(serviceNames.length - 1),
  twoPorts: fc.boolean(),
  slice: sliceArb,
});

const certKindArb: fc.Arbitrary<CertKind> = mostly(
  fc.constantFrom<CertKind>('shop', 'wildcard', 'ec'),
  fc.constant<CertKind>('mismatch'),
  12,
);

const secretDescArb: fc.Arbitrary<SecretDesc> = fc.record({
  ns: fc.nat(allNamespaces.length - 1),
  cert: certKindArb,
});

const delegationDescArb: fc.Arbitrary<DelegationDesc> = fc.record({
  ns: fc.nat(allNamespaces.length - 1),
  target: fc.oneof(fc.nat(allNamespaces.length - 1), fc.constant('*' as const)),
});

/** A forest: the objects, and the namespaces in play. */
interface Forest {
  readonly namespaces: readonly string[];
  readonly objects: readonly KubernetesObject[];
  readonly options: TranslateOptions;
}

function uniqueBy<T>(list: readonly T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return list.filter((t) => {
    const k = key(t);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Per namespace and common Service name (web, api, db): the Service, or none (1 in 8). */
const perNamespaceServices = fc.array(
  fc.option(fc.record({ twoPorts: fc.boolean(), slice: sliceArb }), { freq: 8, nil: undefined }),
  { minLength: allNamespaces.length * 3, maxLength: allNamespaces.length * 3 },
);

const forestArb: fc.Arbitrary<Forest> = fc
  .record({
    nsCount: fc.integer({ min: 2, max: 4 }),
    proxies: fc.array(proxyDescArb, { minLength: 1, maxLength: 8 }),
    services: perNamespaceServices,
    // `only` lives in ns-a alone (when at all); proxies in other namespaces name it too.
    only: fc.option(fc.record({ twoPorts: fc.boolean(), slice: sliceArb }), { freq: 4, nil: undefined }),
    secrets: fc.array(fc.option(certKindArb, { freq: 5, nil: undefined }), {
      minLength: allNamespaces.length,
      maxLength: allNamespaces.length,
    }),
    delegations: fc.array(delegationDescArb, { maxLength: 2 }),
    // Sometimes roots are only allowed in some namespaces, or permitInsecure is disabled.
    rootNamespaces: mostly(fc.constant(undefined), fc.subarray([...allNamespaces], { minLength: 1 }), 6),
    disablePermitInsecure: mostly(fc.constant(false), fc.constant(true), 6),
  })
  .map(({ nsCount, proxies, services, only, secrets, delegations, ...options }): Forest => {
    const namespaces = allNamespaces.slice(0, nsCount);
    const ns = (i: number) => pick(namespaces, i);
    const located = uniqueBy(
      proxies.map((p) => ({ ...p, namespace: ns(p.ns), proxyName: pick(proxyNames, p.name) })),
      (p) => `${p.namespace}/${p.proxyName}`,
    );
    const children = located.filter((p) => p.root === undefined);
    const roots = located.filter((p) => p.root !== undefined);
    const objects: KubernetesObject[] = located.map((p) =>
      proxyObject(
        p.namespace,
        p.proxyName,
        p,
        p.includes.slice(0, p.root === undefined ? p.childIncludes : undefined).map((i): ResolvedInclude => {
          const candidates = i.target === 'ghost' ? [] : i.target.kind === 'child' ? children : roots;
          const target =
            i.target === 'ghost' ? undefined : candidates[i.target.index % Math.max(candidates.length, 1)];
          const name = target?.proxyName ?? 'ghost';
          const namespace = target?.namespace ?? p.namespace;
          return { name, namespace: i.omitNamespace ? undefined : namespace, condition: i.condition };
        }),
        namespaces,
      ),
    );
    services.forEach((s, i) => {
      const namespace = allNamespaces[Math.floor(i / 3)];
      if (s !== undefined && namespace !== undefined && namespaces.includes(namespace))
        objects.push(...serviceObjects(namespace, { name: i % 3, ...s }));
    });
    if (only !== undefined) objects.push(...serviceObjects('ns-a', { name: 3, ...only }));
    secrets.forEach((cert, i) => {
      const namespace = allNamespaces[i];
      if (cert !== undefined && namespace !== undefined && namespaces.includes(namespace))
        objects.push(secretObject(namespace, cert));
    });
    for (const d of uniqueBy(delegations, (d) => ns(d.ns)))
      objects.push(delegationObject(ns(d.ns), [d.target === '*' ? '*' : ns(d.target)]));
    return {
      namespaces,
      objects,
      options: {
        ...(options.rootNamespaces !== undefined ? { rootNamespaces: options.rootNamespaces } : {}),
        ...(options.disablePermitInsecure ? { disablePermitInsecure: true } : {}),
      },
    };
  });

// ---------------------------------------------------------------------------------------------------
// Reading the forest back

interface ProxySummary {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  /** Lower-cased fqdn for a root. */
  readonly fqdn: string | undefined;
  readonly generation: number;
  /** Whether this translator serves it (no class, or class contour). */
  readonly served: boolean;
  /** `ns/name` of each include target. */
  readonly includes: readonly string[];
  /** Service names its routes name. */
  readonly services: ReadonlySet<string>;
}

interface ProxyObject {
  kind: string;
  metadata: { namespace: string; name: string; generation?: number; annotations?: Record<string, string> };
  spec: {
    virtualhost?: { fqdn: string };
    includes?: { name: string; namespace?: string }[];
    routes?: { services?: { name: string }[] }[];
  };
}

function proxies(objects: readonly unknown[]): Map<string, ProxySummary> {
  const out = new Map<string, ProxySummary>();
  for (const o of objects as ProxyObject[]) {
    if (o.kind !== 'HTTPProxy') continue;
    const { namespace, name } = o.metadata;
    out.set(`${namespace}/${name}`, {
      id: `${namespace}/${name}`,
      namespace,
      name,
      fqdn: o.spec.virtualhost?.fqdn.toLowerCase(),
      served: (o.metadata.annotations?.['projectcontour.io/ingress.class'] ?? 'contour') === 'contour',
      generation: o.metadata.generation ?? 0,
      includes: (o.spec.includes ?? []).map((i) => `${i.namespace ?? namespace}/${i.name}`),
      services: new Set((o.spec.routes ?? []).flatMap((r) => (r.services ?? []).map((s) => s.name))),
    });
  }
  return out;
}

/**
 * Ids reachable from `start` (itself included) along includes. Contour never follows an include of a
 * root or of a proxy it does not serve; `loose` follows those too, for an over-approximation.
 */
function reachable(all: ReadonlyMap<string, ProxySummary>, start: string, loose: boolean): Set<string> {
  const seen = new Set<string>([start]);
  const todo = [start];
  for (let id = todo.pop(); id !== undefined; id = todo.pop()) {
    for (const next of all.get(id)?.includes ?? []) {
      const target = all.get(next);
      if (target === undefined || seen.has(next)) continue;
      if ((target.fqdn !== undefined || !target.served) && !loose) continue;
      seen.add(next);
      todo.push(next);
    }
  }
  return seen;
}

/** Each virtual host (RDS name + vhost name) with its fqdn and the clusters its routes name. */
function virtualHosts(resources: XdsResources) {
  const out: { key: string; fqdn: string; clusters: string[]; bytes: string }[] = [];
  for (const config of resources.routes) {
    for (const vhost of config.virtualHosts ?? []) {
      const clusters: string[] = [];
      for (const route of vhost.routes ?? []) {
        if (route.action?.$case !== 'route') continue;
        const specifier = route.action.value.clusterSpecifier;
        if (specifier?.$case === 'cluster') clusters.push(specifier.value);
        if (specifier?.$case === 'weightedClusters')
          for (const c of specifier.value.clusters ?? []) clusters.push(c.name ?? '');
        for (const m of route.action.value.requestMirrorPolicies ?? []) clusters.push(m.cluster ?? '');
      }
      out.push({
        key: `${config.name} ${vhost.name}`,
        fqdn: (vhost.domains?.[0] ?? '').toLowerCase(),
        clusters,
        bytes: Buffer.from(VirtualHost.encode(vhost).finish()).toString('base64'),
      });
    }
  }
  return out;
}

const statusId = (s: ObjectStatus) => `${s.namespace}/${s.name}`;

function assertSameStatuses(expected: readonly ObjectStatus[], actual: readonly ObjectStatus[]): void {
  expect(actual).toEqual(expected);
}

function assertSameResult(expected: TranslateResult, actual: TranslateResult): void {
  assertSameResources(expected.resources, actual.resources);
  assertSameDiagnostics(expected.diagnostics, actual.diagnostics);
  assertSameStatuses(expected.statuses, actual.statuses);
}

/** A small seeded PRNG (mulberry32), so a shuffle is reproducible from a generated seed. */
function shuffled<T>(list: readonly T[], seed: number): T[] {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// 1. Envoy acceptance and reference closure

describe('HTTPProxy forests: Envoy acceptance', () => {
  it('Envoy accepts the output and every route, EDS and SDS reference resolves', () => {
    const seen = { https: 0, eds: 0, routes: 0 };
    fc.assert(
      fc.property(forestArb, (forest) => {
        const { resources } = translateChecked(forest.objects, forest.options);
        assertEnvoyAcceptsAll(resources);
        if (resources.secrets.length > 0) seen.https++;
        if (resources.endpoints.length > 0) seen.eds++;
        if (virtualHosts(resources).some((v) => v.clusters.length > 0)) seen.routes++;
      }),
      runs(200),
    );
    // Not vacuous: TLS hosts, EDS clusters and forwarding routes all occur.
    expect(seen.https).toBeGreaterThan(0);
    expect(seen.eds).toBeGreaterThan(0);
    expect(seen.routes).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------------
// 2. Determinism under reordering

describe('HTTPProxy forests: determinism', () => {
  it('a shuffled deep copy gives byte-identical resources, diagnostics and statuses', () => {
    fc.assert(
      fc.property(forestArb, fc.integer(), (forest, seed) => {
        const first = translateChecked(forest.objects, forest.options);
        const second = translateChecked(shuffled(structuredClone(forest.objects), seed), forest.options);
        assertSameResult(first, second);
      }),
      runs(150),
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// 3. No cross-namespace leakage

describe('HTTPProxy forests: namespaces', () => {
  it('routes reach only clusters of Services that a proxy of that namespace in the tree names', () => {
    const seen = { clusters: 0, foreignNames: 0 };
    fc.assert(
      fc.property(forestArb, (forest) => {
        const { resources } = translateChecked(forest.objects, forest.options);
        const all = proxies(forest.objects);
        const problems: string[] = [];
        // Anywhere: a cluster ns/svc/... needs a proxy in ns naming svc.
        for (const cluster of resources.clusters) {
          const [ns, svc] = (cluster.name ?? '').split('/');
          seen.clusters++;
          if (![...all.values()].some((p) => p.served && p.namespace === ns && p.services.has(svc ?? '')))
            problems.push(`cluster ${cluster.name}: no proxy in ${ns} names Service ${svc}`);
        }
        // Per virtual host: the proxy must be in the include tree of the root serving the host.
        for (const vhost of virtualHosts(resources)) {
          const tree = new Set<string>();
          for (const p of all.values())
            if (p.served && p.fqdn === vhost.fqdn) for (const id of reachable(all, p.id, false)) tree.add(id);
          for (const name of vhost.clusters) {
            const [ns, svc] = name.split('/');
            const explained = [...tree].some((id) => {
              const p = all.get(id);
              return p !== undefined && p.namespace === ns && p.services.has(svc ?? '');
            });
            if (!explained)
              problems.push(
                `${vhost.key}: cluster ${name} is not named by a proxy in ${ns} under this host (tree: ${[...tree].join(', ')})`,
              );
          }
        }
        // How often a proxy names a Service that exists only in another namespace.
        const services = new Set(
          (forest.objects as ProxyObject[])
            .filter((o) => o.kind === 'Service')
            .map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
        );
        for (const p of all.values())
          for (const svc of p.services)
            if (
              !services.has(`${p.namespace}/${svc}`) &&
              forest.namespaces.some((ns) => services.has(`${ns}/${svc}`))
            )
              seen.foreignNames++;
        if (problems.length > 0) throw new Error(`cross-namespace leakage:\n  ${problems.join('\n  ')}`);
      }),
      runs(200),
    );
    expect(seen.clusters).toBeGreaterThan(0);
    expect(seen.foreignNames).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------------
// 4. Isolation

/** Route-level errors: each drops every route of the proxy that has it, and nothing else. */
const badRoutes = [
  { conditions: routeConditionKinds.badRegex, services: [{ name: 'web', port: 80 }] },
  { conditions: routeConditionKinds.headerContradiction, services: [{ name: 'web', port: 80 }] },
  { services: [{ name: 'web', port: 0 }] },
  { services: [{ name: 'web', port: 80 }], timeoutPolicy: { response: 'soon' } },
] as const;

describe('HTTPProxy forests: isolation', () => {
  it('breaking one proxy changes nothing for hosts and proxies that cannot reach it', () => {
    const seen = { comparedHosts: 0, comparedStatuses: 0, brokeSomething: 0 };
    fc.assert(
      fc.property(forestArb, fc.nat(), fc.nat(badRoutes.length - 1), (forest, which, bad) => {
        const ids = [...proxies(forest.objects).keys()];
        const victim = pick(ids, which);
        const objects = forest.objects.map((o) => {
          const p = o as unknown as ProxyObject;
          if (p.kind !== 'HTTPProxy' || `${p.metadata.namespace}/${p.metadata.name}` !== victim) return o;
          return { ...p, spec: { ...p.spec, routes: [...(p.spec.routes ?? []), badRoutes[bad]] } };
        }) as KubernetesObject[];
        const before = translateChecked(forest.objects, forest.options);
        const after = translateChecked(objects, forest.options);

        const all = proxies(forest.objects);
        // Proxies that reach the victim (over-approximated), and the hosts they serve.
        const reaching = new Set([...all.keys()].filter((id) => reachable(all, id, true).has(victim)));
        const hosts = new Set([...reaching].flatMap((id) => all.get(id)?.fqdn ?? []));
        const problems: string[] = [];

        const vhostsBefore = new Map(virtualHosts(before.resources).map((v) => [v.key, v]));
        const vhostsAfter = new Map(virtualHosts(after.resources).map((v) => [v.key, v]));
        for (const key of new Set([...vhostsBefore.keys(), ...vhostsAfter.keys()])) {
          const b = vhostsBefore.get(key);
          const a = vhostsAfter.get(key);
          const fqdn = (b ?? a)?.fqdn ?? '';
          if (hosts.has(fqdn)) continue;
          seen.comparedHosts++;
          if (b?.bytes !== a?.bytes)
            problems.push(`virtual host ${key} changed though it cannot reach ${victim}`);
        }

        const statusesBefore = new Map(before.statuses.map((s) => [statusId(s), s]));
        const statusesAfter = new Map(after.statuses.map((s) => [statusId(s), s]));
        for (const id of all.keys()) {
          if (reaching.has(id)) continue;
          seen.comparedStatuses++;
          const b = JSON.stringify(statusesBefore.get(id));
          const a = JSON.stringify(statusesAfter.get(id));
          if (a !== b)
            problems.push(`status of ${id} changed though it does not reach ${victim}:\n  - ${b}\n  + ${a}`);
        }
        if (JSON.stringify(statusesBefore.get(victim)) !== JSON.stringify(statusesAfter.get(victim)))
          seen.brokeSomething++;
        if (problems.length > 0) throw new Error(`breaking ${victim} leaked:\n  ${problems.join('\n  ')}`);
      }),
      runs(200),
    );
    expect(seen.comparedHosts).toBeGreaterThan(0);
    expect(seen.comparedStatuses).toBeGreaterThan(0);
    expect(seen.brokeSomething).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------------
// 5. Status well-formedness

function statusProblems(objects: readonly unknown[], result: TranslateResult): string[] {
  const problems: string[] = [];
  const all = proxies(objects);
  const ids = result.statuses.map(statusId);
  if (new Set(ids).size !== ids.length) problems.push(`a proxy has two statuses: ${ids.join(', ')}`);
  const expected = [...all.values()]
    .filter((p) => p.served)
    .map((p) => p.id)
    .sort();
  if (JSON.stringify([...ids].sort()) !== JSON.stringify(expected))
    problems.push(`statuses for ${ids.join(', ')}; served proxies are ${expected.join(', ')}`);

  // Orphans, independently: a child no root reaches even loosely is orphaned; a root never is.
  const reachedLoosely = new Set(
    [...all.values()].filter((p) => p.fqdn !== undefined).flatMap((p) => [...reachable(all, p.id, true)]),
  );
  for (const status of result.statuses) {
    const id = statusId(status);
    const where = `status of ${id}`;
    const proxy = all.get(id);
    if (proxy?.fqdn !== undefined && status.currentStatus === 'orphaned')
      problems.push(`${where}: a root is orphaned`);
    if (proxy?.fqdn === undefined && !reachedLoosely.has(id) && status.currentStatus !== 'orphaned')
      problems.push(`${where}: no root includes it, yet it is ${status.currentStatus}`);
    if (status.kind !== 'HTTPProxy') problems.push(`${where}: kind ${status.kind}`);
    if (status.observedGeneration !== proxy?.generation)
      problems.push(
        `${where}: observedGeneration ${status.observedGeneration}, object has ${proxy?.generation}`,
      );
    if (status.conditions.length !== 1) {
      problems.push(`${where}: ${status.conditions.length} conditions`);
      continue;
    }
    const condition = status.conditions[0];
    if (condition === undefined) continue;
    const { errors, warnings } = condition;
    const valid = errors.length === 0;
    if ((status.currentStatus === 'valid') !== valid)
      problems.push(`${where}: currentStatus ${status.currentStatus} with ${errors.length} errors`);
    const orphan = errors.some((e) => e.reason === 'Orphaned');
    if ((status.currentStatus === 'orphaned') !== orphan)
      problems.push(`${where}: currentStatus ${status.currentStatus}, Orphaned error present: ${orphan}`);
    if (condition.status !== (valid ? 'True' : 'False') || condition.observedGeneration !== proxy?.generation)
      problems.push(`${where}: Valid condition ${JSON.stringify(condition)}`);
    if (status.description === '' || condition.message === '') problems.push(`${where}: empty description`);

    // Every sub-condition is a diagnostic on this object, and every such diagnostic is one.
    const diagnostics = result.diagnostics.filter(
      (d) =>
        d.object.kind === 'HTTPProxy' &&
        d.object.namespace === status.namespace &&
        d.object.name === status.name,
    );
    const rendered = (d: Diagnostic) => ({
      type: d.conditionType ?? 'SpecError',
      reason: d.code,
      message: d.path.length === 0 ? d.message : `${formatPath(d.path)}: ${d.message}`,
      error: d.severity === 'error' || d.code === 'Orphaned',
    });
    const wanted = diagnostics.map(rendered);
    for (const [list, isError] of [
      [errors, true],
      [warnings, false],
    ] as const) {
      for (const sub of list) {
        const text = `${isError ? 'error' : 'warning'} ${JSON.stringify(sub)}`;
        if (sub.type === '' || sub.reason === '' || sub.message === '' || sub.status !== 'True')
          problems.push(`${where}: malformed ${text}`);
        const match = wanted.find(
          (w) => w.type === sub.type && w.reason === sub.reason && w.message === sub.message,
        );
        if (match === undefined)
          problems.push(`${where}: ${text} has no diagnostic with that code and conditionType`);
        else if (match.error !== isError) problems.push(`${where}: ${text} is filed under the wrong list`);
      }
    }
    for (const w of wanted) {
      const list = w.error ? errors : warnings;
      if (!list.some((s) => s.type === w.type && s.reason === w.reason && s.message === w.message))
        problems.push(`${where}: diagnostic ${JSON.stringify(w)} is missing from the status`);
    }
    for (const d of diagnostics)
      if (d.conditionType === '') problems.push(`${where}: diagnostic ${d.code} with an empty conditionType`);
  }
  return problems;
}

describe('HTTPProxy forests: statuses', () => {
  it('one well-formed status per served proxy, made of exactly its diagnostics', () => {
    const seen = { valid: 0, invalid: 0, orphaned: 0 };
    fc.assert(
      fc.property(forestArb, (forest) => {
        const result = translateChecked(forest.objects, forest.options);
        const problems = statusProblems(forest.objects, result);
        for (const s of result.statuses) seen[s.currentStatus]++;
        if (problems.length > 0) throw new Error(`statuses:\n  ${problems.join('\n  ')}`);
      }),
      runs(200),
    );
    expect(seen.valid).toBeGreaterThan(0);
    expect(seen.invalid).toBeGreaterThan(0);
    expect(seen.orphaned).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------------
// 6. Incremental = full

const incrementalNamespaces = allNamespaces.slice(0, 3);

/** One proxy with includes to any proxy name in any namespace of the incremental universe. */
const proxyChangeArb: fc.Arbitrary<KubernetesObject> = fc
  .record({
    desc: proxyDescArb,
    includes: fc.array(
      fc.record({
        ns: fc.option(fc.nat(incrementalNamespaces.length - 1), { freq: 3, nil: undefined }),
        name: fc.nat(proxyNames.length),
        condition: includeConditionArb,
      }),
      { maxLength: 3 },
    ),
  })
  .map(({ desc, includes }) =>
    proxyObject(
      pick(incrementalNamespaces, desc.ns),
      pick(proxyNames, desc.name),
      desc,
      includes.map((i) => ({
        name: i.name === proxyNames.length ? 'ghost' : pick(proxyNames, i.name),
        namespace: i.ns === undefined ? undefined : pick(incrementalNamespaces, i.ns),
        condition: i.condition,
      })),
      incrementalNamespaces,
    ),
  );

const objectChangeArb: fc.Arbitrary<KubernetesObject[]> = fc.oneof(
  { weight: 6, arbitrary: proxyChangeArb.map((o) => [o]) },
  {
    weight: 3,
    arbitrary: serviceDescArb.map((s) => serviceObjects(pick(incrementalNamespaces, s.ns), s)),
  },
  {
    weight: 2,
    arbitrary: secretDescArb.map((s) => [secretObject(pick(incrementalNamespaces, s.ns), s.cert)]),
  },
  {
    weight: 1,
    arbitrary: delegationDescArb.map((d) => [
      delegationObject(pick(incrementalNamespaces, d.ns), [
        d.target === '*' ? '*' : pick(incrementalNamespaces, d.target),
      ]),
    ]),
  },
);

/** An upsert, a delete of a held object (by index), a resync of one (an identical copy), or a no-op delete. */
type Step =
  | { readonly upsert: readonly KubernetesObject[] }
  | { readonly delete: number }
  | { readonly resync: number }
  | { readonly deleteMissing: true };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: objectChangeArb.map((upsert) => ({ upsert })) },
  { weight: 4, arbitrary: fc.nat().map((n) => ({ delete: n })) },
  { weight: 1, arbitrary: fc.nat().map((n) => ({ resync: n })) },
  { weight: 1, arbitrary: fc.constant({ deleteMissing: true as const }) },
);

const objectKey = (o: KubernetesObject) => {
  const m = o as unknown as ProxyObject;
  return `${m.kind}/${m.metadata.namespace}/${m.metadata.name}`;
};

describe('HTTPProxy forests: incremental translation', () => {
  it('after every step, apply() equals a fresh translate() and applyDiff(previous, diff) the new resources', () => {
    let steps = 0;
    fc.assert(
      fc.property(
        forestArb.map((forest) => ({
          // The starting forest in the incremental universe's namespaces only.
          objects: forest.objects.filter((o) =>
            (incrementalNamespaces as readonly string[]).includes(
              (o as unknown as ProxyObject).metadata.namespace,
            ),
          ),
          options: forest.options,
        })),
        fc.array(fc.array(stepArb, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 12 }),
        (initial, batches) => {
          const translator = createTranslator(initial.options);
          const current = new Map<string, KubernetesObject>();
          let previous: XdsResources = emptyResources;
          const check = (changes: ObjectChange[]) => {
            const update = translator.apply(changes);
            const fresh = translateChecked([...current.values()], initial.options);
            assertSameResources(fresh.resources, update.resources);
            assertSameDiagnostics(fresh.diagnostics, update.diagnostics);
            assertSameStatuses(fresh.statuses, update.statuses);
            assertSameResources(fresh.resources, applyDiff(previous, update.diff));
            previous = update.resources;
            steps++;
          };
          for (const o of initial.objects) current.set(objectKey(o), o);
          check(initial.objects.map((object) => ({ type: 'upsert', object })));
          for (const batch of batches) {
            const changes: ObjectChange[] = [];
            for (const step of batch) {
              if ('upsert' in step) {
                for (const object of step.upsert) {
                  current.set(objectKey(object), object);
                  changes.push({ type: 'upsert', object });
                }
                continue;
              }
              if ('deleteMissing' in step) {
                changes.push({ type: 'delete', kind: 'HTTPProxy', namespace: 'ns-a', name: 'never' });
                continue;
              }
              const keys = [...current.keys()].sort();
              const n = 'delete' in step ? step.delete : step.resync;
              const key = keys[n % Math.max(keys.length, 1)];
              const o = key === undefined ? undefined : current.get(key);
              if (key === undefined || o === undefined) continue;
              if ('resync' in step) {
                changes.push({ type: 'upsert', object: structuredClone(o) });
                continue;
              }
              const m = o as unknown as ProxyObject;
              current.delete(key);
              changes.push({
                type: 'delete',
                kind: m.kind,
                namespace: m.metadata.namespace,
                name: m.metadata.name,
              });
            }
            check(changes);
          }
        },
      ),
      runs(100),
    );
    expect(steps).toBeGreaterThan(0);
  });
});
