/**
 * translate(): Kubernetes objects in, Envoy resources and diagnostics out: one batch of upserts on a
 * fresh incremental translator (translator.ts), so full and incremental translation share one code
 * path. Pure: no I/O, clock or randomness.
 */

import { createDiagnosticSink, type Diagnostic, formatDiagnostic, sortDiagnostics } from '../diagnostics.js';
import { canonicalJson, parseObject, recognisedIdentity } from '../model/snapshot.js';
import { resolveOptions, type TranslateOptions } from '../options.js';
import type { XdsResources } from '../resources.js';
import { createTranslatorWith } from '../translator.js';
import type { ObjectChange } from './engine.js';
import type { ObjectStatus } from './status.js';

export type { ObjectStatus, SubCondition, ValidCondition } from './status.js';

export interface TranslateResult {
  readonly resources: XdsResources;
  /** Sorted by object, path and code. */
  readonly diagnostics: readonly Diagnostic[];
  /** The status each served HTTPProxy should carry, sorted by namespace and name. */
  readonly statuses: readonly ObjectStatus[];
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
  const update = createTranslatorWith(resolved, { oneShot: true }).apply(deduplicate(objects, sink));
  const diagnostics =
    sink.list.length === 0 ? update.diagnostics : sortDiagnostics([...sink.list, ...update.diagnostics]);
  return { resources: update.resources, diagnostics, statuses: update.statuses };
}

/** Like translate(), but throws listing every error-severity diagnostic. For tests and scripts. */
export function translateOrThrow(objects: Iterable<unknown>, options?: TranslateOptions): TranslateResult {
  const result = translate(objects, options);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0)
    throw new Error(`translate found ${errors.length} error(s):\n${errors.map(formatDiagnostic).join('\n')}`);
  return result;
}
