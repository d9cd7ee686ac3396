/**
 * Reusable law checks for translate() output. Each `assert*` throws an Error that says what broke
 * (fast-check then shrinks and prints the input); the `*Problems` functions return the list instead.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import '../../src/xds-types/registry.js';
import type { Diagnostic, TranslateOptions, TranslateResult, XdsResources } from '../../src/index.js';
import {
  diagnosticCodes,
  formatDiagnostic,
  resourceKinds,
  resourceName,
  translate,
} from '../../src/index.js';
import { resourceCodecs } from '../../src/resources.js';
import { Cluster_DiscoveryType } from '../../src/xds-types/envoy/config/cluster/v3/cluster.js';
import { HttpConnectionManager } from '../../src/xds-types/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.js';
import { DownstreamTlsContext } from '../../src/xds-types/envoy/extensions/transport_sockets/tls/v3/tls.js';
import type { Any } from '../../src/xds-types/google/protobuf/any.js';
import { type MessageType, messageTypeRegistry } from '../../src/xds-types/typeRegistry.js';
import { assertEnvoyAccepts } from '../support/pgv.js';
import type { Input } from './arbitraries/snapshot.js';

export type { Input };

function fail(law: string, problems: readonly string[]): never {
  const shown = problems.slice(0, 20);
  const more = problems.length > shown.length ? `\n  ... and ${problems.length - shown.length} more` : '';
  throw new Error(`${law}:\n  ${shown.join('\n  ')}${more}`);
}

function check(law: string, problems: readonly string[]): void {
  if (problems.length > 0) fail(law, problems);
}

// ---------------------------------------------------------------------------------------------------
// Running translate()

/** translate(), plus the result shape every caller relies on. */
export function translateChecked(objects: Iterable<unknown>, options?: TranslateOptions): TranslateResult {
  const result = translate(objects, options);
  const problems: string[] = [];
  if (!Array.isArray(result.diagnostics)) problems.push('diagnostics is not an array');
  if (!Array.isArray(result.statuses)) problems.push('statuses is not an array');
  for (const kind of resourceKinds) {
    if (!Array.isArray(result.resources[kind])) problems.push(`resources.${kind} is not an array`);
  }
  check('result shape', problems);
  return result;
}

export function run(input: Input): TranslateResult {
  return translateChecked(input.objects, input.options);
}

// ---------------------------------------------------------------------------------------------------
// Comparing results

/** Each resource as `kind name: base64 of its binary encoding`, in output order. */
export function encodings(resources: XdsResources): string[] {
  const out: string[] = [];
  for (const kind of resourceKinds) {
    const codec = resourceCodecs[kind] as MessageType;
    for (const resource of resources[kind]) {
      const bytes = codec.encode(resource).finish();
      out.push(`${kind} ${resourceName(kind, resource)}: ${Buffer.from(bytes).toString('base64')}`);
    }
  }
  return out;
}

function firstDifference(a: readonly string[], b: readonly string[]): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  const i = a.findIndex((x, j) => x !== b[j]);
  const at = i < 0 ? Math.min(a.length, b.length) : i;
  const cut = (s: string | undefined) =>
    s === undefined ? '(none)' : s.length > 300 ? `${s.slice(0, 300)}…` : s;
  return [
    `${a.length} vs ${b.length} entries; first difference at ${at}:`,
    `- ${cut(a[at])}`,
    `+ ${cut(b[at])}`,
  ];
}

/** The resources are byte-identical, resource by resource, in the same order. */
export function assertSameResources(expected: XdsResources, actual: XdsResources): void {
  check('resources differ', firstDifference(encodings(expected), encodings(actual)));
}

const diagnosticLine = (d: Diagnostic) => `${formatDiagnostic(d)} ${JSON.stringify(d.path)}`;

export function assertSameDiagnostics(expected: readonly Diagnostic[], actual: readonly Diagnostic[]): void {
  const problems = firstDifference(expected.map(diagnosticLine), actual.map(diagnosticLine));
  if (problems.length === 0 && !isDeepStrictEqual(expected, actual))
    problems.push('diagnostics differ in a field');
  check('diagnostics differ', problems);
}

export function assertSameResult(expected: TranslateResult, actual: TranslateResult): void {
  assertSameResources(expected.resources, actual.resources);
  assertSameDiagnostics(expected.diagnostics, actual.diagnostics);
}

// ---------------------------------------------------------------------------------------------------
// Law 1: determinism (and translate() leaves its input alone)

export function assertDeterministic(input: Input): void {
  const before = JSON.stringify(input.objects);
  const first = run(input);
  check('translate() changed its input', JSON.stringify(input.objects) === before ? [] : ['objects changed']);
  const second = run({ objects: structuredClone(input.objects), options: input.options });
  assertSameResult(first, second);
}

// ---------------------------------------------------------------------------------------------------
// Law 5: binary round trip

