export { createSimulator } from './simulator.js';
export { recordClosedLoop, serveAssignment } from './closedLoop.js';
export type { Serving, ServeDecision, ServeRequest, Simulator, SimulatorOptions } from './simulator.js';
export { simulateCall } from './simulateCall.js';
export type { CallConditions, SimulatedCall, TokenPrice } from './simulateCall.js';
export { PATTERN_PROFILES, BASE_ERROR_RATE } from './patternProfiles.js';
export type { PatternProfile } from './patternProfiles.js';
export { mulberry32, deriveSeed, normal, exponential } from './random.js';
export type { Rng } from './random.js';
