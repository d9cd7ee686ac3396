import { describe, expect, it } from 'vitest';
import { parseManifests, parseOptionsJson } from '../../src/cli/load.js';

const service = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'shop' },
});

describe('parseManifests: YAML', () => {
  it('loads every document of a stream and skips empty ones', () => {
    const text = [
      '---',
      'apiVersion: v1',
      'kind: Service',
      'metadata: {name: web, namespace: shop}',
      '---',
      '# only a comment',
      '---',
      '---',
      'apiVersion: v1',
      'kind: Service',
      'metadata:',
      '  name: api',
      '  namespace: shop',
      '...',
      '',
    ].join('\n');
    expect(parseManifests(text, 'shop.yaml')).toEqual({
      objects: [service('web'), service('api')],
      errors: [],
    });
  });

  it('gives nothing for empty input', () => {
    expect(parseManifests('', 'empty.yaml')).toEqual({ objects: [], errors: [] });
    expect(parseManifests('\n# nothing\n', 'empty.yaml')).toEqual({ objects: [], errors: [] });
  });

  it('reports a broken document by source and index, and still loads the others', () => {
    const text = 'kind: A\n---\nkind: [B\n---\nkind: C\n';
    const result = parseManifests(text, 'mixed.yaml');
    expect(result.objects).toEqual([{ kind: 'A' }, { kind: 'C' }]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/^mixed\.yaml: document 2: /);
    expect(result.errors[0]).not.toContain('\n');
  });

  it('rejects documents that are not objects', () => {
    const result = parseManifests('just text\n---\n42\n---\nkind: A\n', 'x.yaml');
    expect(result.objects).toEqual([{ kind: 'A' }]);
    expect(result.errors).toEqual([
      'x.yaml: document 1: expected a Kubernetes object, got a string',
      'x.yaml: document 2: expected a Kubernetes object, got a number',
    ]);
  });

  it('keeps annotation-like strings as strings and quoted values as written', () => {
    const text = 'metadata:\n  annotations:\n    a: "true"\n    b: "3"\n    c: 5xx\n    d: 30s\n';
    expect(parseManifests(text, 'a.yaml').objects).toEqual([
      { metadata: { annotations: { a: 'true', b: '3', c: '5xx', d: '30s' } } },
    ]);
  });

  it('honours merge keys, as kubectl does', () => {
    const text = 'base: &base {app: web}\nmetadata:\n  labels:\n    <<: *base\n    tier: front\n';
    expect(parseManifests(text, 'm.yaml').objects).toEqual([
      { base: { app: 'web' }, metadata: { labels: { app: 'web', tier: 'front' } } },
    ]);
  });

  it('leaves tagged scalars as plain strings', () => {
    const text = 'data:\n  key: !!binary aGVsbG8=\n  other: !custom value\n';
    expect(parseManifests(text, 't.yaml')).toEqual({
      objects: [{ data: { key: 'aGVsbG8=', other: 'value' } }],
      errors: [],
    });
  });

  it('stops an alias bomb instead of expanding it', () => {
    const lines = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]'];
    const names = 'bcdefghijklmnop';
    for (let i = 0; i < names.length; i++) {
      const previous = i === 0 ? 'a' : names[i - 1];
      lines.push(`${names[i]}: &${names[i]} [${Array(10).fill(`*${previous}`).join(', ')}]`);
    }
    const started = Date.now();
    const result = parseManifests(`${lines.join('\n')}\n---\nkind: Fine\n`, 'bomb.yaml');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.objects).toEqual([{ kind: 'Fine' }]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/^bomb\.yaml: document 1: .*alias/i);
  });

  it('does not let __proto__ keys change the prototype', () => {
    const result = parseManifests('__proto__:\n  polluted: true\nkind: A\n', 'p.yaml');
    const [object] = result.objects;
    expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(object as object)).toEqual(['__proto__', 'kind']);
  });

  it('loads large streams', () => {
    const text = Array.from({ length: 3000 }, (_, i) => `kind: Service\nmetadata: {name: s${i}}\n`).join(
      '---\n',
    );
    const result = parseManifests(text, 'big.yaml');
    expect(result.errors).toEqual([]);
    expect(result.objects).toHaveLength(3000);
    expect(result.objects[2999]).toEqual({ kind: 'Service', metadata: { name: 's2999' } });
  });

  it('strips a byte order mark', () => {
    expect(parseManifests('\uFEFFkind: A\n', 'bom.yaml').objects).toEqual([{ kind: 'A' }]);
    expect(parseManifests('\uFEFF{"kind": "A"}', 'bom.json').objects).toEqual([{ kind: 'A' }]);
  });
});

