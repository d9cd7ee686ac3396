/**
 * Stage A for networking.k8s.io/v1 Ingress, following Contour's Ingress processor: class selection,
 * default backend, host and path rules, TLS hosts and the Contour annotations that matter most. Where
 * Contour depends on map order (two Ingresses claiming one host and path) the oldest Ingress wins and
 * the other gets a diagnostic.
 */
import { RE2JS } from 're2js';
import type { DiagnosticSink, FieldPath, ObjectRef } from '../diagnostics.js';
import type {
  DurationValue,
  PathMatch,
  RetryPolicy,
  Route,
  RouteAction,
  RouteMatch,
  TlsSecret,
  TlsSettings,
  TlsVersion,
} from '../model/ir.js';
import type { IngressPathView, IngressView } from '../model/k8s/ingress.js';
import type { Snapshot } from '../model/snapshot.js';
import type { ResolvedOptions } from '../options.js';
import { parseTimeout } from './duration.js';
import { routeMatchKey } from './route-order.js';
import { parseSecretRef, type SecretResolver } from './secrets.js';
import type { ServiceResolver } from './services.js';
import { isValidHostname, isValidLiteralPath } from './validate.js';

const annotation = {
  ingressClass: 'kubernetes.io/ingress.class',
  contourIngressClass: 'projectcontour.io/ingress.class',
  allowHttp: 'kubernetes.io/ingress.allow-http',
  forceSslRedirect: 'ingress.kubernetes.io/force-ssl-redirect',
  responseTimeout: 'projectcontour.io/response-timeout',
  requestTimeout: 'projectcontour.io/request-timeout',
  retryOn: 'projectcontour.io/retry-on',
  numRetries: 'projectcontour.io/num-retries',
  perTryTimeout: 'projectcontour.io/per-try-timeout',
  websocketRoutes: 'projectcontour.io/websocket-routes',
  tlsMinimum: 'projectcontour.io/tls-minimum-protocol-version',
  tlsMaximum: 'projectcontour.io/tls-maximum-protocol-version',
  tlsCertNamespace: 'projectcontour.io/tls-cert-namespace',
} as const;

const annotationPath = (name: string): FieldPath => ['metadata', 'annotations', name];

/** One route being collected for a virtual host, with where it came from. */
export interface RouteEntry {
  readonly route: Route;
  readonly ingress: IngressView;
  readonly path: FieldPath;
  readonly isDefaultBackend: boolean;
}

export interface SecureHost {
  readonly fqdn: string;
  readonly secretName: string;
  readonly tls: TlsSettings;
  readonly owner: ObjectRef;
}

/** Per virtual host: match key → route. */
export type RouteTable = Map<string, RouteEntry>;

export interface IngressOutput {
  readonly http: ReadonlyMap<string, RouteTable>;
  readonly https: ReadonlyMap<string, RouteTable>;
  readonly secureHosts: ReadonlyMap<string, SecureHost>;
}

interface Context {
  readonly snapshot: Snapshot;
  readonly options: ResolvedOptions;
  readonly sink: DiagnosticSink;
  readonly services: ServiceResolver;
  readonly secrets: SecretResolver;
  readonly secretsByName: Map<string, TlsSecret>;
}

/** Decides which Ingresses this translator serves (spec.ingressClassName, annotations, IngressClass). */
export function ingressClassFilter(
  snapshot: Snapshot,
  options: ResolvedOptions,
  sink: DiagnosticSink,
): (ingress: IngressView) => boolean {
  const ours = new Set(options.ingressClassNames);
  for (const cls of snapshot.ingressClasses) {
    if (cls.controller !== '' && cls.controller === options.ingressClassController) ours.add(cls.meta.name);
  }
  const defaults = snapshot.ingressClasses.filter((c) => c.isDefault);
  if (defaults.length > 1) {
    const names = defaults.map((c) => c.meta.name).join(', ');
    for (const cls of defaults) {
      sink.report(
        'MultipleDefaultIngressClasses',
        cls.meta.ref,
        annotationPath('ingressclass.kubernetes.io/is-default-class'),
        `several IngressClasses are marked default (${names}); an Ingress without a class is served if any of them is ours`,
      );
    }
  }
  return (ingress) => {
    const cls =
      nonEmpty(ingress.meta.annotations.get(annotation.contourIngressClass)) ??
      nonEmpty(ingress.meta.annotations.get(annotation.ingressClass)) ??
      nonEmpty(ingress.ingressClassName);
    if (cls !== undefined) return ours.has(cls);
    if (defaults.length > 0) return defaults.some((c) => ours.has(c.meta.name));
    return !options.ingressClassNamesConfigured;
  };
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text === '' ? undefined : text;
}

/** Regex metacharacters that make an ImplementationSpecific path a regex (Contour's rule). */
const regexChars = /[\^+*[\]%]/;

