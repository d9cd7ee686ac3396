/**
 * HTTPProxy authentication features: external authorization through an ExtensionService (the
 * ext_authz filter and its cluster) and JWT verification (jwt_authn with remote or local JWKS).
 * Every problem is reported with Contour's condition Type and Reason and refuses the virtual host:
 * a host that asked to be protected is never served unprotected.
 */
import { isIP } from 'node:net';
import { compareText } from '../compare.js';
import type { DiagnosticCode, FieldPath } from '../diagnostics.js';
import type {
  Cluster,
  DurationValue,
  ExtAuthz,
  HeaderNameMatch,
  JwtProvider,
  RouteFilters,
} from '../model/ir.js';
import type {
  AllowedHeaderSpec,
  AuthorizationPolicySpec,
  AuthorizationServerSpec,
  ExtensionServiceView,
  JWTProviderSpec,
  UpstreamValidationSpec,
} from '../model/k8s/httpproxy.js';
import type { Lookup } from '../model/snapshot.js';
import type { ResolvedOptions } from '../options.js';
import { durationFromNanos, parseGoDuration, parseTimeout } from './duration.js';
import { type Invalid, invalid, type PolicyContext } from './httpproxy-policy.js';
import { dnsClusterName, extensionClusterName } from './names.js';
import { isSecretProblem, parseSecretRef, type SecretResolver } from './secrets.js';
import type { EndpointsNeed } from './services.js';
import { externalNameProblem } from './validate.js';

export interface AuthDeps {
  readonly lookup: Lookup;
  readonly options: ResolvedOptions;
  readonly secrets: SecretResolver;
}

/** What an authentication feature adds beside its filter: clusters and the EDS names they need. */
export interface Upstreams {
  readonly clusters: Cluster[];
  readonly needs: EndpointsNeed[];
}

/** A problem in an ExtensionService, with the condition Type its status files it under. */
export type ExtensionProblem = (code: DiagnosticCode, type: string, at: FieldPath, message: string) => void;

/**
 * The cluster `extension/<ns>/<name>` of an ExtensionService: its Services' endpoints in one
 * assignment, h2 over TLS by default. Undefined after reporting why it cannot be used; warnings
 * (settings it ignores) are reported through `warn`.
 */
