/**
 * The object index: every recognised object parsed once into a view, keyed for the lookups stage A
 * makes. The translator owns one index and updates it object by object; stage A only reads it,
 * through the read-only `Lookup`.
 */
import { compareText } from '../compare.js';
import type { DiagnosticSink, ObjectRef } from '../diagnostics.js';
import { parseTLSCertificateDelegation, type TLSCertificateDelegationView } from './k8s/delegation.js';
import {
  type EndpointSliceView,
  type EndpointsView,
  parseEndpointSlice,
  parseEndpoints,
} from './k8s/endpoint-slice.js';
import {
  type ExtensionServiceView,
  type HTTPProxyView,
  parseExtensionService,
  parseHTTPProxy,
} from './k8s/httpproxy.js';
import { type IngressView, parseIngress } from './k8s/ingress.js';
import { type IngressClassView, parseIngressClass } from './k8s/ingress-class.js';
import { type Meta, roughRef } from './k8s/meta.js';
import { isRecord, settle, sized } from './k8s/read.js';
import { parseSecret, type SecretView } from './k8s/secret.js';
import { parseService, type ServiceView } from './k8s/service.js';

export type View =
  | IngressView
  | IngressClassView
  | ServiceView
  | EndpointSliceView
  | EndpointsView
  | SecretView
  | TLSCertificateDelegationView
  | HTTPProxyView
  | ExtensionServiceView;

type Parser = (object: unknown, sink: DiagnosticSink) => View | undefined;

/** Recognised `apiVersion kind` pairs. Anything else is ignored without a diagnostic. */
const parsers: Readonly<Record<string, Parser>> = {
  'networking.k8s.io/v1 Ingress': parseIngress,
  'networking.k8s.io/v1 IngressClass': parseIngressClass,
  'v1 Service': parseService,
  'v1 Secret': parseSecret,
  'v1 Endpoints': parseEndpoints,
  'discovery.k8s.io/v1 EndpointSlice': parseEndpointSlice,
  'projectcontour.io/v1 TLSCertificateDelegation': parseTLSCertificateDelegation,
  'projectcontour.io/v1 HTTPProxy': parseHTTPProxy,
  'projectcontour.io/v1alpha1 ExtensionService': parseExtensionService,
};

export type Report = Parameters<DiagnosticSink['report']>;

export interface Parsed {
  /** `Kind/namespace/name`, as well as it could be read. */
  readonly identity: string;
  /** The object, as well as it could be read. */
  readonly ref: ObjectRef;
  readonly view: View | undefined;
  /** Diagnostics found while parsing. */
  readonly reports: readonly Report[];
}

/** A diagnostic sink that collects into `list`. */
export interface ReportList extends DiagnosticSink {
  readonly list: Report[];
}

function collectReport(this: ReportList, ...args: Report): void {
  this.list.push(args);
}

/**
 * A sink collecting into `list` (a new list when none is given), whose report method is one module
 * function rather than a closure per sink (docs/design.md, "Code that stays optimised").
 */
export const reportList = (list: Report[] = []): ReportList => ({ list, report: collectReport });

/**
 * Collects one parse's reports. Parsing is synchronous and never re-enters itself, so one collector
 * serves every parse, and a clean object (the common case) allocates no sink and no list.
 */
const collected: Report[] = [];
const collector = reportList(collected);
const noReports: readonly Report[] = [];

function takeReports(): readonly Report[] {
  return collected.length === 0 ? noReports : collected.splice(0);
}

/** Parses one object, or returns undefined for kinds kube-xds does not read. Never throws. */
export function parseObject(object: unknown): Parsed | undefined {
  if (!isRecord(object)) return undefined;
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
  const parse = parsers[`${apiVersion} ${kind}`];
  if (parse === undefined) return undefined;
  let view: View | undefined;
  try {
    view = parse(object, collector);
  } catch (error) {
    // Parsers do not throw; if one ever did, the next parse must still start with no reports.
    collected.length = 0;
    throw error;
  }
  const reports = takeReports();
  if (view !== undefined) {
    const { ref } = view.meta;
    return { identity: identityOf(ref.kind, ref.namespace, ref.name), ref, view, reports };
  }
  const ref = roughRef(kind, object);
  // The identity quickIdentity reads, as a resync uses it: roughRef blanks a name it cannot use, and
  // two different unreadable objects must not collide on that blank.
  return { identity: quickIdentity(object) ?? identityOf(kind, ref.namespace, ref.name), ref, view, reports };
}

/**
 * The identity parseObject would give a well-formed object, read without parsing it (namespaced
 * kinds default to `default`; IngressClass is cluster-scoped). Undefined when it cannot be read.
 */
export function quickIdentity(object: unknown): string | undefined {
  return readIdentity(object, undefined, identityOfRead);
}

