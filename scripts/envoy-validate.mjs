#!/usr/bin/env node
/**
 * Validates golden cases with a real Envoy: each case's expected output (test/golden/<area>/<case>/
 * *.json, or a sequence step folder) is wrapped into a static bootstrap with toBootstrap() and checked
 * with `envoy --mode validate -c <file>`. Not run in CI (no Envoy binary there); for people who have
 * one.
 *
 *   npm run build
 *   node scripts/envoy-validate.mjs [--envoy PATH] [--out DIR] [--all | CASE...]
 *
 * CASE is a folder holding listeners.json & co. (test/golden/ingress/tls-basic) or its name under
 * test/golden (ingress/tls-basic). --all takes every case and sequence step. --out DIR keeps the
 * bootstrap files there (handy for validating them elsewhere, e.g. in an Envoy container).
 *
 * Golden secrets have their private keys redacted. A redacted key is replaced by the fixture key
 * that belongs to the secret's certificate (src/fixtures/certs.ts, through dist/); a case whose
 * certificate is not a fixture is skipped with a message.
 *
 * Exit status: 0 every case valid; 1 some case invalid; 2 usage error, no dist/ or no envoy.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const goldenRoot = join(root, 'test', 'golden');
const kinds = ['listeners', 'routes', 'clusters', 'endpoints', 'secrets'];
const redacted = 'W3JlZGFjdGVkXQ=='; // base64 of "[redacted]", as toEnvoyJson writes it

function fail(message, code = 2) {
  process.stderr.write(`envoy-validate: ${message}\n`);
  process.exit(code);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    all: { type: 'boolean', default: false },
    envoy: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help || (!values.all && positionals.length === 0)) {
  process.stderr.write(
    'usage: node scripts/envoy-validate.mjs [--envoy PATH] [--out DIR] [--all | CASE...]\n',
  );
  process.exit(values.help ? 0 : 2);
}

// --- dist/ (toBootstrap and the fixture certificates) -------------------------------------------------

const bootstrapModule = join(root, 'dist', 'cli', 'bootstrap.js');
const certsModule = join(root, 'dist', 'fixtures', 'certs.js');
if (!existsSync(bootstrapModule) || !existsSync(certsModule))
  fail('dist/ is missing or incomplete: run `npm run build` first');
const { toBootstrap } = await import(pathToFileURL(bootstrapModule).href);
const certs = await import(pathToFileURL(certsModule).href);

/** Fixture certificate PEM (trimmed) → its private key PEM. */
const fixtureKeys = new Map(
  Object.entries(certs)
    .filter(
      ([name]) =>
        name.endsWith('Certificate') && `${name.slice(0, -'Certificate'.length)}PrivateKey` in certs,
    )
    .map(([name, pem]) => [pem.trim(), certs[`${name.slice(0, -'Certificate'.length)}PrivateKey`]]),
);

// --- envoy ---------------------------------------------------------------------------------------------

function findOnPath(command) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, command);
    if (dir !== '' && existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

const envoy = values.envoy ?? findOnPath('envoy');

// --- cases ---------------------------------------------------------------------------------------------

const isCase = (dir) => existsSync(join(dir, 'listeners.json'));

function allCases(dir) {
  const found = isCase(dir) ? [dir] : [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1)))
    if (entry.isDirectory()) found.push(...allCases(join(dir, entry.name)));
  return found;
}

function resolveCase(arg) {
  for (const candidate of [resolve(arg), join(goldenRoot, arg)]) if (isCase(candidate)) return candidate;
  fail(`${arg}: not a golden case folder (no listeners.json), nor a case name under test/golden`);
}

const cases = values.all ? allCases(goldenRoot) : positionals.map(resolveCase);

/** The case's resources as canonical JSON, with fixture keys put back in place of redacted ones. */
function loadCase(dir) {
  const json = {};
  for (const kind of kinds) {
    const file = join(dir, `${kind}.json`);
    json[kind] = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : [];
  }
  for (const secret of json.secrets) {
    const tls = secret.tlsCertificate;
    if (tls?.privateKey?.inlineBytes !== redacted) continue;
    const pem = Buffer.from(tls.certificateChain?.inlineBytes ?? '', 'base64')
      .toString('utf8')
      .trim();
    const key = fixtureKeys.get(pem);
    if (key === undefined)
      return { skip: `secret ${secret.name} has a redacted key and a certificate that is not a fixture` };
    tls.privateKey = { inlineBytes: Buffer.from(key).toString('base64') };
  }
  return { json };
}

const outDir =
  values.out === undefined ? mkdtempSync(join(tmpdir(), 'kube-xds-envoy-')) : resolve(values.out);
mkdirSync(outDir, { recursive: true });
const written = [];
const skipped = [];
for (const dir of cases) {
  const name = relative(goldenRoot, dir) || dir;
  const loaded = loadCase(dir);
  if (loaded.skip !== undefined) {
    skipped.push(name);
    process.stdout.write(`SKIP ${name}: ${loaded.skip}\n`);
    continue;
  }
  const file = join(outDir, `${name.replaceAll(/[\\/]/g, '__')}.json`);
  writeFileSync(file, `${JSON.stringify(toBootstrap(loaded.json), null, 2)}\n`);
  written.push({ name, file });
}

if (envoy === undefined) {
  process.stderr.write(
    'envoy-validate: no `envoy` on PATH (or --envoy PATH). Envoy is not installable offline here ' +
      '(no npm or Debian package ships it); get a binary from https://www.envoyproxy.io/docs/envoy/latest/start/install ' +
      'or run this with an envoyproxy/envoy container.\n' +
      (values.out !== undefined
        ? `The ${written.length} bootstrap files are in ${outDir}; validate each with \`envoy --mode validate -c FILE\`.\n`
        : 'Pass --out DIR to keep the bootstrap files and validate them elsewhere.\n'),
  );
  if (values.out === undefined) rmSync(outDir, { recursive: true, force: true });
  process.exit(2);
}

let invalid = 0;
for (const { name, file } of written) {
  const run = spawnSync(envoy, ['--mode', 'validate', '-c', file, '--log-level', 'error'], {
    encoding: 'utf8',
  });
  if (run.error !== undefined) fail(`cannot run ${envoy}: ${run.error.message}`);
  if (run.status === 0) process.stdout.write(`OK   ${name}\n`);
  else {
    invalid++;
    process.stdout.write(
      `FAIL ${name} (${file})\n${`${run.stdout}${run.stderr}`.trim().replace(/^/gm, '     ')}\n`,
    );
  }
}
if (values.out === undefined && invalid === 0) rmSync(outDir, { recursive: true, force: true });
process.stdout.write(
  `${written.length - invalid} valid, ${invalid} invalid, ${skipped.length} skipped (Envoy: ${envoy})\n`,
);
process.exit(invalid > 0 ? 1 : 0);