export function extensionCluster(
  deps: AuthDeps,
  ext: ExtensionServiceView,
  problem: ExtensionProblem,
  warn: (at: FieldPath, message: string) => void = () => undefined,
): { cluster: Cluster; need: EndpointsNeed } | undefined {
  if (ext.malformed) {
    problem('InvalidField', 'SpecError', ['spec'], 'it has fields of the wrong type');
    return undefined;
  }
  const ns = ext.meta.namespace;
  const name = extensionClusterName(ns, ext.meta.name);
  const parts: NonNullable<EndpointsNeed['more']>[number][] = [];
  if (ext.services.length === 0) {
    problem(
      'NothingDefined',
      'SpecError',
      ['spec', 'services'],
      'an ExtensionService must list at least one service',
    );
    return undefined;
  }
  for (const svc of ext.services) {
    const service = deps.lookup.service(ns, svc.name);
    const port = service?.ports.find((p) => p.port === svc.port && p.protocol === 'TCP');
    if (service?.type === 'ExternalName') {
      problem(
        'UnsupportedServiceType',
        'ServiceError',
        svc.at,
        `Service ${ns}/${svc.name} is of unsupported type "ExternalName"`,
      );
      return undefined;
    }
    if (service === undefined || port === undefined) {
      const what = service === undefined ? 'not found' : `has no TCP port ${svc.port}`;
      problem(
        'ServiceUnresolvedReference',
        'ServiceError',
        svc.at,
        `unresolved service reference: service "${ns}/${svc.name}" ${what}`,
      );
      return undefined;
    }
    parts.push({ namespace: ns, service: svc.name, port });
  }
  if (new Set(ext.services.map((s) => s.weight ?? 0)).size > 1)
    warn(
      ['spec', 'services'],
      'service weights are not applied: the endpoints of every service are balanced together',
    );
  const protocol = ext.protocol ?? 'h2';
  if (protocol !== 'h2' && protocol !== 'h2c') {
    problem(
      'UnsupportedProtocol',
      'SpecError',
      ['spec', 'protocol'],
      `unsupported protocol "${protocol}"; use h2 or h2c`,
    );
    return undefined;
  }
  let upstreamValidation: Cluster['upstreamValidation'];
  let sni: string | undefined;
  if (ext.validation !== undefined) {
    const validated =
      protocol === 'h2' ? validation(deps, ext.validation, ns) : 'upstream validation requires protocol h2';
    if (typeof validated === 'string') {
      problem('TLSUpstreamValidation', 'ServiceError', ext.validation.at, validated);
      return undefined;
    }
    upstreamValidation = validated;
    sni = validated.subjectNames[0];
  }
  if (ext.timeoutPolicy?.idle !== undefined)
    warn(
      [...ext.timeoutPolicy.at, 'idle'],
      'timeoutPolicy.idle does not apply to an ExtensionService; ignored',
    );
  const chosen = ext.loadBalancerPolicy?.strategy;
  if (chosen === 'Cookie' || chosen === 'RequestHash')
    warn(
      [...(ext.loadBalancerPolicy?.at ?? ['spec']), 'strategy'],
      `load balancer strategy "${chosen}" is not supported for an ExtensionService; round robin is used`,
    );
  const timeouts = ext.timeoutPolicy;
  let idleConnectionTimeout: Cluster['idleConnectionTimeout'];
  if (timeouts?.idleConnection !== undefined) {
    const setting = parseTimeout(timeouts.idleConnection);
    if (setting.kind === 'invalid') {
      problem(
        'TimeoutPolicyNotValid',
        'SpecError',
        [...timeouts.at, 'idleConnection'],
        `timeoutPolicy.idleConnection "${timeouts.idleConnection}" is not a duration`,
      );
      return undefined;
    }
    if (setting.kind === 'set') idleConnectionTimeout = setting.value;
    if (setting.kind === 'disabled') idleConnectionTimeout = { seconds: 0, nanos: 0 };
  }
  const strategy = ext.loadBalancerPolicy?.strategy;
  const lbPolicy =
    strategy === 'WeightedLeastRequest' ? 'leastRequest' : strategy === 'Random' ? 'random' : undefined;
  const breakers = ext.circuitBreakerPolicy;
  const [first, ...more] = parts;
  if (first === undefined) return undefined;
  const cluster: Cluster = {
    name,
    statName: `extension_${ns}_${ext.meta.name}`,
    service: { namespace: ns, name: first.service, port: first.port.port },
    protocol,
    sni,
    circuitBreakers:
      breakers === undefined
        ? undefined
        : {
            maxConnections: breakers.maxConnections ?? 0,
            maxPendingRequests: breakers.maxPendingRequests ?? 0,
            maxRequests: breakers.maxRequests ?? 0,
            maxRetries: breakers.maxRetries ?? 0,
            perHostMaxConnections: breakers.perHostMaxConnections ?? 0,
          },
    discovery: { kind: 'eds', serviceName: name },
    ...(lbPolicy !== undefined ? { lbPolicy } : {}),
    ...(upstreamValidation !== undefined ? { upstreamValidation } : {}),
    ...(idleConnectionTimeout !== undefined ? { idleConnectionTimeout } : {}),
  };
  return { cluster, need: { name, ...first, ...(more.length > 0 ? { more } : {}) } };
}

function validation(
  deps: AuthDeps,
  spec: UpstreamValidationSpec,
  ns: string,
): NonNullable<Cluster['upstreamValidation']> | string {
  const names =
    spec.subjectNames.length > 0 ? spec.subjectNames : spec.subjectName !== '' ? [spec.subjectName] : [];
  if (names.length === 0 || names.some((n) => n === '' || /[\0\r\n\s]/.test(n)))
    return 'upstream validation needs subject names';
  const ref = parseSecretRef(spec.caSecret, ns);
  if (ref === undefined) return `CA secret "${spec.caSecret}" is not "name" or "namespace/name"`;
  const ca = deps.secrets.pem(ref, ns, 'ca.crt');
  return isSecretProblem(ca) ? ca.message : { caCertificate: ca, subjectNames: names };
}

