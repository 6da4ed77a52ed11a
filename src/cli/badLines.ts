/** A rejected input line: 1-based line number, the field at fault and why. */
export interface BadLine {
  readonly line: number;
  readonly field: string;
  readonly message: string;
}

/** The one wording of a bad line for every input command: `FILE:LINE: field: message`. */
export function formatBadLine(name: string, bad: BadLine): string {
  return `${name}:${bad.line}: ${bad.field}: ${bad.message}`;
}

/**
 * Counts an input's bad lines and remembers where they are, so `replay` and
 * `gate` report them alike: `replay` prints the first `shown` and skips them,
 * `gate` refuses the input; both then say how many there were and on which lines.
 */
export class BadLineReport {
  private total = 0;
  private first: BadLine | null = null;
  private readonly lineNumbers: number[] = [];

  constructor(
    readonly name: string,
    /** How many are printed one by one (replay); the rest only counted. */
    readonly shown = 20,
    private readonly listed = 10,
  ) {}

  /** Bad lines seen. */
  get count(): number {
    return this.total;
  }

  /** Records one; returns its formatted line while under the `shown` limit, else null. */
  add(bad: BadLine): string | null {
    this.total++;
    this.first ??= bad;
    if (this.lineNumbers.length < this.listed) this.lineNumbers.push(bad.line);
    return this.total <= this.shown ? formatBadLine(this.name, bad) : null;
  }

  /** Where they are: `lines 2, 5, 9` (with `…` past the listed ones). */
  where(): string {
    const more = this.total > this.lineNumbers.length ? ', …' : '';
    return `${this.lineNumbers.length === 1 && more === '' ? 'line' : 'lines'} ${this.lineNumbers.join(', ')}${more}`;
  }

  /** For replay, after the input: how many were not printed, or null when all were. */
  hiddenSummary(): string | null {
    if (this.total <= this.shown) return null;
    return `${this.name}: ${this.total} bad lines in all (${this.where()}); ${this.total - this.shown} more not shown`;
  }

  /** For gate's refusal: how many, where, and the first one. Null when there were none. */
  refusal(): string | null {
    if (this.first === null) return null;
    const noun = this.total === 1 ? 'bad line' : 'bad lines';
    return `${this.name}: ${this.total} ${noun} (${this.where()}); first: ${formatBadLine(this.name, this.first)}`;
  }
}
