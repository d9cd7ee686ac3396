/**
 * Helpers that exist for speed must still do exactly what the plain code they replace did.
 */
import { isIPv4 as nodeIsIPv4 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareText, sortInPlace, sortTexts } from '../../src/compare.js';
import * as f from '../../src/fixtures/index.js';
import type { BackendPort } from '../../src/model/k8s/ingress.js';
import {
  invalidString,
  isIntegerIn,
  isPlainString,
  optionalStringAt,
  readInteger,
  readOptionalString,
  readString,
} from '../../src/model/k8s/read.js';
import { createObjectIndex, parseObject, type Report } from '../../src/model/snapshot.js';
import { resolveOptions } from '../../src/options.js';
import { buildEndpointGroup } from '../../src/translate/endpoints.js';
import { createSecretResolver, endBatch, secretCheckCache } from '../../src/translate/secrets.js';
import { createServiceResolver, type ServiceCache } from '../../src/translate/services.js';
import { isIPv4 } from '../../src/translate/validate.js';
import { encodeMessage } from '../../src/translate/xds/any.js';
import { Cluster } from '../../src/xds-types/envoy/config/cluster/v3/cluster.js';
import { runs } from '../property/params.js';

/** An object index holding the views of `objects`. */
function indexOf(...objects: unknown[]) {
  const index = createObjectIndex();
  for (const object of objects) {
    const view = parseObject(object)?.view;
    if (view !== undefined) index.add(view);
  }
  return index;
}

describe('sortInPlace', () => {
  it('orders like the stable built-in sort, short and long lists alike', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: fc.integer({ min: 0, max: 5 }), id: fc.nat() }), { maxLength: 40 }),
        (list) => {
          const byKey = (a: { key: number }, b: { key: number }) => a.key - b.key;
          expect(sortInPlace([...list], byKey)).toEqual([...list].sort(byKey));
        },
      ),
      runs(300),
    );
  });

  it('sorts strings by code unit like compareText', () => {
    expect(sortInPlace(['b', 'B', 'a', 'é', ''], compareText)).toEqual(['', 'B', 'a', 'b', 'é']);
  });
});

describe('sortTexts', () => {
  it('orders like sort(compareText), surrogates and repeats alike, by insertion and by the built-in sort', () => {
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom('', 'a', 'b', 'ab'));
    fc.assert(
      fc.property(fc.array(text, { maxLength: 100 }), (list) => {
        expect(sortTexts([...list])).toEqual([...list].sort(compareText));
      }),
      runs(300),
    );
  });
});

describe('isPlainString', () => {
  it('accepts exactly what readString accepts without a report', () => {
    const values: unknown[] = ['ok', '', 'x'.repeat(65), 'bad\uD800', 7, null, undefined, {}, ['a']];
    for (const value of values) {
      const reports: Report[] = [];
      const r = {
        ref: { kind: 'Service', namespace: 'a', name: 'b' },
        sink: { report: (...a: Report) => void reports.push(a) },
      };
      const read = readString(r, value, () => ['spec', 'x'], 64);
      expect(isPlainString(value, 64)).toBe(read !== undefined);
      // A value readString rejects is reported with the path the function builds, or is simply absent.
      if (read === undefined && value !== undefined && value !== null)
        expect(reports[0]?.[2]).toEqual(['spec', 'x']);
    }
  });
});

describe('optionalStringAt and isIntegerIn', () => {
  const reader = () => {
    const reports: Report[] = [];
    const r = {
      ref: { kind: 'Service', namespace: 'a', name: 'b' },
      sink: { report: (...a: Report) => void reports.push(a) },
    };
    return { r, reports };
  };
  const values: unknown[] = [
    'ok',
    '',
    'x'.repeat(17),
    'bad\uD800',
    0,
    7,
    70000,
    1.5,
    null,
    undefined,
    {},
    true,
  ];

  it('read what readOptionalString reads and report the same problems at the same path', () => {
    for (const value of values) {
      const plain = reader();
      const fast = reader();
      const expected = readOptionalString(plain.r, value, ['spec', 'x', 'name'], 16);
      const got = optionalStringAt(fast.r, value, (key) => ['spec', 'x', key], 'name', 16);
      expect(got).toEqual(expected === 'invalid' ? invalidString : expected.value);
      expect(fast.reports).toEqual(plain.reports);
    }
  });

  it('accept exactly the integers readInteger accepts without a report', () => {
    for (const value of values) {
      const { r } = reader();
      expect(isIntegerIn(value, 1, 65535)).toBe(readInteger(r, value, ['p'], 1, 65535) !== undefined);
    }
  });
});

