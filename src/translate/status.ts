/**
 * The status each HTTPProxy should carry, computed from the diagnostics filed against it and nothing
 * else (one stream: every sub-condition is a diagnostic with its conditionType). The host controller
 * writes these; kube-xds only computes them, deterministically.
 */
import { compareText } from '../compare.js';
import { diagnosticCodes, formatPath } from '../diagnostics.js';
import type { ExtensionServiceView, HTTPProxyView } from '../model/k8s/httpproxy.js';
import type { Report } from '../model/snapshot.js';

/** One typed error or warning inside the Valid condition (Contour's SubCondition). */
export interface SubCondition {
  readonly type: string;
  readonly status: 'True';
  readonly reason: string;
  readonly message: string;
}

/** Contour's `Valid` DetailedCondition. */
export interface ValidCondition {
  readonly type: 'Valid';
  readonly status: 'True' | 'False';
  readonly observedGeneration: number;
  readonly reason: 'Valid' | 'ErrorPresent';
  readonly message: string;
  readonly errors: readonly SubCondition[];
  readonly warnings: readonly SubCondition[];
}

/** What the host should write into an object's `status`. */
export interface ObjectStatus {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** metadata.generation of the object the status was computed from. */
  readonly observedGeneration: number;
  readonly currentStatus: 'valid' | 'invalid' | 'orphaned';
  readonly description: string;
  readonly conditions: readonly ValidCondition[];
}

const validMessages = { HTTPProxy: 'Valid HTTPProxy', ExtensionService: 'Valid ExtensionService' } as const;
const errorMessage = 'At least one error present, see Errors for details';
const orphanMessage = 'this HTTPProxy is not part of a delegation chain from a root HTTPProxy';

function subCondition([code, , path, message, type]: Report): SubCondition {
  const where = path.length === 0 ? '' : `${formatPath(path)}: `;
  // Parse problems (the CRD schema the API server would enforce) are spec errors.
  return { type: type ?? 'SpecError', status: 'True', reason: code, message: `${where}${message}` };
}

function sortUnique(list: SubCondition[]): SubCondition[] {
  const seen = new Set<string>();
  return list
    .sort(
      (a, b) =>
        compareText(a.type, b.type) || compareText(a.reason, b.reason) || compareText(a.message, b.message),
    )
    .filter((c) => {
      const key = `${c.type}\0${c.reason}\0${c.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/** The status of an HTTPProxy or ExtensionService from the diagnostics filed against it. */
export function objectStatus(
  view: HTTPProxyView | ExtensionServiceView,
  reports: readonly Report[],
): ObjectStatus {
  const validMessage = validMessages[view.kind];
  const errors: SubCondition[] = [];
  const warnings: SubCondition[] = [];
  for (const report of reports) {
    const code = report[0];
    // Contour files an orphan as an error of the Valid condition, though nothing is wrong in it.
    if (diagnosticCodes[code] === 'error' || code === 'Orphaned') errors.push(subCondition(report));
    else warnings.push(subCondition(report));
  }
  const valid = errors.length === 0;
  const orphaned = errors.some((e) => e.reason === 'Orphaned');
  const condition: ValidCondition = {
    type: 'Valid',
    status: valid ? 'True' : 'False',
    observedGeneration: view.generation,
    reason: valid ? 'Valid' : 'ErrorPresent',
    message: valid ? validMessage : errorMessage,
    errors: sortUnique(errors),
    warnings: sortUnique(warnings),
  };
  return {
    kind: view.kind,
    namespace: view.meta.namespace,
    name: view.meta.name,
    observedGeneration: view.generation,
    currentStatus: valid ? 'valid' : orphaned ? 'orphaned' : 'invalid',
    description: valid ? validMessage : orphaned ? orphanMessage : errorMessage,
    conditions: [condition],
  };
}

export function sortStatuses(list: ObjectStatus[]): ObjectStatus[] {
  return list.sort(
    (a, b) =>
      compareText(a.kind, b.kind) || compareText(a.namespace, b.namespace) || compareText(a.name, b.name),
  );
}
