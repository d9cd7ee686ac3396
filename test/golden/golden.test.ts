/**
 * The one golden-file runner. Every folder under test/golden/<area>/<case>/ with an input.yaml is a
 * snapshot case; one with a steps/ folder is a sequence case. `UPDATE_GOLDEN=1` is the only way to
 * write expected files; without it a missing or different file fails. See test/golden/README.md.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  applyDiff,
  createTranslator,
  emptyResources,
  type ObjectChange,
  type ResourceDiff,
  type TranslateOptions,
  type TranslateResult,
  toEnvoyJson,
  translate,
} from '../../src/index.js';
import { assertEnvoyAccepts } from '../support/pgv.js';

const root = dirname(fileURLToPath(import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';
const outputFiles = ['listeners', 'routes', 'clusters', 'endpoints', 'secrets'] as const;

function readYaml(file: string): unknown[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
      return doc.toJS() as unknown;
    })
    .filter((doc) => doc !== null && doc !== undefined);
}

function readOptions(dir: string): TranslateOptions | undefined {
  const file = join(dir, 'options.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as TranslateOptions) : undefined;
}

/** The expected files of one translation, as text. */
function render(result: TranslateResult): Record<string, string> {
  const json = toEnvoyJson(result.resources, { redactPrivateKeys: true });
  const files: Record<string, string> = {};
  for (const kind of outputFiles) files[`${kind}.json`] = `${JSON.stringify(json[kind], null, 2)}\n`;
  files['diagnostics.json'] = `${JSON.stringify(result.diagnostics, null, 2)}\n`;
  // Only cases with HTTPProxies have statuses; the others would all hold [].
  if (result.statuses.length > 0) files['statuses.json'] = `${JSON.stringify(result.statuses, null, 2)}\n`;
  return files;
}

/** Compares (or, when updating, writes) the files of `dir`; stale .json files are removed on update. */
function checkFiles(dir: string, files: Record<string, string>): void {
  if (update) {
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir)) {
      if (name.endsWith('.json') && name !== 'options.json' && !(name in files)) rmSync(join(dir, name));
    }
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return;
  }
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.json') && name !== 'options.json' && !(name in files))
      throw new Error(`${relative(root, join(dir, name))} is expected but nothing produced it`);
  }
  for (const [name, text] of Object.entries(files)) {
    const file = join(dir, name);
    if (!existsSync(file))
      throw new Error(`${relative(root, file)} is missing; run UPDATE_GOLDEN=1 npm test and review it`);
    expect(text, relative(root, file)).toBe(readFileSync(file, 'utf8'));
  }
}

function caseDirs(): string[] {
  const dirs: string[] = [];
  for (const area of readdirSync(root).sort()) {
    const areaDir = join(root, area);
    if (!statSync(areaDir).isDirectory()) continue;
    for (const name of readdirSync(areaDir).sort()) {
      const dir = join(areaDir, name);
      if (statSync(dir).isDirectory()) dirs.push(dir);
    }
  }
  return dirs;
}

/**
 * A step document `{ delete: { kind, namespace, name } }` removes an object; any other document upserts.
 * Returns the step as the watch events an incremental translator would receive.
 */
function applyStep(objects: Map<string, unknown>, docs: unknown[]): ObjectChange[] {
  const changes: ObjectChange[] = [];
  for (const doc of docs) {
    const record = doc as {
      delete?: { kind: string; namespace?: string; name: string };
      kind?: string;
      metadata?: { namespace?: string; name?: string };
    };
    if (record.delete !== undefined) {
      const id = `${record.delete.kind}/${record.delete.namespace ?? ''}/${record.delete.name}`;
      if (!objects.delete(id)) throw new Error(`step deletes ${id}, which does not exist`);
      changes.push({ type: 'delete', ...record.delete });
      continue;
    }
    objects.set(`${record.kind}/${record.metadata?.namespace ?? ''}/${record.metadata?.name}`, doc);
    changes.push({ type: 'upsert', object: doc });
  }
  return changes;
}

/** The names a diff pushes, per kind, in plan order: the reviewable part of an incremental step. */
function renderDiff(diff: ResourceDiff): string {
  return `${JSON.stringify(diff.plan, null, 2)}\n`;
}

const cases = caseDirs();

describe('golden cases', () => {
  it('exist', () => {
    expect(cases.length).toBeGreaterThan(0);
  });
  for (const dir of cases) {
    const name = relative(root, dir);
    const stepsDir = join(dir, 'steps');
    if (existsSync(stepsDir)) {
      it(`${name} (sequence)`, () => {
        const options = readOptions(dir);
        const objects = new Map<string, unknown>();
        const steps = readdirSync(stepsDir)
          .filter((f) => f.endsWith('.yaml'))
          .sort();
        expect(steps.length, `${name} needs at least two steps`).toBeGreaterThan(1);
        // The same steps drive the incremental translator, which must agree with a fresh translation.
        const translator = createTranslator(options);
        let previous = emptyResources;
        for (const step of steps) {
          const changes = applyStep(objects, readYaml(join(stepsDir, step)));
          const result = translate([...objects.values()], options);
          assertEnvoyAccepts(result.resources);
          const update = translator.apply(changes);
          expect(toEnvoyJson(update.resources), `${step}: incremental resources`).toEqual(
            toEnvoyJson(result.resources),
          );
          expect(update.diagnostics, `${step}: incremental diagnostics`).toEqual(result.diagnostics);
          expect(update.statuses, `${step}: incremental statuses`).toEqual(result.statuses);
          expect(toEnvoyJson(applyDiff(previous, update.diff))).toEqual(toEnvoyJson(result.resources));
          previous = result.resources;
          checkFiles(join(stepsDir, step.replace(/\.yaml$/, '')), {
            ...render(result),
            'diff.json': renderDiff(update.diff),
          });
        }
      });
    } else {
      it(name, () => {
        const input = join(dir, 'input.yaml');
        expect(existsSync(input), `${name}/input.yaml`).toBe(true);
        const objects = readYaml(input);
        const options = readOptions(dir);
        const result = translate(objects, options);
        assertEnvoyAccepts(result.resources);
        checkFiles(dir, render(result));
        // Order independence, checked on every golden input too.
        const reversed = translate([...objects].reverse(), options);
        expect(render(reversed)).toEqual(render(result));
      });
    }
  }
});
