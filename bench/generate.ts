/**
 * A deterministic synthetic cluster for the benchmarks: Services with named ports, EndpointSlices of
 * up to 100 endpoints, Ingresses with one host and a few paths each, some of them TLS with a
 * per-namespace wildcard Secret. Everything derives from a seed through a small PRNG, so one seed
 * always gives the same objects (and the same resourceVersions) in every process.
 */
import {
  endpointSlice,
  ingress,
  ingressClass,
  service,
  tlsSecret,
  wildcardCertificate,
  wildcardPrivateKey,
} from '../src/fixtures/index.js';
import type {
  EndpointSliceInput,
  IngressClassInput,
  IngressInput,
  KubernetesObject,
  SecretInput,
  ServiceInput,
} from '../src/index.js';

/** mulberry32: a 32-bit state PRNG returning floats in [0, 1). Plenty for synthetic data. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x100000000;
  };
}

export type ScaleName = 'S' | 'M' | 'L';

export interface Scale {
  readonly name: ScaleName;
  /** Routes: one Ingress path on one host. */
  readonly routes: number;
  readonly services: number;
  readonly endpoints: number;
  readonly namespaces: number;
}

export const scales: Readonly<Record<ScaleName, Scale>> = {
  S: { name: 'S', routes: 1_000, services: 1_000, endpoints: 10_000, namespaces: 20 },
  M: { name: 'M', routes: 10_000, services: 10_000, endpoints: 100_000, namespaces: 50 },
  L: { name: 'L', routes: 50_000, services: 20_000, endpoints: 200_000, namespaces: 100 },
};

/** Where a single endpoint can be flipped so that exactly one ClusterLoadAssignment changes. */
export interface FlipTarget {
  /** Index of the slice in `SyntheticCluster.objects`. */
  readonly objectIndex: number;
  readonly slice: EndpointSliceInput;
  /** Index of a ready endpoint in the slice. */
  readonly endpointIndex: number;
  /** The EDS name (ClusterLoadAssignment.cluster_name) the slice feeds. */
  readonly endpointsName: string;
}

/** An Ingress that can be edited: a plain-HTTP Ingress with at least two paths. */
export interface EditTarget {
  /** Index of the Ingress in `SyntheticCluster.objects`. */
  readonly objectIndex: number;
  readonly ingress: IngressInput;
}

export interface SyntheticCluster {
  readonly scale: Scale;
  readonly seed: number;
  /** Every object, in a fixed order: IngressClass, Secrets, Services, EndpointSlices, Ingresses. */
  readonly objects: readonly KubernetesObject[];
  readonly counts: {
    readonly objects: number;
    readonly services: number;
    readonly endpointSlices: number;
    readonly endpoints: number;
    readonly notReadyEndpoints: number;
    readonly ingresses: number;
    readonly routes: number;
    readonly hosts: number;
    readonly tlsHosts: number;
    readonly forceSslRedirect: number;
  };
  readonly flip: FlipTarget;
  readonly edit: EditTarget;
  /** A resourceVersion above every one in `objects`; each call returns the next one. */
  nextResourceVersion(): string;
}

const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const extraPaths: readonly { path: string; pathType: 'Prefix' | 'Exact' }[] = [
  { path: '/api', pathType: 'Prefix' },
  { path: '/static', pathType: 'Prefix' },
  { path: '/v1/items', pathType: 'Prefix' },
  { path: '/login', pathType: 'Exact' },
  { path: '/assets', pathType: 'Prefix' },
  { path: '/healthz', pathType: 'Exact' },
  { path: '/graphql', pathType: 'Exact' },
  { path: '/admin', pathType: 'Prefix' },
];
const tlsSecretName = 'wildcard-tls';

function hex(random: () => number, digits: number): string {
  let out = '';
  for (let i = 0; i < digits; i++) out += Math.floor(random() * 16).toString(16);
  return out;
}

const uid = (random: () => number) =>
  `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-a${hex(random, 3)}-${hex(random, 12)}`;

