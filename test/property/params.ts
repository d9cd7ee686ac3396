/**
 * fast-check run parameters shared by every property file. `FC_SEED` replays a run (fast-check prints
 * the seed and path of a failure); `FC_RUNS_FACTOR` scales every numRuns for a longer local soak.
 */
import type * as fc from 'fast-check';

function readSeed(): number | undefined {
  const text = process.env.FC_SEED;
  if (text === undefined || text.trim() === '') return undefined;
  const seed = Number(text);
  if (!Number.isInteger(seed)) throw new Error(`FC_SEED must be an integer, got ${JSON.stringify(text)}`);
  return seed;
}

function readFactor(): number {
  const text = process.env.FC_RUNS_FACTOR;
  if (text === undefined || text.trim() === '') return 1;
  const factor = Number(text);
  if (!(factor > 0)) throw new Error(`FC_RUNS_FACTOR must be a positive number, got ${JSON.stringify(text)}`);
  return factor;
}

export const seed: number | undefined = readSeed();
const factor = readFactor();

/** Parameters for fc.assert / fc.sample: numRuns (scaled), and the seed when FC_SEED is set. */
export function runs<Ts>(numRuns: number): fc.Parameters<Ts> {
  const scaled = Math.max(1, Math.round(numRuns * factor));
  return seed === undefined ? { numRuns: scaled } : { numRuns: scaled, seed };
}
