/**
 * The RSA key reader that spares TLS Secret checks OpenSSL's slow key decoder: it reads the parts
 * OpenSSL reads, agrees with OpenSSL's verdict on every key it accepts, and refuses keys whose parts
 * disagree (which BoringSSL, and so Envoy, refuses).
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject, X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as f from '../../src/fixtures/index.js';
import {
  jwkInteger,
  type RsaPrivateKey,
  readRsaPrivateKey,
  rsaPartsAgree,
} from '../../src/translate/rsa-key.js';
import { tlsKeypairProblem } from '../../src/translate/secrets.js';
import { runs } from '../property/params.js';

const partsDisagree = 'the private key in tls.key is not a valid RSA key: its parts do not agree';
const mismatch = 'the private key in tls.key does not belong to the certificate in tls.crt';

/** The check without the reader: OpenSSL decodes the key and matches it to the certificate. */
function openSslVerdict(certificate: string, privateKey: string): 'ok' | 'mismatch' | 'unreadable' {
  let key: KeyObject;
  try {
    key = createPrivateKey(privateKey);
  } catch {
    return 'unreadable';
  }
  return new X509Certificate(certificate).checkPrivateKey(key) ? 'ok' : 'mismatch';
}

function partsOf(key: KeyObject): RsaPrivateKey {
  const jwk = key.export({ format: 'jwk' });
  const part = (name: keyof typeof jwk) => jwkInteger(jwk[name] as string);
  return {
    n: part('n'),
    e: part('e'),
    d: part('d'),
    p: part('p'),
    q: part('q'),
    dp: part('dp'),
    dq: part('dq'),
    qi: part('qi'),
  };
}

// DER encoding, for building keys with chosen parts.
function length(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}
function tlv(tag: number, content: number[]): number[] {
  return [tag, ...length(content.length), ...content];
}
function integer(value: bigint): number[] {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const bytes = [...Buffer.from(hex, 'hex')];
  return tlv(0x02, (bytes[0] as number) >= 0x80 ? [0, ...bytes] : bytes);
}
function pkcs1(k: RsaPrivateKey): number[] {
  return tlv(0x30, [0n, k.n, k.e, k.d, k.p, k.q, k.dp, k.dq, k.qi].flatMap(integer));
}
function pem(type: string, der: readonly number[]): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}
function pkcs8(der: readonly number[]): number[] {
  const algorithm = [
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
  ];
  return tlv(0x30, [...integer(0n), ...algorithm, ...tlv(0x04, [...der])]);
}
const block = (text: string) => text.trim();

const wildcard = createPrivateKey(f.wildcardPrivateKey);

describe('readRsaPrivateKey', () => {
  it('reads the parts of generated keys in PKCS #8 and PKCS #1, as OpenSSL does', () => {
    for (const [modulusLength, publicExponent] of [
      [2048, 65537],
      [3072, 3],
    ] as const) {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength, publicExponent });
      const parts = partsOf(privateKey);
      const forms = [
        ['PRIVATE KEY', privateKey.export({ format: 'pem', type: 'pkcs8' }) as string],
        ['RSA PRIVATE KEY', privateKey.export({ format: 'pem', type: 'pkcs1' }) as string],
      ] as const;
      for (const [type, text] of forms) {
        const read = readRsaPrivateKey(type, block(text));
        expect(read).toEqual(parts);
        expect(rsaPartsAgree(read as RsaPrivateKey)).toBe(true);
      }
    }
  });

  it('reads CRLF line ends, and leaves every other form to OpenSSL', () => {
    const text = block(f.wildcardPrivateKey);
    expect(readRsaPrivateKey('PRIVATE KEY', text.replaceAll('\n', '\r\n'))).toEqual(partsOf(wildcard));
    // Indented lines, an EC key, the wrong label, a multi-prime version and attributes.
    expect(readRsaPrivateKey('PRIVATE KEY', text.replaceAll('\n', '\n '))).toBeUndefined();
    expect(readRsaPrivateKey('PRIVATE KEY', block(f.ecPrivateKey))).toBeUndefined();
    expect(readRsaPrivateKey('RSA PRIVATE KEY', text)).toBeUndefined();
    const k = partsOf(wildcard);
    const multiPrime = tlv(0x30, [1n, k.n, k.e, k.d, k.p, k.q, k.dp, k.dq, k.qi].flatMap(integer));
    expect(readRsaPrivateKey('RSA PRIVATE KEY', block(pem('RSA PRIVATE KEY', multiPrime)))).toBeUndefined();
    const withAttributes = [...pkcs8(pkcs1(k))];
    const inner = withAttributes.slice(4); // past the outer tag and its two-byte long-form length
    const extended = tlv(0x30, [...inner, 0xa0, 0x00]);
    expect(readRsaPrivateKey('PRIVATE KEY', block(pem('PRIVATE KEY', extended)))).toBeUndefined();
    // The same key rebuilt by the helpers reads back, so the refusals above are about form.
    expect(readRsaPrivateKey('PRIVATE KEY', block(pem('PRIVATE KEY', pkcs8(pkcs1(k)))))).toEqual(k);
  });

  it('refuses lengths and integers that are not in minimal DER form', () => {
    const k = partsOf(wildcard);
    const good = pkcs1(k);
    // The version INTEGER 0 with a padding zero: 02 02 00 00.
    const paddedVersion = tlv(0x30, [
      0x02,
      0x02,
      0x00,
      0x00,
      ...[k.n, k.e, k.d, k.p, k.q, k.dp, k.dq, k.qi].flatMap(integer),
    ]);
    expect(readRsaPrivateKey('RSA PRIVATE KEY', block(pem('RSA PRIVATE KEY', good)))).toEqual(k);
    expect(
      readRsaPrivateKey('RSA PRIVATE KEY', block(pem('RSA PRIVATE KEY', paddedVersion))),
    ).toBeUndefined();
    // A long-form length with a leading zero byte (0x83 0x00 ...).
    const content = good.slice(4);
    const leadingZero = [0x30, 0x83, 0x00, ...length(content.length).slice(1), ...content];
    expect(readRsaPrivateKey('RSA PRIVATE KEY', block(pem('RSA PRIVATE KEY', leadingZero)))).toBeUndefined();
  });
});

