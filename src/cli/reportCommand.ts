import { stat, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Config } from '../config/schema.js';
import type { DecisionRecord } from '../core/decision.js';
import { UsageError } from '../core/errors.js';
import { reportPage, type ViewData } from '../ui/page.js';
import { StatsSeries, type RouteSeriesView, type StatsSeriesOptions } from '../windows/statsSeries.js';
import { replayFile, type ReplayIo, type ReplaySummary } from './replay.js';
import { bareRecord } from '../core/records.js';

/**
 * A report's time series: the whole replay at up to 400–800 points per
 * (route, variant), thinned evenly as the run grows; every route kept.
 */
export const REPORT_SERIES: StatsSeriesOptions = { maxPoints: 800, maxRoutes: Number.MAX_SAFE_INTEGER, mode: 'thinning' };

/**
 * `promptpilot report --input FILE.ndjson --out FILE.html`: replays the input
 * exactly as `replay` does and writes one self-contained HTML page — per-route
 * charts over time with triggers and actions marked, the final window per
 * route against its targets, experiments with their evidence, the decision
 * log. The page loads nothing; the same input gives the same bytes.
 */
export async function writeReport(input: string, out: string, config: Config, io: ReplayIo): Promise<ReplaySummary & { readonly bytes: number }> {
  if (await sameFile(input, out)) throw new UsageError(`--out ${out} is the --input file: the page would overwrite the recording; choose another --out`);
  const series = new StatsSeries(REPORT_SERIES);
  const decisions: DecisionRecord[] = [];
  const summary = await replayFile(input, config, io, {
    printDecisions: false,
    onEvaluated: (stats) => series.record(stats),
    onDecisions: (records) => {
      for (const record of records) decisions.push(record);
    },
  });
  const query = summary.replay.routes(series);
  const routes = query.describeAll();
  // No prototype: a route named __proto__ would set it instead of being an entry, and its charts were empty.
  const bySeries = bareRecord<RouteSeriesView>();
  for (const route of routes) {
    const s = query.seriesOf(route.route);
    if (s !== null) bySeries[route.route] = s;
  }
  const data: ViewData = { routes, series: bySeries, experiments: summary.replay.experiments(), decisions };
  const name = input === '-' ? 'stdin' : basename(input);
  const html = reportPage(data, `promptpilot report: ${name}`, `replay of ${name} · ${summary.events} events · ${decisions.length} decisions`);
  try {
    // `-` is stdout, as `--input -` is stdin (it wrote a file named "-").
    if (out === '-') await new Promise<void>((resolve, reject) => io.stdout.write(html, (err) => (err ? reject(err) : resolve())));
    else await writeFile(out, html);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException | null)?.code;
    throw new UsageError(`cannot write ${out}: ${code === 'ENOENT' ? 'its directory does not exist' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : err instanceof Error ? err.message : String(err)}`);
  }
  return { ...summary, bytes: Buffer.byteLength(html) };
}

/** Whether `out` names the file `input` is (a path, a link or another spelling of it); `-` is never a file. */
async function sameFile(input: string, out: string): Promise<boolean> {
  if (input === '-' || out === '-') return false;
  const [a, b] = await Promise.all([stat(input).catch(() => null), stat(out).catch(() => null)]);
  return a !== null && b !== null && a.dev === b.dev && a.ino === b.ino;
}
