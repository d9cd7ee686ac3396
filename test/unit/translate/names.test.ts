import { describe, expect, it } from 'vitest';
import {
  clusterName,
  endpointsName,
  goDuration,
  hashName,
  secretName,
  virtualHostName,
} from '../../../src/translate/names.js';

describe('names', () => {
  it('hashes cluster settings like Contour (sha1 test vectors)', () => {
    expect(clusterName('default', 'kuard', 80, { protocol: '' })).toBe('default/kuard/80/da39a3ee5e');
    expect(clusterName('default', 'kuard', 443, { protocol: 'tls' })).toBe('default/kuard/443/4929fca9d4');
    expect(clusterName('default', 'kuard', 443, { protocol: 'h2' })).toBe('default/kuard/443/bf1c365741');
    expect(clusterName('default', 'kuard', 80, { protocol: 'h2c' })).toBe('default/kuard/80/f4f94965ec');
    expect(clusterName('default', 'kuard', 80, { protocol: '', sni: 'foo.io' })).toBe(
      'default/kuard/80/a28d1ec01b',
    );
  });

  it('truncates long names to under 60 characters with a hash', () => {
    const service = 'kbujbkuhdod66gjdmwmijz8xzgsx1nkfbrloezdjiulquzk4x3p0nnvpzi8r';
    expect(service).toHaveLength(60);
    expect(clusterName('default', service, 8080, { protocol: '' })).toBe(
      'default/kbujbkuh-c83ceb/8080/da39a3ee5e',
    );
    expect(endpointsName('default', service, '')).toBe(`default/${service}`);
  });

  it('keeps short names and hashes whole names when parts cannot shrink enough', () => {
    expect(hashName(60, 'a', 'b')).toBe('a/b');
    const long = 'x'.repeat(100);
    const name = hashName(10, long);
    expect(name).toHaveLength(10);
    expect(name).toMatch(/^[0-9a-f]{10}$/);
  });

  it('names virtual hosts by fqdn, hashing 60+ characters', () => {
    expect(virtualHostName('shop.example.com')).toBe('shop.example.com');
    const fqdn = `${'a'.repeat(60)}.example.com`;
    expect(virtualHostName(fqdn)).toMatch(/^[0-9a-f]{60}$/);
  });

  it('names EDS and SDS resources', () => {
    expect(endpointsName('shop', 'web', 'http')).toBe('shop/web/http');
    expect(endpointsName('shop', 'web', '')).toBe('shop/web');
    expect(secretName('default', 'simple', new TextEncoder().encode('cert'))).toMatch(
      /^default\/simple\/[0-9a-f]{10}$/,
    );
  });
});

describe('cluster hash settings (Contour test vectors)', () => {
  const zero = { seconds: 0, nanos: 0 };
  const suffix = (settings: Omit<Parameters<typeof clusterName>[3], 'protocol'>) =>
    clusterName('a', 'b', 1, { protocol: '', ...settings }).split('/')[3];

  it('hashes each setting as Contour does', () => {
    expect(suffix({ lbStrategy: 'Random' })).toBe('58d888c08a');
    expect(suffix({ lbStrategy: 'WeightedLeastRequest' })).toBe('8bf87fefba');
    expect(
      suffix({
        healthCheck: {
          timeout: zero,
          interval: zero,
          unhealthyThreshold: 0,
          healthyThreshold: 0,
          path: '/healthz',
        },
      }),
    ).toBe('bc862a33ca');
    expect(suffix({ idleConnectionTimeout: { seconds: 180, nanos: 0 } })).toBe('b7427dbbf9');
    expect(suffix({ idleConnectionTimeout: zero })).toBe('97705cb30a');
    expect(suffix({ sni: 'foo.io' })).toBe('a28d1ec01b');
  });

  it('prints durations like Go', () => {
    expect(goDuration({ seconds: 180, nanos: 0 })).toBe('3m0s');
    expect(goDuration({ seconds: 3600, nanos: 0 })).toBe('1h0m0s');
    expect(goDuration({ seconds: 3661, nanos: 0 })).toBe('1h1m1s');
    expect(goDuration({ seconds: 1, nanos: 500_000_000 })).toBe('1.5s');
    expect(goDuration({ seconds: 0, nanos: 500_000_000 })).toBe('500ms');
    expect(goDuration(zero)).toBe('0s');
  });
});
