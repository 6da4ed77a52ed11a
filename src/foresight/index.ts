export { Foresight } from './foresight.js';
export { HistoryRecorder } from './historyRecorder.js';
export type { HistoryStore } from './historyStore.js';
export { DAY_MS, HOUR_MS, WEEK_MS, SPEND_SHARES, hourMetric, hourSpendUsd, mergeHours, spendShareOf, type HourlyRollup, type SpendShare, type SpendUsd } from './hourlyRollup.js';
export { MemoryHistoryStore, type HistoryLimits } from './memoryHistoryStore.js';
