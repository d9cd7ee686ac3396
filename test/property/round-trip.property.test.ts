/** Law 5: every resource survives encode → decode → encode byte for byte, and toJSON agrees. */
import * as fc from 'fast-check';
import { describe, it } from 'vitest';
import { endpointSlice, ingress, service } from '../../src/fixtures/index.js';
import { freeTextInputArb, fuzzedInputArb, snapshotArb } from './arbitraries/index.js';
import { assertRoundTrip, run } from './laws.js';
import { runs } from './params.js';

describe('law 5: binary round trip', () => {
  it('resources of realistic snapshots round-trip', () => {
    fc.assert(
      fc.property(snapshotArb, (snapshot) => assertRoundTrip(run(snapshot).resources)),
      runs(80),
    );
  });

  it('resources of fuzzed snapshots round-trip', () => {
    fc.assert(
      fc.property(fuzzedInputArb, (input) => assertRoundTrip(run(input).resources)),
      runs(120),
    );
  });

  it('resources of snapshots with awkward free text (annotations, zones) round-trip', () => {
    fc.assert(
      fc.property(freeTextInputArb, (input) => assertRoundTrip(run(input).resources)),
      runs(120),
    );
  });
});

describe('law 5: minimal reproductions', () => {
  it('a lone surrogate in retry-on or a zone still round-trips (it is rejected or replaced, not emitted)', () => {
    const { resources } = run({
      objects: [
        service('default/web', { ports: [{ name: 'http', port: 80 }] }),
        endpointSlice('default/web-1', {
          service: 'web',
          ports: [{ name: 'http', port: 8080 }],
          endpoints: [{ address: '10.0.0.1', zone: 'zone-\ud800' }],
        }),
        ingress('default/web', {
          annotations: { 'projectcontour.io/retry-on': '5xx\ud800' },
          rules: [{ host: 'a.example.com', paths: [{ path: '/', backend: 'web:80' }] }],
        }),
      ],
      options: {},
    });
    assertRoundTrip(resources);
  });
});
