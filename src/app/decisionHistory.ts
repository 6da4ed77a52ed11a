import type { DecisionRecord } from '../core/decision.js';
import type { DecisionLog, DecisionQuery } from '../ports/ports.js';

/** Most decisions one page holds (`GET /v1/decisions?limit=`). */
export const MAX_DECISIONS_PAGE = 10_000;
/** Decisions in a page when the query names no limit. */
export const DEFAULT_DECISIONS_PAGE = 1_000;

/** One page of the decision log, oldest first, and the cursor of the next. */
export interface DecisionPage {
  readonly decisions: readonly DecisionRecord[];
  /** The last decision's sequence number: pass it as `after` for the next page (the query's own `after`, or 0, when empty). */
  readonly next: number;
}

/**
 * Reading the decision log (`GET /v1/decisions`, a page at a time): the
 * query use case every adapter calls instead of the {@link DecisionLog} port,
 * so paging — the page bound, the cursor of the next page — is decided once.
 */
export class DecisionHistory {
  constructor(private readonly log: Pick<DecisionLog, 'query'>) {}

  /** The decisions matching `query`, at most {@link MAX_DECISIONS_PAGE} (default {@link DEFAULT_DECISIONS_PAGE}). */
  async page(query: DecisionQuery): Promise<DecisionPage> {
    const limit = Math.max(1, Math.min(query.limit ?? DEFAULT_DECISIONS_PAGE, MAX_DECISIONS_PAGE));
    const entries = await this.log.query({ ...query, limit });
    const last = entries[entries.length - 1];
    return { decisions: entries.map((entry) => entry.record), next: last?.seq ?? query.after ?? 0 };
  }
}
