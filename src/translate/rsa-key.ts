/**
 * A strict reader for RSA private keys, so that checking a TLS Secret need not go through OpenSSL
 * 3's key decoder, which takes about half a millisecond per key whatever its type. It reads only
 * the common forms: canonical PEM holding DER of a two-prime key, PKCS #8 (`PRIVATE KEY`) with the
 * plain rsaEncryption algorithm or PKCS #1 (`RSA PRIVATE KEY`). For anything else it answers
 * `undefined` and the caller goes the slow way. A key it reads is then checked the way BoringSSL
 * (Envoy's TLS library) checks one as it loads it: its parts must agree with each other.
 */

/** The parts of a two-prime RSA private key (PKCS #1). */
export interface RsaPrivateKey {
  readonly n: bigint;
  readonly e: bigint;
  readonly d: bigint;
  readonly p: bigint;
  readonly q: bigint;
  readonly dp: bigint;
  readonly dq: bigint;
  readonly qi: bigint;
}

/** One DER element: its tag and where its contents lie. */
interface Element {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
}

/** The element at `at`, read strictly (definite, minimal length), or undefined. */
function element(der: Buffer, at: number, limit: number): Element | undefined {
  if (at + 2 > limit) return undefined;
  const tag = der[at] as number;
  let length = der[at + 1] as number;
  let start = at + 2;
  if (length >= 0x80) {
    const count = length & 0x7f;
    // Indefinite lengths, lengths over 16 MB and lengths with leading zeros are not DER.
    if (count === 0 || count > 3 || start + count > limit || der[start] === 0) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (der[start + i] as number);
    if (length < 0x80) return undefined;
    start += count;
  }
  const end = start + length;
  return end > limit ? undefined : { tag, start, end };
}

/** A non-negative INTEGER in minimal form, or undefined. */
function integer(der: Buffer, el: Element): bigint | undefined {
  if (el.tag !== 0x02 || el.end === el.start) return undefined;
  const first = der[el.start] as number;
  if (first >= 0x80) return undefined;
  if (first === 0 && el.end - el.start > 1 && (der[el.start + 1] as number) < 0x80) return undefined;
  return BigInt(`0x${der.toString('hex', el.start, el.end)}`);
}

/** PKCS #1 RSAPrivateKey filling `der[start, end)` exactly: version 0 and eight integers. */
function rsaPrivateKey(der: Buffer, start: number, end: number): RsaPrivateKey | undefined {
  const sequence = element(der, start, end);
  if (sequence === undefined || sequence.tag !== 0x30 || sequence.end !== end) return undefined;
  const values: bigint[] = [];
  for (let at = sequence.start; at < sequence.end; ) {
    const el = element(der, at, sequence.end);
    // No part of a key of at most 16384 bits is longer; arithmetic on longer ones could be slow.
    const value = el === undefined || el.end - el.start > 2049 ? undefined : integer(der, el);
    if (el === undefined || value === undefined || values.length === 9) return undefined;
    values.push(value);
    at = el.end;
  }
  if (values.length !== 9 || values[0] !== 0n) return undefined;
  const [, n, e, d, p, q, dp, dq, qi] = values as [bigint, ...bigint[]];
  return { n, e, d, p, q, dp, dq, qi } as RsaPrivateKey;
}

/** SEQUENCE { OID rsaEncryption, NULL }: the only algorithm identifier read here. */
const rsaAlgorithm = [
  0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];

/** PKCS #8 PrivateKeyInfo, version 0, rsaEncryption, no attributes, filling `der` exactly. */
function pkcs8(der: Buffer): RsaPrivateKey | undefined {
  const sequence = element(der, 0, der.length);
  if (sequence === undefined || sequence.tag !== 0x30 || sequence.end !== der.length) return undefined;
  const version = element(der, sequence.start, sequence.end);
  if (version === undefined || integer(der, version) !== 0n) return undefined;
  for (let i = 0; i < rsaAlgorithm.length; i++) {
    if (der[version.end + i] !== rsaAlgorithm[i]) return undefined;
  }
  const octets = element(der, version.end + rsaAlgorithm.length, sequence.end);
  if (octets === undefined || octets.tag !== 0x04 || octets.end !== sequence.end) return undefined;
  return rsaPrivateKey(der, octets.start, octets.end);
}

const pemLine = /^[A-Za-z0-9+/]{1,76}={0,2}$/;

/**
 * The DER inside a PEM block in its usual form (a BEGIN line, base64 lines of at most 76
 * characters ending in LF or CRLF, an END line), or undefined for any other form.
 */
function pemDer(block: string): Buffer | undefined {
  const lines = block.split('\n');
  // BEGIN line, base64 lines, END line, nothing after.
  if (lines.length < 3) return undefined;
  let base64 = '';
  for (let i = 1; i < lines.length - 1; i++) {
    const line = lines[i] as string;
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (!pemLine.test(text)) return undefined;
    base64 += text;
  }
  if (!(lines[lines.length - 1] as string).startsWith('-----END ')) return undefined;
  const padding = base64.indexOf('=');
  if (base64.length % 4 !== 0 || (padding >= 0 && padding < base64.length - 2)) return undefined;
  return Buffer.from(base64, 'base64');
}

/**
 * Reads a `PRIVATE KEY` or `RSA PRIVATE KEY` PEM block holding a two-prime RSA key in DER, or
 * returns undefined when the block is in any other form (which says nothing about its validity).
 */
export function readRsaPrivateKey(type: string, block: string): RsaPrivateKey | undefined {
  if (type !== 'PRIVATE KEY' && type !== 'RSA PRIVATE KEY') return undefined;
  const der = pemDer(block);
  if (der === undefined) return undefined;
  return type === 'PRIVATE KEY' ? pkcs8(der) : rsaPrivateKey(der, 0, der.length);
}

function bitLength(value: bigint): number {
  return value === 0n ? 0 : value.toString(2).length;
}

/**
 * Whether the parts of a key agree, as BoringSSL requires of a key it loads: n = p·q, a public
 * exponent that is odd and at most 33 bits, d inverting e modulo p−1 and q−1, and the CRT values
 * derived from d, p and q. Every key a tool generates passes; a key with a corrupted part fails.
 */
export function rsaPartsAgree(key: RsaPrivateKey): boolean {
  const { n, e, d, p, q, dp, dq, qi } = key;
  if (p <= 1n || q <= 1n || e < 3n || e % 2n === 0n || bitLength(e) > 33 || bitLength(n) > 16384)
    return false;
  if (p * q !== n || d <= 0n || d >= n) return false;
  const p1 = p - 1n;
  const q1 = q - 1n;
  if ((d * e) % p1 !== 1n || (d * e) % q1 !== 1n) return false;
  return dp === d % p1 && dq === d % q1 && qi < p && (qi * q) % p === 1n;
}

/** A base64url text (a JWK member) as an integer. */
export function jwkInteger(text: string): bigint {
  return BigInt(`0x${Buffer.from(text, 'base64url').toString('hex') || '0'}`);
}
