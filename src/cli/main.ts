/**
 * `kube-xds translate`: the command-line edge. Reads files (or stdin), hands the objects to
 * translate(), prints the resources (or a static Envoy bootstrap) and the diagnostics. All I/O goes
 * through `io`, so tests drive it without a process; the logic lives in load.ts and bootstrap.ts.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { formatDiagnostic, type TranslateOptions, toEnvoyJson, translate } from '../index.js';
import { resolveOptions } from '../options.js';
import { toBootstrap } from './bootstrap.js';
import { parseManifests, parseOptionsJson } from './load.js';

export interface CliIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly readFile: (path: string) => Promise<string>;
}

/** Exit codes. */
export const exitCodes = { ok: 0, failed: 1, usage: 2, internal: 70 } as const;

export const usage = `Usage: kube-xds translate [options] FILE...

Translate Kubernetes manifests (Ingress, IngressClass, Service, EndpointSlice, Endpoints, Secret,
TLSCertificateDelegation, HTTPProxy, ExtensionService) into Envoy v3 xDS resources, as Contour would
serve them.

FILE is a YAML (multi-document) or JSON manifest, including kind: List; "-" reads standard input.

Options:
  -o, --output FORMAT       yaml (default) or json
      --bootstrap           print a static Envoy bootstrap (envoy -c FILE) instead of the resources
      --statuses            print the status each HTTPProxy should carry instead of the resources
      --admin-port PORT     admin port of the bootstrap, on 127.0.0.1 (default 9001)
      --options FILE        JSON file of TranslateOptions
      --ingress-class NAME  serve this ingress class (repeatable; replaces ingressClassNames)
      --enable-external-name
                            serve ExternalName Services as DNS clusters
      --redact              replace private keys with "[redacted]" (default, except with --bootstrap)
      --no-redact           print private keys (default with --bootstrap: Envoy needs them)
  -h, --help                show this help
      --version             print the version

Resources go to standard output as {listeners, routes, clusters, endpoints, secrets}; diagnostics go
to standard error, one per line.

Exit status: 0 success; 1 some input could not be read or parsed, or an error diagnostic (the output
is still printed); 2 usage error (bad arguments or options file); 70 internal error.
`;

