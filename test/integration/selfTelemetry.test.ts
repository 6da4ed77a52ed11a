import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRequestJson } from '../../src/codecs/otlp/otlpProtobuf.js';
import { asRecord, int64Difference, listField, readAnyValue } from '../../src/codecs/otlp/otlpValues.js';
import { MemoryDecisionLog } from '../../src/adapters/memory/memoryDecisionLog.js';
import type { DecisionRecord } from '../../src/core/decision.js';
import type { Daemon } from '../../src/daemon.js';
import type { LoggedDecision } from '../../src/ports/ports.js';
import { postJson, startTestDaemon } from '../helpers/daemon.js';
import { promtoolCheckMetrics, startPrometheus, type PrometheusServer } from './harness/index.js';

const now = Date.now();

/** 4,000 calls of a slow chain-of-thought route: response-time triggers fire. */
function slowRoute(): object[] {
  const start = now - 3 * 3_600_000;
  return Array.from({ length: 4000 }, (_, i) => ({ ts: start + i * 500, route: 'slow', variant: 'cot', pattern: 'chain_of_thought', latency_ms: 3500 + (i % 10) * 10 }));
}

describe('self-telemetry scraped by a real Prometheus', () => {
  let daemon: Daemon;
  let prometheus: PrometheusServer;

  beforeAll(async () => {
    ({ daemon } = await startTestDaemon());
    prometheus = await startPrometheus([`127.0.0.1:${daemon.port}`]);
  }, 30_000);
  afterAll(async () => {
    await prometheus?.stop();
    await daemon?.stop();
  });

  it('Prometheus reads promptpilot series back through its query API', async () => {
    const first = await postJson(`${daemon.url}/v1/events`, slowRoute());
    expect(first.json).toMatchObject({ accepted: 4000, rejected: 0 });
    const bad = await postJson(`${daemon.url}/v1/events`, [{ ts: now, route: 'slow', variant: 'cot', latency_ms: -1 }, { ts: now, route: 'slow' }]);
    expect(bad.json.rejected).toBe(2);

    const up = await prometheus.waitFor('up{job="promptpilot"} == 1');
    expect(up).toHaveLength(1);
    const accepted = await prometheus.waitFor('promptpilot_events_accepted_total{source="http"} >= 4000');
    expect(accepted[0]?.value).toBe(4000);
    const schema = await prometheus.waitFor('promptpilot_events_rejected_total{source="http",reason="schema"}');
    expect(schema[0]?.value).toBe(2);
    const p95 = await prometheus.waitFor('promptpilot_route_latency_p95_seconds{route="slow",variant="cot"}');
    expect(p95[0]?.value).toBeGreaterThan(3.5);
    expect(p95[0]?.value).toBeLessThan(3.7);
    const firing = await prometheus.waitFor('promptpilot_decisions_total{type="trigger",outcome="firing"}');
    expect(firing[0]?.value).toBeGreaterThan(0);
    const rss = await prometheus.waitFor('process_resident_memory_bytes');
    expect(rss[0]?.value).toBeGreaterThan(10 * 1024 * 1024);
  }, 60_000);

  it('the exposition passes promtool check metrics', async () => {
    const res = await fetch(`${daemon.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^promptpilot_events_accepted_total\{source="http"\} \d+$/m);
    expect(text).toMatch(/^nodejs_eventloop_delay_p99_seconds /m);
    expect(promtoolCheckMetrics(text)).toEqual({ status: 0, output: '' });
    // The linter itself is live: an abbreviated unit (the old *_ms names) fails it.
    expect(promtoolCheckMetrics('# HELP x_latency_ms x\n# TYPE x_latency_ms gauge\nx_latency_ms 1\n').status).not.toBe(0);
  });
});

describe('optional OTLP export of self-metrics and decision spans', () => {
  let collector: FastifyInstance;
  const bodies: { path: string; body: unknown }[] = [];

  beforeAll(async () => {
    collector = Fastify({ logger: false });
    collector.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    for (const path of ['/v1/traces', '/v1/metrics']) {
      collector.post(path, async (request) => {
        const decoded = decodeRequestJson(request.body as Buffer, path === '/v1/traces' ? 'resourceSpans' : 'resourceMetrics');
        if (decoded.ok) bodies.push({ path, body: decoded.request });
        return {};
      });
    }
    await collector.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await collector.close();
  });

  it('pushes metrics and one span per decision to the configured OTLP endpoints', async () => {
    const address = collector.server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    // A decision log that takes 50 ms per append: a decision's span runs from its engine step until it is
    // recorded (logged and queued for the sinks, which deliver off the critical path).
    const slowLog = new (class extends MemoryDecisionLog {
      override async append(records: readonly DecisionRecord[]): Promise<readonly LoggedDecision[]> {
        await new Promise<void>((resolve) => setTimeout(resolve, 50));
        return super.append(records);
      }
    })();
    const { daemon } = await startTestDaemon({ telemetry: { otlp: { metrics_url: `${base}/v1/metrics`, traces_url: `${base}/v1/traces`, interval: '200ms' } } }, { decisionLog: slowLog });
    try {
      await postJson(`${daemon.url}/v1/events`, slowRoute());
    } finally {
      await daemon.stop(); // flushes both exporters
    }
    const spans = bodies
      .filter((b) => b.path === '/v1/traces')
      .flatMap((b) => listField(asRecord(b.body), 'resourceSpans'))
      .flatMap((rs) => listField(asRecord(rs), 'scopeSpans'))
      .flatMap((ss) => listField(asRecord(ss), 'spans'))
      .map((s) => asRecord(s)!);
    const attribute = (span: Record<string, unknown>, key: string): unknown => {
      const kv = listField(span, 'attributes').map(asRecord).find((a) => a?.['key'] === key);
      const value = readAnyValue(kv?.['value']);
      return value.kind === 'absent' ? undefined : value.value;
    };
    const triggers = spans.filter((s) => s['name'] === 'promptpilot.decision trigger');
    expect(triggers.length).toBeGreaterThan(0);
    expect(attribute(triggers[0]!, 'promptpilot.route')).toBe('slow');
    expect(attribute(triggers[0]!, 'promptpilot.decision.outcome')).toBe('firing');
    expect(spans.some((s) => s['name'] === 'promptpilot.decision action')).toBe(true);
    for (const span of triggers) expect(int64Difference(span['endTimeUnixNano'], span['startTimeUnixNano']) / 1e6).toBeGreaterThanOrEqual(45);
    const names = new Set(
      bodies
        .filter((b) => b.path === '/v1/metrics')
        .flatMap((b) => listField(asRecord(b.body), 'resourceMetrics'))
        .flatMap((rm) => listField(asRecord(rm), 'scopeMetrics'))
        .flatMap((sm) => listField(asRecord(sm), 'metrics'))
        .map((m) => asRecord(m)?.['name']),
    );
    for (const name of ['promptpilot_events_accepted', 'promptpilot_decisions', 'promptpilot_route_latency_p95_seconds', 'process_resident_memory_bytes']) expect(names).toContain(name);
  }, 30_000);
});
