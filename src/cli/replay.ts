import { ReplayService } from '../app/replayService.js';
import type { Config } from '../config/schema.js';
import { formatRecord, type DecisionRecord } from '../core/decision.js';
import { UsageError } from '../core/errors.js';
import type { TelemetryEvent } from '../core/event.js';
import { NdjsonEventDecoder, type LineRejection } from '../codecs/ndjson.js';
import { BadLineReport, type BadLine } from './badLines.js';
import { openNdjsonInput } from './inputFile.js';
import { groupDigits, ProgressBar, type MaybeTty } from './progress.js';
import type { WindowStats } from '../windows/windowStats.js';

/** Where replay writes. */
export interface ReplayIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: MaybeTty;
  /** Inputs from this size on get a progress bar on a terminal (default {@link PROGRESS_MIN_BYTES}). */
  readonly progressMinBytes?: number;
  /** Read for `--input -` (default: process.stdin). */
  readonly stdin?: NodeJS.ReadableStream;
}

/** Observers of a replay (the report): each judged window, each decision record. */
export interface ReplayHooks {
  readonly onEvaluated?: (stats: WindowStats) => void;
  readonly onDecisions?: (records: readonly DecisionRecord[]) => void;
  /** Write the decision records to stdout (default true). */
  readonly printDecisions?: boolean;
}

/** Summary of one replay. */
export interface ReplaySummary {
  readonly lines: number;
  readonly events: number;
  readonly rejected: number;
  /** Events counted after their bucket had closed. */
  readonly late: number;
  /** Events rejected as too late (each also named on stderr). */
  readonly tooLate: number;
  readonly decisions: number;
  /** The replay as it ended (every bucket closed): its experiments and route views. */
  readonly replay: ReplayService;
}

/**
 * `promptpilot replay`: feeds a recorded NDJSON file through the same engine
 * as the daemon, in event time. Decision records go to stdout (byte-identical
 * on every run, in-order or not); bad lines and events rejected as too late to
 * stderr with their line numbers, then skipped.
 */
export async function replayFile(path: string, config: Config, io: ReplayIo, hooks: ReplayHooks = {}): Promise<ReplaySummary> {
  const input = await openNdjsonInput(path, io.stdin);
  const size = input.gzip ? null : input.sizeBytes;
  const report = new BadLineReport(input.name);
  const warn = (line: string | null): void => {
    if (line !== null) io.stderr.write(`${line}\n`);
  };
  const replay = new ReplayService(config, hooks.onEvaluated === undefined ? {} : { onEvaluated: hooks.onEvaluated });
  const print = hooks.printDecisions !== false;
  const emit = (records: readonly DecisionRecord[]): void => {
    if (records.length === 0) return;
    hooks.onDecisions?.(records);
    if (print) for (const record of records) out.write(formatRecord(record) + '\n');
  };
  const decoder = new NdjsonEventDecoder(true);
  const out = new BufferedWriter(io.stdout);
  const progress = ProgressBar.forInput(io.stderr, hooks.printDecisions === false ? 'report' : 'replay', size, io.progressMinBytes);
  let rejected = 0;
  let eventsSeen = 0;
  let bytesRead = 0;
  const events: TelemetryEvent[] = [];
  const errors: LineRejection[] = [];
  /** Events of the current chunk rejected as too late: reported with its bad lines, in line order. */
  const late: BadLine[] = [];
  const tooLate = (index: number, message: string): void => {
    late.push({ line: decoder.lineOf(index), field: 'ts', message });
  };
  const ingest = (batch: readonly TelemetryEvent[]): void => {
    emit(replay.ingest(batch, tooLate));
  };

  const drain = async (): Promise<void> => {
    eventsSeen += events.length;
    ingest(events);
    events.length = 0;
    decoder.recycle();
    rejected += errors.length;
    // Bad lines and too-late events in line order (bad lines come in order; too-late ones in the order ingest met them).
    late.sort((a, b) => a.line - b.line);
    for (let i = 0, j = 0; i < errors.length || j < late.length; ) {
      const next = j >= late.length || (i < errors.length && errors[i]!.line <= late[j]!.line) ? errors[i++]! : late[j++]!;
      warn(report.add(next));
    }
    errors.length = 0;
    late.length = 0;
    await out.flushIfLarge();
  };

  for await (const chunk of input.chunks) {
    decoder.push(chunk, events, errors, (batch) => {
      eventsSeen += batch.length;
      ingest(batch);
    });
    bytesRead += Buffer.byteLength(chunk);
    await drain();
    progress?.update(bytesRead, `${groupDigits(eventsSeen)} events`);
  }
  decoder.end(events, errors);
  await drain();
  emit(replay.finish());
  await out.flush();
  progress?.done();
  warn(report.hiddenSummary());
  // Nothing to replay is bad input, not a quiet success with no decisions (a wrong file, an empty export).
  if (eventsSeen === 0) {
    // Blank lines are skipped unreported: a file of them alone has nothing "above" to point at.
    if (report.count === 0) throw new UsageError(`${input.name} is empty${decoder.lines === 0 ? '' : ` (${decoder.lines} blank ${decoder.lines === 1 ? 'line' : 'lines'})`}: no events to replay`);
    throw new UsageError(`${input.name}: none of its ${decoder.lines} lines is a valid event (see above); nothing replayed`);
  }
  const counts = replay.counts();
  return { lines: decoder.lines, events: eventsSeen, rejected, late: counts.late, tooLate: counts.tooLate, decisions: counts.decisions, replay };
}

/** Collects output and writes it in large chunks, honouring backpressure. */
class BufferedWriter {
  private parts: string[] = [];
  private bytes = 0;
  constructor(private readonly stream: NodeJS.WritableStream) {}
  write(text: string): void {
    this.parts.push(text);
    this.bytes += text.length;
  }
  async flushIfLarge(): Promise<void> {
    if (this.bytes > 1 << 16) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const text = this.parts.join('');
    this.parts = [];
    this.bytes = 0;
    if (!this.stream.write(text)) await new Promise<void>((resolve) => this.stream.once('drain', () => resolve()));
  }
}
