import type { ExperimentManager } from '../abtest/experimentManager.js';
import type { Arm } from '../core/event.js';
import type { Pattern } from '../core/patterns.js';
import type { PipelineEngine } from '../engine/engine.js';
import type { VariantInfo } from '../variants/routeRegistry.js';
import type { Pipeline } from './ingestService.js';

/** A variant an operator registers (`POST /v1/routes/{route}/variants`). */
export interface VariantRegistration {
  readonly name: string;
  readonly pattern?: Pattern | undefined;
  /** The prompt template; the daemon derives compressed candidates from it. */
  readonly template?: string | undefined;
  /** Budget tier; sets the variant's max tokens. */
  readonly tier?: string | undefined;
}

/** The variant registry's use cases: list a route's variants, register one (serialized with the event stream). */
export class VariantService {
  constructor(
    private readonly engine: PipelineEngine,
    private readonly pipeline: Pipeline,
  ) {}

  /** The route's known variants, or null for an unknown route. */
  variants(route: string): VariantInfo[] | null {
    const registry = this.engine.experiments.registry;
    return registry.has(route) ? registry.variants(route) : null;
  }

  /**
   * What is wrong with a registration before it is taken, or null: a tier that
   * `actions.budget_tiers` lacks (the config refuses it too; taken, it left the
   * variant with no max tokens and a token_optimization with nothing to lower).
   */
  problem(registration: VariantRegistration): string | null {
    const tiers = Object.keys(this.engine.config.actions.budget_tiers);
    if (registration.tier === undefined || tiers.includes(registration.tier)) return null;
    return `tier: unknown tier '${registration.tier}' (actions.budget_tiers has ${tiers.join(', ') || 'none'})`;
  }

  /**
   * Registers (or replaces) a variant; resolves with it as the registry now holds it. A variant an
   * experiment compares now (an arm of the running one, or of the promoted one under its watch) is not
   * replaced: the outcome names the experiment and the arm.
   */
  async register(route: string, registration: VariantRegistration): Promise<RegistrationOutcome> {
    const found: { comparing: ReturnType<ExperimentManager['comparing']> } = { comparing: null };
    await this.pipeline.submit({
      kind: 'command',
      run: (engine) => {
        found.comparing = engine.experiments.comparing(route, registration.name);
        if (found.comparing !== null) return [];
        const registry = engine.experiments.registry;
        registry.register(route, {
          variant: registration.name, pattern: registration.pattern ?? null, tier: registration.tier ?? null, maxTokens: registry.maxTokensOf(registration.tier),
          template: registration.template ?? null, compression: null, source: 'api',
        });
        return [];
      },
    });
    if (found.comparing !== null) return { kind: 'compared', ...found.comparing };
    return { kind: 'registered', variant: this.variants(route)?.find((v) => v.variant === registration.name) ?? null };
  }
}

/** What {@link VariantService.register} did: registered the variant, or left it as it is because an experiment compares it. */
export type RegistrationOutcome =
  | { readonly kind: 'registered'; readonly variant: VariantInfo | null }
  | { readonly kind: 'compared'; readonly experiment: string; readonly arm: Arm; readonly watch: boolean };
