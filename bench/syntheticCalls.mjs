// The pipeline benchmarks' synthetic traffic: deterministic NDJSON chunks of LLM calls spread round-robin over
// `routes` routes and `variants` variants per route, at `eventsPerSecond` of event time. Chunk k holds events
// k*size .. (k+1)*size-1, so any chunk can be made alone and the same numbering gives the same bytes.
import { mulberry32 } from '../dist/sim/random.js';

const PATTERNS = ['zero_shot', 'few_shot', 'chain_of_thought', 'tree_of_thought', 'self_consistency'];
/** Event time of event 0. */
export const T0 = Date.parse('2026-01-05T00:00:00Z');

/** @returns a function making chunk k of `size` events as NDJSON text. */
export function syntheticCalls({ routes, variants, eventsPerSecond, rng = mulberry32 }) {
  return function chunk(k, size) {
    const r = rng(1000 + k);
    const lines = new Array(size);
    for (let i = 0; i < size; i++) {
      const n = k * size + i;
      const route = n % routes;
      const latency = Math.round(800 * Math.exp(0.4 * (r() + r() + r() - 1.5)) * (1 + (route % 7) / 3));
      lines[i] = JSON.stringify({
        ts: T0 + Math.floor((n * 1000) / eventsPerSecond),
        route: `route-${route}`, variant: `v${Math.floor(n / routes) % variants}`, pattern: PATTERNS[route % PATTERNS.length],
        latency_ms: latency, input_tokens: 300 + Math.floor(r() * 400), output_tokens: 100 + Math.floor(r() * 200),
        model: 'gpt-4o-mini', quality: Math.round((0.7 + r() * 0.3) * 100) / 100, correct: r() < 0.93,
      });
    }
    return lines.join('\n') + '\n';
  };
}
