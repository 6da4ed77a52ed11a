export { describeDecision, fmt } from './describeDecision.js';
export { classifyResponse, nextStep, parseRetryAfterMs, RateLimiter, retryDelayMs, type DeliveryFailure, type DeliveryOutcome, type DeliveryStep } from './deliveryPolicy.js';
export { evidenceLines } from './evidenceLines.js';
export { groupKey, recordKey } from './idempotencyKey.js';
export { alertmanagerAlert, alertmanagerBody, EVENT_ALERT_MS, slackBody, webhookBody, type AlertmanagerAlert } from './messageBodies.js';
export { alertNameOf, routeOf, severityOf, variantOf, type NotifiableRecord } from './notifiable.js';
export { ALERTMANAGER_REPEAT_MS, NotifyPlanner, repeatIntervalMs, type PlannedMessage } from './notifyPlanner.js';
export { receiverMatches } from './receiverMatch.js';
export { signatureHeader, verifySignature } from './signature.js';
