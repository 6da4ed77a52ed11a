import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';

// No container runtime on CI machines without one: the Dockerfile's steps are checked statically.
const lines = readFileSync('Dockerfile', 'utf8').replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
const stages = lines.reduce<string[][]>((acc, line) => (line.startsWith('FROM ') ? [...acc, [line]] : (acc.at(-1)?.push(line), acc)), []);
const final = stages.at(-1) ?? [];

describe('Dockerfile', () => {
  it('is multi-stage on Node 20', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage[0]).toMatch(/^FROM node:20[-.\w]*( AS \w+)?$/);
  });

  it('runs as a non-root user, binds every interface, and has a /healthz HEALTHCHECK', () => {
    const user = final.find((l) => l.startsWith('USER '));
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (root|0)\b/);
    expect(final.find((l) => l.startsWith('ENV '))).toContain('PROMPTPILOT_HOST=0.0.0.0');
    expect(final.find((l) => l.startsWith('HEALTHCHECK '))).toContain('/healthz');
  });

  it('serves probes on their own port (server.probe_port), which the HEALTHCHECK uses and the image exposes', () => {
    const env = final.filter((l) => l.startsWith('ENV ')).join(' ');
    const probePort = /PROMPTPILOT_PROBE_PORT=(\d+)/.exec(env)?.[1];
    expect(probePort).toBeDefined();
    expect(final.find((l) => l.startsWith('EXPOSE '))?.split(/\s+/)).toContain(probePort);
    expect(final.find((l) => l.startsWith('HEALTHCHECK '))).toContain('PROMPTPILOT_PROBE_PORT');
  });

  it("caps V8's heap under the default memory budget, as docs/reliability.md tells operators to", () => {
    const heapMiB = Number(/NODE_OPTIONS=--max-old-space-size=(\d+)/.exec(final.filter((l) => l.startsWith('ENV ')).join(' '))?.[1]);
    expect(heapMiB).toBeGreaterThan(256);
    expect(heapMiB * 1024 * 1024).toBeLessThan(parseConfig({}).limits.memory_budget_bytes);
  });

  it('copies dist, bin and config into the final image and runs the same entry as the package bin', () => {
    for (const dir of ['dist', 'bin', 'config']) expect(final.some((l) => l.startsWith('COPY ') && l.endsWith(`./${dir}`))).toBe(true);
    const bin = (JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string> }).bin['promptpilot'];
    expect(bin).toBeDefined();
    expect(existsSync(bin!)).toBe(true);
    expect(final).toContain(`ENTRYPOINT ["node", "${bin}"]`);
    expect(final).toContain('CMD ["run"]');
  });
});

describe('deploy/kubernetes/sidecar.yaml', () => {
  it('parses, runs the image built here (not npx) with probes and resources', async () => {
    const { parseAllDocuments } = await import('yaml');
    const docs = parseAllDocuments(readFileSync('deploy/kubernetes/sidecar.yaml', 'utf8'));
    for (const doc of docs) expect(doc.errors).toEqual([]);
    const deployment = docs.map((d) => d.toJS() as { kind: string; spec?: any }).find((d) => d.kind === 'Deployment');
    const sidecar = (deployment?.spec.template.spec.containers as any[]).find((c) => c.name === 'promptpilot');
    expect(sidecar.image).toMatch(/^promptpilot:/);
    expect(JSON.stringify(sidecar)).not.toContain('npx');
    expect(sidecar.readinessProbe.httpGet.path).toBe('/readyz');
    expect(sidecar.livenessProbe.httpGet.path).toBe('/healthz');
    // Probes go to the probe port the image opens (PROMPTPILOT_PROBE_PORT), by the container port's name.
    const probePort = /PROMPTPILOT_PROBE_PORT=(\d+)/.exec(final.filter((l) => l.startsWith('ENV ')).join(' '))?.[1];
    const probes = (sidecar.ports as { name: string; containerPort: number }[]).find((p) => p.name === sidecar.livenessProbe.httpGet.port);
    expect(String(probes?.containerPort)).toBe(probePort);
    expect(sidecar.readinessProbe.httpGet.port).toBe(sidecar.livenessProbe.httpGet.port);
    expect(sidecar.resources.requests.memory).toBeDefined();
    expect(sidecar.resources.limits.memory).toBeDefined();
    // The cgroup limit above the memory budget: otherwise the OOM killer acts before the daemon's own admission does.
    const mib = (q: string): number => Number(/^(\d+)(Mi|Gi)$/.exec(q)![1]) * (q.endsWith('Gi') ? 1024 : 1);
    expect(mib(sidecar.resources.limits.memory) * 1024 * 1024).toBeGreaterThan(parseConfig({}).limits.memory_budget_bytes);
  });
});

describe('deploy/compose.yaml', () => {
  it('parses and runs the daemon built from the Dockerfile with Redis and a Kafka-protocol broker', async () => {
    const { parseDocument } = await import('yaml');
    const doc = parseDocument(readFileSync('deploy/compose.yaml', 'utf8'));
    expect(doc.errors).toEqual([]);
    const services = (doc.toJS() as { services: Record<string, any> }).services;
    expect(services['promptpilot'].build).toEqual({ context: '..', dockerfile: 'Dockerfile' });
    expect(services['promptpilot'].environment.PROMPTPILOT_KAFKA_BROKERS).toBe('redpanda:9092');
    expect(services['promptpilot'].environment.PROMPTPILOT_REDIS_URL).toBe('redis://redis:6379');
    expect(Object.keys(services).sort()).toEqual(['promptpilot', 'redis', 'redpanda']);
  });
});
