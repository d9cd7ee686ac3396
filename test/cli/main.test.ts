import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { toBootstrap } from '../../src/cli/bootstrap.js';
import { main } from '../../src/cli/main.js';
import {
  type Diagnostic,
  fromEnvoyJson,
  type TranslateOptions,
  type TranslateResult,
  toEnvoyJson,
} from '../../src/index.js';

// The CLI is tested against translate()'s contract with a canned result (`fake.result`), so these tests
// do not depend on the translator's output; `fake.real` switches to the real translate() for the
// examples, and `fake.error` makes it throw.
const fake = vi.hoisted(() => ({
  real: false,
  result: undefined as TranslateResult | undefined,
  error: undefined as Error | undefined,
  calls: [] as { objects: unknown[]; options: TranslateOptions | undefined }[],
}));

// main.ts takes translate() from the package entry point, the contract, so that is what is replaced.
vi.mock('../../src/index.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/index.js')>();
  return {
    ...real,
    translate: (objects: Iterable<unknown>, options?: TranslateOptions): TranslateResult => {
      const list = [...objects];
      if (fake.real) return real.translate(list, options);
      fake.calls.push({ objects: list, options });
      if (fake.error !== undefined) throw fake.error;
      if (fake.result === undefined) throw new Error('test did not set fake.result');
      return fake.result;
    },
  };
});

const ads = { ads: {}, resourceApiVersion: 'V3' };
const hcmType =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/** A small but complete translation: one of each resource kind, with a private key. */
const canned: TranslateResult = {
  resources: fromEnvoyJson({
    listeners: [
      {
        name: 'ingress_http',
        address: { socketAddress: { address: '0.0.0.0', portValue: 8080 } },
        filterChains: [
          {
            filters: [
              {
                name: 'envoy.filters.network.http_connection_manager',
                typedConfig: {
                  '@type': hcmType,
                  statPrefix: 'ingress_http',
                  rds: { configSource: ads, routeConfigName: 'ingress_http' },
                },
              },
            ],
          },
        ],
      },
    ],
    routes: [
      {
        name: 'ingress_http',
        virtualHosts: [
          {
            name: 'shop.example.com',
            domains: ['shop.example.com'],
            routes: [{ match: { prefix: '/' }, route: { cluster: 'shop/web/80/da39a3ee5e' } }],
          },
        ],
      },
    ],
    clusters: [
      {
        name: 'shop/web/80/da39a3ee5e',
        type: 'EDS',
        connectTimeout: '2s',
        edsClusterConfig: { edsConfig: ads, serviceName: 'shop/web/http' },
      },
    ],
    endpoints: [
      {
        clusterName: 'shop/web/http',
        endpoints: [
          {
            lbEndpoints: [
              { endpoint: { address: { socketAddress: { address: '10.244.1.17', portValue: 8080 } } } },
            ],
          },
        ],
      },
    ],
    secrets: [
      {
        name: 'shop/shop-tls/5f3a1c',
        tlsCertificate: {
          certificateChain: { inlineBytes: 'Y2VydA==' },
          privateKey: { inlineBytes: 'a2V5' },
        },
      },
    ],
  }),
  diagnostics: [],
  statuses: [],
};

beforeEach(() => {
  fake.real = false;
  fake.result = canned;
  fake.error = undefined;
  fake.calls = [];
});

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(argv: string[], files: Record<string, string> = {}, stdin = ''): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdin: Readable.from([Buffer.from(stdin, 'utf8')]),
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    readFile: async (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      return text;
    },
  });
  return { code, stdout, stderr };
}

const web = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'shop' },
  spec: { ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
};
const ingress = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'shop', namespace: 'shop' },
  spec: {
    rules: [
      {
        host: 'shop.example.com',
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { name: 'http' } } } },
          ],
        },
      },
    ],
  },
};
const manifest = `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  ports:
  - name: http
    port: 80
    targetPort: http
---
${JSON.stringify(ingress)}
`;