const identityOfRead = (_: undefined, kind: string, namespace: string, name: string) =>
  identityOf(kind, namespace, name);

/** IngressClass is the one cluster-scoped kind kube-xds reads: its identity has no namespace. */
export const isClusterScoped = (kind: string): boolean => kind === 'IngressClass';

/**
 * Reads the kind, namespace and name quickIdentity uses and hands them to `use` with `context`,
 * without building a string, a tuple or a closure (a resync checks every object this way);
 * undefined when they cannot be read.
 */
export function readIdentity<C, T>(
  object: unknown,
  context: C,
  use: (context: C, kind: string, namespace: string, name: string) => T,
): T | undefined {
  const o = object as { kind?: unknown; metadata?: { namespace?: unknown; name?: unknown } } | null;
  const kind = o?.kind;
  const name = o?.metadata?.name;
  if (typeof kind !== 'string' || typeof name !== 'string') return undefined;
  const namespace = isClusterScoped(kind) ? '' : (o?.metadata?.namespace ?? 'default');
  return typeof namespace === 'string' ? use(context, kind, namespace, name) : undefined;
}

export const identityOf = (kind: string, namespace: string, name: string): string =>
  `${kind}/${namespace}/${name}`;

export const key = (namespace: string, name: string): string => `${namespace}/${name}`;

export function compareMeta(a: Meta, b: Meta): number {
  return compareText(a.namespace, b.namespace) || compareText(a.name, b.name);
}

/** Oldest first, then namespace/name: the order in which conflicting claims are honoured. */
export function compareAge(a: Meta, b: Meta): number {
  return a.createdAt === b.createdAt ? compareMeta(a, b) : a.createdAt < b.createdAt ? -1 : 1;
}

/** JSON with sorted keys: the tie-breaker between two objects that claim the same identity. */
/** Nesting deeper than any Kubernetes object; guards the recursive helpers against cyclic input. */
const maxDepth = 100;

