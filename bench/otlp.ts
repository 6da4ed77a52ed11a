// OTLP receiver benchmark (issue 3): spans/s through decode + map + validate, and through the
// full HTTP route (loopback, keep-alive), next to decode-only of the same payloads in the same run.
// The machine is shared: the three measurements are interleaved over several rounds and the best
// round of each is kept, so a neighbour's burst does not decide the ratio.
// Usage: npx tsx bench/otlp.ts [--spans-per-request 512] [--requests 200] [--seconds 0.6] [--rounds 5]
import { Worker } from 'node:worker_threads';
import Fastify from 'fastify';
import { registerOtlpRoutes } from '../src/adapters/http/otlpRoutes.js';
import { decodeRequestJson, decodeTraceRequestProto, otlpTypes, SpanMapper } from '../src/codecs/otlp/index.js';
import { ConfigSchema } from '../src/config/schema.js';
import { mulberry32 as rng } from '../src/sim/random.js';
import type { Ingestor } from '../src/ports/ports.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const SPANS = arg('spans-per-request', 512);
const REQUESTS = arg('requests', 200);
const SECONDS = arg('seconds', 0.6);
const ROUNDS = arg('rounds', 5);
const ROUTES = 50;


/** A realistic GenAI span request in OTLP/JSON form: ids, kind, ~12 attributes, status. */
function jsonRequest(k: number): object {
  const r = rng(k + 1);
  const t0 = 1_767_225_600_000_000_000n + BigInt(k) * 10_000_000_000n;
  const spans = [];
  for (let i = 0; i < SPANS; i++) {
    const end = t0 + BigInt(i) * 1_000_000n;
    const latencyNs = BigInt(Math.round(800e6 * Math.exp(0.4 * (r() + r() + r() - 1.5))));
    const route = `route-${(k * SPANS + i) % ROUTES}`;
    spans.push({
      traceId: 'a'.repeat(24) + (k * SPANS + i).toString(16).padStart(8, '0'),
      spanId: (i + 1).toString(16).padStart(16, '0'),
      name: 'chat gpt-4o-mini',
      kind: 3,
      startTimeUnixNano: (end - latencyNs).toString(),
      endTimeUnixNano: end.toString(),
      attributes: [
        { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
        { key: 'gen_ai.system', value: { stringValue: 'openai' } },
        { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
        { key: 'gen_ai.response.model', value: { stringValue: 'gpt-4o-mini-2024-07-18' } },
        { key: 'gen_ai.usage.input_tokens', value: { intValue: String(300 + Math.floor(r() * 400)) } },
        { key: 'gen_ai.usage.output_tokens', value: { intValue: String(100 + Math.floor(r() * 200)) } },
        { key: 'gen_ai.request.temperature', value: { doubleValue: 0.2 } },
        { key: 'server.address', value: { stringValue: 'api.openai.com' } },
        { key: 'promptpilot.route', value: { stringValue: route } },
        { key: 'promptpilot.variant', value: { stringValue: `v${i % 3}` } },
        { key: 'promptpilot.pattern', value: { stringValue: 'few_shot' } },
        { key: 'promptpilot.quality', value: { doubleValue: Math.round((0.7 + r() * 0.3) * 100) / 100 } },
      ],
      status: { code: r() < 0.02 ? 2 : 0 },
    });
  }
  return {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'llm-app' } }, { key: 'telemetry.sdk.language', value: { stringValue: 'nodejs' } }] },
      scopeSpans: [{ scope: { name: '@opentelemetry/instrumentation-openai', version: '0.1.0' }, spans }],
    }],
  };
}

const type = otlpTypes().traceRequest;
const jsonObjects = Array.from({ length: REQUESTS }, (_, k) => jsonRequest(k));
const jsonPayloads = jsonObjects.map((o) => Buffer.from(JSON.stringify(o)));
// the OTLP/JSON ids are hex; protobufjs's fromObject reads bytes as base64, which is fine for a payload
const protoPayloads = jsonObjects.map((o) => Buffer.from(type.encode(type.fromObject(o)).finish()));
const mapper = new SpanMapper({ attributes: ConfigSchema.parse({}).otlp.attributes });

/** Runs `work` over the payloads round-robin for SECONDS; returns spans/s. */
function rate(payloads: readonly Buffer[], work: (body: Buffer) => number): number {
  for (let i = 0; i < Math.min(20, payloads.length); i++) work(payloads[i]!); // warm-up
  let spans = 0;
  let i = 0;
  const start = process.hrtime.bigint();
  const budgetNs = BigInt(Math.round(SECONDS * 1e9));
  while (process.hrtime.bigint() - start < budgetNs) {
    spans += work(payloads[i++ % payloads.length]!);
  }
  return spans / (Number(process.hrtime.bigint() - start) / 1e9);
}

