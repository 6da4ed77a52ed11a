import type { Assignment } from '../abtest/experimentManager.js';
import type { Config } from '../config/schema.js';
import type { TelemetryEvent } from '../core/event.js';
import type { Pattern } from '../core/patterns.js';
import { PipelineEngine } from '../engine/engine.js';
import { createSimulator } from './simulator.js';
import type { ServeDecision, ServeRequest } from './simulator.js';

/**
 * What a simulated app serves for a call, following the daemon's assignment
 * as a real app following `GET /v1/assign` would: the assigned variant and
 * pattern, its tier and max tokens, a compressed template's token saving.
 */
export function serveAssignment(assignment: Assignment | null, request: ServeRequest): ServeDecision | undefined {
  if (assignment === null) return undefined;
  const params = assignment.params ?? {};
  const saving = typeof params['token_saving_pct'] === 'number' ? params['token_saving_pct'] : 0;
  const maxTokens = typeof params['max_tokens'] === 'number' ? params['max_tokens'] : undefined;
  const tier = typeof params['tier'] === 'string' ? params['tier'] : undefined;
  return {
    variant: assignment.variant,
    pattern: (assignment.pattern as Pattern | null) ?? request.current.pattern,
    ...(saving > 0 ? { inputTokenFactor: 1 - saving / 100 } : {}),
    ...(maxTokens !== undefined ? { maxOutputTokens: maxTokens } : {}),
    ...(tier !== undefined ? { tier } : {}),
    ...(assignment.experiment !== undefined ? { experiment: assignment.experiment } : {}),
    ...(assignment.arm !== undefined ? { arm: assignment.arm } : {}),
  };
}

/**
 * Records a closed-loop run without a daemon: the configured simulator's
 * traffic over [startMs, startMs + durationMs] of event time, each call
 * served as an engine fed with the earlier calls assigns it (experiments get
 * their arms, promotions take effect). Deterministic: the same config, start
 * and duration give the same events — sample files for replay and report.
 */
export function recordClosedLoop(config: Config, startMs: number, durationMs: number, stepMs = 1_000): TelemetryEvent[] {
  const engine = new PipelineEngine(config);
  const simulator = createSimulator(config.simulator, startMs, { serve: (request) => serveAssignment(engine.experiments.assign(request.route, request.unit), request) });
  const out: TelemetryEvent[] = [];
  for (let t = startMs + stepMs; t <= startMs + durationMs; t += stepMs) {
    const batch = simulator.eventsUntil(t);
    engine.ingest(batch);
    for (const event of batch) out.push(event);
  }
  return out;
}
