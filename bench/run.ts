/**
 * The kube-xds benchmark: `npm run bench [-- --scale S,M,L] [--samples N] [--seed N] [--only a,b]`.
 * Each measurement interleaves its subject and its baseline in this one process, with a full GC
 * before every timed section, and reports medians of the paired samples (see bench/README.md).
 * Writes bench/results.json and prints a table; exits non-zero only on a harness error or a failed
 * assertion, never because a goal was missed.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  createTranslator,
  diffResources,
  type ObjectChange,
  type ResourceDiff,
  type ResourceKind,
  resourceKinds,
  type TranslateResult,
  translate,
  type XdsResources,
} from '../src/index.js';
import { resourceCodecs } from '../src/resources.js';
import {
  freshCopies,
  generateCluster,
  type ScaleName,
  type SyntheticCluster,
  scales,
  withEndpointReady,
  withIngressEdit,
} from './generate.js';

// ---------------------------------------------------------------------------------------------
// Harness

class BenchAssertionError extends Error {
  override name = 'BenchAssertionError';
}

/** A bad command-line argument: reported without a stack. */
class UsageError extends Error {
  override name = 'UsageError';
}

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new BenchAssertionError(message);
}

const gcFunction = globalThis.gc;
/**
 * A full GC, or with 'minor' a young-generation one only: that clears a setup step's garbage
 * without a full GC's aftermath.
 */
function collect(type: 'major' | 'minor' = 'major'): void {
  if (gcFunction === undefined) throw new Error('global.gc is missing');
  if (type === 'minor') gcFunction({ type });
  else gcFunction();
}

const log = (text: string) => process.stderr.write(`${text}\n`);

/**
 * `wall`: elapsed time (performance.now). `cpu`: user + system CPU time of this process (all its
 * threads, so GC helper threads count), steadier than wall time when other processes share the cores.
 */
type Clock = 'wall' | 'cpu';
let clock: Clock = 'wall';

function now(): number {
  if (clock === 'wall') return performance.now();
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Keeps results alive where V8 could otherwise drop them, and defeats dead-code elimination. */
let sink = 0;
const held: unknown[] = [];

/**
 * Runs `fn` as the timed section of a sample: a full GC first, then `settle` (untimed) if given, then
 * the clock. A full GC deoptimizes optimized code that embedded objects which died ("weak objects"),
 * so a sub-millisecond subject timed right after it measures mostly unoptimized code; the
 * incremental rows settle by applying a few untimed changes of the same kind first.
 */
type Timer = <T>(fn: () => T, settle?: () => void) => T;
/** One side of a sample: untimed setup, one call of `time`, untimed checks. */
type Body = (time: Timer) => void;

interface Side {
  readonly body: Body;
  /** Operations inside the timed section; the sample is its time divided by this. */
  readonly reps?: number;
}

function runOnce(label: string, side: Side): number {
  let elapsed: number | undefined;
  const time: Timer = (fn, settle) => {
    if (elapsed !== undefined) throw new Error(`${label}: time() called twice in one sample`);
    collect();
    settle?.();
    const start = now();
    const out = fn();
    elapsed = now() - start;
    return out;
  };
  side.body(time);
  if (elapsed === undefined) throw new Error(`${label}: the sample never called time()`);
  return elapsed / (side.reps ?? 1);
}

interface Paired {
  readonly subject: readonly number[];
  readonly baseline: readonly number[];
  readonly ratios: readonly number[];
}

/** Untimed runs of each side before the samples. */
interface Warmup {
  readonly subject: number;
  readonly baseline: number;
}

/** Warm-up, then `count` paired samples, alternating which side runs first. */
function paired(label: string, count: number, warmup: Warmup, subject: Side, baseline: Side): Paired {
  for (let i = 0; i < Math.max(warmup.subject, warmup.baseline); i++) {
    if (i < warmup.subject) runOnce(label, subject);
    if (i < warmup.baseline) runOnce(label, baseline);
  }
  const s: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < count; i++) {
    let subjectMs: number;
    let baselineMs: number;
    if (i % 2 === 0) {
      subjectMs = runOnce(label, subject);
      baselineMs = runOnce(label, baseline);
    } else {
      baselineMs = runOnce(label, baseline);
      subjectMs = runOnce(label, subject);
    }
    s.push(subjectMs);
    b.push(baselineMs);
    log(`  ${label} ${i + 1}/${count}: subject ${fmt(subjectMs)} ms, baseline ${fmt(baselineMs)} ms`);
  }
  return { subject: s, baseline: b, ratios: s.map((x, i) => x / (b[i] ?? Number.NaN)) };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Four significant digits: enough for timings that vary by a few percent between runs. */
const round = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(4)) : x);

