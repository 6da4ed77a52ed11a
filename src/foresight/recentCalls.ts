/** Width of one slice of {@link RecentCalls}, ms. */
export const SLICE_MS = 300_000;

/**
 * Calls and failed calls of one route in 5-minute slices of event time over
 * the last `slices` × 5 min: a sliding error-rate window longer than the
 * rolling window, for the rare-event share a few minutes of low traffic
 * cannot show. Fixed memory (a ring of `slices` slots).
 */
export class RecentCalls {
  private readonly starts: Float64Array;
  private readonly calls: Float64Array;
  private readonly errors: Float64Array;

  constructor(private readonly slices: number) {
    this.starts = new Float64Array(slices).fill(-Infinity);
    this.calls = new Float64Array(slices);
    this.errors = new Float64Array(slices);
  }

  /** Adds `weight` calls at `ts` (epoch ms), `failed` of them errors. A call older than the ring is dropped. */
  add(ts: number, weight: number, failed: number): void {
    const slice = Math.floor(ts / SLICE_MS);
    const at = ((slice % this.slices) + this.slices) % this.slices;
    const start = slice * SLICE_MS;
    if (this.starts[at]! !== start) {
      if (this.starts[at]! > start) return;
      this.starts[at] = start;
      this.calls[at] = 0;
      this.errors[at] = 0;
    }
    this.calls[at]! += weight;
    this.errors[at]! += failed;
  }

  /** The slices that hold calls, as `[startMs, calls, errors]` (a checkpoint; {@link add} each to restore). */
  exportState(): [startMs: number, calls: number, errors: number][] {
    const out: [number, number, number][] = [];
    for (let i = 0; i < this.slices; i++) if (this.starts[i]! > -Infinity) out.push([this.starts[i]!, this.calls[i]!, this.errors[i]!]);
    return out.sort((a, b) => a[0] - b[0]);
  }

  /** Calls and errors in slices starting in [fromMs, toMs). */
  totals(fromMs: number, toMs: number): { calls: number; errors: number } {
    let calls = 0;
    let errors = 0;
    for (let i = 0; i < this.slices; i++) {
      const start = this.starts[i]!;
      if (start >= fromMs && start < toMs) {
        calls += this.calls[i]!;
        errors += this.errors[i]!;
      }
    }
    return { calls, errors };
  }
}
