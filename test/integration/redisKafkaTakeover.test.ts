import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentSnapshot } from '../../src/abtest/experimentManager.js';
import { assignArm } from '../../src/abtest/index.js';
import { connectRedis } from '../../src/adapters/redis/index.js';
import { toWireEvent } from '../../src/codecs/wireEvent.js';
import { parseConfig, parseYaml } from '../../src/config/load.js';
import type { DecisionRecord } from '../../src/core/decision.js';
import type { Pattern } from '../../src/core/patterns.js';
import { createSimulator, type ServeDecision } from '../../src/sim/index.js';
import { until } from '../helpers/until.js';
import { kcatProduce, killAll, startDaemonProcess, startKafkaMock, startRedis, type DaemonProcess, type KafkaMock, type RedisServer } from './harness/index.js';
import { uniqueSettings } from './harness/kafkaTestSupport.js';

// Two real daemons in one Kafka consumer group (librdkafka's mock cluster) sharing one Redis (issue 10).
// The test plays the application: the demo simulator's calls, served as /v1/assign would (from the
// experiments the daemons publish), produced to the events topic keyed by route. A, the owner of a route
// with a running experiment, is killed with SIGKILL; B gets its partitions, takes the route over when
// A's lease lapses, continues the experiment from Redis and the route's statistics from A's last
// checkpoint, and every experiment ends with one decision.

/** An experiment as `GET /v1/experiments` shows it. */
type Experiment = ExperimentSnapshot;

let mock: KafkaMock;
let redis: RedisServer;
let client: Redis;
const running: DaemonProcess[] = [];

beforeAll(async () => {
  [mock, redis] = await Promise.all([startKafkaMock(), startRedis()]);
  client = await connectRedis(redis.url);
});
afterAll(async () => {
  await killAll(running);
  client?.disconnect();
  await mock?.stop();
  await redis?.stop();
});

const demoRaw = parseYaml(readFileSync('config/demo.yaml', 'utf8'), 'config/demo.yaml') as Record<string, Record<string, unknown>>;

async function json<T>(url: string): Promise<T> {
  return (await (await fetch(url)).json()) as T;
}

