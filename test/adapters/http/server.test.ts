import { describe, expect, it } from 'vitest';
import { buildHttpServer } from '../../../src/adapters/http/server.js';
import { MemoryDecisionLog } from '../../../src/adapters/memory/memoryDecisionLog.js';
import { DecisionHistory } from '../../../src/app/decisionHistory.js';
import { parseConfig } from '../../../src/config/load.js';
import { formatRecord, type TriggerRecord } from '../../../src/core/decision.js';
import { variantStatsView } from '../../../src/app/routeQuery.js';
import type { WindowStats } from '../../../src/windows/windowStats.js';

const stats: WindowStats = {
  route: 'r', variant: 'v', pattern: 'few_shot', windowStartMs: 0, windowEndMs: 300_000,
  count: 3, errorCount: 1, latencyMs: { p50: 1234.56789012345678, p95: 2000.0000000001, p99: 2500.123456789012 },
  meanLatencyMs: 1500, errorRate: 1 / 3, costPerTaskUsd: 0.1 + 0.2, totalCostUsd: 0.6, tokensPerRequest: 400 / 3,
  tokensPerQualityPoint: 2 / 3, meanQuality: 0.9, qualityCount: 3, accuracy: 2 / 3, accuracyCount: 3,
  consistency: null, consistencyCount: 0, satisfaction: 0.7, satisfactionCount: 3,
};

const trigger: TriggerRecord = {
  type: 'trigger', ts: 300_000, route: 'r', variant: 'v', rule: 'accuracy_drop', metric: 'accuracy', value: 2 / 3, threshold: 0.9,
  severity: 'warning', state: 'firing',
  evidence: { window_ms: 300_000, window_start: 0, window_end: 300_000, samples: 3, threshold_from: { kind: 'absolute' }, held_ms: 0, ci: [0.1 + 0.2, 1 / 7] },
};

const view = {
  route: 'r', watermark: 300_000, targets: parseConfig({}).targets, serving: null, variants: [variantStatsView(stats)],
  rules: [], active: [], experiment: null, blocked: null,
};

async function server() {
  const decisions = new MemoryDecisionLog();
  await decisions.append([trigger]);
  return buildHttpServer(parseConfig({}), {
    ingestor: { submit: async () => ({ accepted: 0, rejected: 0, errors: [] }) },
    decisions: new DecisionHistory(decisions),
    routes: {
      describe: (route) => (route === 'r' ? view : null),
      describeAll: () => [view],
      seriesOf: () => null,
      historyOf: () => null,
      variantHistoryOf: () => null,
    },
    readiness: () => ({ ready: true }),
    metricsText: async () => '',
  });
}

describe('HTTP API numbers', () => {
  it('route statistics are rounded to 12 significant digits, like replay records', async () => {
    const app = await server();
    const res = await app.inject({ method: 'GET', url: '/v1/routes/r' });
    expect(res.body).toContain('"error_rate":0.333333333333,');
    expect(res.body).toContain('"cost_per_task_usd":0.3,');
    expect(res.body).toContain('"p50":1234.56789012,');
    expect(res.body).toContain('"p95":2000,');
    expect(res.body).toContain('"consistency":null');
    const all = await app.inject({ method: 'GET', url: '/v1/routes' });
    expect(all.body).toContain('"tokens_per_request":133.333333333');
    await app.close();
  });

  it('the decision log answers with the same bytes replay writes, in JSON and NDJSON', async () => {
    const app = await server();
    const json = await app.inject({ method: 'GET', url: '/v1/decisions' });
    expect(json.body).toContain(formatRecord(trigger));
    expect(json.body).toContain('"ci":[0.3,0.142857142857]');
    const ndjson = await app.inject({ method: 'GET', url: '/v1/decisions', headers: { accept: 'application/x-ndjson' } });
    expect(ndjson.body).toBe(`${formatRecord(trigger)}\n`);
    await app.close();
  });
});

describe('route views with server.protect_templates', () => {
  const experiment = {
    id: 'exp-1', route: 'r', kind: 'token_optimization', action_id: 'act-1', status: 'running', started_at: 0, deadline: 86_400_000, ended_at: null,
    baseline: { variant: 'v' }, candidate: { variant: 'v~compressed' }, share: 0.1, ramp: [[0, 0.1]], salt: 's', hash_version: 1, reason: null,
    n: [0, 0], evidence: {}, srm: null, candidate_params: { tier: 'standard', template: 'Secret prompt: answer {{q}}' },
    template_tokens: { baseline: 9, candidate: 7 }, paused: null,
  } as const;
  const withExperiment = { ...view, experiment };
  const routesServer = (protect: boolean) =>
    buildHttpServer(parseConfig({ server: { api_token: 'tok', protect_templates: protect } }), {
      ingestor: { submit: async () => ({ accepted: 0, rejected: 0, errors: [] }) },
      decisions: new DecisionHistory(new MemoryDecisionLog()),
      routes: { describe: () => withExperiment, describeAll: () => [withExperiment], seriesOf: () => null, historyOf: () => null, variantHistoryOf: () => null },
      readiness: () => ({ ready: true }),
      metricsText: async () => '',
    });

  it('on: /v1/routes and /v1/routes/{route} stay open but leave out the running candidate\'s template', async () => {
    const app = await routesServer(true);
    for (const url of ['/v1/routes', '/v1/routes/r']) {
      const res = await app.inject({ method: 'GET', url });
      expect({ url, status: res.statusCode }).toEqual({ url, status: 200 });
      expect(res.body).not.toContain('Secret prompt');
      expect(res.body).toContain('"candidate_params":{"tier":"standard"}');
    }
    await app.close();
  });

  it('off: the route view shows the candidate as /v1/experiments does, template included', async () => {
    const app = await routesServer(false);
    expect((await app.inject({ method: 'GET', url: '/v1/routes/r' })).body).toContain('Secret prompt');
    await app.close();
  });
});
