// Regression (found validating configs as a new user): a route (or price, tier, stage) named __proto__ in the
// config was dropped without a word by the schema's maps, so `routes: {__proto__: {targets: …}}` validated and the
// route ran on the global targets. Such a key is refused naming its path and place, like any other bad key.
import { describe, expect, it } from 'vitest';
import { parseConfig, parseYamlDocument } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';

const load = (text: string) => {
  const { value, locate } = parseYamlDocument(text, 'c.yaml');
  return parseConfig(value, 'c.yaml', locate);
};

describe('__proto__ as a name in the config', () => {
  it.each([
    ['routes:\n  __proto__:\n    targets: { latency_p95_ms: 6000 }\n', 'routes.__proto__', 'line 2, column 3'],
    ['prices:\n  __proto__: { input_per_mtok: 1, output_per_mtok: 2 }\n', 'prices.__proto__', 'line 2, column 3'],
    ['routes:\n  search:\n    rules:\n      __proto__: { threshold: 1 }\n', 'routes.search.rules.__proto__', 'line 4, column 7'],
  ])('%j is refused naming %s', (text, path, at) => {
    expect(() => load(text)).toThrow(ConfigError);
    expect(() => load(text)).toThrow(`c.yaml: ${path}: '__proto__' cannot be a name in the config (JavaScript reserves it); choose another (${at})`);
  });

  it('other names, constructor included, are names', () => {
    expect(load('routes:\n  constructor:\n    targets: { latency_p95_ms: 6000 }\n').routes['constructor']?.targets?.latency_p95_ms).toBe(6000);
  });
});
