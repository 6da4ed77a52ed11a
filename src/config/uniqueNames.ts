import type { z } from 'zod';

/**
 * A `superRefine` for a list of named entries: each name after its first use is an issue at `[i, 'name']`,
 * `duplicate <what> name 'x' (<list>[0] has it too)`.
 */
export function uniqueNames(what: string, list: string): (entries: readonly { readonly name: string }[], ctx: z.RefinementCtx) => void {
  return (entries, ctx) => {
    const seen = new Map<string, number>();
    entries.forEach((entry, i) => {
      const first = seen.get(entry.name);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate ${what} name '${entry.name}' (${list}[${first}] has it too)` });
      else seen.set(entry.name, i);
    });
  };
}
