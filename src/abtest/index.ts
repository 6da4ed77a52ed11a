/** Public API of the A/B tester's pure core: assignment, per-arm statistics, anytime-valid decisions, the gate. */
export { assignArm, fnv1a32, hash, HASH_VERSIONS, type ArmName, type HashVersion } from './hash.js';
export { addEvent, createArmStats, mergeArmStats, latencyDistribution, latencyQuantileMs, type ArmEvent, type ArmStats } from './armStats.js';
export { compareArms, COMPARED_METRICS, metricAlpha, toEvidence, type ComparedMetric, type Comparison, type DeltaUnit } from './compare.js';
export { assessGates, assessTriggers, GATE_NAMES, TRIGGER_NAMES, type GateAssessment, type GateName, type GateStatus, type TriggerName } from './guards.js';
export { checkSampleRatio, type SrmCheck } from './srm.js';
export { createTailState, type TailState } from './tail.js';
export {
  addArmEvent,
  createExperimentState,
  evaluateExperiment,
  evidenceOf,
  recordExperimentEvent,
  type EvaluateOptions,
  type ExperimentDecision,
  type ExperimentEvaluation,
  type ExperimentState,
} from './evaluate.js';
export { evaluateGate, GateAccumulator, type GateEvaluation, type GateResult, type GateVerdict } from './gate.js';
