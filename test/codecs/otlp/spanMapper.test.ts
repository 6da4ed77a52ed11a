import { describe, expect, it } from 'vitest';
import { validateEvent } from '../../../src/core/event.js';
import { SpanMapper } from '../../../src/codecs/otlp/spanMapper.js';
import { decodeTraceRequestProto, otlpTypes } from '../../../src/codecs/otlp/otlpProtobuf.js';
import { endTimeMs, span, testConfig, traceRequest } from './otlpFixtures.js';

const mapper = new SpanMapper({ attributes: testConfig().otlp.attributes });

describe('SpanMapper dialects', () => {
  it('maps GenAI semantic conventions plus promptpilot.* attributes', () => {
    const out = mapper.map(traceRequest([
      span(
        {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.response.model': 'gpt-4o-2024-08-06',
          'gen_ai.usage.input_tokens': 120,
          'gen_ai.usage.output_tokens': 45,
          'promptpilot.route': 'summarize',
          'promptpilot.variant': 'v2',
          'promptpilot.pattern': 'few_shot',
          'promptpilot.quality': 0.8,
          'promptpilot.correct': 'true',
          'promptpilot.consistent': false,
          'promptpilot.satisfaction': { int: '1' },
          'promptpilot.experiment': 'exp-1',
          'promptpilot.arm': 'candidate',
          'promptpilot.unit': 'user-7',
          'promptpilot.tier': 'premium',
        },
        { latencyMs: 123.456, endMs: 5000 },
      ),
    ]));
    expect(out).toMatchObject({ spans: 1, skipped: 0, rejected: [] });
    expect(out.events).toEqual([
      {
        ts: endTimeMs(5000),
        route: 'summarize',
        variant: 'v2',
        pattern: 'few_shot',
        latencyMs: 123.456,
        inputTokens: 120,
        outputTokens: 45,
        model: 'gpt-4o-2024-08-06',
        quality: 0.8,
        correct: true,
        consistent: false,
        satisfaction: 1,
        isError: false,
        experiment: 'exp-1',
        arm: 'candidate',
        unit: 'user-7',
        tier: 'premium',
      },
    ]);
  });

  it('takes route and variant from gen_ai.prompt.name / gen_ai.prompt.version', () => {
    const out = mapper.map(traceRequest([span({ 'gen_ai.prompt.name': 'classify', 'gen_ai.prompt.version': 4, 'gen_ai.request.model': 'gpt-4o-mini' })]));
    expect(out.events[0]).toMatchObject({ route: 'classify', variant: '4', model: 'gpt-4o-mini' });
  });

  it('maps OpenInference token counts, cost, template version and model; route from a resource attribute', () => {
    const out = mapper.map(traceRequest(
      [span({ 'llm.model_name': 'claude-3-5-haiku', 'llm.token_count.prompt': 300, 'llm.token_count.completion': 20, 'llm.cost.total': 0.0012, 'llm.prompt_template.version': 'tmpl-3' })],
      { 'service.name': 'app', 'promptpilot.route': 'qa' },
    ));
    expect(out.events[0]).toMatchObject({ route: 'qa', variant: 'tmpl-3', model: 'claude-3-5-haiku', inputTokens: 300, outputTokens: 20, costUsd: 0.0012 });
  });

  it('maps Langfuse prompt name and numeric version', () => {
    const out = mapper.map(traceRequest([span({ 'langfuse.observation.prompt.name': 'support-reply', 'langfuse.observation.prompt.version': 7 })]));
    expect(out.events[0]).toMatchObject({ route: 'support-reply', variant: '7' });
  });

  it('maps OpenLLMetry entity name and prompt version', () => {
    const out = mapper.map(traceRequest([span({ 'traceloop.entity.name': 'extract', 'traceloop.prompt.version': 2, 'gen_ai.usage.prompt_tokens': 10, 'gen_ai.usage.completion_tokens': 5 })]));
    expect(out.events[0]).toMatchObject({ route: 'extract', variant: '2', inputTokens: 10, outputTokens: 5 });
  });

  it('prefers the attribute listed first, and span attributes over resource ones', () => {
    const out = mapper.map(traceRequest(
      [span({ 'gen_ai.prompt.name': 'second', 'promptpilot.route': 'first', 'promptpilot.variant': 'span-v' })],
      { 'promptpilot.variant': 'resource-v' },
    ));
    expect(out.events[0]).toMatchObject({ route: 'first', variant: 'span-v' });
  });

  it('uses configured attribute names, so a new dialect needs no code change', () => {
    const custom = new SpanMapper({
      attributes: testConfig({ otlp: { attributes: { route: ['acme.prompt.id'], variant: ['acme.prompt.rev'], quality: ['acme.eval.score'] } } }).otlp.attributes,
    });
    const out = custom.map(traceRequest([
      span({ 'acme.prompt.id': 'triage', 'acme.prompt.rev': 'r9', 'acme.eval.score': 0.5 }),
      span({ 'promptpilot.route': 'not-configured-any-more' }),
    ]));
    expect(out.events).toHaveLength(1);
    expect(out.events[0]).toMatchObject({ route: 'triage', variant: 'r9', quality: 0.5 });
    expect(out.skipped).toBe(1);
  });

  it('falls back to the route\'s configured current variant, else "default"', () => {
    const withCurrent = new SpanMapper({
      attributes: testConfig().otlp.attributes,
      defaultVariant: (route) => (route === 'known' ? 'prod-v3' : 'default'),
    });
    const out = withCurrent.map(traceRequest([span({ 'promptpilot.route': 'known' }), span({ 'promptpilot.route': 'other' })]));
    expect(out.events.map((e) => e.variant)).toEqual(['prod-v3', 'default']);
  });
});

