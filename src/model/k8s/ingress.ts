import type { DiagnosticSink, FieldPath } from '../../diagnostics.js';
import { type Meta, parseMeta } from './meta.js';
import {
  field,
  invalidString,
  isIntegerIn,
  isPlainString,
  isRecord,
  optionalStringAt,
  type Reader,
  readArray,
  readInteger,
  readOptionalString,
  readRecord,
  readString,
  settle,
  sized,
} from './read.js';

export type BackendPort =
  | { readonly kind: 'number'; readonly number: number }
  | { readonly kind: 'name'; readonly name: string };

export interface IngressBackendView {
  readonly path: FieldPath;
  readonly serviceName: string;
  readonly port: BackendPort;
}

export interface IngressPathView {
  readonly path: FieldPath;
  /** '' when unset. */
  readonly value: string;
  /** 'ImplementationSpecific' when unset. */
  readonly pathType: string;
  readonly backend: IngressBackendView | undefined;
}

export interface IngressRuleView {
  readonly path: FieldPath;
  /** '' when unset (every host). */
  readonly host: string;
  readonly paths: readonly IngressPathView[];
}

export interface IngressTlsView {
  readonly path: FieldPath;
  readonly hosts: readonly { readonly host: string; readonly path: FieldPath }[];
  readonly secretName: string;
}

export interface IngressView {
  readonly kind: 'Ingress';
  readonly meta: Meta;
  readonly ingressClassName: string | undefined;
  readonly defaultBackend: IngressBackendView | undefined;
  readonly rules: readonly IngressRuleView[];
  readonly tls: readonly IngressTlsView[];
}

function parseBackend(r: Reader, value: unknown, path: FieldPath): IngressBackendView | undefined {
  const backend = readRecord(r, value, path);
  if (backend === undefined) {
    r.sink.report('InvalidBackend', r.ref, path, 'backend is missing');
    return undefined;
  }
  if (backend.resource !== undefined) {
    r.sink.report(
      'InvalidBackend',
      r.ref,
      [...path, 'resource'],
      'resource backends are not supported; use a Service',
    );
    return undefined;
  }
  const service = isRecord(backend.service)
    ? backend.service
    : readRecord(r, backend.service, [...path, 'service']);
  const nameValue = field(service, 'name');
  const name = isPlainString(nameValue, 253)
    ? nameValue
    : readString(r, nameValue, [...path, 'service', 'name'], 253);
  if (service === undefined || name === undefined || name === '') {
    r.sink.report('InvalidBackend', r.ref, [...path, 'service'], 'backend.service.name is required');
    return undefined;
  }
  const portPath = () => [...path, 'service', 'port'];
  const port = isRecord(service.port) ? service.port : readRecord(r, service.port, portPath());
  const numberValue = field(port, 'number');
  const number =
    numberValue === undefined || isIntegerIn(numberValue, 1, 65535)
      ? numberValue
      : readInteger(r, numberValue, [...portPath(), 'number'], 1, 65535);
  const portNameValue = field(port, 'name');
  const portName =
    portNameValue === undefined || isPlainString(portNameValue, 63)
      ? portNameValue
      : readString(r, portNameValue, [...portPath(), 'name'], 63);
  if (number !== undefined && number > 0)
    return { path, serviceName: name, port: { kind: 'number', number } };
  if (portName !== undefined && portName !== '')
    return { path, serviceName: name, port: { kind: 'name', name: portName } };
  r.sink.report('InvalidBackend', r.ref, portPath(), 'backend.service.port needs a number or a name');
  return undefined;
}

export function parseIngress(object: unknown, sink: DiagnosticSink): IngressView | undefined {
  const meta = parseMeta('Ingress', object, sink, true);
  if (meta === undefined) return undefined;
  const r: Reader = { ref: meta.ref, sink };
  const spec = readRecord(r, field(object, 'spec'), () => ['spec']) ?? {};
  const defaultBackend =
    spec.defaultBackend === undefined || spec.defaultBackend === null
      ? undefined
      : parseBackend(r, spec.defaultBackend, ['spec', 'defaultBackend']);
  const ruleList = readArray(r, spec.rules, () => ['spec', 'rules']);
  const rules = sized<IngressRuleView>(ruleList.length);
  let ruleCount = 0;
  ruleList.forEach((rule, i) => {
    const path: FieldPath = ['spec', 'rules', i];
    if (readRecord(r, rule, path) === undefined) return;
    const host = readOptionalString(r, field(rule, 'host'), () => [...path, 'host'], 253);
    if (host === 'invalid') {
      // A host that cannot be read must not widen the rule to every host.
      r.sink.report(
        'InvalidHostname',
        r.ref,
        [...path, 'host'],
        'host is not a string of at most 253 characters; rule skipped',
      );
      return;
    }
    const http = readRecord(r, field(rule, 'http'), () => [...path, 'http']);
    const pathList = readArray(r, field(http, 'paths'), () => [...path, 'http', 'paths']);
    const paths = sized<IngressPathView>(pathList.length);
    let pathCount = 0;
    pathList.forEach((entry, j) => {
      // Written out rather than spread: a spread list keeps room for 17 items, and a large
      // cluster's views hold a path per route.
      const p: FieldPath = ['spec', 'rules', i, 'http', 'paths', j];
      if (readRecord(r, entry, p) === undefined) return;
      const at = (key: string) => [...p, key];
      // An unreadable path or pathType must not fall back to "/" or ImplementationSpecific.
      const value = optionalStringAt(r, field(entry, 'path'), at, 'path', 4096);
      const pathType = optionalStringAt(r, field(entry, 'pathType'), at, 'pathType', 64);
      if (value === invalidString || pathType === invalidString) return;
      paths[pathCount++] = {
        path: p,
        value: value ?? '',
        pathType: pathType ?? 'ImplementationSpecific',
        backend: parseBackend(r, field(entry, 'backend'), [
          'spec',
          'rules',
          i,
          'http',
          'paths',
          j,
          'backend',
        ]),
      };
    });
    // A rule without `http` routes nothing (Contour skips it silently).
    if (http !== undefined)
      rules[ruleCount++] = { path, host: host.value ?? '', paths: settle(paths, pathCount) };
  });
  settle(rules, ruleCount);
  const tls: IngressTlsView[] = [];
  readArray(r, spec.tls, () => ['spec', 'tls']).forEach((entry, i) => {
    const path: FieldPath = ['spec', 'tls', i];
    if (readRecord(r, entry, path) === undefined) return;
    const hosts: { host: string; path: FieldPath }[] = [];
    readArray(r, field(entry, 'hosts'), () => [...path, 'hosts']).forEach((h, j) => {
      const host = readString(r, h, () => [...path, 'hosts', j], 253);
      if (host !== undefined) hosts.push({ host, path: ['spec', 'tls', i, 'hosts', j] });
    });
    const secretName = readString(r, field(entry, 'secretName'), () => [...path, 'secretName'], 317) ?? '';
    tls.push({ path, hosts, secretName });
  });
  // An unreadable class must not make the Ingress class-less (and so served by default).
  const ingressClassName = readOptionalString(
    r,
    spec.ingressClassName,
    () => ['spec', 'ingressClassName'],
    253,
  );
  if (ingressClassName === 'invalid') return undefined;
  return {
    kind: 'Ingress',
    meta,
    ingressClassName: ingressClassName.value,
    defaultBackend,
    rules,
    tls,
  };
}
