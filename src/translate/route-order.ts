/**
 * Contour's route order within a virtual host (Envoy takes the first match): exact before regex
 * before prefix; longer paths first; reverse-lexicographic on equal length; segment prefix before
 * string prefix; then more header conditions first. The last step compares the whole match so the
 * order is total and never depends on input order.
 */

import { compareText } from '../compare.js';
import type { HeaderMatch, PathMatch, Route, RouteMatch } from '../model/ir.js';

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
  return `${h.name}\0${h.match.kind}\0${h.match.value}\0${h.invert ? 1 : 0}`;
}

export function compareRouteMatch(a: RouteMatch, b: RouteMatch): number {
  return (
    comparePath(a.path, b.path) ||
    b.headers.length - a.headers.length ||
    compareText(a.headers.map(headerKey).join('\n'), b.headers.map(headerKey).join('\n'))
  );
}

/** Identity of a match inside one virtual host: two routes with the same key are the same route. */
export function routeMatchKey(match: RouteMatch): string {
  return `${match.path.kind}\0${match.path.value}\n${match.headers.map(headerKey).join('\n')}`;
}

export function sortRoutes(routes: readonly Route[]): Route[] {
  return [...routes].sort((a, b) => compareRouteMatch(a.match, b.match));
}