export function roundTripProblems(resources: XdsResources): string[] {
  const problems: string[] = [];
  for (const kind of resourceKinds) {
    const codec = resourceCodecs[kind] as MessageType;
    for (const resource of resources[kind]) {
      const label = `${kind} ${JSON.stringify(resourceName(kind, resource))}`;
      const first = codec.encode(resource).finish();
      const decoded = codec.decode(first);
      const second = codec.encode(decoded).finish();
      if (!Buffer.from(first).equals(Buffer.from(second))) {
        problems.push(`${label}: encode → decode → encode changed the bytes`);
      }
      if (!isDeepStrictEqual(codec.toJSON(resource), codec.toJSON(decoded))) {
        problems.push(`${label}: toJSON differs after a binary round trip`);
      }
    }
  }
  return problems;
}

export function assertRoundTrip(resources: XdsResources): void {
  check('binary round trip', roundTripProblems(resources));
}

// ---------------------------------------------------------------------------------------------------
// Laws 4 and 7: reference closure, both ways

function typeNameOf(any: Any): string {
  const url = any.typeUrl ?? '';
  return url.slice(url.lastIndexOf('/') + 1);
}

/** Decodes an Any holding `codec`'s type; undefined for another type. Unregistered types are problems. */
function unpack<T>(
  any: Any | undefined,
  codec: { readonly $type: string; decode(bytes: Uint8Array): T },
  problems: string[],
  where: string,
): T | undefined {
  if (any === undefined) return undefined;
  const typeName = typeNameOf(any);
  if (messageTypeRegistry.get(typeName) === undefined) {
    problems.push(`${where}: Any of unregistered type ${JSON.stringify(any.typeUrl)}`);
    return undefined;
  }
  return typeName === codec.$type ? codec.decode(any.value ?? new Uint8Array()) : undefined;
}

function typedConfig(
  holder: { configType?: { $case: string; value: unknown } | undefined } | undefined,
): Any | undefined {
  const config = holder?.configType;
  return config?.$case === 'typedConfig' ? (config.value as Any) : undefined;
}

/**
 * Every name a resource refers to exists (listener RDS names are route configurations, route clusters
 * are clusters, EDS service names are ClusterLoadAssignments, SDS names are secrets), and every route
 * configuration, cluster, ClusterLoadAssignment and secret is referred to.
 */
export function referenceProblems(resources: XdsResources): string[] {
  const problems: string[] = [];
  const routeNames = new Set(resources.routes.map((r) => r.name ?? ''));
  const clusterNames = new Set(resources.clusters.map((c) => c.name ?? ''));
  const claNames = new Set(resources.endpoints.map((e) => e.clusterName ?? ''));
  const secretNames = new Set(resources.secrets.map((s) => s.name ?? ''));
  const used = {
    routes: new Set<string>(),
    clusters: new Set<string>(),
    clas: new Set<string>(),
    secrets: new Set<string>(),
  };

  for (const listener of resources.listeners) {
    (listener.filterChains ?? []).forEach((chain, i) => {
      const where = `listener ${JSON.stringify(listener.name)} filter chain ${i}`;
      let hcms = 0;
      for (const filter of chain.filters ?? []) {
        const hcm = unpack(typedConfig(filter), HttpConnectionManager, problems, where);
        if (hcm === undefined) continue;
        hcms++;
        const specifier = hcm.routeSpecifier;
        if (specifier?.$case !== 'rds') {
          problems.push(`${where}: HCM without RDS`);
          continue;
        }
        const name = specifier.value.routeConfigName ?? '';
        used.routes.add(name);
        if (!routeNames.has(name))
          problems.push(`${where}: RDS ${JSON.stringify(name)} has no RouteConfiguration`);
      }
      if (hcms !== 1) problems.push(`${where}: ${hcms} HTTP connection managers`);
      const tls = unpack(typedConfig(chain.transportSocket), DownstreamTlsContext, problems, where);
      for (const sds of tls?.commonTlsContext?.tlsCertificateSdsSecretConfigs ?? []) {
        const name = sds.name ?? '';
        used.secrets.add(name);
        if (!secretNames.has(name)) problems.push(`${where}: SDS ${JSON.stringify(name)} has no Secret`);
      }
    });
  }

  for (const config of resources.routes) {
    for (const vhost of config.virtualHosts ?? []) {
      for (const route of vhost.routes ?? []) {
        if (route.action?.$case !== 'route') continue;
        const specifier = route.action.value.clusterSpecifier;
        const names =
          specifier?.$case === 'cluster'
            ? [specifier.value]
            : specifier?.$case === 'weightedClusters'
              ? (specifier.value.clusters ?? []).map((c) => c.name ?? '')
              : [];
        for (const name of names) {
          used.clusters.add(name);
          if (!clusterNames.has(name)) {
            problems.push(
              `route ${JSON.stringify(config.name)} vhost ${JSON.stringify(vhost.name)}: cluster ${JSON.stringify(name)} does not exist`,
            );
          }
        }
      }
    }
  }

  for (const cluster of resources.clusters) {
    const discovery = cluster.clusterDiscoveryType;
    if (discovery?.$case !== 'type' || discovery.value !== Cluster_DiscoveryType.EDS) continue;
    const name = cluster.edsClusterConfig?.serviceName || (cluster.name ?? '');
    used.clas.add(name);
    if (!claNames.has(name))
      problems.push(
        `cluster ${JSON.stringify(cluster.name)}: EDS ${JSON.stringify(name)} has no ClusterLoadAssignment`,
      );
  }

  const unreferenced = (kind: string, names: Set<string>, usedNames: Set<string>) => {
    for (const name of names)
      if (!usedNames.has(name)) problems.push(`${kind} ${JSON.stringify(name)} is not referenced`);
  };
  unreferenced('RouteConfiguration', routeNames, used.routes);
  unreferenced('Cluster', clusterNames, used.clusters);
  unreferenced('ClusterLoadAssignment', claNames, used.clas);
  unreferenced('Secret', secretNames, used.secrets);
  return problems;
}