/** The canned translation as the CLI prints it by default. */
function expected(redactPrivateKeys = true) {
  return toEnvoyJson(canned.resources, { redactPrivateKeys });
}

const resourceKeys = ['listeners', 'routes', 'clusters', 'endpoints', 'secrets'];

describe('main: help and usage errors', () => {
  it('prints help on -h, --help and the help command', async () => {
    for (const argv of [['-h'], ['--help'], ['help'], ['translate', '--help']]) {
      const result = await run(argv);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage: kube-xds translate \[options\] FILE\.\.\./);
      expect(result.stdout).toContain('--bootstrap');
      expect(result.stderr).toBe('');
    }
  });

  it('prints the package version', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const result = await run(['--version']);
    expect(result).toEqual({ code: 0, stdout: `kube-xds ${pkg.version}\n`, stderr: '' });
  });

  it.each([
    [[], 'missing command'],
    [['transmogrify', 'a.yaml'], 'unknown command "transmogrify"'],
    [['translate'], 'no input files'],
    [['translate', '--frobnicate', 'a.yaml'], "Unknown option '--frobnicate'"],
    [['translate', '-o', 'xml', 'a.yaml'], '--output must be yaml or json, got "xml"'],
    [['translate', 'a.yaml', '-o'], "Option '-o, --output <value>' argument missing"],
    [['translate', '--redact', '--no-redact', 'a.yaml'], '--redact and --no-redact contradict each other'],
    [
      ['translate', '--bootstrap', '--statuses', 'a.yaml'],
      '--bootstrap and --statuses contradict each other',
    ],
    [['translate', '--admin-port', '9000', 'a.yaml'], '--admin-port only applies with --bootstrap'],
    [['translate', '--bootstrap', '--admin-port', 'http', 'a.yaml'], '--admin-port must be a port number'],
    [['translate', '--bootstrap', '--admin-port', '70000', 'a.yaml'], '--admin-port must be a port number'],
    [['translate', '-', '-'], 'standard input (-) given more than once'],
  ])('exits 2 for %j', async (argv, message) => {
    const result = await run(argv, { 'a.yaml': manifest });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`kube-xds: ${message}`);
    expect(result.stderr).toContain("Run 'kube-xds --help' for usage.");
    expect(fake.calls).toEqual([]);
  });
});

