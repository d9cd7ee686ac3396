/**
 * Resolves TLS Secret references: delegation, type and PEM checks. Results are memoised per call, so a
 * Secret used by many hosts is checked once.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { DiagnosticSink, FieldPath, ObjectRef } from '../diagnostics.js';
import type { TlsSecret } from '../model/ir.js';
import type { SecretView } from '../model/k8s/secret.js';
import type { Lookup } from '../model/snapshot.js';
import { secretName } from './names.js';
import { jwkInteger, type RsaPrivateKey, readRsaPrivateKey, rsaPartsAgree } from './rsa-key.js';

interface PemBlock {
  readonly type: string;
  readonly text: string;
}

const pemBlock = /-----BEGIN ([A-Z0-9 ]{1,64})-----\r?\n([A-Za-z0-9+/=\r\n\t ]*?)-----END \1-----/g;

export function pemBlocks(text: string): PemBlock[] {
  return [...text.matchAll(pemBlock)].map((m) => ({ type: m[1] ?? '', text: m[0] }));
}

const keyTypes = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']);

/** Why a kubernetes.io/tls keypair cannot be served, or undefined when it can. */
export function tlsKeypairProblem(certificate: string, privateKey: string): string | undefined {
  const certs = pemBlocks(certificate);
  if (certs.length === 0) return 'tls.crt holds no PEM certificate';
  const other = certs.find((b) => b.type !== 'CERTIFICATE');
  if (other !== undefined)
    return `tls.crt holds a "${other.type}" PEM block; only CERTIFICATE blocks are allowed`;
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate((certs[0] as PemBlock).text);
  } catch {
    return 'the first certificate in tls.crt cannot be parsed';
  }
  const hasCommonName = /(^|\n)CN=./.test(leaf.subject);
  const hasSan = /(DNS|IP Address):/.test(leaf.subjectAltName ?? '');
  if (!hasCommonName && !hasSan)
    return 'the first certificate in tls.crt has neither a common name nor a DNS or IP subject alternative name';
  const blocks = pemBlocks(privateKey).filter((b) => b.type !== 'EC PARAMETERS');
  const keys = blocks.filter((b) => keyTypes.has(b.type));
  if (blocks.length !== keys.length) return 'tls.key holds a PEM block that is not a private key';
  if (keys.length !== 1) return `tls.key must hold exactly one private key, found ${keys.length}`;
  const block = keys[0] as PemBlock;
  const rsa = readRsaPrivateKey(block.type, block.text);
  return rsa === undefined ? decodedKeyProblem(leaf, block) : rsaKeyProblem(leaf, rsa);
}

const mismatch = 'the private key in tls.key does not belong to the certificate in tls.crt';

/** The check for any key: OpenSSL decodes it (about 0.5 ms) and matches it to the certificate. */
function decodedKeyProblem(leaf: X509Certificate, block: PemBlock): string | undefined {
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(block.text);
  } catch {
    return 'the private key in tls.key cannot be parsed';
  }
  // Envoy refuses a certificate whose key does not match, which would fail the whole listener.
  return leaf.checkPrivateKey(key) ? undefined : mismatch;
}

/**
 * The check for an RSA key read by `readRsaPrivateKey` (microseconds): its parts must agree, as
 * BoringSSL requires when Envoy loads it, and its public part must be the certificate's.
 */
