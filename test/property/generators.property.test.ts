/**
 * The generators keep producing every case the laws rely on: if one silently stopped producing, say,
 * TLS Ingresses or not-ready endpoints, the laws about them would pass vacuously.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  freeTextInputArb,
  fuzzedInputArb,
  hostileObjectArb,
  inputFeatures,
  kindNames,
  outputFeatures,
  snapshotArb,
} from './arbitraries/index.js';
import { run, translateChecked } from './laws.js';
import { seed } from './params.js';

/** How many of `samples` have each feature. */
function tally(samples: readonly Set<string>[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const features of samples) for (const f of features) counts.set(f, (counts.get(f) ?? 0) + 1);
  return counts;
}

function expectAll(counts: ReadonlyMap<string, number>, required: readonly string[]): void {
  const missing = required.filter((f) => (counts.get(f) ?? 0) === 0);
  expect(missing, `never generated; seen: ${JSON.stringify(Object.fromEntries(counts))}`).toEqual([]);
}

const sampleParams = (numRuns: number) => (seed === undefined ? { numRuns } : { numRuns, seed });

describe('generator coverage (200 samples each)', () => {
  it('realistic snapshots contain every input case and produce every output case', () => {
    const samples = fc.sample(snapshotArb, sampleParams(200));
    const counts = tally(
      samples.map((s) => new Set([...inputFeatures(s.objects), ...outputFeatures(run(s))])),
    );
    if (process.env.FC_STATS === '1') console.table(Object.fromEntries([...counts].sort()));
    expectAll(counts, [
      'ingress: TLS entry',
      'ingress: wildcard host',
      'ingress: regex path',
      'ingress: pathType Exact',
      'ingress: pathType Prefix',
      'ingress: pathType ImplementationSpecific',
      'ingress: default backend',
      'ingress: rule without host',
      'ingress: backend port by name',
      'annotation: force-ssl-redirect',
      'annotation: timeout',
      'annotation: retry-on',
      'annotation: websocket-routes',
      'annotation: TLS version',
      'IngressClass',
      'IngressClass: default',
      'TLSCertificateDelegation',
      'Service: named port',
      'Service: unnamed port',
      'Service: appProtocol',
      'Service: ExternalName',
      'EndpointSlice: IPv4',
      'EndpointSlice: IPv6',
      'EndpointSlice: not-ready endpoint',
      'EndpointSlice: terminating endpoint',
      'EndpointSlice: zone',
      'Endpoints',
      'Secret: kubernetes.io/tls',
      'Secret: Opaque',
      'listener ingress_http',
      'listener ingress_https',
      'secret',
      'endpoints with addresses',
      'endpoints empty',
      'endpoints in a zone',
      'cluster: upstream TLS',
      'cluster: HTTP/2',
      'route: path match',
      'route: prefix match',
      'route: pathSeparatedPrefix match',
      'route: safeRegex match',
      'route: wildcard virtual host',
      'route: HTTPS redirect',
      'route: timeout',
      'route: retry policy',
      'route: websocket',
      'diagnostic: ServiceNotFound',
      'diagnostic: ServicePortNotFound',
      'diagnostic: SecretNotFound',
      'diagnostic: SecretInvalid',
      'diagnostic: DelegationNotPermitted',
      'diagnostic: InvalidRegex',
      'diagnostic: InvalidPath',
      'diagnostic: InvalidHostname',
      'diagnostic: InvalidAnnotation',
      'diagnostic: RouteConflict',
      'diagnostic: TLSHostConflict',
      'diagnostic: TLSVersionInvalid',
    ]);
  });

  it('hostile objects cover every kind, broken metadata, and draw diagnostics', () => {
    const samples = fc.sample(hostileObjectArb, sampleParams(200));
    const counts = tally(
      samples.map((object) => {
        const features = new Set<string>();
        const record = object as { kind?: unknown; metadata?: unknown };
        features.add(`kind ${String(record.kind)}`);
        for (const d of translateChecked([object]).diagnostics) features.add(`diagnostic: ${d.code}`);
        return features;
      }),
    );
    expectAll(counts, [
      ...kindNames.map((k) => `kind ${k}`),
      'diagnostic: InvalidObject',
      'diagnostic: InvalidField',
      'diagnostic: InvalidHostname',
      'diagnostic: InvalidRegex',
      'diagnostic: InvalidPath',
      'diagnostic: InvalidBackend',
      'diagnostic: ServiceNotFound',
      'diagnostic: SecretNotFound',
      'diagnostic: InvalidAnnotation',
    ]);
  });

  it('fuzzed snapshots produce colliding identities and invalid fields and still produce output', () => {
    const samples = fc.sample(fuzzedInputArb, sampleParams(200));
    const counts = tally(samples.map((input) => outputFeatures(run(input))));
    expectAll(counts, [
      'diagnostic: DuplicateObject',
      'diagnostic: InvalidField',
      'diagnostic: InvalidObject',
      'listener ingress_http',
      'listener ingress_https',
      'secret',
    ]);
  });

  it('free-text snapshots put awkward text into emitted retry policies and locality zones', () => {
    const samples = fc.sample(freeTextInputArb, sampleParams(200));
    const awkward = /[^\x20-\x7e]/;
    const counts = tally(
      samples.map((input) => {
        const features = new Set<string>();
        const { resources } = run(input);
        for (const config of resources.routes) {
          for (const vhost of config.virtualHosts ?? []) {
            for (const route of vhost.routes ?? []) {
              const retryOn =
                route.action?.$case === 'route' ? route.action.value.retryPolicy?.retryOn : undefined;
              if (retryOn !== undefined && awkward.test(retryOn)) features.add('awkward retry-on');
            }
          }
        }
        for (const cla of resources.endpoints) {
          if ((cla.endpoints ?? []).some((l) => awkward.test(l.locality?.zone ?? '')))
            features.add('awkward zone');
        }
        return features;
      }),
    );
    expectAll(counts, ['awkward retry-on', 'awkward zone']);
  });
});
