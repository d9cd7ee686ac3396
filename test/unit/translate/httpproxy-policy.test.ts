import { expect, test } from 'vitest';
import { httpProxy } from '../../../src/fixtures/index.js';
import { translate } from '../../../src/index.js';
import { parseCidr } from '../../../src/translate/httpproxy-policy.js';

test('parseCidr writes the network address of a range, as Contour does', () => {
  expect(parseCidr('192.168.10.15/24')).toEqual({ address: '192.168.10.0', prefixLen: 24 });
  expect(parseCidr('8.8.8.8')).toEqual({ address: '8.8.8.8', prefixLen: 32 });
  expect(parseCidr('10.1.2.3/0')).toEqual({ address: '0.0.0.0', prefixLen: 0 });
  expect(parseCidr('2001:db8::1/64')).toEqual({ address: '2001:db8::', prefixLen: 64 });
  expect(parseCidr('2001:db8:1:2:3:4:5:6/48')).toEqual({ address: '2001:db8:1::', prefixLen: 48 });
  expect(parseCidr('::1')).toEqual({ address: '::1', prefixLen: 128 });
  expect(parseCidr('1.2.3.4/33')).toBeUndefined();
});

test('a 502 for a missing include is refused when its merged conditions contradict each other', () => {
  const { resources, diagnostics } = translate([
    httpProxy('a/root', {
      virtualhost: { fqdn: 'x.example.com' },
      includes: [{ name: 'mid', conditions: [{ header: { name: 'x-env', exact: 'prod' } }] }],
    }),
    httpProxy('a/mid', {
      includes: [{ name: 'ghost', conditions: [{ header: { name: 'x-env', exact: 'dev' } }] }],
    }),
  ]);
  expect(resources.routes).toEqual([]);
  expect(diagnostics.map((d) => [d.object.name, d.code])).toEqual([
    ['mid', 'IncludeNotFound'],
    ['mid', 'HeaderMatchConditionsNotValid'],
  ]);
});
