/**
 * The stream pipeline, as named operator factories with the scheduler injected:
 * source batches → {@link ingestBatches} (ingest, dead-letter, commit) → the
 * serialized engine step ({@link PipelineInput}, {@link stepEngine},
 * {@link runEngine}) driven by data and by {@link idleTicks}.
 */
export { idleTicks } from './idleTicks.js';
export { batchBackoffMs, ingestBatches, type BatchResult, type IngestBatchesOptions } from './ingestBatches.js';
export { stepEngine, type PipelineInput } from './pipelineInput.js';
export { runEngine } from './runEngine.js';
