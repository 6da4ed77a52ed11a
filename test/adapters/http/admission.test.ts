import { describe, expect, it } from 'vitest';
import { Admission } from '../../../src/adapters/http/admission.js';

describe('Admission', () => {
  it('admits up to the request bound, refuses past it, and takes slots back exactly once', () => {
    let now = 0;
    const admission = new Admission({ maxInFlightRequests: 2, maxInFlightBytes: 1_000, overloadHoldMs: 1_000 }, () => now);
    const a = admission.tryAdmit(10);
    const b = admission.tryAdmit(10);
    expect(typeof a).toBe('object');
    expect(typeof b).toBe('object');
    expect(admission.tryAdmit(10)).toBe('requests');
    expect(admission.overloaded()).toBe(true);
    if (typeof a === 'string') throw new Error('unreachable');
    a.release();
    a.release();
    expect(admission.stats()).toMatchObject({ inFlightRequests: 1, inFlightBytes: 10, admitted: 2, shed: { requests: 1, bytes: 0, connections: 0 } });
    // still reported overloaded for overloadHoldMs after the last refusal
    expect(admission.overloaded()).toBe(true);
    now = 1_000;
    expect(admission.overloaded()).toBe(false);
  });

  it('bounds declared bytes in flight, but a lone request larger than the budget still gets in', () => {
    const admission = new Admission({ maxInFlightRequests: 10, maxInFlightBytes: 100, overloadHoldMs: 0 });
    const big = admission.tryAdmit(500);
    expect(typeof big).toBe('object');
    expect(admission.tryAdmit(1)).toBe('bytes');
    if (typeof big !== 'string') big.release();
    expect(typeof admission.tryAdmit(60)).toBe('object');
    expect(admission.tryAdmit(60)).toBe('bytes');
    expect(typeof admission.tryAdmit(40)).toBe('object');
    expect(typeof admission.tryAdmit(Number.NaN)).toBe('object');
  });

  it('refuses ingest while the pipeline says its queue is full, and reports overloaded meanwhile', () => {
    let full = true;
    const admission = new Admission({ maxInFlightRequests: 10, maxInFlightBytes: 1_000, overloadHoldMs: 0 }, () => 0, () => 0, () => full);
    expect(admission.tryAdmit(10)).toBe('queue');
    expect(admission.overloaded()).toBe(true);
    expect(admission.stats().shed.queue).toBe(1);
    full = false;
    expect(typeof admission.tryAdmit(10)).toBe('object');
    expect(admission.overloaded()).toBe(false);
  });
});
