import type { Config } from '../config/schema.js';
import type { VariantRef } from '../core/decision.js';
import type { Pattern } from '../core/patterns.js';

/** Everything the daemon knows about one variant of a route: what `/v1/assign` hands to the app. */
export interface VariantInfo {
  readonly variant: string;
  readonly pattern: Pattern | null;
  readonly tier: string | null;
  readonly maxTokens: number | null;
  /** Prompt template, when registered or derived (token optimization). */
  readonly template: string | null;
  /** How a derived compressed template was made (tokenizer counts, level, tokens each transform saved). */
  readonly compression: {
    readonly level: string;
    readonly tokensBefore: number;
    readonly tokensAfter: number;
    readonly savingPct: number;
    readonly transforms: readonly { readonly name: string; readonly tokensSaved: number }[];
  } | null;
  /** Where it came from: config, the API, traffic, or an action. */
  readonly source: 'config' | 'api' | 'traffic' | 'action';
}

/**
 * A route's registry entry as plain JSON, for the state store: its variants,
 * which one is in production, and whether it is pinned (never forgotten).
 */
export interface RegistryEntryState {
  readonly current: string | null;
  readonly pinned: boolean;
  readonly variants: readonly VariantInfo[];
}

interface RouteEntry {
  current: string | null;
  readonly variants: Map<string, VariantInfo>;
  /** A promotion or the API changed it: it carries decisions and is never forgotten. */
  pinned: boolean;
}

/**
 * Routes and their variants: which variant is in production ("current") and
 * the parameters of every known variant. Seeded from config, learned from
 * traffic (the first variant seen on an unconfigured route becomes current),
 * changed by promotions and `POST /v1/routes/{route}/variants`. Pure.
 */
export class RouteRegistry {
  private readonly routes = new Map<string, RouteEntry>();
  /** Routes whose entry changed since {@link takeChanged}. */
  private readonly changed = new Set<string>();
  private changes = 0;

  constructor(private config: Config) {
    this.reconfigure(config);
  }

  /**
   * Registers the configured routes and variants (a reload adds or updates
   * them; variants learned from traffic, the API or actions stay). A route's
   * current variant is set from config only while it has none, so a reload
   * never undoes a promotion.
   */
  reconfigure(config: Config): void {
    this.config = config;
    this.changes++;
    for (const [route, rc] of Object.entries(config.routes)) {
      const entry = this.entry(route);
      for (const v of rc.variants) {
        entry.variants.set(v.name, {
          variant: v.name, pattern: v.pattern ?? null, tier: v.tier ?? rc.tier ?? null,
          maxTokens: this.maxTokensOf(v.tier ?? rc.tier), template: v.template ?? null, compression: null, source: 'config',
        });
      }
      entry.current ??= rc.current ?? rc.variants[0]?.name ?? null;
    }
  }

  /** Moves whenever an entry changes (variants, production variant): what an answer of {@link current} may be cached against. */
  get version(): number {
    return this.changes;
  }

  /** Whether the route is configured or has been seen. */
  has(route: string): boolean {
    return this.routes.has(route);
  }

  /** Route names, sorted. */
  routeNames(): string[] {
    return [...this.routes.keys()].sort();
  }

  /** Notes a variant seen in traffic; the first one on a route without a current variant becomes current. */
  observe(route: string, variant: string, pattern: Pattern | undefined, tier: string | undefined): void {
    const entry = this.entry(route);
    const known = entry.variants.get(variant);
    if (known === undefined) {
      entry.variants.set(variant, { variant, pattern: pattern ?? null, tier: tier ?? null, maxTokens: this.maxTokensOf(tier), template: null, compression: null, source: 'traffic' });
      this.changed.add(route);
      this.changes++;
    } else if (known.pattern === null && pattern !== undefined) {
      entry.variants.set(variant, { ...known, pattern });
      this.changed.add(route);
      this.changes++;
    }
    if (entry.current === null) {
      entry.current = variant;
      this.changes++;
    }
  }

  /** Registers or replaces a variant (API or action). */
  register(route: string, info: VariantInfo): void {
    const entry = this.entry(route);
    if (info.source === 'api') entry.pinned = true;
    const known = entry.variants.get(info.variant);
    entry.variants.set(info.variant, known && info.source === 'action' ? { ...known, ...withoutNulls(info, known) } : info);
    // A candidate never becomes production by being registered; only a promotion does that.
    if (entry.current === null && info.source !== 'action') entry.current = info.variant;
    this.changed.add(route);
    this.changes++;
  }

  /** The variant in production, or null for an unknown route. */
  current(route: string): VariantInfo | null {
    const entry = this.routes.get(route);
    if (entry?.current == null) return null;
    return entry.variants.get(entry.current) ?? null;
  }

