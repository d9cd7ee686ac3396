import { describe, expect, it } from 'vitest';
import type { PathMatch, Route } from '../../../src/model/ir.js';
import { sortRoutes } from '../../../src/translate/route-order.js';

const route = (path: PathMatch, headers = 0): Route => ({
  match: {
    path,
    headers: Array.from({ length: headers }, (_, i) => ({
      name: `x-${i}`,
      match: { kind: 'exact', value: 'v' },
      invert: false,
    })),
  },
  action: { kind: 'httpsRedirect' },
  origin: { kind: 'Ingress', namespace: 'ns', name: 'n' },
});

describe('route order', () => {
  it('sorts exact < regex < prefix, longer first, reverse-lexicographic, segment before string prefix', () => {
    const routes = [
      route({ kind: 'prefix', value: '/' }),
      route({ kind: 'prefix', value: '/api' }),
      route({ kind: 'segmentPrefix', value: '/api' }),
      route({ kind: 'prefix', value: '/apis/v1' }),
      route({ kind: 'regex', value: '^/a.*' }),
      route({ kind: 'regex', value: '^/b[0-9]+' }),
      route({ kind: 'exact', value: '/healthz' }),
      route({ kind: 'exact', value: '/about' }),
      route({ kind: 'prefix', value: '/bpi' }),
    ];
    const order = sortRoutes(routes).map((r) => `${r.match.path.kind} ${r.match.path.value}`);
    expect(order).toEqual([
      'exact /healthz',
      'exact /about',
      'regex ^/b[0-9]+',
      'regex ^/a.*',
      'prefix /apis/v1',
      'prefix /bpi',
      'segmentPrefix /api',
      'prefix /api',
      'prefix /',
    ]);
  });

  it('puts routes with more header conditions first on equal paths, independent of input order', () => {
    const a = route({ kind: 'prefix', value: '/' }, 0);
    const b = route({ kind: 'prefix', value: '/' }, 2);
    const c = route({ kind: 'prefix', value: '/' }, 1);
    expect(sortRoutes([a, b, c])).toEqual(sortRoutes([c, a, b]));
    expect(sortRoutes([a, b, c]).map((r) => r.match.headers.length)).toEqual([2, 1, 0]);
  });
});