describe('main: translate', () => {
  it('reads stdin and prints YAML by default', async () => {
    const result = await run(['translate', '-'], {}, manifest);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const printed: unknown = parseYaml(result.stdout);
    expect(Object.keys(printed as object)).toEqual(resourceKeys);
    expect(printed).toEqual(expected());
    expect(fake.calls).toEqual([{ objects: [web, ingress], options: {} }]);
  });

  it('prints JSON with -o json and --output=json', async () => {
    for (const flag of [['-o', 'json'], ['--output=json'], ['-ojson']]) {
      const result = await run(['translate', ...flag, 'shop.yaml'], { 'shop.yaml': manifest });
      expect(result.code).toBe(0);
      expect(result.stdout.endsWith('}\n')).toBe(true);
      expect(JSON.parse(result.stdout)).toEqual(expected());
    }
  });

  it('reads several files, stdin among them, in order', async () => {
    const result = await run(
      ['translate', 'a.json', '-', 'b.yaml'],
      { 'a.json': JSON.stringify(web), 'b.yaml': 'kind: X\n' },
      'kind: Y\n',
    );
    expect(result.code).toBe(0);
    expect(fake.calls[0]?.objects).toEqual([web, { kind: 'Y' }, { kind: 'X' }]);
  });

  it('flattens kind: List input', async () => {
    const list = JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [web, { apiVersion: 'v1', kind: 'List', items: [ingress] }],
    });
    const result = await run(['translate', '-o', 'json', 'list.json'], { 'list.json': list });
    expect(result.code).toBe(0);
    expect(fake.calls[0]?.objects).toEqual([web, ingress]);
    expect(JSON.parse(result.stdout)).toEqual(expected());
  });

  it('exits 1 for a file it cannot read, but still translates the others', async () => {
    const result = await run(['translate', '-o', 'json', 'missing.yaml', 'shop.yaml'], {
      'shop.yaml': manifest,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "kube-xds: cannot read missing.yaml: ENOENT: no such file or directory, open 'missing.yaml'\n",
    );
    expect(JSON.parse(result.stdout)).toEqual(expected());
  });

  it('exits 1 for an unparsable document, and translates the rest', async () => {
    const text = `${manifest}---\nkind: [unclosed\n`;
    const result = await run(['translate', '-o', 'json', 'shop.yaml'], { 'shop.yaml': text });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^kube-xds: shop\.yaml: document 3: .+\n$/);
    expect(fake.calls[0]?.objects).toEqual([web, ingress]);
    expect(JSON.parse(result.stdout)).toEqual(expected());
  });

  it('prints diagnostics one per line on stderr, and exits 1 only for errors', async () => {
    const diagnostic = (severity: Diagnostic['severity'], code: Diagnostic['code']): Diagnostic => ({
      code,
      severity,
      object: { kind: 'Ingress', namespace: 'shop', name: 'shop' },
      path: ['spec', 'rules', 0, 'host'],
      message: 'something is off',
    });
    const empty = { listeners: [], routes: [], clusters: [], endpoints: [], secrets: [] };
    fake.result = {
      resources: empty,
      diagnostics: [diagnostic('warning', 'InvalidAnnotation')],
      statuses: [],
    };
    const warned = await run(['translate', 'shop.yaml'], { 'shop.yaml': manifest });
    expect(warned.code).toBe(0);
    expect(warned.stderr).toBe(
      'warning InvalidAnnotation Ingress shop/shop spec.rules[0].host: something is off\n',
    );

    fake.result = {
      resources: empty,
      diagnostics: [diagnostic('error', 'ServiceNotFound'), diagnostic('info', 'InvalidField')],
      statuses: [],
    };
    const failed = await run(['translate', 'shop.yaml'], { 'shop.yaml': manifest });
    expect(failed.code).toBe(1);
    expect(failed.stderr.split('\n')).toEqual([
      'error ServiceNotFound Ingress shop/shop spec.rules[0].host: something is off',
      'info InvalidField Ingress shop/shop spec.rules[0].host: something is off',
      '',
    ]);
    expect(parseYaml(failed.stdout)).toEqual(empty);
  });

  it('exits 70 when translate() itself throws', async () => {
    fake.error = new Error('boom');
    const result = await run(['translate', 'shop.yaml'], { 'shop.yaml': manifest });
    expect(result.code).toBe(70);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^kube-xds: internal error: Error: boom/);
  });
});

