/**
 * The read-only index of one snapshot: every recognised object parsed once, sorted, deduplicated and
 * keyed for lookup. Stage A reads only this.
 */
import type { DiagnosticSink } from '../diagnostics.js';
import { parseTLSCertificateDelegation, type TLSCertificateDelegationView } from './k8s/delegation.js';
import {
  type EndpointSliceView,
  type EndpointsView,
  parseEndpointSlice,
  parseEndpoints,
} from './k8s/endpoint-slice.js';
import { type IngressView, parseIngress } from './k8s/ingress.js';
import { type IngressClassView, parseIngressClass } from './k8s/ingress-class.js';
import type { Meta } from './k8s/meta.js';
import { isRecord } from './k8s/read.js';
import { parseSecret, type SecretView } from './k8s/secret.js';
import { parseService, type ServiceView } from './k8s/service.js';

export interface Snapshot {
  /** Oldest first, then namespace/name. */
  readonly ingresses: readonly IngressView[];
  readonly ingressClasses: readonly IngressClassView[];
  readonly services: ReadonlyMap<string, ServiceView>;
  /** Keyed by `namespace/serviceName`, slices sorted by name. */
  readonly slicesByService: ReadonlyMap<string, readonly EndpointSliceView[]>;
  readonly endpoints: ReadonlyMap<string, EndpointsView>;
  readonly secrets: ReadonlyMap<string, SecretView>;
  readonly delegations: readonly TLSCertificateDelegationView[];
}

type View =
  | IngressView
  | IngressClassView
  | ServiceView
  | EndpointSliceView
  | EndpointsView
  | SecretView
  | TLSCertificateDelegationView;

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
};

export const key = (namespace: string, name: string): string => `${namespace}/${name}`;

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareMeta(a: Meta, b: Meta): number {
  return compareText(a.namespace, b.namespace) || compareText(a.name, b.name);
}

export function compareAge(a: Meta, b: Meta): number {
  return compareText(a.creationTimestamp, b.creationTimestamp) || compareMeta(a, b);
}

/** JSON with sorted keys: the tie-breaker between two objects that claim the same identity. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isRecord(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

type Report = Parameters<DiagnosticSink['report']>;

interface Entry {
  readonly view: View;
  readonly source: unknown;
  /** Diagnostics of this copy, reported only if it survives deduplication. */
  readonly reports: readonly Report[];
  text?: string;
}

export function buildSnapshot(objects: Iterable<unknown>, sink: DiagnosticSink): Snapshot {
  const byIdentity = new Map<string, Entry>();
  for (const object of objects) {
    if (!isRecord(object)) continue;
    const { apiVersion, kind } = object;
    if (typeof apiVersion !== 'string' || typeof kind !== 'string') continue;
    const parse = parsers[`${apiVersion} ${kind}`];
    if (parse === undefined) continue;
    const reports: Report[] = [];
    const view = parse(object, { report: (...args) => void reports.push(args) });
    if (view === undefined) {
      for (const report of reports) sink.report(...report);
      continue;
    }
    const identity = `${view.kind}/${view.meta.namespace}/${view.meta.name}`;
    const entry: Entry = { view, source: object, reports };
    const existing = byIdentity.get(identity);
    if (existing === undefined) {
      byIdentity.set(identity, entry);
      continue;
    }
    existing.text ??= canonical(existing.source);
    entry.text = canonical(object);
    if (entry.text === existing.text) continue;
    // Keep the copy whose canonical JSON sorts first, so the choice does not depend on input order.
    const [keep, drop] = entry.text < existing.text ? [entry, existing] : [existing, entry];
    byIdentity.set(identity, keep);
    sink.report(
      'DuplicateObject',
      drop.view.meta.ref,
      [],
      'another object with the same kind, namespace and name but different content was given; this copy is ignored',
    );
  }

  const entries = [...byIdentity.values()];
  for (const entry of entries) for (const report of entry.reports) sink.report(...report);
  const all = entries
    .map((e) => e.view)
    .sort((a, b) => compareText(a.kind, b.kind) || compareMeta(a.meta, b.meta));

  const ingresses: IngressView[] = [];
  const ingressClasses: IngressClassView[] = [];
  const services = new Map<string, ServiceView>();
  const slices = new Map<string, EndpointSliceView[]>();
  const endpoints = new Map<string, EndpointsView>();
  const secrets = new Map<string, SecretView>();
  const delegations: TLSCertificateDelegationView[] = [];
  for (const view of all) {
    const k = key(view.meta.namespace, view.meta.name);
    switch (view.kind) {
      case 'Ingress':
        ingresses.push(view);
        break;
      case 'IngressClass':
        ingressClasses.push(view);
        break;
      case 'Service':
        services.set(k, view);
        break;
      case 'EndpointSlice': {
        if (view.serviceName === '') break;
        const sk = key(view.meta.namespace, view.serviceName);
        const list = slices.get(sk) ?? [];
        list.push(view);
        slices.set(sk, list);
        break;
      }
      case 'Endpoints':
        endpoints.set(k, view);
        break;
      case 'Secret':
        secrets.set(k, view);
        break;
      case 'TLSCertificateDelegation':
        delegations.push(view);
        break;
      default:
        view satisfies never;
    }
  }
  ingresses.sort((a, b) => compareAge(a.meta, b.meta));
  return { ingresses, ingressClasses, services, slicesByService: slices, endpoints, secrets, delegations };
}