function pathMatch(ctx: Context, ingress: IngressView, entry: IngressPathView): PathMatch | undefined {
  const ref = ingress.meta.ref;
  const at = [...entry.path, 'path'];
  const value = entry.value === '' ? '/' : entry.value;
  switch (entry.pathType) {
    case 'Exact':
    case 'Prefix': {
      if (!isValidLiteralPath(value)) {
        ctx.sink.report(
          'InvalidPath',
          ref,
          at,
          `"${value}" must start with "/" and contain only visible ASCII other than "?" and "#"`,
        );
        return undefined;
      }
      if (entry.pathType === 'Exact') return { kind: 'exact', value };
      if (value === '/') return { kind: 'prefix', value: '/' };
      const trimmed = value.replace(/\/+$/, '');
      return trimmed === '' ? { kind: 'prefix', value: '/' } : { kind: 'segmentPrefix', value: trimmed };
    }
    case 'ImplementationSpecific': {
      if (!regexChars.test(value)) {
        if (!isValidLiteralPath(value)) {
          ctx.sink.report(
            'InvalidPath',
            ref,
            at,
            `"${value}" must start with "/" and contain only visible ASCII other than "?" and "#"`,
          );
          return undefined;
        }
        return { kind: 'prefix', value };
      }
      const regex = `^${value}`;
      const problem = regexProblem(regex, ctx.options.maxRegexProgramSize);
      if (problem !== undefined) {
        ctx.sink.report('InvalidRegex', ref, at, `"${value}" ${problem}`);
        return undefined;
      }
      return { kind: 'regex', value: regex };
    }
    default:
      ctx.sink.report(
        'InvalidPath',
        ref,
        [...entry.path, 'pathType'],
        `unknown pathType "${entry.pathType}"; use Exact, Prefix or ImplementationSpecific`,
      );
      return undefined;
  }
}

/** Why Envoy's RE2 would reject this regex, or undefined when it compiles within the program-size limit. */
export function regexProblem(regex: string, maxProgramSize: number): string | undefined {
  if (/[\0\r\n]/.test(regex)) return 'contains a control character';
  try {
    const compiled = RE2JS.compile(regex);
    const size = compiled.programSize();
    if (size > maxProgramSize)
      return `compiles to an RE2 program of size ${size}, above the limit of ${maxProgramSize}`;
  } catch (error) {
    return `is not a valid RE2 regular expression (${error instanceof Error ? error.message : String(error)})`;
  }
  return undefined;
}

/** `*.example.com` virtual hosts also match `:authority` against exactly one DNS label (Contour). */
function wildcardAuthority(fqdn: string): RouteMatch['headers'] {
  if (!fqdn.startsWith('*.')) return [];
  const escaped = fqdn.slice(1).replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
  return [
    {
      name: ':authority',
      match: { kind: 'regex', value: `^[a-z0-9]([-a-z0-9]*[a-z0-9])?${escaped}(:[0-9]+)?` },
      invert: false,
    },
  ];
}

interface IngressPolicy {
  readonly allowHttp: boolean;
  readonly forceSslRedirect: boolean;
  readonly timeout: DurationValue | undefined;
  readonly retry: RetryPolicy | undefined;
  readonly websocketPaths: ReadonlySet<string>;
}

function timeoutAnnotation(
  ctx: Context,
  ingress: IngressView,
  name: string,
): { value: DurationValue | undefined } | undefined {
  const text = ingress.meta.annotations.get(name);
  if (text === undefined) return undefined;
  const setting = parseTimeout(text);
  switch (setting.kind) {
    case 'default':
      return { value: undefined };
    case 'disabled':
      return { value: { seconds: 0, nanos: 0 } };
    case 'set':
      return { value: setting.value };
    case 'invalid':
      ctx.sink.report(
        'InvalidAnnotation',
        ingress.meta.ref,
        annotationPath(name),
        `"${text}" is not a duration (e.g. "30s", "1m30s") or "infinity"; Envoy's default is used`,
      );
      return { value: undefined };
  }
}

function numRetries(ctx: Context, ingress: IngressView): number {
  const text = ingress.meta.annotations.get(annotation.numRetries);
  if (text === undefined || text.trim() === '') return 1;
  const trimmed = text.trim();
  if (!/^-?\d{1,10}$/.test(trimmed) || Number(trimmed) > 0xffffffff) {
    ctx.sink.report(
      'InvalidAnnotation',
      ingress.meta.ref,
      annotationPath(annotation.numRetries),
      `"${text}" is not an integer; 1 retry is used`,
    );
    return 1;
  }
  const n = Number(trimmed);
  if (n === -1) return 0;
  return n <= 0 ? 1 : n;
}

