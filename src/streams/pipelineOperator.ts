/**
 * The former home of the engine-step operators, kept so branches in flight
 * still compile; import from `streams/index.js` (or the named files) instead.
 */
export { idleTicks } from './idleTicks.js';
export { stepEngine, type PipelineInput } from './pipelineInput.js';
export { runEngine } from './runEngine.js';
