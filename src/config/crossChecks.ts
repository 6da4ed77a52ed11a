import type { z } from 'zod';
import { RuleSchema, type Rule } from './ruleSchema.js';
import { plainIssue, type MergeIssue } from './ruleMerge.js';
import { bareRecord } from '../core/records.js';

/** What the cross-field checks read: the config after each section was validated on its own. */
export interface CheckedShape {
  readonly rules: readonly Rule[];
  readonly routes: Readonly<Record<string, {
    readonly current?: string | undefined;
    readonly tier?: string | undefined;
    readonly variants: readonly { readonly name: string; readonly tier?: string | undefined }[];
    readonly rules: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  }>>;
  readonly actions: { readonly budget_tiers: Readonly<Record<string, unknown>>; readonly default_tier: string };
  readonly abtest: { readonly ramp: readonly number[] };
}

/** Keys a route may not change in a rule: they make it a different rule. */
const FIXED_RULE_KEYS = ['name', 'metric', 'op'] as const;

/**
 * Checks that span sections, in plain words with the paths the docs use:
 * tiers named anywhere exist in `actions.budget_tiers`; a route's `current`
 * variant is one of its `variants`; `abtest.ramp` shares increase; per-route
 * rule overrides name an existing rule and change only its thresholds and
 * timing. Pure; returns the problems found.
 */
export function crossCheck(config: CheckedShape): MergeIssue[] {
  const issues: MergeIssue[] = [];
  const tiers = Object.keys(config.actions.budget_tiers);
  const tierProblem = (tier: string | undefined, path: (string | number)[]): void => {
    if (tier !== undefined && !tiers.includes(tier)) issues.push({ path, message: `unknown tier '${tier}' (actions.budget_tiers has ${tiers.join(', ') || 'none'})` });
  };
  tierProblem(config.actions.default_tier, ['actions', 'default_tier']);
  config.abtest.ramp.forEach((share, i) => {
    const before = config.abtest.ramp[i - 1];
    if (before !== undefined && !(share > before)) {
      issues.push({ path: ['abtest', 'ramp', i], message: `ramp shares must increase step by step (${share} comes after ${before})` });
    }
  });
  const ruleNames = config.rules.map((r) => r.name);
  for (const [route, settings] of Object.entries(config.routes)) {
    tierProblem(settings.tier, ['routes', route, 'tier']);
    settings.variants.forEach((v, i) => tierProblem(v.tier, ['routes', route, 'variants', i, 'tier']));
    const names = settings.variants.map((v) => v.name);
    if (settings.current !== undefined && names.length > 0 && !names.includes(settings.current)) {
      issues.push({ path: ['routes', route, 'current'], message: `'${settings.current}' is not one of the route's variants (${names.join(', ')})` });
    }
    for (const [name, patch] of Object.entries(settings.rules)) {
      if (!ruleNames.includes(name)) {
        issues.push({ path: ['routes', route, 'rules', name], message: `no rule named '${name}' (rules: ${ruleNames.join(', ')})` });
        continue;
      }
      for (const key of FIXED_RULE_KEYS) {
        if (key in patch) issues.push({ path: ['routes', route, 'rules', name, key], message: `a route may change a rule's threshold, timing or severity, not its ${key}` });
      }
    }
  }
  return issues;
}

/**
 * The per-route rules of every route: each `routes.<route>.rules.<name>`
 * override merged over the rule of that name (keys it sets replace the
 * rule's), validated like a rule. Call after {@link crossCheck} found nothing.
 */
export function resolveRouteRules(config: CheckedShape): { readonly byRoute: Record<string, Record<string, Rule>>; readonly issues: MergeIssue[] } {
  const byRoute: Record<string, Record<string, Rule>> = {};
  const issues: MergeIssue[] = [];
  for (const [route, settings] of Object.entries(config.routes)) {
    const resolved = bareRecord<Rule>();
    for (const [name, patch] of Object.entries(settings.rules)) {
      const base = config.rules.find((r) => r.name === name);
      if (base === undefined) continue;
      const parsed = RuleSchema.safeParse({ ...base, ...patch, name, metric: base.metric, op: base.op });
      if (parsed.success) resolved[name] = parsed.data;
      else for (const issue of parsed.error.issues) issues.push(plainIssue(issue, ['routes', route, 'rules', name]));
    }
    byRoute[route] = resolved;
  }
  return { byRoute, issues };
}

/** Adds problems to a zod refinement context (paths relative to where the context sits). */
export function report(ctx: z.core.$RefinementCtx, issues: readonly MergeIssue[]): void {
  for (const issue of issues) ctx.addIssue({ code: 'custom', message: issue.message, path: [...issue.path] });
}
