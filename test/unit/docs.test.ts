/**
 * Keeps the reference docs in step with the code: one section per diagnostic code with the code's
 * severity, and every TranslateOptions field documented.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnosticCodes } from '../../src/diagnostics.js';

const root = join(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface Section {
  readonly code: string;
  readonly severity: string | undefined;
}

/** Every `### \`Code\`` section of diagnostics.md with the `Severity:` line that follows it. */
function diagnosticSections(text: string): Section[] {
  const headings = [...text.matchAll(/^### `([^`]+)`[ \t]*$/gm)];
  return headings.map((heading, i) => {
    const start = (heading.index ?? 0) + heading[0].length;
    const end = headings[i + 1]?.index ?? text.length;
    const body = text.slice(start, end);
    const severity = /^Severity: (\S+)[ \t]*$/m.exec(body)?.[1];
    return { code: heading[1] ?? '', severity };
  });
}

/** The field names of `export interface TranslateOptions { ... }` in src/options.ts. */
function translateOptionFields(source: string): string[] {
  const body = /export interface TranslateOptions \{([\s\S]*?)\n\}/.exec(source)?.[1];
  if (body === undefined) throw new Error('interface TranslateOptions not found in src/options.ts');
  return [...body.matchAll(/^ {2}readonly (\w+)\??:/gm)].map((m) => m[1] ?? '');
}

describe('docs/reference/diagnostics.md', () => {
  const sections = diagnosticSections(read('docs/reference/diagnostics.md'));
  const codes = Object.keys(diagnosticCodes).sort();

  it('has exactly one section per diagnostic code', () => {
    const documented = sections.map((s) => s.code);
    expect(documented.filter((code, i) => documented.indexOf(code) !== i)).toEqual([]);
    expect([...documented].sort()).toEqual(codes);
  });

  it("gives each code's severity", () => {
    const documented = Object.fromEntries(sections.map((s) => [s.code, s.severity]));
    expect(documented).toEqual({ ...diagnosticCodes });
  });
});

describe('docs/reference/options.md', () => {
  const fields = translateOptionFields(read('src/options.ts'));
  const text = read('docs/reference/options.md');

  it('finds the TranslateOptions fields', () => {
    expect(fields.length).toBeGreaterThan(5);
  });

  it('mentions every TranslateOptions field', () => {
    expect(fields.filter((field) => !text.includes(`\`${field}\``))).toEqual([]);
  });
});
