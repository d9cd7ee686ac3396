/**
 * Structural rules of the code base: the two stages import in one direction only, and the library
 * (everything in src/ but the CLI edge) does no I/O and reads no clock or randomness.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(import.meta.dirname, '../../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? files(full) : full.endsWith('.ts') ? [full] : [];
  });
}

const handWritten = files(src)
  .map((file) => ({ file: relative(src, file), text: readFileSync(file, 'utf8') }))
  .filter(({ file }) => !file.startsWith('xds-types/'));

const importsOf = (text: string) => [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1] ?? '');

describe('architecture', () => {
  it('finds the source files', () => {
    expect(handWritten.length).toBeGreaterThan(20);
  });

  it('stage B (translate/xds) never imports the Kubernetes views', () => {
    const offenders = handWritten
      .filter(({ file }) => file.startsWith('translate/xds/'))
      .filter(({ text }) => importsOf(text).some((i) => i.includes('model/k8s')));
    expect(offenders.map((o) => o.file)).toEqual([]);
  });

  it('stage A and the model never import generated Envoy types', () => {
    const offenders = handWritten
      .filter(
        ({ file }) =>
          file.startsWith('model/') || (file.startsWith('translate/') && !file.startsWith('translate/xds/')),
      )
      .filter(({ file }) => file !== 'translate/translate.ts')
      .filter(({ text }) => importsOf(text).some((i) => i.includes('xds-types') || i.includes('/xds/')));
    expect(offenders.map((o) => o.file)).toEqual([]);
  });

  it('only translate/xds/types.ts and resources.ts import src/xds-types directly', () => {
    const offenders = handWritten
      .filter(({ text }) => importsOf(text).some((i) => i.includes('xds-types/')))
      .map((o) => o.file)
      .filter((f) => !f.startsWith('translate/xds/') && f !== 'resources.ts');
    expect(offenders).toEqual([]);
  });

  it('the library does no I/O and reads no clock or randomness (the CLI is the edge)', () => {
    const forbidden =
      /node:(fs|net\/|http|https|child_process|dgram|worker_threads)|Date\.now|new Date\(\)|Math\.random|process\.(env|stdout|stdin|argv)/;
    const offenders = handWritten
      .filter(({ file }) => !file.startsWith('cli/'))
      .filter(({ text }) => forbidden.test(text))
      .map((o) => o.file);
    expect(offenders).toEqual([]);
  });
});
