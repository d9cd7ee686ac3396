/**
 * Command line for the example ADS server: serve the objects in some YAML files over xDS.
 *
 *   node build/ads-server/examples/ads-server/main.js [--port N] [--options FILE] [--watch] FILE...
 *
 * See README.md next to this file.
 */
import { watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatDiagnostic, resourceKinds, type TranslateOptions } from '../../src/index.js';
import { changesBetween, readObjects } from './objects.js';
import { AdsServer } from './server.js';

const usage =
  'usage: main.js [--port N] [--options FILE] [--watch] FILE...\n' +
  '  --port N        listen on 127.0.0.1:N (default 0: any free port, printed at start)\n' +
  '  --options FILE  TranslateOptions as JSON (default: {"grpcApiListeners": true})\n' +
  '  --watch         re-read the files when they change and push the difference';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string', default: '0' },
      options: { type: 'string' },
      watch: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length === 0) {
    process.stderr.write(`${usage}\n`);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const translateOptions: TranslateOptions =
    values.options === undefined
      ? { grpcApiListeners: true }
      : (JSON.parse(await readFile(values.options, 'utf8')) as TranslateOptions);

  const server = new AdsServer({ translateOptions });
  await server.start(`127.0.0.1:${values.port}`);

  let objects: unknown[] = [];
  let reported = new Set<string>();
  const load = async () => {
    const next = await readObjects(positionals);
    const update = server.applyChanges(changesBetween(objects, next));
    objects = next;
    const summary = resourceKinds.map((kind) => `${update.resources[kind].length} ${kind}`).join(', ');
    process.stderr.write(`serving ${next.length} objects as ${summary}\n`);
    // Print diagnostics that are new since the last load.
    const lines = new Set(update.diagnostics.map(formatDiagnostic));
    for (const line of lines) if (!reported.has(line)) process.stderr.write(`${line}\n`);
    reported = lines;
  };
  await load();

  if (values.watch) {
    let timer: NodeJS.Timeout | undefined;
    const reload = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        load().catch((error: unknown) => process.stderr.write(`reload failed: ${String(error)}\n`));
      }, 100);
    };
    for (const file of positionals) watch(file, reload);
  }
  process.on('SIGINT', () => {
    server.close();
    process.exit(0);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
