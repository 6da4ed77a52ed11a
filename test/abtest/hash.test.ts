import { describe, expect, it } from 'vitest';
import { assignArm, fnv1a32, hash } from '../../src/abtest/hash.js';

describe('fnv1a32', () => {
  it.each([
    ['', 2166136261],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('matches the FNV-1a 32 reference vector for %j', (text, expected) => {
    expect(fnv1a32(text)).toBe(expected);
  });
});

describe('hash version 1 (frozen forever: these fixtures must never change)', () => {
  it.each([
    ['', '', 0.2305],
    ['a', '1', 0.8633],
    ['exp-1', 'user-42', 0.7191],
    ['route:checkout#3', 'u', 0.3438],
    ['salt', '日本', 0.2083],
    ['x', 'y'.repeat(50), 0.3152],
  ])('hash(%j, %j) = %d', (seed, value, expected) => {
    expect(hash(seed, value, 1)).toBe(expected);
  });

  it('returns null for an unknown version instead of guessing', () => {
    expect(hash('s', 'u', 2)).toBeNull();
  });
});

describe('assignArm', () => {
  const units = Array.from({ length: 5000 }, (_, i) => `unit-${i}`);

  it('splits traffic close to the candidate share', () => {
    const share = units.filter((u) => assignArm('exp-7', u, 0.25) === 'candidate').length / units.length;
    expect(share).toBeGreaterThan(0.23);
    expect(share).toBeLessThan(0.27);
  });

  it('is sticky under ramp-up: candidates at 10 % stay candidates at 25 % and 50 %', () => {
    for (const unit of units) {
      if (assignArm('exp-7', unit, 0.1) === 'candidate') {
        expect(assignArm('exp-7', unit, 0.25)).toBe('candidate');
        expect(assignArm('exp-7', unit, 0.5)).toBe('candidate');
      }
    }
  });

  it('is deterministic per (salt, unit) and differs across salts', () => {
    const a = units.map((u) => assignArm('exp-a', u, 0.5));
    expect(units.map((u) => assignArm('exp-a', u, 0.5))).toEqual(a);
    const b = units.map((u) => assignArm('exp-b', u, 0.5));
    const agree = a.filter((arm, i) => arm === b[i]).length / units.length;
    expect(agree).toBeGreaterThan(0.45);
    expect(agree).toBeLessThan(0.55);
  });

  it('treats shares outside [0, 1] as the nearest bound', () => {
    expect(assignArm('s', 'u', 0)).toBe('baseline');
    expect(assignArm('s', 'u', 1)).toBe('candidate');
    expect(assignArm('s', 'u', -3)).toBe('baseline');
    expect(assignArm('s', 'u', Number.NaN)).toBe('baseline');
  });
});