describe('encodeMessage', () => {
  it('gives the bytes of a fresh encode, also after an encode that threw midway', () => {
    const cluster = { name: 'shop/web/80/da39a3ee5e', connectTimeout: { seconds: 2, nanos: 0 } };
    const expected = Cluster.encode(cluster).finish();
    expect(encodeMessage(Cluster, cluster)).toEqual(expected);
    // A nanos value outside int32 makes the writer throw after it has written part of the message.
    expect(() =>
      encodeMessage(Cluster, { name: 'x', connectTimeout: { seconds: 1, nanos: 2 ** 40 } }),
    ).toThrow();
    expect(encodeMessage(Cluster, cluster)).toEqual(expected);
  });
});

describe('isIPv4', () => {
  it('accepts exactly what node:net isIPv4 accepts', () => {
    const pieces = [
      '0',
      '1',
      '9',
      '10',
      '01',
      '00',
      '99',
      '100',
      '199',
      '255',
      '256',
      '260',
      '300',
      '1000',
      '',
      ' ',
      'a',
      '-1',
      '+1',
      '1e1',
      '٣',
    ];
    const octet = fc.constantFrom(...pieces);
    const separator = fc.constantFrom('.', '.', '.', '..', ':', '');
    const address = fc
      .array(fc.tuple(octet, separator), { minLength: 1, maxLength: 6 })
      .map((parts) => parts.map(([o, s]) => o + s).join(''));
    fc.assert(
      fc.property(fc.oneof(address, fc.string({ maxLength: 16 })), (text) => {
        expect(isIPv4(text)).toBe(nodeIsIPv4(text));
      }),
      runs(2000),
    );
    for (const text of [
      '1.2.3.4',
      '255.255.255.255',
      '0.0.0.0',
      '1.2.3.4.',
      '.1.2.3.4',
      '1.2.3',
      '01.2.3.4',
      '1.2.3.256',
      '1.2.3.4\n',
    ])
      expect(isIPv4(text)).toBe(nodeIsIPv4(text));
  });
});

