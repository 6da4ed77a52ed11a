// Regenerates docs/configuration.md from the config schema.
import { writeFileSync } from 'node:fs';
import { renderConfigReference } from '../src/config/configReference.js';

writeFileSync(new URL('../docs/configuration.md', import.meta.url), renderConfigReference());