/** The ext_authz filter of a virtual host, with the ExtensionService cluster it calls. */
export function authorization(
  ctx: PolicyContext,
  deps: AuthDeps,
  spec: AuthorizationServerSpec,
  proxyNamespace: string,
):
  | {
      readonly ir: ExtAuthz;
      readonly upstreams: Upstreams;
      readonly policy: AuthorizationPolicySpec | undefined;
    }
  | Invalid {
  const ref = spec.extensionRef;
  const at: FieldPath = [...spec.at, 'extensionRef'];
  if (
    ref.apiVersion !== undefined &&
    ref.apiVersion !== '' &&
    ref.apiVersion !== 'projectcontour.io/v1alpha1'
  )
    return ctx.fail(
      'AuthError',
      'AuthBadResourceVersion',
      at,
      `Spec.Virtualhost.Authorization.extensionRef specifies an unsupported resource version "${ref.apiVersion}"`,
    );
  const ns = ref.namespace === undefined || ref.namespace === '' ? proxyNamespace : ref.namespace;
  const ext = ref.name === '' ? undefined : deps.lookup.extensionService(ns, ref.name);
  if (ext === undefined)
    return ctx.fail(
      'AuthError',
      'ExtensionServiceNotFound',
      at,
      `Spec.Virtualhost.Authorization.ServiceRef extension service "${ns}/${ref.name}" not found`,
    );
  let why = '';
  const upstream = extensionCluster(deps, ext, (_code, _type, _at, message) => {
    why ||= message;
  });
  if (upstream === undefined)
    return ctx.fail(
      'AuthError',
      'ExtensionServiceNotFound',
      at,
      `extension service "${ns}/${ref.name}" cannot be used: ${why}`,
    );
  let timeout = { seconds: 0, nanos: 200_000_000 };
  const timeoutText = spec.responseTimeout ?? ext.timeoutPolicy?.response;
  if (timeoutText !== undefined) {
    const setting = parseTimeout(timeoutText);
    const field =
      spec.responseTimeout !== undefined
        ? 'responseTimeout'
        : `the ExtensionService's timeoutPolicy.response`;
    if (setting.kind === 'invalid')
      return ctx.fail(
        'AuthError',
        'AuthResponseTimeoutInvalid',
        spec.responseTimeout !== undefined ? [...spec.at, 'responseTimeout'] : at,
        `${field} "${timeoutText}" is not a duration (e.g. "500ms") or "infinity"`,
      );
    if (setting.kind === 'disabled') timeout = { seconds: 0, nanos: 0 };
    if (setting.kind === 'set') timeout = setting.value;
  }
  const protocol =
    spec.serviceType === undefined || spec.serviceType === '' || spec.serviceType === 'grpc'
      ? 'grpc'
      : spec.serviceType === 'http'
        ? 'http'
        : undefined;
  if (protocol === undefined)
    return ctx.fail(
      'AuthError',
      'AuthBadResourceVersion',
      [...spec.at, 'serviceType'],
      `serviceType "${spec.serviceType}" is not grpc or http`,
    );
  if (protocol === 'http' && spec.authPolicy !== undefined && spec.authPolicy.context.size > 0)
    return ctx.fail(
      'AuthError',
      'AuthContextForHTTP',
      [...spec.at, 'authPolicy', 'context'],
      'authorization context extensions are only sent to gRPC authorization servers',
    );
  let http: ExtAuthz['http'];
  if (protocol === 'http') {
    const s = spec.httpSettings;
    const pathPrefix = s?.pathPrefix ?? '';
    if (pathPrefix !== '' && !/^\/[\x21-\x7e]*$/.test(pathPrefix))
      return ctx.fail(
        'AuthError',
        'AuthBadAllowedHeader',
        [...spec.at, 'httpSettings', 'pathPrefix'],
        `pathPrefix "${pathPrefix}" must start with "/"`,
      );
    const headers = (list: readonly AllowedHeaderSpec[], key: string): HeaderNameMatch[] | Invalid => {
      const out: HeaderNameMatch[] = [];
      for (const spec of list) {
        const set = (['exact', 'prefix', 'suffix', 'contains'] as const).filter((k) => spec[k] !== undefined);
        const kind = set[0];
        const value = kind === undefined ? '' : (spec[kind] ?? '');
        // Contour's rule: exactly one matcher; kube-xds also refuses values no header name can have.
        if (set.length !== 1 || kind === undefined || value === '' || /[\0\r\n\s:]/.test(value))
          return ctx.fail(
            'AuthError',
            'AuthBadAllowedHeader',
            [...spec.at],
            `allowed header in ${key} must set exactly one of exact, prefix, suffix or contains to a header name`,
          );
        out.push({ kind, value, ignoreCase: spec.ignoreCase === true });
      }
      return out;
    };
    const allowedAuthorizationHeaders = headers(
      s?.allowedAuthorizationHeaders ?? [],
      'allowedAuthorizationHeaders',
    );
    if (allowedAuthorizationHeaders === invalid) return invalid;
    const allowedUpstreamHeaders = headers(s?.allowedUpstreamHeaders ?? [], 'allowedUpstreamHeaders');
    if (allowedUpstreamHeaders === invalid) return invalid;
    http = { pathPrefix, allowedAuthorizationHeaders, allowedUpstreamHeaders };
  }
  const body = spec.withRequestBody;
  const ir: ExtAuthz = {
    clusterName: upstream.cluster.name,
    protocol,
    timeout,
    failOpen: spec.failOpen === true,
    ...(body !== undefined
      ? {
          withRequestBody: {
            maxRequestBytes:
              body.maxRequestBytes !== undefined && body.maxRequestBytes > 0 ? body.maxRequestBytes : 1024,
            allowPartialMessage: body.allowPartialMessage === true,
            packAsBytes: body.packAsBytes === true,
          },
        }
      : {}),
    ...(http !== undefined ? { http } : {}),
  };
  return { ir, upstreams: { clusters: [upstream.cluster], needs: [upstream.need] }, policy: spec.authPolicy };
}

