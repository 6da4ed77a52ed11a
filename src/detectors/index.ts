/** Trigger detection: metric lookup, thresholds, baselines, rule state machines, the per-route detector. */
export { RouteDetector, type DetectorMemory, type RouteDetectorState, type RuleStatus, type VariantDetectorState } from './routeDetector.js';
export { detect, type Detection } from './detect.js';
export { metricSamples, metricValue } from './metricValue.js';
export { resolveThreshold, type ResolvedThreshold, type ThresholdContext } from './threshold.js';
export { baselineReady, freezeBaseline, updateBaseline, type BaselineObservation, type BaselineState } from './baseline.js';
export { INACTIVE, stepRule, type RuleState, type RuleStep, type RuleTiming, type RuleTransition } from './ruleState.js';