export function canonicalJson(value: unknown, depth = 0): string {
  // Input is meant to be JSON data; anything deeper or stranger still gets a stable text.
  if (depth > maxDepth) return '"…"';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v, depth + 1)).join(',')}]`;
  if (isRecord(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k], depth + 1)}`)
      .join(',')}}`;
  }
  if (typeof value === 'bigint') return `"${value}n"`;
  return JSON.stringify(value) ?? 'null';
}

/** Structural equality of two JSON values or messages (key order ignored; bytes compared by value). */
export function jsonEqual(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) return true;
  if (depth > maxDepth) return false;
  if (a instanceof Uint8Array) {
    if (!(b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if (isRecord(a)) {
    if (!isRecord(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    for (const k of keys) if (!Object.hasOwn(b, k) || !jsonEqual(a[k], b[k], depth + 1)) return false;
    return true;
  }
  return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
}

/** The read-only lookups stage A makes. */
export interface Lookup {
  service(namespace: string, name: string): ServiceView | undefined;
  secret(namespace: string, name: string): SecretView | undefined;
  /** The Service's EndpointSlices, sorted by name. */
  slices(namespace: string, service: string): readonly EndpointSliceView[];
  legacyEndpoints(namespace: string, name: string): EndpointsView | undefined;
  /** TLSCertificateDelegations in a namespace, sorted by name. */
  delegations(namespace: string): readonly TLSCertificateDelegationView[];
  proxy(namespace: string, name: string): HTTPProxyView | undefined;
  /** HTTPProxies whose spec.virtualhost.fqdn is this one, compared lower-cased. */
  proxyRoots(fqdn: string): readonly HTTPProxyView[];
  extensionService(namespace: string, name: string): ExtensionServiceView | undefined;
}

/** Index keys whose change can alter what a lookup returns (used to track dependencies). */
export const dependency = {
  service: (namespace: string, name: string) => `Service/${namespace}/${name}`,
  secret: (namespace: string, name: string) => `Secret/${namespace}/${name}`,
  slices: (namespace: string, service: string) => `Slices/${namespace}/${service}`,
  endpoints: (namespace: string, name: string) => `Endpoints/${namespace}/${name}`,
  delegations: (namespace: string) => `Delegations/${namespace}`,
  proxy: (namespace: string, name: string) => `HTTPProxy/${namespace}/${name}`,
  proxyFqdn: (fqdn: string) => `Fqdn/${fqdn}`,
  extensionService: (namespace: string, name: string) => `ExtensionService/${namespace}/${name}`,
} as const;

/** The lower-cased fqdn a root HTTPProxy claims, if it has a virtual host. */
export function proxyFqdn(view: HTTPProxyView): string | undefined {
  return view.virtualhost === undefined ? undefined : view.virtualhost.fqdn.toLowerCase();
}

/** The dependency keys a change of this view touches. */
export function dependenciesOf(view: View): string[] {
  const { namespace, name } = view.meta;
  switch (view.kind) {
    case 'Service':
      return [dependency.service(namespace, name)];
    case 'Secret':
      return [dependency.secret(namespace, name)];
    case 'EndpointSlice':
      return view.serviceName === '' ? [] : [dependency.slices(namespace, view.serviceName)];
    case 'Endpoints':
      return [dependency.endpoints(namespace, name)];
    case 'TLSCertificateDelegation':
      return [dependency.delegations(namespace)];
    case 'HTTPProxy': {
      const fqdn = proxyFqdn(view);
      return [dependency.proxy(namespace, name), ...(fqdn === undefined ? [] : [dependency.proxyFqdn(fqdn)])];
    }
    case 'ExtensionService':
      return [dependency.extensionService(namespace, name)];
    case 'Ingress':
    case 'IngressClass':
      return [];
  }
}

/** The mutable index behind Lookup. */
export interface ObjectIndex extends Lookup {
  add(view: View): void;
  remove(view: View): void;
  readonly ingresses: ReadonlyMap<string, IngressView>;
  readonly ingressClasses: ReadonlyMap<string, IngressClassView>;
  readonly proxies: ReadonlyMap<string, HTTPProxyView>;
  readonly extensionServices: ReadonlyMap<string, ExtensionServiceView>;
}

/** A copy of a name-sorted list with `view` in place of any view of the same name. */
function sortedInsert<T extends { meta: Meta }>(list: readonly T[], view: T): T[] {
  const name = view.meta.name;
  // Sized exactly (a list grown by push keeps room for 17): the index holds one per Service.
  const out = sized<T>(list.length + 1);
  let count = 0;
  let placed = false;
  for (const v of list) {
    if (!placed && compareText(name, v.meta.name) <= 0) {
      out[count++] = view;
      placed = true;
    }
    if (v.meta.name !== name) out[count++] = v;
  }
  if (!placed) out[count++] = view;
  return settle(out, count);
}

/**
 * A map keyed by namespace, then name. Lookups are the hot path of evaluation (a Service per route,
 * its slices per endpoint group): two lookups of strings whose hashes are cached cost less than
 * building and hashing a `namespace/name` string each time. A Map subclass without fields, so
 * every instance keeps the constructor's hidden class (see IndexData).
 */
class NamespacedMap<V> extends Map<string, Map<string, V>> {
  getIn(namespace: string, name: string): V | undefined {
    return this.get(namespace)?.get(name);
  }

  setIn(namespace: string, name: string, value: V): void {
    let byName = this.get(namespace);
    if (byName === undefined) {
      byName = new Map();
      this.set(namespace, byName);
    }
    byName.set(name, value);
  }

  deleteIn(namespace: string, name: string): void {
    const byName = this.get(namespace);
    if (byName === undefined) return;
    byName.delete(name);
    if (byName.size === 0) this.delete(namespace);
  }
}

const none: readonly never[] = [];

const sameProxy = (a: HTTPProxyView, b: HTTPProxyView) =>
  a.meta.namespace === b.meta.namespace && a.meta.name === b.meta.name;

/**
 * An index is one object literal whose methods are module functions reading `this`, not closures
 * per index (docs/design.md, "Code that stays optimised").
 */
interface IndexData extends ObjectIndex {
  readonly services: NamespacedMap<ServiceView>;
  readonly secrets: NamespacedMap<SecretView>;
  readonly sliceMap: NamespacedMap<readonly EndpointSliceView[]>;
  readonly endpoints: NamespacedMap<EndpointsView>;
  readonly delegationMap: Map<string, readonly TLSCertificateDelegationView[]>;
  readonly ingresses: Map<string, IngressView>;
  readonly ingressClasses: Map<string, IngressClassView>;
  readonly proxies: Map<string, HTTPProxyView>;
  readonly roots: Map<string, readonly HTTPProxyView[]>;
  readonly extensionServices: Map<string, ExtensionServiceView>;
}

export function createObjectIndex(): ObjectIndex {
  const index: IndexData = {
    services: new NamespacedMap(),
    secrets: new NamespacedMap(),
    sliceMap: new NamespacedMap(),
    endpoints: new NamespacedMap(),
    delegationMap: new Map(),
    ingresses: new Map(),
    ingressClasses: new Map(),
    proxies: new Map(),
    roots: new Map(),
    extensionServices: new Map(),
    proxy: indexProxy,
    proxyRoots: indexProxyRoots,
    extensionService: indexExtensionService,
    service: indexService,
    secret: indexSecret,
    slices: indexSlices,
    legacyEndpoints: indexLegacyEndpoints,
    delegations: indexDelegations,
    add: indexAdd,
    remove: indexRemove,
  };
  return index;
}

function indexProxy(this: IndexData, namespace: string, name: string): HTTPProxyView | undefined {
  return this.proxies.get(key(namespace, name));
}

function indexProxyRoots(this: IndexData, fqdn: string): readonly HTTPProxyView[] {
  return this.roots.get(fqdn) ?? none;
}

function indexExtensionService(
  this: IndexData,
  namespace: string,
  name: string,
): ExtensionServiceView | undefined {
  return this.extensionServices.get(key(namespace, name));
}

function indexService(this: IndexData, namespace: string, name: string): ServiceView | undefined {
  return this.services.getIn(namespace, name);
}

function indexSecret(this: IndexData, namespace: string, name: string): SecretView | undefined {
  return this.secrets.getIn(namespace, name);
}

function indexSlices(this: IndexData, namespace: string, service: string): readonly EndpointSliceView[] {
  return this.sliceMap.getIn(namespace, service) ?? none;
}

function indexLegacyEndpoints(this: IndexData, namespace: string, name: string): EndpointsView | undefined {
  return this.endpoints.getIn(namespace, name);
}

function indexDelegations(this: IndexData, namespace: string): readonly TLSCertificateDelegationView[] {
  return this.delegationMap.get(namespace) ?? none;
}

function indexRemove(this: IndexData, view: View): void {
  switch (view.kind) {
    case 'Service':
      this.services.deleteIn(view.meta.namespace, view.meta.name);
      break;
    case 'Secret':
      this.secrets.deleteIn(view.meta.namespace, view.meta.name);
      break;
    case 'Endpoints':
      this.endpoints.deleteIn(view.meta.namespace, view.meta.name);
      break;
    case 'Ingress':
      this.ingresses.delete(key(view.meta.namespace, view.meta.name));
      break;
    case 'IngressClass':
      this.ingressClasses.delete(view.meta.name);
      break;
    case 'HTTPProxy': {
      this.proxies.delete(key(view.meta.namespace, view.meta.name));
      const fqdn = proxyFqdn(view);
      if (fqdn === undefined) break;
      const rest = (this.roots.get(fqdn) ?? none).filter((v) => !sameProxy(v, view));
      if (rest.length === 0) this.roots.delete(fqdn);
      else this.roots.set(fqdn, rest);
      break;
    }
    case 'ExtensionService':
      this.extensionServices.delete(key(view.meta.namespace, view.meta.name));
      break;
    case 'EndpointSlice': {
      const { namespace } = view.meta;
      const rest = (this.sliceMap.getIn(namespace, view.serviceName) ?? none).filter(
        (v) => v.meta.name !== view.meta.name,
      );
      if (rest.length === 0) this.sliceMap.deleteIn(namespace, view.serviceName);
      else this.sliceMap.setIn(namespace, view.serviceName, rest);
      break;
    }
    case 'TLSCertificateDelegation': {
      const rest = (this.delegationMap.get(view.meta.namespace) ?? none).filter(
        (v) => v.meta.name !== view.meta.name,
      );
      if (rest.length === 0) this.delegationMap.delete(view.meta.namespace);
      else this.delegationMap.set(view.meta.namespace, rest);
      break;
    }
  }
}

function indexAdd(this: IndexData, view: View): void {
  switch (view.kind) {
    case 'Service':
      this.services.setIn(view.meta.namespace, view.meta.name, view);
      break;
    case 'Secret':
      this.secrets.setIn(view.meta.namespace, view.meta.name, view);
      break;
    case 'Endpoints':
      this.endpoints.setIn(view.meta.namespace, view.meta.name, view);
      break;
    case 'Ingress':
      this.ingresses.set(key(view.meta.namespace, view.meta.name), view);
      break;
    case 'IngressClass':
      this.ingressClasses.set(view.meta.name, view);
      break;
    case 'HTTPProxy': {
      this.proxies.set(key(view.meta.namespace, view.meta.name), view);
      const fqdn = proxyFqdn(view);
      if (fqdn === undefined) break;
      const rest = (this.roots.get(fqdn) ?? none).filter((v) => !sameProxy(v, view));
      this.roots.set(
        fqdn,
        [...rest, view].sort((a, b) => compareMeta(a.meta, b.meta)),
      );
      break;
    }
    case 'ExtensionService':
      this.extensionServices.set(key(view.meta.namespace, view.meta.name), view);
      break;
    case 'EndpointSlice': {
      // A slice without the service-name label belongs to no Service.
      if (view.serviceName === '') break;
      const { namespace } = view.meta;
      this.sliceMap.setIn(
        namespace,
        view.serviceName,
        sortedInsert(this.sliceMap.getIn(namespace, view.serviceName) ?? none, view),
      );
      break;
    }
    case 'TLSCertificateDelegation':
      this.delegationMap.set(
        view.meta.namespace,
        sortedInsert(this.delegationMap.get(view.meta.namespace) ?? none, view),
      );
      break;
  }
}