const argSpec = {
  output: { type: 'string', short: 'o' },
  bootstrap: { type: 'boolean' },
  statuses: { type: 'boolean' },
  'admin-port': { type: 'string' },
  options: { type: 'string' },
  'ingress-class': { type: 'string', multiple: true },
  'enable-external-name': { type: 'boolean' },
  redact: { type: 'boolean' },
  'no-redact': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

class UsageError extends Error {}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function packageVersion(): Promise<string> {
  try {
    // The same relative path from src/cli (tests) and dist/cli (the installed package).
    const text = await readFile(new URL('../../package.json', import.meta.url), 'utf8');
    const pkg: unknown = JSON.parse(text);
    if (pkg !== null && typeof pkg === 'object' && 'version' in pkg && typeof pkg.version === 'string') {
      return pkg.version;
    }
  } catch {
    // Fall through: a missing package.json should not break --version.
  }
  return 'unknown';
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function render(value: unknown, format: 'yaml' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(value, null, 2)}\n`;
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

interface Invocation {
  readonly files: readonly string[];
  readonly format: 'yaml' | 'json';
  readonly bootstrap: boolean;
  readonly statuses: boolean;
  readonly adminPort: number | undefined;
  readonly redact: boolean;
  readonly optionsFile: string | undefined;
  readonly ingressClasses: readonly string[] | undefined;
  readonly enableExternalName: boolean;
}

type Parsed = { kind: 'help' } | { kind: 'version' } | { kind: 'translate'; invocation: Invocation };

function parseCommandLine(argv: string[]): Parsed {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: typeof argSpec; allowPositionals: true }>
  >;
  try {
    parsed = parseArgs({ args: argv, options: argSpec, allowPositionals: true, strict: true });
  } catch (error) {
    // Node's messages carry a long hint after the first sentence.
    throw new UsageError(message(error).split('. ')[0]);
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { kind: 'help' };
  if (values.version === true) return { kind: 'version' };
  const [command, ...files] = positionals;
  if (command === undefined) throw new UsageError('missing command');
  if (command === 'help') return { kind: 'help' };
  if (command !== 'translate') throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  if (files.length === 0) throw new UsageError('no input files (use - to read standard input)');
  if (files.filter((f) => f === '-').length > 1)
    throw new UsageError('standard input (-) given more than once');

  const format = values.output ?? 'yaml';
  if (format !== 'yaml' && format !== 'json') {
    throw new UsageError(`--output must be yaml or json, got ${JSON.stringify(format)}`);
  }
  if (values.redact === true && values['no-redact'] === true) {
    throw new UsageError('--redact and --no-redact contradict each other');
  }
  const bootstrap = values.bootstrap === true;
  const statuses = values.statuses === true;
  if (bootstrap && statuses) throw new UsageError('--bootstrap and --statuses contradict each other');
  let adminPort: number | undefined;
  const adminPortText = values['admin-port'];
  if (adminPortText !== undefined) {
    if (!bootstrap) throw new UsageError('--admin-port only applies with --bootstrap');
    adminPort = /^\d{1,5}$/.test(adminPortText) ? Number(adminPortText) : Number.NaN;
    if (!(adminPort >= 1 && adminPort <= 65535)) {
      throw new UsageError(
        `--admin-port must be a port number (1-65535), got ${JSON.stringify(adminPortText)}`,
      );
    }
  }
  // Resources are for reading, so keys stay hidden unless asked for; a bootstrap is for Envoy, which
  // cannot serve TLS without them.
  const redact = values.redact === true || (values['no-redact'] !== true && !bootstrap);
  return {
    kind: 'translate',
    invocation: {
      files,
      format,
      bootstrap,
      statuses,
      adminPort,
      redact,
      optionsFile: values.options,
      ingressClasses: values['ingress-class'],
      enableExternalName: values['enable-external-name'] === true,
    },
  };
}

async function loadOptions(invocation: Invocation, io: CliIo): Promise<TranslateOptions> {
  let options: TranslateOptions = {};
  if (invocation.optionsFile !== undefined) {
    let text: string;
    try {
      text = await io.readFile(invocation.optionsFile);
    } catch (error) {
      throw new UsageError(`cannot read ${invocation.optionsFile}: ${message(error)}`);
    }
    const result = parseOptionsJson(text, invocation.optionsFile);
    for (const warning of result.warnings) io.stderr(`kube-xds: warning: ${warning}\n`);
    if (result.errors.length > 0) throw new UsageError(result.errors.join('\nkube-xds: '));
    options = result.options;
  }
  if (invocation.ingressClasses !== undefined)
    options = { ...options, ingressClassNames: invocation.ingressClasses };
  if (invocation.enableExternalName) options = { ...options, enableExternalNameService: true };
  try {
    resolveOptions(options);
  } catch (error) {
    throw new UsageError(`invalid options: ${message(error)}`);
  }
  return options;
}

async function run(invocation: Invocation, io: CliIo): Promise<number> {
  const options = await loadOptions(invocation, io);
  const objects: unknown[] = [];
  const loadErrors: string[] = [];
  for (const file of invocation.files) {
    let text: string;
    try {
      text = file === '-' ? await readAll(io.stdin) : await io.readFile(file);
    } catch (error) {
      loadErrors.push(`cannot read ${file}: ${message(error)}`);
      continue;
    }
    const loaded = parseManifests(text, file);
    objects.push(...loaded.objects);
    loadErrors.push(...loaded.errors);
  }

  let result: ReturnType<typeof translate>;
  try {
    result = translate(objects, options);
  } catch (error) {
    const detail = error instanceof Error && error.stack !== undefined ? error.stack : message(error);
    io.stderr(`kube-xds: internal error: ${detail}\n`);
    return exitCodes.internal;
  }
  const json = toEnvoyJson(result.resources, { redactPrivateKeys: invocation.redact });
  const output = invocation.statuses
    ? result.statuses
    : invocation.bootstrap
      ? toBootstrap(json, invocation.adminPort === undefined ? {} : { adminPort: invocation.adminPort })
      : json;
  io.stdout(render(output, invocation.format));

  const lines = [...loadErrors.map((e) => `kube-xds: ${e}`), ...result.diagnostics.map(formatDiagnostic)];
  if (lines.length > 0) io.stderr(`${lines.join('\n')}\n`);
  const failed = loadErrors.length > 0 || result.diagnostics.some((d) => d.severity === 'error');
  return failed ? exitCodes.failed : exitCodes.ok;
}

/** Runs the CLI with `argv` (the arguments after the program name); resolves to the exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  try {
    const parsed = parseCommandLine(argv);
    switch (parsed.kind) {
      case 'help':
        io.stdout(usage);
        return exitCodes.ok;
      case 'version':
        io.stdout(`kube-xds ${await packageVersion()}\n`);
        return exitCodes.ok;
      case 'translate':
        return await run(parsed.invocation, io);
      default:
        return parsed satisfies never;
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`kube-xds: ${error.message}\nRun 'kube-xds --help' for usage.\n`);
    return exitCodes.usage;
  }
}
