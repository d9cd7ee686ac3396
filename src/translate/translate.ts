/**
 * translate(): Kubernetes objects in, Envoy resources and diagnostics out. Stage A (per source kind)
 * builds the IR from a read-only snapshot index; the seam below keeps only what is complete and
 * referenced; stage B shapes each Envoy resource. Pure: no I/O, clock or randomness.
 */

import { compareText } from '../compare.js';
import { createDiagnosticSink, type Diagnostic, formatDiagnostic, sortDiagnostics } from '../diagnostics.js';
import type { Ir } from '../model/ir.js';
import { canonicalJson, parseObject, recognisedIdentity } from '../model/snapshot.js';
import { type ResolvedOptions, resolveOptions, type TranslateOptions } from '../options.js';
import type { XdsResources } from '../resources.js';
import { createTranslatorWith } from '../translator.js';
import type { EngineState, ObjectChange } from './engine.js';
import { httpRouteConfigName, httpsRouteConfigName } from './names.js';
import { buildCluster } from './xds/cluster.js';
import { buildClusterLoadAssignment } from './xds/endpoint.js';
import { buildListeners } from './xds/listener.js';
import { buildRouteConfiguration } from './xds/route.js';
import { buildSecret } from './xds/secret.js';

/** Status a host should write on an object (HTTPProxy and later Gateway API); none for Ingress yet. */
export interface ObjectStatus {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export interface TranslateResult {
  readonly resources: XdsResources;
  /** Sorted by object, path and code. */
  readonly diagnostics: readonly Diagnostic[];
  readonly statuses: readonly ObjectStatus[];
}

const sortedValues = <T>(map: ReadonlyMap<string, T>): T[] =>
  [...map.keys()].sort(compareText).map((k) => map.get(k) as T);

/** The engine's current IR, in output order. */
export function irOf(state: EngineState): Ir {
  return {
    http: sortedValues(state.http),
    https: sortedValues(state.https),
    clusters: sortedValues(state.clusters),
    endpoints: sortedValues(state.endpoints),
    secrets: sortedValues(state.secrets),
  };
}

/**
 * Within one batch, two different objects with the same identity are a conflict (a watch would never
 * deliver both): keep the one whose canonical JSON sorts first, report the other.
 */
function deduplicate(
  objects: Iterable<unknown>,
  sink: ReturnType<typeof createDiagnosticSink>,
): ObjectChange[] {
  const chosen = new Map<string, { object: unknown; text?: string }>();
  const order: string[] = [];
  for (const object of objects) {
    // Identity without parsing: the engine parses each kept object once.
    const identity = recognisedIdentity(object);
    if (identity === undefined) continue;
    const existing = chosen.get(identity);
    if (existing === undefined) {
      chosen.set(identity, { object });
      order.push(identity);
      continue;
    }
    existing.text ??= canonicalJson(existing.object);
    const text = canonicalJson(object);
    if (text === existing.text) continue;
    const [keep, drop] = text < existing.text ? [{ object, text }, existing] : [existing, { object, text }];
    chosen.set(identity, keep);
    const ref = (parseObject(drop.object) ?? parseObject(keep.object))?.ref;
    if (ref === undefined) continue;
    sink.report(
      'DuplicateObject',
      ref,
      [],
      'another object with the same kind, namespace and name but different content was given; this copy is ignored',
    );
  }
  return order.map((identity) => ({ type: 'upsert', object: chosen.get(identity)?.object }));
}

function byName<T extends { name?: string | undefined }>(items: T[]): T[] {
  return items.sort((a, b) => compareText(a.name ?? '', b.name ?? ''));
}

/** Stage B: one Envoy resource per IR element, every collection sorted by name. */
export function buildResources(ir: Ir, options: ResolvedOptions): XdsResources {
  const style = { splitSegmentPrefix: options.grpcApiListeners };
  const routes = [
    ...(ir.http.length > 0 ? [buildRouteConfiguration(httpRouteConfigName, ir.http, style)] : []),
    ...ir.https.map((vhost) => buildRouteConfiguration(httpsRouteConfigName(vhost.fqdn), [vhost], style)),
  ];
  return {
    listeners: byName(buildListeners(ir, options)),
    routes: byName(routes),
    clusters: byName(ir.clusters.map((c) => buildCluster(c, options))),
    endpoints: ir.endpoints
      .map(buildClusterLoadAssignment)
      .sort((a, b) => compareText(a.clusterName ?? '', b.clusterName ?? '')),
    secrets: byName(ir.secrets.map(buildSecret)),
  };
}

/**
 * Translates Kubernetes objects into Envoy xDS resources. Never throws on input: a malformed or
 * conflicting object yields diagnostics and is left out while everything else translates. Throws only
 * for invalid options (a programmer error).
 *
 * @example
 * ```ts
 * const { resources, diagnostics } = translate([ingress, service, endpointSlice]);
 * resources.listeners[0]?.name; // 'ingress_http'
 * ```
 */
export function translate(objects: Iterable<unknown>, options?: TranslateOptions): TranslateResult {
  const resolved = resolveOptions(options);
  const sink = createDiagnosticSink();
  const update = createTranslatorWith(resolved, { eagerDiff: false }).apply(deduplicate(objects, sink));
  const diagnostics =
    sink.list.length === 0 ? update.diagnostics : sortDiagnostics([...sink.list, ...update.diagnostics]);
  return { resources: update.resources, diagnostics, statuses: [] };
}

/** Like translate(), but throws listing every error-severity diagnostic. For tests and scripts. */
export function translateOrThrow(objects: Iterable<unknown>, options?: TranslateOptions): TranslateResult {
  const result = translate(objects, options);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0)
    throw new Error(`translate found ${errors.length} error(s):\n${errors.map(formatDiagnostic).join('\n')}`);
  return result;
}
