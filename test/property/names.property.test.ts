/**
 * Law 8: cluster names are at most 60 characters and unique, and distinct (namespace, service, port,
 * upstream protocol) give distinct cluster names, also when long names have to be truncated.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ingress, service } from '../../src/fixtures/index.js';
import { fuzzedInputArb, snapshotArb } from './arbitraries/index.js';
import { assertClusterNames, maxClusterNameLength, run, translateChecked } from './laws.js';
import { runs } from './params.js';

type Protocol = '' | 'h2' | 'h2c' | 'tls';

/** Names that share long prefixes, so truncation has to keep them apart. */
const namespaceArb = fc
  .tuple(fc.constantFrom('', 'a'.repeat(20), 'a'.repeat(59)), fc.constantFrom('x', 'y', 'x-1', 'yy'))
  .map(([prefix, suffix]) => `${prefix}${suffix}`);
const serviceNameArb = fc
  .tuple(
    fc.constantFrom('', 'b'.repeat(20), 'b'.repeat(59), `${'b'.repeat(63)}.${'c'.repeat(50)}`),
    fc.constantFrom('x', 'y', 'x-1', 'yy'),
  )
  .map(([prefix, suffix]) => `${prefix}${suffix}`);

const backendArb = fc.record({
  namespace: namespaceArb,
  service: serviceNameArb,
  port: fc.constantFrom(1, 80, 8080, 65535),
  protocol: fc.constantFrom<Protocol>('', 'h2', 'h2c', 'tls'),
  /** How the protocol is set: the port's appProtocol, or Contour's upstream-protocol annotation. */
  viaAnnotation: fc.boolean(),
});
type Backend = typeof backendArb extends fc.Arbitrary<infer T> ? T : never;

const appProtocols: Readonly<Record<Protocol, string | undefined>> = {
  '': 'http',
  h2: undefined,
  h2c: 'kubernetes.io/h2c',
  tls: 'https',
};

function clusterNameFor(b: Backend): string {
  const viaAnnotation = b.viaAnnotation || b.protocol === 'h2';
  const appProtocol = viaAnnotation ? undefined : appProtocols[b.protocol];
  const objects = [
    service(`${b.namespace}/${b.service}`, {
      ...(viaAnnotation && b.protocol !== ''
        ? { annotations: { [`projectcontour.io/upstream-protocol.${b.protocol}`]: String(b.port) } }
        : {}),
      ports: [{ name: 'p', port: b.port, ...(appProtocol !== undefined ? { appProtocol } : {}) }],
    }),
    ingress(`${b.namespace}/i`, { defaultBackend: `${b.service}:${b.port}` }),
  ];
  const { resources, diagnostics } = translateChecked(objects);
  expect(diagnostics).toEqual([]);
  expect(resources.clusters).toHaveLength(1);
  return resources.clusters[0]?.name ?? '';
}

describe('law 8: cluster names', () => {
  it('are at most 60 characters and unique in realistic and fuzzed snapshots', () => {
    fc.assert(
      fc.property(fc.oneof(snapshotArb, fuzzedInputArb), (input) => assertClusterNames(run(input).resources)),
      runs(100),
    );
  });

  it('differ exactly when (namespace, service, port, protocol) differ, however long the names', () => {
    fc.assert(
      fc.property(fc.array(backendArb, { minLength: 2, maxLength: 6 }), (backends) => {
        const byKey = new Map<string, string>();
        const byName = new Map<string, string>();
        for (const b of backends) {
          const name = clusterNameFor(b);
          const key = JSON.stringify([b.namespace, b.service, b.port, b.protocol]);
          expect(name.length).toBeLessThanOrEqual(maxClusterNameLength);
          expect(byKey.get(key) ?? name, `one tuple, two names: ${key}`).toBe(name);
          expect(byName.get(name) ?? key, `two tuples, one name: ${name}`).toBe(key);
          byKey.set(key, name);
          byName.set(name, key);
        }
      }),
      runs(60),
    );
  });
});