export function assertReferenceClosure(resources: XdsResources): void {
  check('reference closure', referenceProblems(resources));
}

// ---------------------------------------------------------------------------------------------------
// Law 8: cluster names

export const maxClusterNameLength = 60;

export function clusterNameProblems(resources: XdsResources): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const cluster of resources.clusters) {
    const name = cluster.name ?? '';
    if (name.length === 0 || name.length > maxClusterNameLength) {
      problems.push(`cluster ${JSON.stringify(name)} has ${name.length} characters`);
    }
    if (seen.has(name)) problems.push(`cluster ${JSON.stringify(name)} appears twice`);
    seen.add(name);
  }
  return problems;
}

export function assertClusterNames(resources: XdsResources): void {
  check('cluster names', clusterNameProblems(resources));
}

// ---------------------------------------------------------------------------------------------------
// Envoy acceptance: PGV rules + round trip + closure (test/support/pgv.ts), our own closure, and
// TLS key material Envoy can load (a private key that belongs to the certificate).

export function secretProblems(resources: XdsResources): string[] {
  const problems: string[] = [];
  for (const secret of resources.secrets) {
    const label = `secret ${JSON.stringify(secret.name)}`;
    if (secret.type?.$case !== 'tlsCertificate') {
      problems.push(`${label}: not a TLS certificate`);
      continue;
    }
    const chain = secret.type.value.certificateChain?.specifier;
    const key = secret.type.value.privateKey?.specifier;
    if (chain?.$case !== 'inlineBytes' || key?.$case !== 'inlineBytes') {
      problems.push(`${label}: certificate chain and private key must be inline bytes`);
      continue;
    }
    try {
      const certificate = new X509Certificate(Buffer.from(chain.value));
      const privateKey = createPrivateKey(Buffer.from(key.value));
      if (!certificate.checkPrivateKey(privateKey)) {
        problems.push(
          `${label}: the private key does not belong to the certificate (Envoy rejects the pair)`,
        );
      }
    } catch (error) {
      problems.push(`${label}: cannot load: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return problems;
}

export function assertEnvoyAcceptsAll(resources: XdsResources): void {
  assertEnvoyAccepts(resources);
  assertReferenceClosure(resources);
  check('TLS secrets', secretProblems(resources));
}

// ---------------------------------------------------------------------------------------------------
// Documented orderings: resources sorted by name, diagnostics sorted and with their code's severity.

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function orderProblems(result: TranslateResult): string[] {
  const problems: string[] = [];
  for (const kind of resourceKinds) {
    const names = result.resources[kind].map((r) => resourceName(kind, r));
    names.forEach((name, i) => {
      const previous = names[i - 1];
      if (previous !== undefined && compareText(previous, name) >= 0) {
        problems.push(`${kind}: ${JSON.stringify(previous)} is not before ${JSON.stringify(name)}`);
      }
    });
  }
  result.diagnostics.forEach((d, i) => {
    if (diagnosticCodes[d.code] !== d.severity)
      problems.push(`${diagnosticLine(d)}: severity is not the code's`);
    const previous = result.diagnostics[i - 1];
    if (previous === undefined) return;
    const order =
      compareText(previous.object.kind, d.object.kind) ||
      compareText(previous.object.namespace, d.object.namespace) ||
      compareText(previous.object.name, d.object.name);
    if (order > 0)
      problems.push(`diagnostics out of order: ${diagnosticLine(previous)} before ${diagnosticLine(d)}`);
  });
  return problems;
}

export function assertOrdered(result: TranslateResult): void {
  check('output order', orderProblems(result));
}
