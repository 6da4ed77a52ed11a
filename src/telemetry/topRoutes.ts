/** A route's traffic, as ranked for export. */
export interface RouteTraffic {
  readonly route: string;
  /** Calls in the closed rolling window. */
  readonly calls: number;
  /** The route's event-time watermark, epoch ms. */
  readonly watermarkMs: number;
}

/** True when `a` ranks below `b`: fewer calls, or equal calls and a later name (deterministic ties). */
function below(a: RouteTraffic, b: RouteTraffic): boolean {
  return a.calls < b.calls || (a.calls === b.calls && a.route > b.route);
}

/**
 * Keeps the `k` busiest routes seen through {@link offer} in O(log k) per
 * offer (a bounded min-heap), so ranking a million routes costs one pass.
 * {@link result} lists them busiest first, ties by route name.
 */
export class TopRoutes {
  private readonly heap: RouteTraffic[] = [];

  constructor(private readonly k: number) {}

  /** Considers one route. */
  offer(route: string, calls: number, watermarkMs = 0): void {
    if (this.k <= 0) return;
    const heap = this.heap;
    if (heap.length < this.k) {
      heap.push({ route, calls, watermarkMs });
      this.up(heap.length - 1);
      return;
    }
    const least = heap[0]!;
    if (calls < least.calls || (calls === least.calls && route > least.route)) return;
    heap[0] = { route, calls, watermarkMs };
    this.down(0);
  }

  /** The kept routes, busiest first. */
  result(): RouteTraffic[] {
    return [...this.heap].sort((a, b) => (below(a, b) ? 1 : below(b, a) ? -1 : 0));
  }

  private up(i: number): void {
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!below(heap[i]!, heap[parent]!)) return;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private down(i: number): void {
    const heap = this.heap;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < heap.length && below(heap[left]!, heap[least]!)) least = left;
      if (right < heap.length && below(heap[right]!, heap[least]!)) least = right;
      if (least === i) return;
      [heap[i], heap[least]] = [heap[least]!, heap[i]!];
      i = least;
    }
  }
}