/** Pod-name-style suffix: five lowercase consonants and digits, as the slice controller uses. */
function suffix(random: () => number): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  for (let i = 0; i < 5; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

const ipv4 = (n: number) => `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

/** Splits `total` into `parts` positive integers that follow random weights, some much larger. */
function endpointCounts(random: () => number, total: number, parts: number): number[] {
  const weights = Array.from({ length: parts }, () =>
    random() < 0.03 ? 10 + random() * 40 : 0.5 + random(),
  );
  const sum = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => Math.max(1, Math.floor((total * w) / sum)));
  let left = total - counts.reduce((a, b) => a + b, 0);
  for (let i = 0; left !== 0; i = (i + 1) % parts) {
    const c = counts[i] ?? 1;
    if (left > 0) {
      counts[i] = c + 1;
      left--;
    } else if (c > 1) {
      counts[i] = c - 1;
      left++;
    }
  }
  return counts;
}

interface ServicePlan {
  readonly namespace: string;
  readonly name: string;
  readonly hasGrpc: boolean;
}

/** Builds the synthetic cluster of a scale. Pure: the same scale and seed give equal objects. */
export function generateCluster(scale: Scale, seed = 1): SyntheticCluster {
  const random = createRandom(Math.imul(seed, 0x9e3779b1) + scale.routes);
  let resourceVersion = 100_000 + Math.floor(random() * 1_000_000);
  const nextResourceVersion = () => String(++resourceVersion);
  const meta = <T extends KubernetesObject>(object: T, extra: Record<string, unknown> = {}): T => ({
    ...object,
    metadata: { ...object.metadata, resourceVersion: nextResourceVersion(), uid: uid(random), ...extra },
  });

  const namespaces = Array.from({ length: scale.namespaces }, (_, i) => `team-${String(i).padStart(3, '0')}`);
  const objects: KubernetesObject[] = [];

  const contour: IngressClassInput = meta(ingressClass('contour', { isDefault: true }));
  objects.push(contour);
  const secrets: SecretInput[] = namespaces.map((ns) =>
    meta(
      tlsSecret(`${ns}/${tlsSecretName}`, {
        certificate: wildcardCertificate,
        privateKey: wildcardPrivateKey,
      }),
    ),
  );
  objects.push(...secrets);

  // Services, each in a random namespace; a quarter also serve gRPC on a second named port.
  const plans: ServicePlan[] = [];
  const services: ServiceInput[] = [];
  for (let i = 0; i < scale.services; i++) {
    const namespace = namespaces[Math.floor(random() * namespaces.length)] ?? 'default';
    const name = `svc-${i}`;
    const hasGrpc = random() < 0.25;
    plans.push({ namespace, name, hasGrpc });
    const svc = service(`${namespace}/${name}`, {
      labels: { app: name },
      ports: [
        { name: 'http', port: 80, targetPort: 'http' },
        ...(hasGrpc ? [{ name: 'grpc', port: 9090, targetPort: 9090, appProtocol: 'h2c' }] : []),
      ],
    });
    const octets = i + 1;
    services.push(
      meta({
        ...svc,
        spec: {
          ...svc.spec,
          clusterIP: `172.20.${(octets >>> 8) & 255}.${octets & 255}`,
          selector: { app: name },
          sessionAffinity: 'None',
        },
      }),
    );
  }
  objects.push(...services);

  // EndpointSlices: each Service's endpoints in slices of at most 100, addresses unique.
  const counts = endpointCounts(random, scale.endpoints, scale.services);
  let address = 1;
  let notReady = 0;
  let sliceCount = 0;
  let flip: FlipTarget | undefined;
  const flipCandidate = Math.floor(scale.services / 2);
  plans.forEach((plan, i) => {
    const count = counts[i] ?? 1;
    const sliceTotal = Math.ceil(count / 100);
    for (let s = 0; s < sliceTotal; s++) {
      const size = Math.floor(count / sliceTotal) + (s < count % sliceTotal ? 1 : 0);
      const endpoints = Array.from({ length: size }, () => {
        const ready = random() >= 0.02;
        if (!ready) notReady++;
        return { address: ipv4(address++), ready, zone: zones[Math.floor(random() * zones.length)] ?? '' };
      });
      const built = endpointSlice(`${plan.namespace}/${plan.name}-${suffix(random)}`, {
        service: plan.name,
        labels: { 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
        ports: [{ name: 'http', port: 8080 }, ...(plan.hasGrpc ? [{ name: 'grpc', port: 9090 }] : [])],
        endpoints,
      });
      const slice: EndpointSliceInput = meta(
        {
          ...built,
          endpoints: (built.endpoints ?? []).map((e) => ({
            ...e,
            nodeName: `node-${Math.floor(random() * 200)}`,
            targetRef: {
              kind: 'Pod',
              namespace: plan.namespace,
              name: `${plan.name}-${hex(random, 9)}-${suffix(random)}`,
              uid: uid(random),
            },
          })),
        },
        { generateName: `${plan.name}-`, generation: 1 },
      );
      const readyIndex = endpoints.findIndex((e) => e.ready);
      if (
        flip === undefined &&
        i >= flipCandidate &&
        !plan.hasGrpc &&
        sliceTotal === 1 &&
        readyIndex >= 0 &&
        endpoints.length >= 2
      ) {
        flip = {
          objectIndex: objects.length,
          slice,
          endpointIndex: readyIndex,
          endpointsName: `${plan.namespace}/${plan.name}/http`,
        };
      }
      objects.push(slice);
      sliceCount++;
    }
  });
  if (flip === undefined) throw new Error('generateCluster: no EndpointSlice suits the endpoint flip');

  // Ingresses: walk the Services grouped by namespace; each Ingress takes the next 1-5 Services of
  // one namespace as the backends of its paths, so every Service is routed to when routes >= services.
  const byNamespace = new Map<string, ServicePlan[]>();
  for (const plan of plans) {
    const list = byNamespace.get(plan.namespace) ?? [];
    list.push(plan);
    byNamespace.set(plan.namespace, list);
  }
  const walk = [...byNamespace.values()].flat();
  let cursor = 0;
  let routes = 0;
  let ingresses = 0;
  let tlsHosts = 0;
  let forceSslRedirect = 0;
  let edit: EditTarget | undefined;
  const editCandidate = Math.floor(scale.routes / 2);
  while (routes < scale.routes) {
    const first = walk[cursor % walk.length] as ServicePlan;
    const wanted = Math.min(1 + Math.floor(random() * 5), scale.routes - routes);
    const backends: ServicePlan[] = [];
    for (let p = 0; p < wanted; p++) {
      const next = walk[cursor % walk.length] as ServicePlan;
      if (p > 0 && next.namespace !== first.namespace) break;
      backends.push(next);
      cursor++;
    }
    const pool = [...extraPaths];
    const paths = backends.map((plan, p) => {
      const pick =
        p === 0 ? { path: '/', pathType: 'Prefix' } : pool.splice(Math.floor(random() * pool.length), 1)[0];
      const port = plan.hasGrpc && p > 0 && random() < 0.5 ? 'grpc' : 'http';
      return {
        path: pick?.path ?? '/',
        pathType: pick?.pathType ?? 'Prefix',
        backend: `${plan.name}:${port}`,
      };
    });
    const host = `app-${ingresses}.example.com`;
    const tls = random() < 0.15;
    const redirect = tls && random() < 0.5;
    const annotations: Record<string, string> = {};
    if (redirect) annotations['ingress.kubernetes.io/force-ssl-redirect'] = 'true';
    if (random() < 0.1) annotations['projectcontour.io/response-timeout'] = '30s';
    const built = ingress(`${first.namespace}/web-${ingresses}`, {
      className: 'contour',
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      rules: [{ host, paths }],
      ...(tls ? { tls: [{ hosts: [host], secretName: tlsSecretName }] } : {}),
    });
    const object = meta(built, { generation: 1 });
    if (edit === undefined && !tls && routes >= editCandidate && paths.length >= 2)
      edit = { objectIndex: objects.length, ingress: object };
    objects.push(object);
    ingresses++;
    routes += paths.length;
    if (tls) tlsHosts++;
    if (redirect) forceSslRedirect++;
  }
  if (edit === undefined) throw new Error('generateCluster: no Ingress suits the route edit');

  // Hand out the objects as a Kubernetes client does: each decoded from its JSON text. Objects built
  // here by spreading literals are laid out unlike decoded ones (reading every field of the M
  // cluster's slices took about 50 ms here against 4 ms once decoded), which would time this
  // generator's allocation pattern rather than the translator.
  const decoded = objects.map((object) => decode(object));
  return {
    scale,
    seed,
    objects: decoded,
    counts: {
      objects: objects.length,
      services: services.length,
      endpointSlices: sliceCount,
      endpoints: scale.endpoints,
      notReadyEndpoints: notReady,
      ingresses,
      routes,
      hosts: ingresses,
      tlsHosts,
      forceSslRedirect,
    },
    flip: { ...flip, slice: decoded[flip.objectIndex] as EndpointSliceInput },
    edit: { ...edit, ingress: decoded[edit.objectIndex] as IngressInput },
    nextResourceVersion,
  };
}

/** A copy of a JSON object as a client's decoder makes it. */
function decode<T>(object: T): T {
  return JSON.parse(JSON.stringify(object)) as T;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * A copy of the slice whose endpoint `endpointIndex` has its readiness set to `ready` (serving
 * follows), with a new resourceVersion: what a watch delivers when one Pod turns (un)ready.
 */
export function withEndpointReady(
  slice: EndpointSliceInput,
  endpointIndex: number,
  ready: boolean,
  resourceVersion: string,
): EndpointSliceInput {
  const copy = decode(slice) as Mutable<EndpointSliceInput>;
  copy.metadata = { ...copy.metadata, resourceVersion };
  const endpoint = copy.endpoints?.[endpointIndex];
  if (endpoint === undefined) throw new RangeError(`slice has no endpoint ${endpointIndex}`);
  (endpoint as Mutable<typeof endpoint>).conditions = { ...endpoint.conditions, ready, serving: ready };
  return copy;
}

/**
 * A copy of the Ingress with a new resourceVersion; when `edited`, its second path gets `-v2`
 * appended (`/api` becomes `/api-v2`), as when someone renames one route. `edited: false` gives the
 * original content back, so alternating the two makes every apply a real change.
 */
export function withIngressEdit(
  object: IngressInput,
  edited: boolean,
  resourceVersion: string,
): IngressInput {
  const copy = decode(object) as Mutable<IngressInput>;
  copy.metadata = { ...copy.metadata, resourceVersion, generation: (copy.metadata?.generation ?? 1) + 1 };
  if (edited) {
    const path = copy.spec?.rules?.[0]?.http?.paths[1] as Mutable<{ path?: string | undefined }> | undefined;
    if (path?.path === undefined) throw new RangeError('the Ingress has no second path to edit');
    path.path = `${path.path}-v2`;
  }
  return copy;
}

/** Fresh copies of every object, decoded again, as an informer's periodic resync (or a relist) delivers them. */
export function freshCopies(objects: readonly unknown[]): unknown[] {
  return objects.map((o) => decode(o));
}
