import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseGoDuration, parseTimeout } from '../../../src/translate/duration.js';

describe('Go durations', () => {
  it('parses the unit forms Contour accepts', () => {
    expect(parseGoDuration('30s')).toBe(30_000_000_000n);
    expect(parseGoDuration('1h2m3.5s')).toBe(3_723_500_000_000n);
    expect(parseGoDuration('500ms')).toBe(500_000_000n);
    expect(parseGoDuration('1.5us')).toBe(1_500n);
    expect(parseGoDuration('0')).toBe(0n);
    expect(parseGoDuration('.5s')).toBe(500_000_000n);
  });

  it('rejects what Go rejects', () => {
    for (const text of ['', '5', 's', '1x', '-1s', '1s2', 'abc', '1.2.3s', '. s'])
      expect(parseGoDuration(text), text).toBeUndefined();
  });

  it('maps annotation values to Envoy timeouts', () => {
    expect(parseTimeout('')).toEqual({ kind: 'default' });
    expect(parseTimeout('0s')).toEqual({ kind: 'default' });
    expect(parseTimeout('infinity')).toEqual({ kind: 'disabled' });
    expect(parseTimeout('infinite')).toEqual({ kind: 'disabled' });
    expect(parseTimeout('1m30s')).toEqual({ kind: 'set', value: { seconds: 90, nanos: 0 } });
    expect(parseTimeout('250ms')).toEqual({ kind: 'set', value: { seconds: 0, nanos: 250_000_000 } });
    expect(parseTimeout('nope')).toEqual({ kind: 'invalid' });
    expect(parseTimeout('9999999999h')).toEqual({ kind: 'invalid' });
  });

  it('round-trips whole seconds and milliseconds exactly', () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000_000 }), fc.nat({ max: 999 }), (s, ms) => {
        expect(parseGoDuration(`${s}s${ms}ms`)).toBe(BigInt(s) * 1_000_000_000n + BigInt(ms) * 1_000_000n);
      }),
    );
  });
});