describe('rsaPartsAgree and the TLS key check', () => {
  it('accepts the fixtures and tells a key from another certificate', () => {
    expect(tlsKeypairProblem(f.wildcardCertificate, f.wildcardPrivateKey)).toBeUndefined();
    expect(tlsKeypairProblem(f.shopCertificate, f.shopPrivateKey)).toBeUndefined();
    expect(tlsKeypairProblem(f.ecCertificate, f.ecPrivateKey)).toBeUndefined();
    expect(tlsKeypairProblem(f.shopCertificate, f.wildcardPrivateKey)).toBe(mismatch);
    expect(tlsKeypairProblem(f.ecCertificate, f.wildcardPrivateKey)).toBe(mismatch);
    expect(tlsKeypairProblem(f.wildcardCertificate, f.ecPrivateKey)).toBe(mismatch);
  });

  it('refuses a key whose parts disagree, which OpenSSL alone would have served', () => {
    const k = partsOf(wildcard);
    for (const broken of [
      { ...k, dp: k.dp + 2n },
      { ...k, qi: k.qi + 1n },
      { ...k, d: k.d + 2n },
      { ...k, e: 65539n },
    ]) {
      expect(rsaPartsAgree(broken)).toBe(false);
      const text = pem('PRIVATE KEY', pkcs8(pkcs1(broken)));
      expect(tlsKeypairProblem(f.wildcardCertificate, text)).toBe(partsDisagree);
    }
    // OpenSSL reads such a key and matches it to the certificate by its public part.
    expect(
      openSslVerdict(f.wildcardCertificate, pem('PRIVATE KEY', pkcs8(pkcs1({ ...k, dp: k.dp + 2n })))),
    ).toBe('ok');
  });

  it('agrees with OpenSSL on any corrupted key it accepts, and never throws', () => {
    const der = [...pkcs8(pkcs1(partsOf(wildcard)))];
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(der.length - 1), byte: fc.nat(255) }), {
          minLength: 1,
          maxLength: 3,
        }),
        (edits) => {
          const bytes = [...der];
          for (const { at, byte } of edits) bytes[at] = byte;
          const text = pem('PRIVATE KEY', bytes);
          const verdict = tlsKeypairProblem(f.wildcardCertificate, text);
          const openSsl = openSslVerdict(f.wildcardCertificate, text);
          if (verdict === undefined) expect(openSsl).toBe('ok');
          if (verdict === mismatch) expect(openSsl).toBe('mismatch');
          if (verdict !== partsDisagree && openSsl === 'ok') expect(verdict).toBeUndefined();
        },
      ),
      runs(200),
    );
  });
});