describe('two instances in one Kafka consumer group on one Redis', () => {
  it('a survivor takes over a killed instance\'s routes from Redis and their experiments end with one decision each', async () => {
    const settings = uniqueSettings(mock.brokers);
    const dir = mkdtempSync(join(tmpdir(), 'pp-takeover-'));
    const configOf = (instance: string): string => {
      const file = join(dir, `${instance}.yaml`);
      const raw = {
        ...demoRaw,
        server: { host: '127.0.0.1' },
        simulator: { ...demoRaw['simulator'], enabled: false },
        abtest: { max_duration: '30m' },
        kafka: { group_id: settings.group_id, topics: settings.topics, session_timeout: '3s' },
        redis: { instance_id: instance, lease: '3s', refresh_interval: '300ms', checkpoint_interval: '1s' },
        log: { level: 'info' },
      };
      writeFileSync(file, JSON.stringify(raw));
      return file;
    };
    const env = { PROMPTPILOT_KAFKA_BROKERS: mock.brokers, PROMPTPILOT_REDIS_URL: redis.url };
    const a = await startDaemonProcess('A', configOf('A'), env, running);
    const b = await startDaemonProcess('B', configOf('B'), env, running);
    let live: DaemonProcess[] = [a, b];

    // The application: what it serves follows the experiments the daemons publish (as /v1/assign answers).
    const config = parseConfig({ ...demoRaw, simulator: { ...demoRaw['simulator'], speedup: 60 } });
    const wallStart = Date.now();
    const simStart = wallStart - 2 * 3_600_000;
    let experiments: Experiment[] = [];
    const current = new Map<string, { variant: string; pattern: Pattern }>();
    const simulator = createSimulator(config.simulator, simStart, {
      serve: ({ route, unit }): ServeDecision | undefined => {
        const exp = experiments.find((e) => e.route === route && e.status === 'running');
        if (exp === undefined) return current.get(route);
        const arm = assignArm(exp.salt, unit, exp.share, 1);
        const ref = arm === 'candidate' ? exp.candidate : exp.baseline;
        const params = arm === 'candidate' ? exp.candidate_params : {};
        const saving = typeof params['token_saving_pct'] === 'number' ? params['token_saving_pct'] : 0;
        return {
          variant: ref.variant,
          pattern: ref.pattern ?? current.get(route)?.pattern ?? 'few_shot',
          ...(saving > 0 ? { inputTokenFactor: 1 - saving / 100 } : {}),
          ...(typeof params['max_tokens'] === 'number' ? { maxOutputTokens: params['max_tokens'] } : {}),
          experiment: exp.id,
          arm,
        };
      },
    });
    let victimId = '';
    let stopped = false;
    let appError: unknown = null;
    const app = (async () => {
      while (!stopped) {
        try {
          const d = live[live.length - 1]!;
          experiments = (await json<{ experiments: Experiment[] }>(`${d.url}/v1/experiments`)).experiments;
          for (const route of config.simulator.routes.map((r) => r.route)) {
            const served = await fetch(`${d.url}/v1/assign?route=${route}&unit=app`);
            if (served.ok) {
              const body = (await served.json()) as { variant: string; pattern: Pattern | null; experiment?: string };
              if (body.experiment === undefined && body.pattern !== null) current.set(route, { variant: body.variant, pattern: body.pattern });
            }
          }
          const now = Date.now();
          const events = simulator.eventsUntil(Math.min(now, simStart + (now - wallStart) * 60));
          if (events.length > 0) await kcatProduce(mock.brokers, settings.topics.events, events.map((e) => ({ key: e.route, value: JSON.stringify(toWireEvent(e)) })));
        } catch (err) {
          appError = err;
        }
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    })();

    try {
      // A route with a running experiment that A owns and A's checkpoint of it, read from Redis while A is frozen
      // (SIGSTOP) and A killed before it runs again: an experiment can end a second after it is seen, so one picked
      // while A runs may have ended on A by the kill. The freeze is milliseconds, well inside A's 3 s lease.
      const routes = config.simulator.routes.map((r) => r.route);
      const signalA = (signal: NodeJS.Signals): void => void process.kill(-a.child.pid!, signal);
      const pick = async (): Promise<{ snapshot: Experiment; generation: number; checkpointed: { variants: { variant: string }[] } } | null> => {
        for (const route of routes) {
          const lease = await client.hgetall(`promptpilot:lease:${route}`);
          if (lease['owner'] !== 'A') continue;
          const stored = JSON.parse((await client.get(`promptpilot:route:${route}`)) ?? 'null') as { control: { running: { snapshot: Experiment } | null } } | null;
          if (stored?.control.running == null) continue;
          // A checkpoints its routes' windows and detectors every second: the one B will resume from.
          const raw = await client.get(`promptpilot:checkpoint:${route}`);
          const checkpoint = raw === null ? null : (JSON.parse(raw) as { generation: number; data: string });
          if (checkpoint === null || checkpoint.generation !== Number(lease['generation'])) continue;
          return { snapshot: stored.control.running.snapshot, generation: checkpoint.generation, checkpointed: JSON.parse(checkpoint.data) as { variants: { variant: string }[] } };
        }
        return null;
      };
      const picked = await until('an experiment running on a route A owns and has checkpointed', async () => {
        if ((await pick()) === null) return null;
        signalA('SIGSTOP');
        const frozen = await pick();
        if (frozen === null) signalA('SIGCONT');
        return frozen;
      }, 240_000);
      const victim = picked.snapshot;
      const generationBefore = picked.generation;
      victimId = victim.id;
      const aRoutes: string[] = [];
      for (const route of routes) if ((await client.hget(`promptpilot:lease:${route}`, 'owner')) === 'A') aRoutes.push(route);
      expect(picked.checkpointed.variants.length).toBeGreaterThan(0);
      await a.kill();
      live = [b];
      // What A left: the experiment still running, so whatever ends it now is B's doing.
      const left = JSON.parse((await client.get(`promptpilot:route:${victim.route}`))!) as { owner: string; control: { running: { snapshot: Experiment } | null } };
      expect({ owner: left.owner, running: left.control.running?.snapshot.id }).toEqual({ owner: 'A', running: victim.id });

      // B gets A's partitions, then A's leases lapse and B claims them with a higher generation.
      for (const route of aRoutes) {
        await until(`B owning ${route}`, async () => ((await client.hget(`promptpilot:lease:${route}`, 'owner')) === 'B' ? true : null), 120_000);
      }
      expect(Number(await client.hget(`promptpilot:lease:${victim.route}`, 'generation'))).toBeGreaterThan(generationBefore);
      // The experiment goes on on B under its id and ends there.
      const ended = await until(`experiment ${victim.id} to end on B`, async () => {
        const e = (await json<{ experiments: Experiment[] }>(`${b.url}/v1/experiments`)).experiments.find((x) => x.id === victim.id);
        return e !== undefined && e.status !== 'running' ? e : null;
      }, 240_000);
      expect(['promoted', 'rolled_back', 'inconclusive']).toContain(ended.status);
      expect(b.output.some((line) => line.includes('"took over route"') && line.includes(`"route":"${victim.route}"`))).toBe(true);
      // B resumed the route's statistics from A's checkpoint (A's generation), not from nothing.
      const resumed = b.output
        .filter((line) => line.includes('"resumed route statistics from its checkpoint"') && line.includes(`"route":"${victim.route}"`))
        .map((line) => JSON.parse(line) as { generation: number; calls: number });
      expect(resumed.map((r) => r.generation)).toContain(generationBefore);
      expect(resumed.find((r) => r.generation === generationBefore)!.calls).toBeGreaterThan(0);
      expect(appError).toBeNull();
    } finally {
      stopped = true;
      await app;
    }

    // One started and at most one end record per experiment; the victim's exactly one of each.
    const records = (await json<{ decisions: DecisionRecord[] }>(`${b.url}/v1/decisions?type=experiment&limit=10000`)).decisions;
    const counts = new Map<string, { started: number; ended: number }>();
    for (const r of records) {
      if (r.type !== 'experiment') continue;
      const c = counts.get(r.id) ?? { started: 0, ended: 0 };
      if (r.status === 'started') c.started++;
      else c.ended++;
      counts.set(r.id, c);
    }
    for (const [id, c] of counts) expect({ id, started: c.started, endedAtMostOnce: c.ended <= 1 }).toEqual({ id, started: 1, endedAtMostOnce: true });
    expect(counts.get(victimId)).toEqual({ started: 1, ended: 1 });
    expect(await b.stop()).toBe(0);
  }, 600_000);
});
