#!/usr/bin/env node
// Wires the kube-xds CLI (dist/cli/main.js, built by `npm run build`) to the process.
import { readFile } from 'node:fs/promises';
import { main } from '../dist/cli/main.js';

// A reader that stops early (`kube-xds translate x.yaml | head`) is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

try {
  process.exitCode = await main(process.argv.slice(2), {
    stdin: process.stdin,
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    readFile: (path) => readFile(path, 'utf8'),
  });
} catch (error) {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`kube-xds: internal error: ${detail}\n`);
  process.exitCode = 70;
}