function countSpans(request: unknown): number {
  let n = 0;
  for (const rs of (request as { resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[] }).resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) n += ss.spans?.length ?? 0;
  }
  return n;
}

function decodeProto(body: Buffer): unknown {
  const d = decodeTraceRequestProto(body);
  if (!d.ok) throw new Error(d.reason);
  return d.request;
}
function decodeJson(body: Buffer): unknown {
  const d = decodeRequestJson(body, 'resourceSpans');
  if (!d.ok) throw new Error(d.reason);
  return d.request;
}

/** Posts payloads round-robin over keep-alive connections for `seconds`; runs in a worker thread so the client does not share the receiver's event loop. */
const CLIENT = `
const http = require('node:http');
const { parentPort, workerData } = require('node:worker_threads');
const { port, payloads, contentType, seconds, spans, connections } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const post = (body) => new Promise((resolve, reject) => {
  const req = http.request({ host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', agent,
    headers: { 'content-type': contentType, 'content-length': body.length } }, (res) => {
    res.resume();
    res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error('HTTP ' + res.statusCode))));
  });
  req.on('error', reject);
  req.end(body);
});
(async () => {
  const bodies = payloads.map((p) => Buffer.from(p));
  for (let i = 0; i < 8; i++) await post(bodies[i % bodies.length]);
  let sent = 0, next = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  const worker = async () => {
    while (process.hrtime.bigint() - start < budget) { await post(bodies[next++ % bodies.length]); sent += spans; }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  agent.destroy();
  parentPort.postMessage(sent / (Number(process.hrtime.bigint() - start) / 1e9));
})().catch((err) => { throw err; });
`;

/** A receiver on a loopback port with a sink ingestor; `rate` measures spans/s it answers 200 for. */
async function httpServer(): Promise<{ rate: (payloads: readonly Buffer[], contentType: string) => Promise<number>; close: () => Promise<void> }> {
  const app = Fastify({ logger: false });
  const sink: Ingestor = { submit: async (events) => ({ accepted: events.length, errors: [] }) };
  await registerOtlpRoutes(app, { ingestor: sink, config: ConfigSchema.parse({}) });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const port = Number(new URL(address).port);
  const rate = (payloads: readonly Buffer[], contentType: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const worker = new Worker(CLIENT, {
        eval: true,
        workerData: { port, payloads: payloads.slice(0, 32), contentType, seconds: SECONDS, spans: SPANS, connections: 4 },
      });
      worker.once('message', (spansPerSecond: number) => resolve(spansPerSecond));
      worker.once('error', reject);
    });
  return { rate, close: () => app.close() };
}

const fmt = (n: number): string => `${(n / 1000).toFixed(0)} k spans/s`;
console.log(`OTLP receiver: ${REQUESTS} requests × ${SPANS} GenAI spans; best of ${ROUNDS} interleaved rounds of ${SECONDS}s; node ${process.version}`);
console.log(`payload: protobuf ${(protoPayloads[0]!.length / SPANS).toFixed(0)} B/span, JSON ${(jsonPayloads[0]!.length / SPANS).toFixed(0)} B/span`);
const server = await httpServer();
let worst = Infinity;
for (const [name, payloads, decode, contentType] of [
  ['protobuf', protoPayloads, decodeProto, 'application/x-protobuf'],
  ['json', jsonPayloads, decodeJson, 'application/json'],
] as const) {
  let decodeOnly = 0;
  let full = 0;
  let overHttp = 0;
  for (let round = 0; round < ROUNDS; round++) {
    decodeOnly = Math.max(decodeOnly, rate(payloads, (b) => countSpans(decode(b))));
    full = Math.max(full, rate(payloads, (b) => {
      const m = mapper.map(decode(b));
      if (m.events.length + m.rejected.length !== SPANS) throw new Error('lost spans');
      return m.spans;
    }));
    overHttp = Math.max(overHttp, await server.rate(payloads, contentType));
  }
  worst = Math.min(worst, full / decodeOnly, overHttp / decodeOnly);
  console.log(
    `${name.padEnd(8)} decode-only ${fmt(decodeOnly)} | decode+map+validate ${fmt(full)} (ratio ${(full / decodeOnly).toFixed(2)}) | ` +
      `OTLP/HTTP (loopback, client in a worker) ${fmt(overHttp)} (ratio ${(overHttp / decodeOnly).toFixed(2)})`,
  );
}
await server.close();
console.log(`worst ratio ${worst.toFixed(2)} (target ≥ 0.5)`);