function ingressPolicy(ctx: Context, ingress: IngressView): IngressPolicy {
  const annotations = ingress.meta.annotations;
  const timeout =
    timeoutAnnotation(ctx, ingress, annotation.responseTimeout) ??
    timeoutAnnotation(ctx, ingress, annotation.requestTimeout);
  const retryOn = annotations.get(annotation.retryOn)?.trim() ?? '';
  let retry: RetryPolicy | undefined;
  if (retryOn !== '') {
    if (/[\0\r\n]/.test(retryOn) || retryOn.length > 1024) {
      ctx.sink.report(
        'InvalidAnnotation',
        ingress.meta.ref,
        annotationPath(annotation.retryOn),
        'retry-on holds control characters or is too long; no retry policy',
      );
    } else {
      retry = {
        retryOn,
        numRetries: numRetries(ctx, ingress),
        perTryTimeout: timeoutAnnotation(ctx, ingress, annotation.perTryTimeout)?.value,
      };
    }
  }
  const websocketPaths = new Set(
    (annotations.get(annotation.websocketRoutes) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  );
  return {
    allowHttp: annotations.get(annotation.allowHttp) !== 'false',
    forceSslRedirect: annotations.get(annotation.forceSslRedirect) === 'true',
    timeout: timeout?.value,
    retry,
    websocketPaths,
  };
}

function tlsVersion(ctx: Context, ingress: IngressView, name: string): TlsVersion | undefined {
  const text = ingress.meta.annotations.get(name);
  if (text === undefined || text === '') return undefined;
  if (text === '1.2' || text === '1.3') return text;
  ctx.sink.report(
    'InvalidAnnotation',
    ingress.meta.ref,
    annotationPath(name),
    `"${text}" is not "1.2" or "1.3"; ignored`,
  );
  return undefined;
}

function tlsSettings(ctx: Context, ingress: IngressView): TlsSettings | undefined {
  const global = ctx.options.tls;
  const min = tlsVersion(ctx, ingress, annotation.tlsMinimum);
  const max = tlsVersion(ctx, ingress, annotation.tlsMaximum);
  const effectiveMin =
    min !== undefined && min > global.minimumProtocolVersion ? min : global.minimumProtocolVersion;
  const effectiveMax =
    max !== undefined && max < global.maximumProtocolVersion ? max : global.maximumProtocolVersion;
  if (effectiveMin > effectiveMax) {
    ctx.sink.report(
      'TLSVersionInvalid',
      ingress.meta.ref,
      annotationPath(annotation.tlsMinimum),
      `minimum TLS version ${effectiveMin} is above maximum ${effectiveMax}; this Ingress's TLS hosts are not served`,
    );
    return undefined;
  }
  return {
    minimumProtocolVersion: effectiveMin,
    maximumProtocolVersion: effectiveMax,
    cipherSuites: global.cipherSuites,
  };
}

function sameTls(a: SecureHost, b: Omit<SecureHost, 'owner' | 'fqdn'>): boolean {
  return (
    a.secretName === b.secretName &&
    a.tls.minimumProtocolVersion === b.tls.minimumProtocolVersion &&
    a.tls.maximumProtocolVersion === b.tls.maximumProtocolVersion
  );
}

/** Pass 1: TLS hosts across all served Ingresses, oldest first (an earlier claim on a host wins). */
function collectSecureHosts(ctx: Context, ingresses: readonly IngressView[]): Map<string, SecureHost> {
  const hosts = new Map<string, SecureHost>();
  for (const ingress of ingresses) {
    if (ingress.tls.length === 0) continue;
    const tls = tlsSettings(ctx, ingress);
    if (tls === undefined) continue;
    const certNamespace = ingress.meta.annotations.get(annotation.tlsCertNamespace) || ingress.meta.namespace;
    for (const entry of ingress.tls) {
      const validHosts = entry.hosts.filter(({ host, path }) => {
        if (host === '' || host === '*') {
          ctx.sink.report(
            'TLSHostInvalid',
            ingress.meta.ref,
            path,
            'a TLS host must be a DNS name; "*" cannot select a certificate',
          );
          return false;
        }
        if (!isValidHostname(host)) {
          ctx.sink.report(
            'InvalidHostname',
            ingress.meta.ref,
            path,
            `"${host}" is not a valid DNS host name`,
          );
          return false;
        }
        return true;
      });
      if (validHosts.length === 0) continue;
      const ref = parseSecretRef(entry.secretName, certNamespace);
      if (ref === undefined) {
        ctx.sink.report(
          'SecretNotFound',
          ingress.meta.ref,
          [...entry.path, 'secretName'],
          entry.secretName === ''
            ? 'secretName is empty; these hosts get no TLS'
            : `"${entry.secretName}" is not "name" or "namespace/name"`,
        );
        continue;
      }
      const secret = ctx.secrets.resolveTls(ingress.meta.ref, [...entry.path, 'secretName'], ref);
      if (secret === undefined) continue;
      for (const { host, path } of validHosts) {
        const claim = { secretName: secret.name, tls };
        const existing = hosts.get(host);
        if (existing !== undefined) {
          if (!sameTls(existing, claim)) {
            const owner = `${existing.owner.namespace}/${existing.owner.name}`;
            ctx.sink.report(
              'TLSHostConflict',
              ingress.meta.ref,
              path,
              `TLS for "${host}" is already configured differently by the older Ingress ${owner}, which wins`,
            );
          }
          continue;
        }
        hosts.set(host, { fqdn: host, ...claim, owner: ingress.meta.ref });
        ctx.secretsByName.set(secret.name, secret);
      }
    }
  }
  return hosts;
}

function addRoute(ctx: Context, tables: Map<string, RouteTable>, fqdn: string, entry: RouteEntry): void {
  let table = tables.get(fqdn);
  if (table === undefined) {
    table = new Map();
    tables.set(fqdn, table);
  }
  const matchKey = routeMatchKey(entry.route.match);
  const existing = table.get(matchKey);
  if (existing === undefined) {
    table.set(matchKey, entry);
    return;
  }
  const ref = entry.ingress.meta.ref;
  if (existing.ingress !== entry.ingress) {
    const owner = `${existing.ingress.meta.namespace}/${existing.ingress.meta.name}`;
    ctx.sink.report(
      'RouteConflict',
      ref,
      entry.path,
      `host "${fqdn}" already routes this path for the older Ingress ${owner}, which wins`,
    );
    return;
  }
  // Within one Ingress a later rule replaces an earlier one (the default backend is meant to be overridden).
  if (!existing.isDefaultBackend && existing.path.join('.') !== entry.path.join('.')) {
    ctx.sink.report(
      'RouteConflict',
      ref,
      existing.path,
      `host "${fqdn}" routes the same path again at ${entry.path.join('.')}, which replaces this one`,
    );
  }
  table.set(matchKey, entry);
}

export function translateIngresses(
  snapshot: Snapshot,
  options: ResolvedOptions,
  sink: DiagnosticSink,
  services: ServiceResolver,
  secrets: SecretResolver,
  secretsByName: Map<string, TlsSecret>,
): IngressOutput {
  const ctx: Context = { snapshot, options, sink, services, secrets, secretsByName };
  const served = ingressClassFilter(snapshot, options, sink);
  const ingresses = snapshot.ingresses.filter(served);
  const secureHosts = collectSecureHosts(ctx, ingresses);
  const http = new Map<string, RouteTable>();
  const https = new Map<string, RouteTable>();

  for (const ingress of ingresses) {
    const policy = ingressPolicy(ctx, ingress);
    const rules = [...ingress.rules];
    if (ingress.defaultBackend !== undefined) {
      const backend = ingress.defaultBackend;
      rules.unshift({
        path: ['spec', 'defaultBackend'],
        host: '',
        paths: [{ path: ['spec', 'defaultBackend'], value: '', pathType: 'ImplementationSpecific', backend }],
      });
    }
    for (const rule of rules) {
      if (rule.host !== '' && !isValidHostname(rule.host)) {
        sink.report(
          'InvalidHostname',
          ingress.meta.ref,
          [...rule.path, 'host'],
          `"${rule.host}" is not a valid DNS host name; rule skipped`,
        );
        continue;
      }
      const fqdn = rule.host === '' ? '*' : rule.host;
      for (const entry of rule.paths) {
        const path = pathMatch(ctx, ingress, entry);
        if (path === undefined || entry.backend === undefined) continue;
        const cluster = services.resolve(
          ingress.meta.ref,
          entry.backend.path,
          ingress.meta.namespace,
          entry.backend.serviceName,
          entry.backend.port,
        );
        if (cluster === undefined) continue;
        const match: RouteMatch = { path, headers: wildcardAuthority(fqdn) };
        const forward: RouteAction = {
          kind: 'forward',
          backends: [{ clusterName: cluster.name, weight: 1 }],
          timeout: policy.timeout,
          retry: policy.retry,
          websocket: policy.websocketPaths.has(entry.value === '' ? '/' : entry.value),
        };
        const isDefaultBackend = rule.path[1] === 'defaultBackend';
        const make = (action: RouteAction): RouteEntry => ({
          route: { match, action, origin: ingress.meta.ref },
          ingress,
          path: entry.path,
          isDefaultBackend,
        });
        if (policy.forceSslRedirect) addRoute(ctx, http, fqdn, make({ kind: 'httpsRedirect' }));
        else if (policy.allowHttp) addRoute(ctx, http, fqdn, make(forward));
        if (fqdn !== '*' && secureHosts.has(fqdn)) addRoute(ctx, https, fqdn, make(forward));
      }
    }
  }
  return { http, https, secureHosts };
}
