/**
 * translate(): Kubernetes objects in, Envoy resources and diagnostics out: one batch of upserts on a
 * fresh incremental translator (translator.ts), so full and incremental translation share one code
 * path. Pure: no I/O, clock or randomness.
 */

import { type Diagnostic, formatDiagnostic } from '../diagnostics.js';
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
  // One batch on a one-shot translator, which also settles two objects of one identity (the copy
  // whose canonical JSON sorts first wins, the other gets DuplicateObject).
  const changes = Array.from(objects, (object): ObjectChange => ({ type: 'upsert', object }));
  const update = createTranslatorWith(resolved, { oneShot: true }).apply(changes);
  return { resources: update.resources, diagnostics: update.diagnostics, statuses: update.statuses };
}

/** Like translate(), but throws listing every error-severity diagnostic. For tests and scripts. */
export function translateOrThrow(objects: Iterable<unknown>, options?: TranslateOptions): TranslateResult {
  const result = translate(objects, options);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0)
    throw new Error(`translate found ${errors.length} error(s):\n${errors.map(formatDiagnostic).join('\n')}`);
  return result;
}
