import { map, type OperatorFunction } from 'rxjs';
import type { DecisionRecord } from '../core/decision.js';
import type { PipelineEngine } from '../engine/engine.js';
import { stepEngine, type PipelineInput } from './pipelineInput.js';

/**
 * The streaming core as an operator: inputs in, one array of decision records
 * per input out (often empty). The engine is synchronous, so order in equals
 * order out.
 */
export function runEngine(engine: PipelineEngine): OperatorFunction<PipelineInput, DecisionRecord[]> {
  return map((input) => stepEngine(engine, input));
}
