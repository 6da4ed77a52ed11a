import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startReadyProcess } from './readyProcess.js';

/** Paths of the Debian `prometheus` package's binaries. */
export const PROMETHEUS = process.env['PROMETHEUS'] ?? '/usr/bin/prometheus';
export const PROMTOOL = process.env['PROMTOOL'] ?? '/usr/bin/promtool';

/** One sample of an instant-query result. */
export interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

/** A running Prometheus server with a private data directory. */
export interface PrometheusServer {
  readonly url: string;
  /** Instant query through `GET /api/v1/query`. */
  query(expr: string): Promise<PromSample[]>;
  /** Polls `expr` until it returns a sample or the deadline passes. */
  waitFor(expr: string, timeoutMs?: number): Promise<PromSample[]>;
  stop(): Promise<void>;
}

/** Starts Prometheus on a free loopback port, scraping `targets` (`host:port`) every `scrapeIntervalSeconds`. */
export async function startPrometheus(targets: readonly string[], scrapeIntervalSeconds = 1): Promise<PrometheusServer> {
  const { url, stop } = await startReadyProcess('prometheus', PROMETHEUS, async (dir, port) => {
    const config = [
      'global:',
      `  scrape_interval: ${scrapeIntervalSeconds}s`,
      `  scrape_timeout: ${scrapeIntervalSeconds}s`,
      'scrape_configs:',
      '  - job_name: promptpilot',
      '    static_configs:',
      `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
      '',
    ].join('\n');
    await writeFile(path.join(dir, 'prometheus.yml'), config);
    return [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'];
  });
  const query = async (expr: string): Promise<PromSample[]> => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error ?? res.status}`);
    return (body.data?.result ?? []).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  };
  return {
    url,
    query,
    async waitFor(expr, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const samples = await query(expr);
        if (samples.length > 0) return samples;
        if (Date.now() > until) throw new Error(`no sample for ${expr} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    stop,
  };
}

/** Runs `promtool check metrics` on an exposition: exit status and its complaints. */
export function promtoolCheckMetrics(exposition: string): { status: number | null; output: string } {
  const result = spawnSync(PROMTOOL, ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}