/** A route's ext_authz settings: the route's authPolicy over the virtual host's default. */
export function routeAuthorization(
  vhost: AuthorizationPolicySpec | undefined,
  route: AuthorizationPolicySpec | undefined,
): RouteFilters['extAuthz'] {
  const disabled = route?.disabled ?? vhost?.disabled ?? false;
  if (disabled) return { kind: 'disabled' };
  const context = new Map([...(vhost?.context ?? []), ...(route?.context ?? [])]);
  if (context.size === 0) return undefined;
  return { kind: 'context', context: [...context].sort(([a], [b]) => compareText(a, b)) };
}

const dnsFamilies = new Set(['auto', 'v4', 'v6', 'all']);

export interface JwtResult {
  readonly providers: JwtProvider[];
  readonly defaultProvider: string | undefined;
  readonly upstreams: Upstreams;
}

/** The jwt_authn providers of a virtual host, with a STRICT_DNS cluster per remote JWKS host. */
export function jwtProviders(
  ctx: PolicyContext,
  deps: AuthDeps,
  specs: readonly JWTProviderSpec[],
  proxyNamespace: string,
): JwtResult | Invalid {
  const fail = (code: Parameters<PolicyContext['fail']>[1], at: FieldPath, message: string): Invalid =>
    ctx.fail('JWTVerificationError', code, at, message);
  const providers: JwtProvider[] = [];
  const clusters = new Map<string, Cluster>();
  let defaultProvider: string | undefined;
  const names = new Set<string>();
  for (const spec of specs) {
    if (spec.name === '' || names.has(spec.name))
      return fail('DuplicateProviderName', spec.at, `duplicate JWT provider name "${spec.name}"`);
    names.add(spec.name);
    if (spec.default === true) {
      if (defaultProvider !== undefined)
        return fail(
          'MultipleDefaultProvidersSpecified',
          spec.at,
          'at most one JWT provider can be set as the default',
        );
      defaultProvider = spec.name;
    }
    if (spec.remoteJWKS !== undefined && spec.localJWKS !== undefined)
      return fail('JWKSSourceConflict', spec.at, 'remoteJWKS and localJWKS cannot both be set');
    if (spec.remoteJWKS === undefined && spec.localJWKS === undefined)
      return fail('JWKSSourceMissing', spec.at, 'one of remoteJWKS or localJWKS must be set');
    if ([spec.issuer ?? '', ...spec.audiences].some((t) => /[\0\r\n]/.test(t)))
      return fail('JWKSSourceConflict', spec.at, 'issuer and audiences must not contain control characters');
    const common = {
      name: spec.name,
      ...(spec.issuer !== undefined && spec.issuer !== '' ? { issuer: spec.issuer } : {}),
      audiences: [...spec.audiences],
      forward: spec.forwardJWT === true,
    };
    const local = spec.localJWKS;
    if (local !== undefined) {
      const secret = deps.lookup.secret(proxyNamespace, local.secretName);
      const key = local.key ?? 'jwks.json';
      const data = secret?.data.get(key);
      let text: string | undefined;
      try {
        text = data === undefined ? undefined : new TextDecoder('utf-8', { fatal: true }).decode(data);
        if (text !== undefined) JSON.parse(text);
      } catch {
        text = undefined;
      }
      if (text === undefined)
        return fail(
          'LocalJWKSInvalid',
          local.at,
          `local JWKS Secret "${proxyNamespace}/${local.secretName}" has no JSON key "${key}"`,
        );
      providers.push({ ...common, jwks: { kind: 'local', inline: text } });
      continue;
    }
    const remote = spec.remoteJWKS as NonNullable<JWTProviderSpec['remoteJWKS']>;
    let url: URL;
    try {
      url = new URL(remote.uri);
    } catch {
      return fail('RemoteJWKSURIInvalid', [...remote.at, 'uri'], `"${remote.uri}" is not a URI`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      return fail(
        'RemoteJWKSSchemeInvalid',
        [...remote.at, 'uri'],
        `scheme "${url.protocol.slice(0, -1)}" is not http or https`,
      );
    const scheme = url.protocol.slice(0, -1);
    const host = url.hostname;
    if (host === '' || isIP(host.replace(/^\[|\]$/g, '')) || externalNameProblem(host) !== undefined)
      return fail(
        'RemoteJWKSURIInvalid',
        [...remote.at, 'uri'],
        `"${host}" is not a DNS name kube-xds may resolve`,
      );
    const port = url.port === '' ? (scheme === 'https' ? 443 : 80) : Number(url.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      return fail('RemoteJWKSPortInvalid', [...remote.at, 'uri'], `port ${url.port} is invalid`);
    const timeoutText = remote.timeout ?? '1s';
    const timeoutNanos = parseGoDuration(timeoutText);
    if (timeoutNanos === undefined || durationFromNanos(timeoutNanos) === undefined)
      return fail(
        'RemoteJWKSTimeoutInvalid',
        [...remote.at, 'timeout'],
        `timeout "${timeoutText}" is not a duration`,
      );
    let cacheDuration: DurationValue | undefined;
    if (remote.cacheDuration !== undefined) {
      const nanos = parseGoDuration(remote.cacheDuration);
      if (nanos === undefined)
        return fail(
          'RemoteJWKSCacheDurationInvalid',
          [...remote.at, 'cacheDuration'],
          `cacheDuration "${remote.cacheDuration}" is not a duration`,
        );
      cacheDuration = { seconds: Number(nanos / 1_000_000_000n), nanos: Number(nanos % 1_000_000_000n) };
    }
    if (remote.dnsLookupFamily !== undefined && !dnsFamilies.has(remote.dnsLookupFamily))
      return fail(
        'RemoteJWKSDNSLookupFamilyInvalid',
        [...remote.at, 'dnsLookupFamily'],
        `"${remote.dnsLookupFamily}" is not auto, v4, v6 or all`,
      );
    let upstreamValidation: Cluster['upstreamValidation'];
    if (remote.validation !== undefined) {
      if (scheme !== 'https')
        return fail(
          'RemoteJWKSUpstreamValidationInvalid',
          [...remote.at, 'validation'],
          'validation requires an https URI',
        );
      const ref = parseSecretRef(remote.validation.caSecret, proxyNamespace);
      const ca = ref === undefined ? undefined : deps.secrets.pem(ref, proxyNamespace, 'ca.crt');
      if (ca !== undefined && isSecretProblem(ca) && ca.problem === 'notDelegated')
        return fail(
          'RemoteJWKSCACertificateNotDelegated',
          [...remote.at, 'validation', 'caSecret'],
          ca.message,
        );
      const validated = validation(deps, remote.validation, proxyNamespace);
      if (typeof validated === 'string')
        return fail('RemoteJWKSUpstreamValidationInvalid', [...remote.at, 'validation'], validated);
      upstreamValidation = validated;
    }
    const clusterName = dnsClusterName(scheme, host);
    const family =
      remote.dnsLookupFamily === 'v4' || remote.dnsLookupFamily === 'v6' || remote.dnsLookupFamily === 'all'
        ? remote.dnsLookupFamily
        : undefined;
    const timeout = {
      seconds: Number(timeoutNanos / 1_000_000_000n),
      nanos: Number(timeoutNanos % 1_000_000_000n),
    };
    clusters.set(clusterName, {
      name: clusterName,
      statName: clusterName.replaceAll('/', '_'),
      service: { namespace: '', name: host, port },
      protocol: scheme === 'https' ? 'tls' : '',
      sni: scheme === 'https' ? host : undefined,
      circuitBreakers: undefined,
      discovery: { kind: 'dns', host, port, loadAssignmentName: clusterName },
      ...(upstreamValidation !== undefined ? { upstreamValidation } : {}),
      ...(family !== undefined ? { dnsLookupFamily: family } : {}),
    });
    providers.push({
      ...common,
      jwks: {
        kind: 'remote',
        uri: remote.uri,
        clusterName,
        timeout,
        ...(cacheDuration !== undefined ? { cacheDuration } : {}),
      },
    });
  }
  return { providers, defaultProvider, upstreams: { clusters: [...clusters.values()], needs: [] } };
}