  /** Makes a known variant the production one (promotion). */
  setCurrent(route: string, variant: string): void {
    const entry = this.entry(route);
    entry.current = variant;
    entry.pinned = true;
    this.changed.add(route);
    this.changes++;
  }

  /** The route's entry as plain JSON (null for an unknown route). */
  exportRoute(route: string): RegistryEntryState | null {
    const entry = this.routes.get(route);
    if (entry === undefined) return null;
    return { current: entry.current, pinned: entry.pinned, variants: [...entry.variants.values()] };
  }

  /**
   * Replaces the route's entry with a stored one (restart, takeover, another
   * instance's change). Config-declared variants missing from it are kept, so
   * a variant added to the config since the entry was stored is not lost.
   */
  importRoute(route: string, state: RegistryEntryState): void {
    const previous = this.routes.get(route);
    const variants = new Map(state.variants.map((v) => [v.variant, v]));
    for (const v of previous?.variants.values() ?? []) if (v.source === 'config' && !variants.has(v.variant)) variants.set(v.variant, v);
    this.routes.set(route, { current: state.current ?? previous?.current ?? null, pinned: state.pinned, variants });
    this.changes++;
  }

  /** Routes whose entry changed since the last call (for mirroring to a store). */
  takeChanged(): string[] {
    const out = [...this.changed];
    this.changed.clear();
    return out;
  }

  /**
   * Forgets a route that was only ever learned from traffic (not configured,
   * never promoted, no registered variant), once its traffic stopped: route
   * names churn, and memory must stay bounded over weeks. Returns whether it did.
   */
  forgetIfLearned(route: string): boolean {
    const entry = this.routes.get(route);
    if (entry === undefined || entry.pinned || this.config.routes[route] !== undefined) return false;
    for (const v of entry.variants.values()) if (v.source !== 'traffic') return false;
    this.routes.delete(route);
    this.changes++;
    return true;
  }

  variant(route: string, variant: string): VariantInfo | null {
    return this.routes.get(route)?.variants.get(variant) ?? null;
  }

  variants(route: string): VariantInfo[] {
    return [...(this.routes.get(route)?.variants.values() ?? [])].sort((a, b) => (a.variant < b.variant ? -1 : a.variant > b.variant ? 1 : 0));
  }

  /** Max-token limit of a budget tier, or null. */
  maxTokensOf(tier: string | undefined | null): number | null {
    if (tier == null) return null;
    return this.config.actions.budget_tiers[tier]?.max_tokens ?? null;
  }

  private entry(route: string): RouteEntry {
    let entry = this.routes.get(route);
    if (entry === undefined) {
      entry = { current: null, variants: new Map(), pinned: false };
      this.routes.set(route, entry);
    }
    return entry;
  }
}

function withoutNulls(info: VariantInfo, known: VariantInfo): Partial<VariantInfo> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(info)) if (v !== null || (known as unknown as Record<string, unknown>)[k] === undefined) out[k] = v;
  return out as Partial<VariantInfo>;
}

/** A registry variant as a decision record's VariantRef. */
export function toVariantRef(info: VariantInfo): VariantRef {
  const ref: { -readonly [K in keyof VariantRef]: VariantRef[K] } = { variant: info.variant };
  if (info.pattern !== null) ref.pattern = info.pattern;
  if (info.tier !== null) ref.tier = info.tier;
  if (info.maxTokens !== null) ref.max_tokens = info.maxTokens;
  return ref;
}

/** A variant as the HTTP API shows it: the registry's fields in the API's one spelling (snake_case). */
export interface VariantView {
  readonly variant: string;
  readonly pattern: Pattern | null;
  readonly tier: string | null;
  readonly max_tokens: number | null;
  readonly template: string | null;
  readonly compression: {
    readonly level: string;
    readonly tokens_before: number;
    readonly tokens_after: number;
    readonly saving_pct: number;
    readonly transforms: readonly { readonly name: string; readonly tokens_saved: number }[];
  } | null;
  readonly source: VariantInfo['source'];
}

/** The API view of a registry variant (`GET/POST /v1/routes/{route}/variants`). */
export function toVariantView(info: VariantInfo): VariantView {
  const c = info.compression;
  return {
    variant: info.variant, pattern: info.pattern, tier: info.tier, max_tokens: info.maxTokens, template: info.template,
    compression: c === null ? null : {
      level: c.level, tokens_before: c.tokensBefore, tokens_after: c.tokensAfter, saving_pct: c.savingPct,
      transforms: c.transforms.map((t) => ({ name: t.name, tokens_saved: t.tokensSaved })),
    },
    source: info.source,
  };
}