function rsaKeyProblem(leaf: X509Certificate, key: RsaPrivateKey): string | undefined {
  if (!rsaPartsAgree(key)) return 'the private key in tls.key is not a valid RSA key: its parts do not agree';
  const certKey = leaf.publicKey;
  if (certKey.asymmetricKeyType !== 'rsa') return mismatch;
  const { n, e } = certKey.export({ format: 'jwk' });
  if (n === undefined || e === undefined || jwkInteger(n) !== key.n || jwkInteger(e) !== key.e)
    return mismatch;
  return undefined;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

export interface SecretRef {
  readonly namespace: string;
  readonly name: string;
}

/**
 * Parses a secret reference: `name` (in defaultNamespace) or `namespace/name`. Undefined if malformed.
 */
export function parseSecretRef(text: string, defaultNamespace: string): SecretRef | undefined {
  const parts = text.split('/');
  if (parts.length === 1 && parts[0] !== '') return { namespace: defaultNamespace, name: parts[0] as string };
  if (parts.length === 2 && parts[0] !== '' && parts[1] !== '') {
    return { namespace: parts[0] as string, name: parts[1] as string };
  }
  return undefined;
}

/** Why a secret reference cannot be used. */
export interface SecretProblem {
  readonly problem: 'notDelegated' | 'notFound' | 'invalid';
  readonly message: string;
}

export interface SecretResolver {
  /** A servable TLS secret for the referrer, or undefined after reporting why not. */
  resolveTls(referrer: ObjectRef, path: FieldPath, ref: SecretRef): TlsSecret | undefined;
  /** A servable TLS secret for an object in `namespace`, or why not (reported by the caller). */
  tls(ref: SecretRef, namespace: string): TlsSecret | SecretProblem;
  /**
   * PEM data under `key` (`ca.crt` or `crl.pem`) of a secret usable from `namespace`: CA bundles must
   * hold only certificates that parse, CRLs only X509 CRL blocks.
   */
  pem(ref: SecretRef, namespace: string, key: 'ca.crt' | 'crl.pem'): Uint8Array | SecretProblem;
}

export function isSecretProblem(value: object): value is SecretProblem {
  return 'problem' in value;
}

/** Why a CA bundle or CRL cannot be used, or undefined when it can. */
function pemProblem(text: string, key: 'ca.crt' | 'crl.pem'): string | undefined {
  const blocks = pemBlocks(text);
  const wanted = key === 'ca.crt' ? 'CERTIFICATE' : 'X509 CRL';
  if (blocks.length === 0) return `${key} holds no PEM ${wanted} block`;
  const other = blocks.find((b) => b.type !== wanted);
  if (other !== undefined)
    return `${key} holds a "${other.type}" PEM block; only ${wanted} blocks are allowed`;
  if (key === 'ca.crt') {
    for (const block of blocks) {
      try {
        new X509Certificate(block.text);
      } catch {
        return 'a certificate in ca.crt cannot be parsed';
      }
    }
  }
  return undefined;
}

/** The checks' memory: results per Secret view, and keypair checks per content within a batch. */
export interface SecretCheckCache {
  /** Views are immutable, so these results may outlive one batch. */
  readonly byView: WeakMap<SecretView, TlsSecret | string>;
  /**
   * `tlsKeypairProblem` results by certificate text, then key text (two levels, so no two pairs can
   * share an entry, whatever bytes they hold): one pair is often copied into many namespaces, and
   * parsing its certificate costs about 0.2 ms. Cleared after every batch (`endBatch`), so rotated
   * pairs do not accumulate in a long-lived translator.
   */
  readonly byContent: Map<string, Map<string, string | undefined>>;
}

export const secretCheckCache = (): SecretCheckCache => ({ byView: new WeakMap(), byContent: new Map() });

/** Forgets the per-content results at the end of a batch. */
export function endBatch(cache: SecretCheckCache): void {
  cache.byContent.clear();
}

/** `tlsKeypairProblem`, once per distinct pair in a batch. */
function keypairProblem(
  cache: SecretCheckCache,
  certificate: string,
  privateKey: string,
): string | undefined {
  let byKey = cache.byContent.get(certificate);
  if (byKey === undefined) {
    byKey = new Map();
    cache.byContent.set(certificate, byKey);
  } else if (byKey.has(privateKey)) {
    return byKey.get(privateKey);
  }
  const problem = tlsKeypairProblem(certificate, privateKey);
  byKey.set(privateKey, problem);
  return problem;
}

/**
 * What a resolver holds (one per Ingress with TLS and per root HTTPProxy): one object literal whose
 * methods are module functions, not closures per resolver (docs/design.md, "Code that stays
 * optimised").
 */
interface SecretResolverData extends SecretResolver {
  readonly lookup: Lookup;
  readonly sink: DiagnosticSink;
  readonly checked: SecretCheckCache;
}

export function createSecretResolver(
  lookup: Lookup,
  sink: DiagnosticSink,
  checked: SecretCheckCache,
): SecretResolver {
  const resolver: SecretResolverData = {
    lookup,
    sink,
    checked,
    tls: resolveSecretTls,
    pem: resolveSecretPem,
    resolveTls: resolveAndReportTls,
  };
  return resolver;
}

function delegated(lookup: Lookup, ref: SecretRef, toNamespace: string): boolean {
  if (ref.namespace === toNamespace) return true;
  return lookup
    .delegations(ref.namespace)
    .some((d) =>
      d.delegations.some(
        (entry) =>
          entry.secretName === ref.name &&
          (entry.targetNamespaces.includes(toNamespace) ||
            (entry.targetNamespaces.length === 1 && entry.targetNamespaces[0] === '*')),
      ),
    );
}

function check(checked: SecretCheckCache, secret: SecretView): TlsSecret | string {
  const cached = checked.byView.get(secret);
  if (cached !== undefined) return cached;
  let result: TlsSecret | string;
  const cert = secret.data.get('tls.crt');
  const privateKey = secret.data.get('tls.key');
  if (secret.type !== 'kubernetes.io/tls' && secret.type !== 'Opaque') {
    result = `type "${secret.type}" is not kubernetes.io/tls or Opaque`;
  } else if (cert === undefined || privateKey === undefined) {
    result = 'it has no tls.crt and tls.key';
  } else {
    result = keypairProblem(checked, decoder.decode(cert), decoder.decode(privateKey)) ?? {
      name: secretName(secret.meta.namespace, secret.meta.name, cert),
      certificateChain: cert,
      privateKey,
    };
  }
  checked.byView.set(secret, result);
  return result;
}

function find(lookup: Lookup, ref: SecretRef, namespace: string): SecretView | SecretProblem {
  const target = `${ref.namespace}/${ref.name}`;
  if (!delegated(lookup, ref, namespace)) {
    return {
      problem: 'notDelegated',
      message: `Secret ${target} is in another namespace and no TLSCertificateDelegation there grants it to "${namespace}"`,
    };
  }
  const secret = lookup.secret(ref.namespace, ref.name);
  return secret ?? { problem: 'notFound', message: `Secret ${target} not found` };
}

const codes = {
  notDelegated: 'DelegationNotPermitted',
  notFound: 'SecretNotFound',
  invalid: 'SecretInvalid',
} as const;

function resolveSecretTls(
  this: SecretResolverData,
  ref: SecretRef,
  namespace: string,
): TlsSecret | SecretProblem {
  const secret = find(this.lookup, ref, namespace);
  if (isSecretProblem(secret)) return secret;
  const result = check(this.checked, secret);
  if (typeof result !== 'string') return result;
  return {
    problem: 'invalid',
    message: `Secret ${ref.namespace}/${ref.name} cannot be served: ${result}`,
  };
}

function resolveSecretPem(
  this: SecretResolverData,
  ref: SecretRef,
  namespace: string,
  key: 'ca.crt' | 'crl.pem',
): Uint8Array | SecretProblem {
  const secret = find(this.lookup, ref, namespace);
  if (isSecretProblem(secret)) return secret;
  const data = secret.data.get(key);
  const problem = data === undefined ? `it has no ${key}` : pemProblem(decoder.decode(data), key);
  if (problem === undefined && data !== undefined) return data;
  return {
    problem: 'invalid',
    message: `Secret ${ref.namespace}/${ref.name} cannot be used: ${problem}`,
  };
}

function resolveAndReportTls(
  this: SecretResolverData,
  referrer: ObjectRef,
  path: FieldPath,
  ref: SecretRef,
): TlsSecret | undefined {
  const result = this.tls(ref, referrer.namespace);
  if (!isSecretProblem(result)) return result;
  this.sink.report(codes[result.problem], referrer, path, result.message);
  return undefined;
}
