// Writes config/default.yaml from the schema's defaults (a test fails when the file is stale).
import { writeFileSync } from 'node:fs';
import { renderDefaultConfig } from '../src/config/defaultConfigFile.js';

writeFileSync(new URL('../config/default.yaml', import.meta.url), renderDefaultConfig());
