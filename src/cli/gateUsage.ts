/** `promptpilot gate --help`: shared by the CLI's help and `runGate`, so the two cannot drift apart. */
export const GATE_USAGE = `Usage: promptpilot gate --baseline A.ndjson --candidate B.ndjson [--route R] [--config FILE]

Pre-deployment performance gate: compares two complete recorded runs of one route (NDJSON
telemetry events; a file, or - for stdin; gzip is decompressed) with fixed-horizon confidence intervals and prints a JSON verdict with
per-gate evidence. Pass means every gate is proven to hold; a metric the baseline reports and
the candidate lacks is never passed. Files holding several routes need --route.
Exit 0 pass, 1 fail (regression), 3 inconclusive, 2 bad input or usage (incl. different routes).
`;

/** The options `promptpilot gate` takes a value for. */
export const GATE_FLAGS = ['baseline', 'candidate', 'route', 'config'] as const;
