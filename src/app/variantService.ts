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

  /** Registers (or replaces) a variant; resolves with it as the registry now holds it. */
  async register(route: string, registration: VariantRegistration): Promise<VariantInfo | null> {
    await this.pipeline.submit({
      kind: 'command',
      run: (engine) => {
        const registry = engine.experiments.registry;
        registry.register(route, {
          variant: registration.name, pattern: registration.pattern ?? null, tier: registration.tier ?? null, maxTokens: registry.maxTokensOf(registration.tier),
          template: registration.template ?? null, compression: null, source: 'api',
        });
        return [];
      },
    });
    return this.variants(route)?.find((v) => v.variant === registration.name) ?? null;
  }
}