function fmt(x: number | null): string {
  if (x === null) return '-';
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  return abs >= 100 ? x.toFixed(0) : abs >= 1 ? x.toFixed(2) : abs >= 0.01 ? x.toFixed(4) : x.toPrecision(3);
}

// ---------------------------------------------------------------------------------------------
// Rows

interface Goal {
  readonly metric: 'ratio' | 'subject_ms';
  readonly max: number;
}

interface Row {
  readonly name: string;
  readonly scale: string;
  readonly subject_ms: number | null;
  readonly baseline_ms: number | null;
  readonly subject_mb?: number;
  readonly baseline_mb?: number;
  readonly ratio: number;
  /** `"ratio <= 2"`, `"subject_ms <= 5"`, or null when the row has no goal at this scale. */
  readonly goal: string | null;
  readonly pass: boolean | null;
  readonly samples: number;
}

const goalText = (goal: Goal | null) => (goal === null ? null : `${goal.metric} <= ${goal.max}`);

function timeRow(name: string, scale: string, result: Paired, goal: Goal | null): Row {
  const subject = median(result.subject);
  const baseline = median(result.baseline);
  const ratio = median(result.ratios);
  const value = goal?.metric === 'subject_ms' ? subject : ratio;
  return {
    name,
    scale,
    subject_ms: round(subject),
    baseline_ms: round(baseline),
    ratio: round(ratio),
    goal: goalText(goal),
    pass: goal === null ? null : value <= goal.max,
    samples: result.subject.length,
  };
}

// ---------------------------------------------------------------------------------------------
// Checks on diffs

function changedKinds(diff: ResourceDiff): string[] {
  const out: string[] = [];
  for (const kind of resourceKinds) {
    for (const u of diff[kind].upserted) out.push(`${kind} upsert ${u.name}`);
    for (const name of diff[kind].removed) out.push(`${kind} remove ${name}`);
  }
  return out;
}

/** The diff changes exactly one resource: an upsert of `kind` named `name`. */
function assertOnly(what: string, diff: ResourceDiff, kind: ResourceKind, name: string): void {
  const changes = changedKinds(diff);
  const expected = `${kind} upsert ${name}`;
  assert(
    changes.length === 1 && changes[0] === expected,
    `${what}: expected the diff to be exactly [${expected}], got [${changes.slice(0, 10).join(', ')}${
      changes.length > 10 ? `, … ${changes.length} in all` : ''
    }]`,
  );
}

function assertEmpty(what: string, diff: ResourceDiff): void {
  const changes = changedKinds(diff);
  assert(
    changes.length === 0,
    `${what}: expected an empty diff, got ${changes.length} change(s): [${changes.slice(0, 10).join(', ')}]`,
  );
}

const upserts = (objects: readonly unknown[]): ObjectChange[] =>
  objects.map((object) => ({ type: 'upsert', object }));

// ---------------------------------------------------------------------------------------------
// Measurements

interface ScaleRun {
  readonly rows: Row[];
  /** Median per-flip subject time, for endpoint-flip-scaling. */
  flipMs?: number;
}

interface Settings {
  readonly samples: number;
  /**
   * Warm-up runs of full translations (and other whole-cluster work) at the first scale of the
   * process: 10 at S, 5 at M, 3 at L (fewer runs leave code unoptimised: after 3 at S, TurboFan was
   * still compiling during the samples), 0 after it, since the code is warm by then and each run
   * costs seconds at L.
   */
  readonly heavyWarmup: number;
  readonly only: ReadonlySet<string> | undefined;
}

const wanted = (settings: Settings, name: string) => settings.only === undefined || settings.only.has(name);

const flipReps = 20;
const editReps = 5;
/** Untimed changes applied after the GC and before the clock in endpoint-flip and route-edit. */
const settleReps = 10;

function coldTranslate(cluster: SyntheticCluster, settings: Settings): Row {
  const { objects } = cluster;
  let last: TranslateResult | undefined = translate(objects);
  const result = paired(
    'cold-translate',
    settings.samples,
    { subject: settings.heavyWarmup, baseline: settings.heavyWarmup },
    {
      body: (time) => {
        last = undefined;
        last = time(() => translate(objects));
      },
    },
    {
      body: (time) => {
        const resources = last?.resources;
        assert(resources !== undefined, 'cold-translate: no output to serialise');
        sink ^= time(() => JSON.stringify(resources)).length;
      },
    },
  );
  last = undefined;
  return timeRow('cold-translate', cluster.scale.name, result, { metric: 'ratio', max: 2 });
}

