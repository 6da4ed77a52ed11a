// Regression (found in the QA pass): a route listing two variants of one name passed validate-config, and the two
// were then read differently: the route registry kept the last entry (its pattern, template), the engine's lookups
// the first. It is now a config error naming the second entry, worded as for duplicate rules and receivers.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';

describe('duplicate variant names in a route', () => {
  it('are refused at the second entry', () => {
    const variants = [{ name: 'a', pattern: 'chain_of_thought' }, { name: 'b' }, { name: 'a', pattern: 'few_shot' }];
    expect(() => parseConfig({ routes: { r: { variants } } })).toThrow("routes.r.variants[2].name: duplicate variant name 'a' (variants[0] has it too)");
  });

  it('one name per route; the same name on two routes is fine', () => {
    const config = parseConfig({ routes: { r: { variants: [{ name: 'a' }] }, s: { variants: [{ name: 'a' }] } } });
    expect(Object.keys(config.routes)).toEqual(['r', 's']);
  });
});
