/** A stream that may be a terminal (process.stderr). */
export type MaybeTty = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/** Inputs smaller than this read too fast to need a progress bar. */
export const PROGRESS_MIN_BYTES = 8 * 1024 * 1024;

/**
 * A one-line progress bar for long inputs, redrawn in place on a terminal's
 * stderr: `replay  [██████████░░░░░░░░░░]  52%  1,204,331 events`. Drawn only
 * when a percent changes; `done` clears the line so the next output starts
 * clean. Not created off a TTY (CI logs, pipes) or for small inputs.
 */
export class ProgressBar {
  private shownPct = -1;

  private constructor(
    private readonly stream: MaybeTty,
    private readonly label: string,
    private readonly totalBytes: number,
  ) {}

  /** A bar for reading `totalBytes`, or null when `stream` is not a terminal, the size is unknown or small. */
  static forInput(stream: MaybeTty, label: string, totalBytes: number | null, minBytes = PROGRESS_MIN_BYTES): ProgressBar | null {
    if (stream.isTTY !== true || totalBytes === null || totalBytes < minBytes || totalBytes <= 0) return null;
    return new ProgressBar(stream, label, totalBytes);
  }

  /** Bytes read so far, and what to say after the percentage (e.g. the events count). */
  update(doneBytes: number, detail = ''): void {
    const pct = Math.min(100, Math.floor((100 * doneBytes) / this.totalBytes));
    if (pct === this.shownPct) return;
    this.shownPct = pct;
    const width = Math.max(10, Math.min(30, (this.stream.columns ?? 80) - this.label.length - detail.length - 12));
    const full = Math.round((pct / 100) * width);
    this.stream.write(`\r${this.label}  [${'█'.repeat(full)}${'░'.repeat(width - full)}] ${String(pct).padStart(3)}%  ${detail}\x1b[K`);
  }

  /** Clears the bar's line. */
  done(): void {
    if (this.shownPct >= 0) this.stream.write('\r\x1b[K');
  }
}

/** `1204331` → `1,204,331`. */
export function groupDigits(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