describe('main: options', () => {
  it('passes --options, --ingress-class and --enable-external-name to translate()', async () => {
    const options = { http: { port: 80 }, ingressClassNames: ['public'], compression: false };
    const result = await run(
      [
        'translate',
        '--options',
        'opts.json',
        '--ingress-class',
        'contour',
        '--ingress-class=internal',
        '--enable-external-name',
        'shop.yaml',
      ],
      { 'opts.json': JSON.stringify(options), 'shop.yaml': manifest },
    );
    expect(result.code).toBe(0);
    const passed = {
      http: { port: 80 },
      ingressClassNames: ['contour', 'internal'],
      compression: false,
      enableExternalNameService: true,
    };
    expect(fake.calls[0]?.options).toEqual(passed);
    expect(parseYaml(result.stdout)).toEqual(expected());
  });

  it('exits 2 for an options file that is missing, broken, mistyped or out of range', async () => {
    const cases: [string | undefined, string][] = [
      [undefined, 'kube-xds: cannot read opts.json: ENOENT'],
      ['{"http": ', 'kube-xds: opts.json: not valid JSON'],
      ['{"http": {"port": "80"}}', 'kube-xds: opts.json: http.port must be a number'],
      [
        '{"http": {"port": 70000}}',
        'kube-xds: invalid options: TranslateOptions.http.port must be an integer in 1..65535',
      ],
    ];
    for (const [text, message] of cases) {
      const files: Record<string, string> = { 'shop.yaml': manifest };
      if (text !== undefined) files['opts.json'] = text;
      const result = await run(['translate', '--options', 'opts.json', 'shop.yaml'], files);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(message);
    }
    expect(fake.calls).toEqual([]);
  });

  it('warns about unknown keys in the options file', async () => {
    const result = await run(['translate', '--options', 'opts.json', 'shop.yaml'], {
      'opts.json': '{"mergeSlashes": false, "mergeSlash": true}',
      'shop.yaml': manifest,
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('kube-xds: warning: opts.json: unknown option "mergeSlash"\n');
  });
});

describe('main: secrets and bootstrap', () => {
  const redacted = { inlineBytes: Buffer.from('[redacted]').toString('base64') };
  const privateKeys = (stdout: string, format: 'yaml' | 'json', bootstrap = false): unknown[] => {
    const printed = (format === 'json' ? JSON.parse(stdout) : parseYaml(stdout)) as {
      secrets?: { tlsCertificate: { privateKey: unknown } }[];
      staticResources?: { secrets: { tlsCertificate: { privateKey: unknown } }[] };
    };
    const secrets = bootstrap ? printed.staticResources?.secrets : printed.secrets;
    return (secrets ?? []).map((s) => s.tlsCertificate.privateKey);
  };

  it('redacts private keys in printed resources unless --no-redact', async () => {
    const files = { 'shop.yaml': manifest };
    expect(privateKeys((await run(['translate', 'shop.yaml'], files)).stdout, 'yaml')).toEqual([redacted]);
    expect(privateKeys((await run(['translate', '--redact', 'shop.yaml'], files)).stdout, 'yaml')).toEqual([
      redacted,
    ]);
    const shown = await run(['translate', '--no-redact', '-o', 'json', 'shop.yaml'], files);
    expect(privateKeys(shown.stdout, 'json')).toEqual([{ inlineBytes: 'a2V5' }]);
  });

  it('keeps private keys in a bootstrap unless --redact', async () => {
    const files = { 'shop.yaml': manifest };
    const kept = await run(['translate', '--bootstrap', 'shop.yaml'], files);
    expect(privateKeys(kept.stdout, 'yaml', true)).toEqual([{ inlineBytes: 'a2V5' }]);
    const hidden = await run(['translate', '--bootstrap', '--redact', '-o', 'json', 'shop.yaml'], files);
    expect(privateKeys(hidden.stdout, 'json', true)).toEqual([redacted]);
  });

  it('prints the static bootstrap of the translation with --bootstrap', async () => {
    const result = await run(
      ['translate', '--bootstrap', '--admin-port', '19000', '-o', 'json', 'shop.yaml'],
      {
        'shop.yaml': manifest,
      },
    );
    expect(result.code).toBe(0);
    const json = expected(false);
    expect(JSON.parse(result.stdout)).toEqual(toBootstrap(json, { adminPort: 19000 }));
  });

  it('prints YAML a bootstrap reader gets back unchanged (no anchors, no folded lines)', async () => {
    const longKey = 'A'.repeat(3000);
    fake.result = {
      resources: fromEnvoyJson({
        secrets: [{ name: 's', tlsCertificate: { privateKey: { inlineBytes: longKey } } }],
      }),
      diagnostics: [],
      statuses: [],
    };
    const result = await run(['translate', '--bootstrap', 'shop.yaml'], { 'shop.yaml': manifest });
    expect(result.stdout).not.toMatch(/[&*]a\d/);
    expect(result.stdout).toContain(longKey);
    expect(parseYaml(result.stdout)).toEqual(toBootstrap(toEnvoyJson(fake.result.resources)));
  });
});

/**
 * The example must translate cleanly with the real translator (these tests fail while translate() is
 * a stub that returns no resources).
 */
describe('examples/shop/manifest.yaml', () => {
  const examplePath = new URL('../../examples/shop/manifest.yaml', import.meta.url);

  async function translateExample(extra: string[]): Promise<Run> {
    const text = await readFile(examplePath, 'utf8');
    return run(['translate', '-o', 'json', ...extra, 'examples/shop/manifest.yaml'], {
      'examples/shop/manifest.yaml': text,
    });
  }

  const names = (list: unknown, key = 'name'): string[] =>
    (list as Record<string, unknown>[]).map((item) => String(item[key]));

  beforeEach(() => {
    fake.real = true;
  });

  it('translates without error diagnostics into the expected resources', async () => {
    const result = await translateExample([]);
    expect(result.stderr.split('\n').filter((line) => line.startsWith('error'))).toEqual([]);
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as Record<string, unknown[]>;
    expect(names(printed.listeners)).toEqual(['ingress_http', 'ingress_https']);
    expect(names(printed.routes)).toEqual(
      expect.arrayContaining([
        'ingress_http',
        'https/shop.example.com',
        'https/pay.example.com',
        'https/*.example.com',
        'https/blog.example.com',
      ]),
    );
    const clusters = names(printed.clusters);
    for (const prefix of ['shop/api/9090', 'payments/checkout/8080', 'marketing/landing/80']) {
      expect(clusters.filter((name) => name.startsWith(`${prefix}/`))).toHaveLength(1);
    }
    // The HTTPProxy's Cookie load balancing hashes into its own clusters beside the Ingress ones.
    for (const service of ['shop/web/80', 'shop/api/80']) {
      expect(clusters.filter((name) => name.startsWith(`${service}/`))).toEqual([
        `${service}/da39a3ee5e`,
        `${service}/e4f81994fe`,
      ]);
    }
    for (const cluster of printed.clusters ?? []) expect(cluster).toMatchObject({ type: 'EDS' });
    expect(names(printed.endpoints, 'clusterName')).toEqual(
      expect.arrayContaining([
        'shop/web/http',
        'shop/api/http',
        'shop/api/grpc',
        'payments/checkout/http',
        'marketing/landing/http',
      ]),
    );
    const secrets = names(printed.secrets);
    expect(secrets.some((name) => name.startsWith('shop/shop-tls/'))).toBe(true);
    expect(secrets.some((name) => name.startsWith('marketing/wildcard-tls/'))).toBe(true);
    expect(result.stdout).not.toContain('PRIVATE KEY');
    expect(result.stdout).not.toContain(
      Buffer.from('-----BEGIN PRIVATE KEY-----').toString('base64').slice(0, 20),
    );
  });

  it('prints the HTTPProxy statuses with --statuses', async () => {
    const result = await translateExample(['--statuses']);
    expect(result.code).toBe(0);
    const statuses = JSON.parse(result.stdout) as {
      namespace: string;
      name: string;
      currentStatus: string;
    }[];
    expect(statuses.map((s) => [s.namespace, s.name, s.currentStatus])).toEqual([
      ['marketing', 'blog', 'valid'],
      ['shop', 'blog-shop', 'valid'],
    ]);
  });

  it('makes a bootstrap with no dynamic parts', async () => {
    const result = await translateExample(['--bootstrap']);
    expect(result.code).toBe(0);
    const bootstrap = JSON.parse(result.stdout) as { staticResources: Record<string, unknown[]> };
    expect(result.stdout).not.toContain('"rds"');
    expect(result.stdout).not.toContain('"sdsConfig"');
    expect(result.stdout).not.toContain('"edsClusterConfig"');
    expect(result.stdout).toContain('"routeConfig"');
    expect(names(bootstrap.staticResources.listeners)).toEqual(['ingress_http', 'ingress_https']);
    for (const cluster of bootstrap.staticResources.clusters ?? [])
      expect(cluster).toMatchObject({ type: 'STATIC' });
    expect(bootstrap.staticResources.secrets?.length).toBeGreaterThanOrEqual(2);
  });
});
