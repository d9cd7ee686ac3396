/**
 * Go duration strings (`1h2m3.5s`, `500ms`), the format Contour's annotations use, parsed exactly
 * (BigInt nanoseconds) and bounded to what Envoy accepts.
 */
import type { DurationValue } from '../model/ir.js';

const unitNanos: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  μs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** Envoy rejects Durations above this many seconds (nanosecond overflow guard). */
export const maxEnvoySeconds = 9_223_372_035n;

const term = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;

/** Nanoseconds of a non-negative Go duration, or undefined when the text is not one. */
export function parseGoDuration(text: string): bigint | undefined {
  if (text.length === 0 || text.length > 64) return undefined;
  let rest = text.startsWith('+') ? text.slice(1) : text;
  if (rest === '0') return 0n;
  if (rest === '') return undefined;
  let total = 0n;
  while (rest.length > 0) {
    const m = term.exec(rest);
    if (m === null) return undefined;
    const whole = m[1] ?? '';
    const fraction = m[2] ?? '';
    if (whole === '' && fraction === '') return undefined;
    const unit = unitNanos[m[3] ?? ''];
    if (unit === undefined) return undefined;
    total += BigInt(whole === '' ? '0' : whole) * unit;
    if (fraction !== '') total += (BigInt(fraction) * unit) / 10n ** BigInt(fraction.length);
    rest = rest.slice(m[0].length);
  }
  return total;
}

export function durationFromNanos(nanos: bigint): DurationValue | undefined {
  const seconds = nanos / 1_000_000_000n;
  if (nanos < 0n || seconds > maxEnvoySeconds) return undefined;
  return { seconds: Number(seconds), nanos: Number(nanos % 1_000_000_000n) };
}

export function durationFromMs(ms: number): DurationValue {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

export type TimeoutSetting =
  | { readonly kind: 'default' }
  | { readonly kind: 'disabled' }
  | { readonly kind: 'set'; readonly value: DurationValue }
  | { readonly kind: 'invalid' };

/**
 * Contour's timeout annotations: empty or zero keeps Envoy's default, `infinity`/`infinite` disables
 * the timeout (Envoy 0s), otherwise a Go duration.
 */
export function parseTimeout(text: string): TimeoutSetting {
  const trimmed = text.trim();
  if (trimmed === '') return { kind: 'default' };
  if (trimmed === 'infinity' || trimmed === 'infinite') return { kind: 'disabled' };
  const nanos = parseGoDuration(trimmed);
  if (nanos === undefined) return { kind: 'invalid' };
  if (nanos === 0n) return { kind: 'default' };
  const value = durationFromNanos(nanos);
  return value === undefined ? { kind: 'invalid' } : { kind: 'set', value };
}
