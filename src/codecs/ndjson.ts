import { fastNormalizeInto, makeEvent, validateEvent, type EventRejection, type Mutable, type TelemetryEvent } from '../core/event.js';

/** A bad NDJSON line: 1-based line number, the field at fault and why. */
export interface LineRejection extends EventRejection {
  readonly line: number;
}

/**
 * Incremental NDJSON event decoder: feed text chunks of any size, get
 * validated events and line-numbered rejections. Blank lines are skipped.
 * Never throws on data.
 */
export class NdjsonEventDecoder {
  private pending = '';
  private lineNo = 0;
  private readonly pool: Mutable<TelemetryEvent>[] = [];
  private poolNext = 0;
  /** Line numbers of the events handed out since the last batch or recycle, by position. */
  private readonly eventLines: number[] = [];

  /**
   * @param reuseEvents when true, event objects are reused after each
   * `onBatch` call: the consumer must not keep them past the callback (the
   * engine does not). Halves the replay path's allocations.
   */
  constructor(private readonly reuseEvents = false) {}

  /**
   * Decodes every complete line in `chunk` (plus what was pending). With
   * `onBatch`, hands over (and empties) `events` every `batchSize` events, so
   * decoded events die young instead of surviving into the old generation.
   */
  push(chunk: string, events: TelemetryEvent[], errors: LineRejection[], onBatch?: (events: TelemetryEvent[]) => void, batchSize = 512): void {
    const text = this.pending + chunk;
    let start = 0;
    for (;;) {
      const end = text.indexOf('\n', start);
      if (end < 0) break;
      this.decodeLine(text, start, end, events, errors);
      start = end + 1;
      if (onBatch !== undefined && events.length >= batchSize) {
        onBatch(events);
        events.length = 0;
        this.poolNext = 0;
        this.eventLines.length = 0;
      }
    }
    this.pending = text.slice(start);
  }

  /** Decodes the last line when the input does not end with a newline. */
  end(events: TelemetryEvent[], errors: LineRejection[]): void {
    if (this.pending.length > 0) this.decodeLine(this.pending, 0, this.pending.length, events, errors);
    this.pending = '';
  }

  /** Declares every event handed out so far consumed, so their objects can be reused. */
  recycle(): void {
    this.poolNext = 0;
    this.eventLines.length = 0;
  }

  /**
   * 1-based input line of the event at `index` of the current batch (the one
   * `onBatch` is handling, or the events collected since the last `recycle`).
   */
  lineOf(index: number): number {
    return this.eventLines[index] ?? 0;
  }

  /** Lines seen so far. */
  get lines(): number {
    return this.lineNo;
  }

  private nextEvent(): Mutable<TelemetryEvent> {
    if (!this.reuseEvents) return makeEvent(0, '', '', 0);
    let event = this.pool[this.poolNext];
    if (event === undefined) {
      event = makeEvent(0, '', '', 0);
      this.pool.push(event);
    }
    return event;
  }

  private decodeLine(text: string, start: number, end: number, events: TelemetryEvent[], errors: LineRejection[]): void {
    const line = ++this.lineNo;
    let stop = end;
    if (stop > start && text.charCodeAt(stop - 1) === 13) stop--;
    // A UTF-8 byte-order mark (editors on Windows) is not part of the first line's JSON.
    if (line === 1 && text.charCodeAt(start) === 0xfeff) start++;
    if (stop <= start) return;
    const body = text.slice(start, stop);
    const first = body.charCodeAt(0);
    if ((first === 32 || first === 9) && body.trim().length === 0) return;
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch (err) {
      errors.push({ line, index: line - 1, field: '(line)', message: `invalid JSON: ${(err as Error).message}` });
      return;
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const target = this.nextEvent();
      if (fastNormalizeInto(target, value as Record<string, unknown>)) {
        events.push(target);
        this.eventLines.push(line);
        if (this.reuseEvents) this.poolNext++;
        return;
      }
    }
    const result = validateEvent(value, line - 1);
    if (result.ok) {
      events.push(result.event);
      this.eventLines.push(line);
    } else errors.push({ ...result.error, line });
  }
}