describe('parseManifests: JSON and lists', () => {
  it('loads a single JSON object', () => {
    expect(parseManifests(JSON.stringify(service('web')), 'web.json')).toEqual({
      objects: [service('web')],
      errors: [],
    });
  });

  it('loads a JSON array', () => {
    const text = JSON.stringify([service('web'), service('api')]);
    expect(parseManifests(text, 'a.json').objects).toEqual([service('web'), service('api')]);
  });

  it('flattens kind: List recursively, in order', () => {
    const list = {
      apiVersion: 'v1',
      kind: 'List',
      metadata: { resourceVersion: '' },
      items: [
        service('a'),
        { apiVersion: 'v1', kind: 'List', items: [service('b'), service('c')] },
        service('d'),
      ],
    };
    expect(parseManifests(JSON.stringify(list, null, 2), 'list.json')).toEqual({
      objects: [service('a'), service('b'), service('c'), service('d')],
      errors: [],
    });
  });

  it('flattens a YAML List too', () => {
    const text = 'apiVersion: v1\nkind: List\nitems:\n- kind: A\n- kind: B\n---\nkind: C\n';
    expect(parseManifests(text, 'l.yaml').objects).toEqual([{ kind: 'A' }, { kind: 'B' }, { kind: 'C' }]);
  });

  it('fills in kind and apiVersion of typed list items, as the API server omits them', () => {
    const list = {
      apiVersion: 'v1',
      kind: 'ServiceList',
      items: [
        { metadata: { name: 'web', namespace: 'shop' } },
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'shop' } },
      ],
    };
    const result = parseManifests(JSON.stringify(list), 'svc.json');
    expect(result.objects).toEqual([service('web'), service('api')]);
  });

  it('takes an empty or null items list as no objects', () => {
    expect(parseManifests('{"kind": "List", "apiVersion": "v1", "items": []}', 'e.json')).toEqual({
      objects: [],
      errors: [],
    });
    expect(parseManifests('kind: List\nitems:\n', 'e.yaml')).toEqual({ objects: [], errors: [] });
  });

  it('reports list items that are not objects and a List whose items is not an array', () => {
    const result = parseManifests('{"kind": "List", "items": [{"kind": "A"}, 3, null]}', 'bad.json');
    expect(result.objects).toEqual([{ kind: 'A' }]);
    expect(result.errors).toEqual(['bad.json, items[1]: expected a Kubernetes object, got a number']);
    expect(parseManifests('{"kind": "List", "items": {"kind": "A"}}', 'worse.json')).toEqual({
      objects: [],
      errors: ['worse.json: List.items must be an array, got an object'],
    });
  });

  it('refuses absurdly nested lists', () => {
    let value: unknown = { kind: 'A' };
    for (let i = 0; i < 100; i++) value = { kind: 'List', items: [value] };
    const result = parseManifests(JSON.stringify(value), 'deep.json');
    expect(result.objects).toEqual([]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/nested more than 32 deep/);
  });

  it('falls back to YAML for JSON documents separated by ---', () => {
    const text = '{"kind": "A"}\n---\n{"kind": "B"}\n';
    expect(parseManifests(text, 'two.json')).toEqual({ objects: [{ kind: 'A' }, { kind: 'B' }], errors: [] });
  });

  it('reports broken JSON', () => {
    const result = parseManifests('{"kind": "A",', 'broken.json');
    expect(result.objects).toEqual([]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/^broken\.json: document 1: /);
  });
});

describe('parseOptionsJson', () => {
  it('accepts valid options', () => {
    const options = {
      http: { port: 80 },
      https: { address: '::', port: 443 },
      configSource: { kind: 'grpc', clusterName: 'contour' },
      tls: { minimumProtocolVersion: '1.3' },
      ingressClassNames: ['contour', 'public'],
      enableExternalNameService: true,
      accessLog: { kind: 'file', path: '/var/log/envoy.log' },
      maxRegexProgramSize: 1000,
    };
    expect(parseOptionsJson(JSON.stringify(options), 'o.json')).toEqual({
      options,
      errors: [],
      warnings: [],
    });
  });

  it('reports fields of the wrong type with their path', () => {
    const text = JSON.stringify({
      http: { port: '80' },
      ingressClassNames: 'contour',
      configSource: { kind: 'grpc' },
      accessLog: { kind: 'syslog' },
      tls: { minimumProtocolVersion: 1.2, ciphers: [] },
    });
    expect(parseOptionsJson(text, 'o.json').errors).toEqual([
      'o.json: http.port must be a number',
      'o.json: ingressClassNames must be an array of strings',
      'o.json: configSource.clusterName is required',
      'o.json: accessLog.kind must be one of "file", "stdout", "stderr", "disabled"',
      'o.json: tls.minimumProtocolVersion must be one of "1.2", "1.3"',
    ]);
  });

  it('warns about unknown options and passes them through', () => {
    const result = parseOptionsJson('{"mergeSlashes": false, "futureKnob": 1}', 'o.json');
    expect(result).toEqual({
      options: { mergeSlashes: false, futureKnob: 1 },
      errors: [],
      warnings: ['o.json: unknown option "futureKnob"'],
    });
  });

  it('rejects invalid JSON and non-objects', () => {
    const broken = parseOptionsJson('{', 'o.json');
    expect(broken.errors).toHaveLength(1);
    expect(broken.errors[0]).toMatch(/^o\.json: not valid JSON: /);
    expect(parseOptionsJson('[]', 'o.json').errors).toEqual(['o.json: expected a JSON object, got an array']);
  });
});
