/**
 * Contour's route order within a virtual host (Envoy takes the first match): exact before regex
 * before prefix; longer paths first; reverse-lexicographic on equal length; segment prefix before
 * string prefix; then more header conditions first. The last step compares the whole match so the
 * order is total and never depends on input order.
 */

import { compareText, sortInPlace } from '../compare.js';
import type { HeaderMatch, PathMatch, QueryMatch, Route, RouteMatch } from '../model/ir.js';

const rank: Readonly<Record<PathMatch['kind'], number>> = { exact: 0, regex: 1, prefix: 2, segmentPrefix: 2 };

function comparePath(a: PathMatch, b: PathMatch): number {
  const byKind = rank[a.kind] - rank[b.kind];
  if (byKind !== 0) return byKind;
  if (a.kind !== 'exact' && b.value.length !== a.value.length) return b.value.length - a.value.length;
  const reverse = compareText(b.value, a.value);
  if (reverse !== 0) return reverse;
  // Equal prefix strings: the segment prefix is the more specific match.
  if (a.kind !== b.kind) return a.kind === 'segmentPrefix' ? -1 : 1;
  return 0;
}

function headerKey(h: HeaderMatch): string {
  const m = h.match;
  const value = m.kind === 'present' ? '' : m.value;
  const flags = `${h.invert ? 1 : 0}${'ignoreCase' in m && m.ignoreCase ? 1 : 0}${h.treatMissingAsEmpty ? 1 : 0}`;
  return `${h.name}\0${m.kind}\0${value}\0${flags}`;
}

function queryKey(q: QueryMatch): string {
  const m = q.match;
  const value = m.kind === 'present' ? '' : m.value;
  return `${q.name}\0${m.kind}\0${value}\0${'ignoreCase' in m && m.ignoreCase ? 1 : 0}`;
}

const isMethod = (h: HeaderMatch) => h.name === ':method';

/**
 * On equal paths: a `:method` match first, then more header conditions, then more query conditions,
 * then the conditions themselves as text, so the order is total.
 */
export function compareRouteMatch(a: RouteMatch, b: RouteMatch): number {
  const aq = a.queries ?? [];
  const bq = b.queries ?? [];
  return (
    comparePath(a.path, b.path) ||
    Number(b.headers.some(isMethod)) - Number(a.headers.some(isMethod)) ||
    b.headers.length - a.headers.length ||
    bq.length - aq.length ||
    compareText(a.headers.map(headerKey).join('\n'), b.headers.map(headerKey).join('\n')) ||
    compareText(aq.map(queryKey).join('\n'), bq.map(queryKey).join('\n'))
  );
}

/** Identity of a match inside one virtual host: two routes with the same key are the same route. */
export function routeMatchKey(match: RouteMatch): string {
  const queries = match.queries ?? [];
  if (match.headers.length === 0 && queries.length === 0) return `${match.path.kind}\0${match.path.value}\n`;
  const q = queries.length === 0 ? '' : `\n?${queries.map(queryKey).join('\n')}`;
  return `${match.path.kind}\0${match.path.value}\n${match.headers.map(headerKey).join('\n')}${q}`;
}

const compareRoutes = (a: Route, b: Route) => compareRouteMatch(a.match, b.match);

export function sortRoutes(routes: readonly Route[]): Route[] {
  return sortInPlace([...routes], compareRoutes);
}
