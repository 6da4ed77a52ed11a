import { SpanKind, type Attributes, type Tracer } from '@opentelemetry/api';
import type { DecisionRecord } from '../core/decision.js';
import { decisionOutcome } from './daemonInstruments.js';

/** Span attributes of a decision: its type, outcome, route and identity, event time as ISO text. */
export function decisionAttributes(record: DecisionRecord): Attributes {
  const attributes: Attributes = {
    'promptpilot.decision.type': record.type,
    'promptpilot.decision.outcome': decisionOutcome(record),
    'promptpilot.route': record.route,
    'promptpilot.decision.event_time_ms': record.ts,
  };
  if (record.type === 'trigger') {
    attributes['promptpilot.variant'] = record.variant;
    attributes['promptpilot.rule'] = record.rule;
    attributes['promptpilot.metric'] = record.metric;
    attributes['promptpilot.severity'] = record.severity;
    attributes['promptpilot.value'] = record.value;
    attributes['promptpilot.threshold'] = record.threshold;
  } else if (record.type === 'action') {
    attributes['promptpilot.action.id'] = record.id;
    attributes['promptpilot.action.kind'] = record.kind;
    attributes['promptpilot.rule'] = record.rule;
  } else if (record.type === 'experiment') {
    attributes['promptpilot.experiment.id'] = record.id;
  } else if (record.type === 'policy' && record.experiment !== undefined) {
    attributes['promptpilot.experiment.id'] = record.experiment;
  } else if (record.type === 'trend') {
    attributes['promptpilot.trend.week_start_ms'] = record.week_start;
  }
  return attributes;
}

/**
 * Records one span per decision record through the OpenTelemetry API, from
 * `startTimeMs` (when the engine step that produced it began) to now (when it
 * is in the decision log and queued in the outbox for the sinks). Whether
 * spans leave the process is the tracer provider's business (config
 * `telemetry.otlp.traces_url`); without one the API's tracer is a no-op.
 */
export function recordDecisionSpans(tracer: Tracer, records: readonly DecisionRecord[], startTimeMs: number): void {
  for (const record of records) {
    tracer.startSpan(`promptpilot.decision ${record.type}`, { kind: SpanKind.INTERNAL, startTime: startTimeMs, attributes: decisionAttributes(record) }).end();
  }
}