describe('SpanMapper errors and bad spans', () => {
  it('marks status ERROR and error.type as errors, keeping the error type', () => {
    const out = mapper.map(traceRequest([
      span({ 'promptpilot.route': 'r' }, { status: 2 }),
      span({ 'promptpilot.route': 'r', 'error.type': 'rate_limited' }),
      span({ 'promptpilot.route': 'r' }, { status: 1 }),
    ]));
    expect(out.events.map((e) => [e.isError, e.errorType])).toEqual([[true, undefined], [true, 'rate_limited'], [false, undefined]]);
  });

  it('reads stage timings from promptpilot.stage_ms.<stage> attributes; a bad one rejects the span naming the field', () => {
    const out = mapper.map(traceRequest([
      span({ 'promptpilot.route': 'r', 'promptpilot.stage_ms.model_inference': 2100, 'promptpilot.stage_ms.post_processing': { int: '40' } }),
      span({ 'promptpilot.route': 'r', 'promptpilot.stage_ms.model_inference': 'slow' }),
      span({ 'promptpilot.route': 'r' }),
    ]));
    expect(out.events.map((e) => e.stageMs)).toEqual([{ model_inference: 2100, post_processing: 40 }, undefined]);
    expect(out.rejected.map((r) => [r.index, r.field])).toEqual([[1, 'stage_ms.model_inference']]);
  });

  it('skips spans without a route (counted, not errors), including non-GenAI spans of a routed service', () => {
    const out = mapper.map(traceRequest(
      [span({ 'http.method': 'GET' }), span({ 'gen_ai.operation.name': 'chat' })],
      { 'promptpilot.route': 'svc-route' },
    ));
    expect(out).toMatchObject({ spans: 2, skipped: 1, rejected: [] });
    expect(out.events[0]?.route).toBe('svc-route');
    expect(mapper.map(traceRequest([span({ 'http.method': 'GET' })], {}))).toMatchObject({ spans: 1, skipped: 1, events: [] });
  });

  it('rejects invalid spans with the same reason a wire event gets, and keeps the rest', () => {
    const out = mapper.map(traceRequest([
      span({ 'promptpilot.route': 'r', 'promptpilot.quality': 1.5 }),
      span({ 'promptpilot.route': 'r' }, { latencyMs: 50 }),
      span({ 'promptpilot.route': 'r', 'promptpilot.pattern': 'vibes' }),
      span({ 'promptpilot.route': 'r', 'promptpilot.correct': 'maybe' }),
      span({ 'promptpilot.route': 'r', 'gen_ai.usage.input_tokens': 1.5 }),
      span({ 'promptpilot.route': 'r' }, { latencyMs: -5 }),
    ]));
    expect(out.events).toHaveLength(1);
    expect(out.rejected.map((r) => [r.index, r.field])).toEqual([[0, 'quality'], [2, 'pattern'], [3, 'correct'], [4, 'input_tokens'], [5, 'latency_ms']]);
    const wire = validateEvent({ ts: 1, route: 'r', variant: 'v', latency_ms: 1, quality: 1.5 });
    expect(wire.ok).toBe(false);
    if (!wire.ok) expect(out.rejected[0]?.message).toBe(wire.error.message);
  });

  it('rejects an LLM span whose start or end time is missing, 0 (unset in protobuf) or not an integer, naming the OTLP field', () => {
    const timed = (times: Record<string, unknown>) => ({ ...span({ 'promptpilot.route': 'r' }), ...times });
    const out = mapper.map(traceRequest([
      timed({ startTimeUnixNano: undefined }),
      timed({ endTimeUnixNano: 'abc' }),
      timed({ startTimeUnixNano: '0', endTimeUnixNano: '0' }),
      timed({ startTimeUnixNano: 0 }),
      span({ 'promptpilot.route': 'r' }),
    ]));
    // It was a NaN latency_ms for the first two and, for the third, a call of 0 ms counted in January 1970.
    expect(out.rejected.map((r) => [r.index, r.field, r.message])).toEqual([
      [0, 'startTimeUnixNano', 'required field is missing'],
      [1, 'endTimeUnixNano', 'expected nanoseconds since the epoch, an integer or a string of one, got "abc"'],
      [2, 'startTimeUnixNano', 'is 0, the time of an unset field: the span has no time'],
      [3, 'startTimeUnixNano', 'is 0, the time of an unset field: the span has no time'],
    ]);
    expect(out.events).toHaveLength(1);
  });

  it('never throws on structurally broken input', () => {
    const broken = [null, 42, 'x', { resourceSpans: 'no' }, { resourceSpans: [null, { scopeSpans: [{ spans: [null, 7, { attributes: 'bad' }] }] }] }];
    for (const request of broken) expect(() => mapper.map(request)).not.toThrow();
    const out = mapper.map(broken[4]);
    expect(out.spans).toBe(3);
    expect(out.rejected.map((r) => r.field)).toEqual(['(span)', '(span)']);
  });
});

describe('SpanMapper over protobuf', () => {
  it('maps a protobuf-decoded request exactly like its OTLP/JSON form (64-bit times exact)', () => {
    const json = traceRequest([
      span({ 'promptpilot.route': 'r', 'gen_ai.usage.input_tokens': 7, 'promptpilot.quality': 0.25 }, { latencyMs: 987.654321, endMs: 123_456.789 }),
    ]);
    const type = otlpTypes().traceRequest;
    const binary = type.encode(type.fromObject(json)).finish();
    const decoded = decodeTraceRequestProto(binary);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    const fromProto = mapper.map(decoded.request);
    expect(fromProto.events).toEqual(mapper.map(json).events);
    expect(fromProto.events[0]?.latencyMs).toBe(987.654321);
  });
});