function diffRow(cluster: SyntheticCluster, settings: Settings): Row {
  const { objects, flip } = cluster;
  const ready = flip.slice.endpoints?.[flip.endpointIndex]?.conditions?.ready ?? true;
  const changed = [...objects];
  changed[flip.objectIndex] = withEndpointReady(
    flip.slice,
    flip.endpointIndex,
    !ready,
    cluster.nextResourceVersion(),
  );
  const a: XdsResources = translate(objects).resources;
  const b: XdsResources = translate(changed).resources;
  const result = paired(
    'diff',
    settings.samples,
    { subject: settings.heavyWarmup, baseline: settings.heavyWarmup },
    {
      body: (time) => {
        const diff = time(() => diffResources(a, b));
        assertOnly('diff', diff, 'endpoints', flip.endpointsName);
      },
    },
    { body: (time) => (sink ^= time(() => JSON.stringify(a)).length) },
  );
  return timeRow('diff', cluster.scale.name, result, { metric: 'ratio', max: 1 });
}

/** endpoint-flip, route-edit and noop-resync, on one translator fed the whole cluster. */
function incremental(cluster: SyntheticCluster, settings: Settings, run: ScaleRun): void {
  const { objects, flip, edit } = cluster;
  const scale = cluster.scale.name;
  const live: unknown[] = [...objects];
  log(`  [${scale}] initial apply of ${objects.length} objects`);
  const translator = createTranslator();
  // Only the one CLA is kept from the first update, not the whole update (a full snapshot and diff).
  const loadAssignment = translator
    .apply(upserts(objects))
    .resources.endpoints.find((e) => e.clusterName === flip.endpointsName);
  const codec = resourceCodecs.endpoints;
  assert(loadAssignment !== undefined, `no ClusterLoadAssignment named ${flip.endpointsName} in the output`);

  if (wanted(settings, 'endpoint-flip')) {
    let ready = flip.slice.endpoints?.[flip.endpointIndex]?.conditions?.ready ?? true;
    const result = paired(
      'endpoint-flip',
      settings.samples,
      { subject: 2, baseline: 2 },
      {
        reps: flipReps,
        body: (time) => {
          const next = () => {
            ready = !ready;
            return withEndpointReady(flip.slice, flip.endpointIndex, ready, cluster.nextResourceVersion());
          };
          const settling = Array.from({ length: settleReps }, next);
          const changes = Array.from({ length: flipReps }, next);
          const apply = (object: unknown) => translator.apply([{ type: 'upsert', object }]).diff;
          const check = (diff: ResourceDiff) =>
            assertOnly('endpoint-flip', diff, 'endpoints', flip.endpointsName);
          const diffs = time(
            () => changes.map(apply),
            () => settling.map(apply).forEach(check),
          );
          diffs.forEach(check);
          live[flip.objectIndex] = changes[changes.length - 1];
        },
      },
      {
        reps: flipReps,
        body: (time) =>
          time(() => {
            for (let i = 0; i < flipReps; i++) {
              const bytes = codec.encode(loadAssignment).finish();
              const copy = structuredClone(loadAssignment);
              sink ^= bytes.length + (copy.endpoints?.length ?? 0);
            }
          }),
      },
    );
    const row = timeRow('endpoint-flip', scale, result, { metric: 'ratio', max: 10 });
    run.rows.push(row);
    run.flipMs = median(result.subject);
  }

  if (wanted(settings, 'route-edit')) {
    let edited = false;
    const result = paired(
      'route-edit',
      settings.samples,
      { subject: 1, baseline: settings.heavyWarmup },
      {
        reps: editReps,
        body: (time) => {
          const next = () => {
            edited = !edited;
            return withIngressEdit(edit.ingress, edited, cluster.nextResourceVersion());
          };
          const settling = Array.from({ length: settleReps }, next);
          const changes = Array.from({ length: editReps }, next);
          const apply = (object: unknown) => translator.apply([{ type: 'upsert', object }]).diff;
          const check = (diff: ResourceDiff) => assertOnly('route-edit', diff, 'routes', 'ingress_http');
          const diffs = time(
            () => changes.map(apply),
            () => settling.map(apply).forEach(check),
          );
          diffs.forEach(check);
          live[edit.objectIndex] = changes[changes.length - 1];
        },
      },
      { body: (time) => (sink ^= time(() => translate(live)).resources.routes.length) },
    );
    run.rows.push(
      timeRow('route-edit', scale, result, scale === 'M' ? { metric: 'subject_ms', max: 5 } : null),
    );
  }

  if (wanted(settings, 'noop-resync')) {
    const result = paired(
      'noop-resync',
      settings.samples,
      { subject: 1, baseline: settings.heavyWarmup },
      {
        body: (time) => {
          // The copies are decoded after the GC, as a watch delivers them: decoded before it, the
          // GC promotes them and its sweeper threads still compete for the two cores while the
          // resync reads them (at L the median rose from about 24 to 55 ms, spread 18-126 ms).
          // A young-generation GC then clears the decoding's garbage, which would otherwise fill
          // the young generation and trigger a scavenge inside the timed section (S: 0.4 -> 1 ms).
          let changes: ObjectChange[] = [];
          const diff = time(
            () => translator.apply(changes).diff,
            () => {
              changes = upserts(freshCopies(live));
              collect('minor');
            },
          );
          assertEmpty('noop-resync', diff);
        },
      },
      { body: (time) => (sink ^= time(() => translate(live)).resources.routes.length) },
    );
    run.rows.push(timeRow('noop-resync', scale, result, { metric: 'ratio', max: 0.05 }));
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Live heap: the JS heap plus ArrayBuffer backing stores (encoded bytes, Secret bytes). Right after
 * a translation, heapUsed after gc() can still count tens of MB that V8's background GC threads have
 * not yet given back, however many gc() calls follow; blocking this thread for a moment (they keep
 * running) and collecting once more gives a stable value.
 */
function liveBytes(): number {
  collect();
  collect();
  Atomics.wait(pause, 0, 0, 100);
  collect();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/**
 * Live bytes retained per value `make` returns, holding `copies` of them at once. Measured after
 * `make`'s own frame is gone, so no stale interpreter register keeps a temporary (or the previous
 * sample's value) alive.
 */
function retainedBy(make: () => unknown, copies: number): number {
  const before = liveBytes();
  for (let i = 0; i < copies; i++) held.push(make());
  const after = liveBytes();
  held.length = 0;
  return (after - before) / copies / 2 ** 20;
}

/**
 * Copies held per heap sample: at S one output is a few MB, so several copies make the measurement
 * larger than any leftover noise. At M and L one copy is plenty.
 */
const heapCopies: Readonly<Record<ScaleName, number>> = { S: 8, M: 1, L: 1 };

function retainedHeap(cluster: SyntheticCluster, settings: Settings): Row {
  const { objects } = cluster;
  // The retained size hardly varies between samples (well under 1%), and each costs two full
  // translations: three samples, two at L.
  const count = Math.min(cluster.scale.name === 'L' ? 2 : 3, settings.samples);
  const subject: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < count; i++) {
    const copies = heapCopies[cluster.scale.name];
    const translatorMb = retainedBy(() => {
      const translator = createTranslator();
      translator.apply(upserts(objects));
      return translator;
    }, copies);
    const outputMb = retainedBy(() => translate(objects).resources, copies);
    subject.push(translatorMb);
    baseline.push(outputMb);
    log(`  retained-heap ${i + 1}/${count}: translator ${fmt(translatorMb)} MB, output ${fmt(outputMb)} MB`);
  }
  const ratio = median(subject.map((s, i) => s / (baseline[i] ?? Number.NaN)));
  return {
    name: 'retained-heap',
    scale: cluster.scale.name,
    subject_ms: null,
    baseline_ms: null,
    subject_mb: round(median(subject)),
    baseline_mb: round(median(baseline)),
    ratio: round(ratio),
    goal: goalText({ metric: 'ratio', max: 3 }),
    pass: ratio <= 3,
    samples: count,
  };
}

/** Warm-up runs of whole-cluster work when a scale is the first of the process (see Settings). */
const firstWarmup: Readonly<Record<ScaleName, number>> = { S: 10, M: 5, L: 3 };

function runScale(
  name: ScaleName,
  seed: number,
  samples: number,
  only: ReadonlySet<string> | undefined,
  first: boolean,
) {
  const settings: Settings = { samples, only, heavyWarmup: first ? firstWarmup[name] : 0 };
  const started = performance.now();
  log(`[${name}] generating (seed ${seed})`);
  const cluster = generateCluster(scales[name], seed);
  log(`[${name}] ${JSON.stringify(cluster.counts)}`);
  const run: ScaleRun = { rows: [] };
  if (wanted(settings, 'cold-translate')) run.rows.push(coldTranslate(cluster, settings));
  if (wanted(settings, 'diff')) run.rows.push(diffRow(cluster, settings));
  if (['endpoint-flip', 'route-edit', 'noop-resync'].some((n) => wanted(settings, n)))
    incremental(cluster, settings, run);
  if (wanted(settings, 'retained-heap')) run.rows.push(retainedHeap(cluster, settings));
  log(`[${name}] done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return run;
}

// ---------------------------------------------------------------------------------------------
// Output

function printTable(rows: readonly Row[]): void {
  const header = ['name', 'scale', 'subject', 'baseline', 'ratio', 'goal', 'pass'];
  const lines = rows.map((r) => [
    r.name,
    r.scale,
    r.subject_mb !== undefined ? `${fmt(r.subject_mb)} MB` : `${fmt(r.subject_ms)} ms`,
    r.baseline_mb !== undefined ? `${fmt(r.baseline_mb)} MB` : `${fmt(r.baseline_ms)} ms`,
    fmt(r.ratio),
    r.goal ?? '-',
    r.pass === null ? '-' : r.pass ? 'pass' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const format = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ');
  process.stdout.write(`${format(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const line of lines) process.stdout.write(`${format(line)}\n`);
}

function parseScales(text: string): ScaleName[] {
  const names = text.split(',').map((s) => s.trim().toUpperCase());
  for (const n of names) {
    if (n !== 'S' && n !== 'M' && n !== 'L')
      throw new UsageError(`--scale: unknown scale ${JSON.stringify(n)} (S, M, L)`);
  }
  return names as ScaleName[];
}

function positiveInteger(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${flag} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

const measurementNames = [
  'cold-translate',
  'diff',
  'endpoint-flip',
  'route-edit',
  'noop-resync',
  'retained-heap',
];

function parseCommandLine() {
  try {
    return parseArgs({
      options: {
        scale: { type: 'string', default: 'S,M,L' },
        samples: { type: 'string' },
        seed: { type: 'string', default: '1' },
        only: { type: 'string' },
        out: { type: 'string' },
        clock: { type: 'string', default: 'wall' },
      },
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function main(): void {
  const { values } = parseCommandLine();
  if (gcFunction === undefined) {
    log('bench: global.gc is not available; run node with --expose-gc (npm run bench does)');
    process.exit(2);
  }
  if (values.clock !== 'wall' && values.clock !== 'cpu')
    throw new UsageError(`--clock must be wall or cpu, got ${JSON.stringify(values.clock)}`);
  clock = values.clock;
  const chosen = parseScales(values.scale);
  const seed = positiveInteger(values.seed, '--seed');
  const only = values.only === undefined ? undefined : new Set(values.only.split(',').map((s) => s.trim()));
  for (const n of only ?? []) {
    if (!measurementNames.includes(n))
      throw new UsageError(`--only: unknown measurement ${JSON.stringify(n)}`);
  }
  const out = values.out ?? fileURLToPath(new URL('../../../bench/results.json', import.meta.url));
  const cores = availableParallelism();
  const [load = 0] = loadavg();
  log(
    `bench: node ${process.version}, ${cores} cores, load ${load.toFixed(2)}, ${clock} clock, scales ${chosen.join(',')}, seed ${seed}`,
  );
  if (load > cores / 2)
    log('bench: warning: the machine is busy; wall-clock samples will be noisy (try --clock cpu)');

  const rows: Row[] = [];
  const flipMs = new Map<ScaleName, number>();
  for (const [position, name] of chosen.entries()) {
    const samples =
      values.samples !== undefined ? positiveInteger(values.samples, '--samples') : name === 'L' ? 5 : 7;
    const run = runScale(name, seed, samples, only, position === 0);
    rows.push(...run.rows);
    if (run.flipMs !== undefined) flipMs.set(name, run.flipMs);
  }
  const small = flipMs.get('S');
  const large = flipMs.get('L');
  if (small !== undefined && large !== undefined) {
    const ratio = large / small;
    rows.push({
      name: 'endpoint-flip-scaling',
      scale: 'L/S',
      subject_ms: round(large),
      baseline_ms: round(small),
      ratio: round(ratio),
      goal: goalText({ metric: 'ratio', max: 1.5 }),
      pass: ratio <= 1.5,
      samples: 1,
    });
  }
  writeFileSync(out, `${JSON.stringify(rows, null, 2)}\n`);
  log(`bench: wrote ${out} (sink ${sink & 1})`);
  printTable(rows);
}

try {
  main();
} catch (error) {
  log(
    error instanceof BenchAssertionError
      ? `bench: assertion failed: ${error.message}`
      : `bench: ${String(error)}`,
  );
  if (error instanceof Error && !(error instanceof BenchAssertionError || error instanceof UsageError))
    log(error.stack ?? '');
  process.exitCode = 1;
}