describe('buildEndpointGroup', () => {
  it('keeps the first zone of each address and port, across the ports of several Services', () => {
    const index = indexOf(
      f.endpointSlice('a/web-1', {
        service: 'web',
        ports: [{ name: 'http', port: 8080 }],
        endpoints: [
          { address: '10.0.0.2', zone: 'z2' },
          { address: '10.0.0.1', zone: 'z1' },
          { address: '10.0.0.2', zone: 'z1' },
        ],
      }),
      f.endpointSlice('a/api-1', {
        service: 'api',
        ports: [{ name: 'http', port: 9090 }],
        endpoints: [
          { address: '10.0.0.2', zone: 'z1' },
          { address: '10.0.0.1', zone: 'z1' },
        ],
      }),
      f.endpointSlice('a/web-2', {
        service: 'web',
        ports: [{ name: 'http', port: 8080 }],
        endpoints: [{ address: '10.0.0.1', zone: 'z3' }],
      }),
    );
    const port = { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', appProtocol: undefined };
    const group = buildEndpointGroup(
      index,
      {
        name: 'extension/a/ext',
        namespace: 'a',
        service: 'web',
        port,
        more: [{ namespace: 'a', service: 'api', port }],
      },
      { report: () => undefined },
    );
    expect(group.localities).toEqual([
      { zone: 'z1', addresses: ['10.0.0.1', '10.0.0.1', '10.0.0.2'], ports: [8080, 9090, 9090] },
      { zone: 'z2', addresses: ['10.0.0.2'], ports: 8080 },
    ]);
  });

  it('reports a bad address by its index in the slice, whether or not endpoints before it were left out', () => {
    const index = indexOf(
      f.endpointSlice('a/web-1', {
        service: 'web',
        ports: [{ name: 'http', port: 8080 }],
        endpoints: [{ address: '10.0.0.1' }, { address: '10.0.0.9' }, { address: 'bad-1' }],
      }),
      f.endpointSlice('a/web-2', {
        service: 'web',
        ports: [{ name: 'http', port: 8080 }],
        endpoints: [{ address: '10.0.0.2', ready: false }, { address: '10.0.0.3' }, { address: 'bad-2' }],
      }),
    );
    const reports: Report[] = [];
    const port = { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', appProtocol: undefined };
    const group = buildEndpointGroup(
      index,
      { name: 'a/web/http', namespace: 'a', service: 'web', port },
      { report: (...args) => void reports.push(args) },
    );
    expect(reports.map(([, ref, path]) => [ref.name, path])).toEqual([
      ['web-1', ['endpoints', 2, 'addresses', 0]],
      ['web-2', ['endpoints', 2, 'addresses', 0]],
    ]);
    expect(group.localities).toEqual([
      { zone: '', addresses: ['10.0.0.1', '10.0.0.3', '10.0.0.9'], ports: 8080 },
    ]);
  });
});

describe('createServiceResolver with a ServiceCache', () => {
  it('shares one cluster per Service view and port between resolvers, and replays its reports', () => {
    const annotations = { 'projectcontour.io/max-connections': 'lots' };
    const before = f.service('shop/web', { ports: [{ name: 'http', port: 80 }], annotations });
    const after = f.service('shop/web', {
      ports: [{ name: 'http', port: 80, appProtocol: 'kubernetes.io/h2c' }],
    });
    const cache: ServiceCache = new WeakMap();
    const ref = { kind: 'Ingress', namespace: 'shop', name: 'a' };
    const resolveWith = (service: unknown, port: BackendPort) => {
      const index = indexOf(service);
      const reports: Report[] = [];
      const resolver = createServiceResolver(
        index,
        resolveOptions(),
        { report: (...r) => void reports.push(r) },
        cache,
      );
      return { cluster: resolver.resolve(ref, ['spec'], 'shop', 'web', port), reports };
    };
    const index = indexOf(before);
    const sinks: Report[][] = [[], []];
    const [first, second] = sinks.map((reports) =>
      createServiceResolver(index, resolveOptions(), { report: (...r) => void reports.push(r) }, cache),
    );
    const a = first?.resolve(ref, ['spec'], 'shop', 'web', { kind: 'name', name: 'http' });
    const b = second?.resolve(ref, ['spec'], 'shop', 'web', { kind: 'name', name: 'http' });
    expect(a).toBeDefined();
    expect(b).toBe(a);
    expect(second?.endpointNeeds.get('shop/web/http')).toBe(first?.endpointNeeds.get('shop/web/http'));
    expect(sinks[1]).toEqual(sinks[0]);
    expect(sinks[0]?.map((r) => r[0])).toEqual(['InvalidAnnotation']);
    // By number it is another entry, with the same content.
    const byNumber = second?.resolve(ref, ['spec'], 'shop', 'web', { kind: 'number', number: 80 });
    expect(byNumber).toEqual(a);
    // A changed Service is a new view, so a new cluster.
    const changed = resolveWith(after, { kind: 'name', name: 'http' });
    expect(changed.cluster).not.toBe(a);
    expect(changed.cluster?.protocol).toBe('h2c');
    expect(changed.reports).toEqual([]);
  });
});

describe('EndpointSlice endpoints read directly', () => {
  const slice = (endpoints: unknown[]) => ({
    ...f.endpointSlice('a/web-1', { service: 'web', ports: [{ name: 'http', port: 8080 }], endpoints: [] }),
    endpoints,
  });
  const serving = (object: unknown) => {
    const view = parseObject(object)?.view;
    if (view?.kind !== 'EndpointSlice') throw new Error('not a slice view');
    return view.serving;
  };

  it('never sees a field inherited from Object.prototype', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.zone = 'polluted';
    proto.conditions = { ready: false };
    try {
      const read = serving(JSON.parse(JSON.stringify(slice([{ addresses: ['10.0.0.1'] }]))));
      expect(read.addresses).toEqual(['10.0.0.1']);
      expect(read.zones).toEqual(['']);
    } finally {
      delete proto.zone;
      delete proto.conditions;
    }
  });

  it('never sees a field inherited from another prototype, and reads plain records directly', () => {
    const inherited = Object.create({ zone: 'inherited', conditions: { ready: false } });
    inherited.addresses = ['10.0.0.2'];
    const read = serving(
      slice([inherited, { addresses: ['10.0.0.3'], zone: 'z', conditions: { ready: true } }]),
    );
    expect(read.addresses).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(read.zones).toEqual(['', 'z']);
  });
});

describe('the index keeps a Service slices by name', () => {
  it('inserts, replaces and removes slices in name order, in exact-size lists', () => {
    const index = createObjectIndex();
    const view = (name: string, address: string) => {
      const parsed = parseObject(
        f.endpointSlice(`a/${name}`, {
          service: 'web',
          ports: [{ name: 'http', port: 80 }],
          endpoints: [{ address }],
        }),
      )?.view;
      if (parsed?.kind !== 'EndpointSlice') throw new Error('not a slice view');
      return parsed;
    };
    for (const [name, address] of [
      ['web-b', '10.0.0.2'],
      ['web-a', '10.0.0.1'],
      ['web-c', '10.0.0.3'],
    ] as const)
      index.add(view(name, address));
    const replaced = view('web-b', '10.0.0.9');
    index.add(replaced);
    const names = () => index.slices('a', 'web').map((s) => s.meta.name);
    expect(names()).toEqual(['web-a', 'web-b', 'web-c']);
    expect(index.slices('a', 'web')[1]).toBe(replaced);
    expect(index.slices('a', 'web')).toHaveLength(3);
    index.remove(view('web-a', '10.0.0.1'));
    expect(names()).toEqual(['web-b', 'web-c']);
  });
});

describe('keypair checks shared by content within a batch', () => {
  const entries = (cache: ReturnType<typeof secretCheckCache>) =>
    [...cache.byContent.values()].reduce((n, byKey) => n + byKey.size, 0);
  const pair = { certificate: f.wildcardCertificate, privateKey: f.wildcardPrivateKey };
  const otherKey = { certificate: f.wildcardCertificate, privateKey: f.shopPrivateKey };

  it('checks one pair once across namespaces, never reuses a result for another key, and forgets at batch end', () => {
    const index = indexOf(
      f.tlsSecret('a/tls', pair),
      f.tlsSecret('b/tls', pair),
      f.tlsSecret('c/tls', otherKey),
    );
    const reports: Report[] = [];
    const cache = secretCheckCache();
    const resolver = createSecretResolver(index, { report: (...r) => void reports.push(r) }, cache);
    const ref = (namespace: string) => ({ namespace, name: 'tls' });
    const a = resolver.resolveTls({ kind: 'Ingress', namespace: 'a', name: 'x' }, ['spec'], ref('a'));
    const b = resolver.resolveTls({ kind: 'Ingress', namespace: 'b', name: 'x' }, ['spec'], ref('b'));
    const c = resolver.resolveTls({ kind: 'Ingress', namespace: 'c', name: 'x' }, ['spec'], ref('c'));
    // Same content, so one entry for a and b; c's key differs, so a second entry, and c is refused.
    expect(entries(cache)).toBe(2);
    expect(a?.name).toMatch(/^a\/tls\//);
    expect(b?.name).toMatch(/^b\/tls\//);
    expect(c).toBeUndefined();
    expect(reports.map((r) => [r[0], r[1].namespace])).toEqual([['SecretInvalid', 'c']]);
    endBatch(cache);
    expect(entries(cache)).toBe(0);
    // The per-view results stay: a second lookup of the same views parses nothing again.
    expect(resolver.resolveTls({ kind: 'Ingress', namespace: 'a', name: 'y' }, ['spec'], ref('a'))).toBe(a);
    expect(entries(cache)).toBe(0);
  });

  it('never gives one pair the result of another whose texts join to the same string', () => {
    // A NUL can sit in either text: a joined `cert\0key` key would make these two pairs one entry.
    const good = { certificate: f.wildcardCertificate, privateKey: `${f.wildcardPrivateKey}\0` };
    const bad = { certificate: `${f.wildcardCertificate}\0${f.wildcardPrivateKey}`, privateKey: '' };
    for (const order of [
      ['good', 'bad'],
      ['bad', 'good'],
    ]) {
      const index = indexOf(f.tlsSecret('good/tls', good), f.tlsSecret('bad/tls', bad));
      const reports: Report[] = [];
      const resolver = createSecretResolver(
        index,
        { report: (...r) => void reports.push(r) },
        secretCheckCache(),
      );
      const results = new Map(
        order.map((ns) => [
          ns,
          resolver.resolveTls({ kind: 'Ingress', namespace: ns, name: 'x' }, ['spec'], {
            namespace: ns,
            name: 'tls',
          }),
        ]),
      );
      expect(results.get('good')?.name).toMatch(/^good\/tls\//);
      expect(results.get('bad')).toBeUndefined();
      expect(reports.map((r) => [r[0], r[1].namespace])).toEqual([['SecretInvalid', 'bad']]);
    }
  });
});
