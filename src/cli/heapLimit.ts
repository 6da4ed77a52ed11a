import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/** Share of `limits.memory_budget_bytes` given to V8's old generation when the user set no heap limit. */
export const HEAP_SHARE_OF_BUDGET = 5 / 8;

/** Set in the re-executed daemon's environment (the heap limit it was given, MiB): it never re-executes again. */
export const HEAP_DERIVED_ENV = 'PROMPTPILOT_HEAP_DERIVED';

const HEAP_FLAG = /^--max[-_]old[-_]space[-_]size(=|$)/;
const FORWARDED_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** What the re-executed daemon sends its parent over IPC once a SIGHUP can no longer kill it (cli/hangupHold.ts). */
export const HANGUP_READY_MESSAGE = 'promptpilot:sighup-held';

/**
 * V8's old-generation limit for a memory budget, MiB: 5/8 of it (480 MiB of
 * the default 768 MiB), at least 64.
 *
 * @remarks The rest of the budget is memory V8's limit does not cover: the
 * quantile sketches' bins live in ArrayBuffers outside the heap (~40 % of a
 * busy series), plus Node itself, the young generation and request buffers.
 * Without a limit V8 sizes the heap from the machine (~4 GiB on 24 GB) and lets
 * garbage pile up far past any budget before it collects.
 */
export function derivedHeapLimitMiB(memoryBudgetBytes: number): number {
  return Math.max(64, Math.floor((memoryBudgetBytes * HEAP_SHARE_OF_BUDGET) / 2 ** 20));
}

/** Whether V8's heap limit was chosen by the user: a `--max-old-space-size` node flag or one in NODE_OPTIONS. */
export function heapLimitGiven(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return execArgv.some((a) => HEAP_FLAG.test(a)) || (nodeOptions ?? '').split(/\s+/).some((a) => HEAP_FLAG.test(a));
}

/**
 * Runs this CLI again as a child node process with `--max-old-space-size`
 * set to `heapMiB`, and returns its exit code (128 + the signal's number if a
 * signal ended it). SIGTERM, SIGINT and SIGHUP are passed on to the child, so
 * a supervisor's stop and reload reach the daemon; stdio is shared. The child
 * learns of this process's death through the IPC channel and drains. A SIGHUP
 * is passed on only once the child says ({@link HANGUP_READY_MESSAGE}) that it
 * holds SIGHUPs: until then one would end it (Node's default), so it waits here.
 *
 * @remarks Node reads the heap limit only when the isolate is created:
 * `v8.setFlagsFromString` at run time leaves it as it was (tried on Node 20),
 * and Node 20 has no `execve`. A second process is what is left; it costs the
 * parent's own RSS (67 MB measured: Node and the config loader, nothing of the daemon).
 */
export function runWithHeapLimit(heapMiB: number, argv: readonly string[]): Promise<number> {
  const script = process.argv[1] ?? '';
  const child = spawn(process.execPath, [...process.execArgv, `--max-old-space-size=${heapMiB}`, script, ...argv], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [HEAP_DERIVED_ENV]: String(heapMiB) },
  });
  const forward = (signal: NodeJS.Signals) => () => {
    child.kill(signal);
  };
  let childHoldsHangups = false;
  let hangupWaiting = false;
  const onHangup = (): void => {
    if (childHoldsHangups) child.kill('SIGHUP');
    else hangupWaiting = true;
  };
  child.on('message', (message) => {
    if (message !== HANGUP_READY_MESSAGE) return;
    childHoldsHangups = true;
    if (hangupWaiting) child.kill('SIGHUP');
  });
  const handlers = [...FORWARDED_SIGNALS.map((signal) => [signal, forward(signal)] as const), ['SIGHUP', onHangup] as const];
  for (const [signal, handler] of handlers) process.on(signal, handler);
  return new Promise<number>((resolve) => {
    const done = (code: number): void => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
      resolve(code);
    };
    child.once('error', (err) => {
      process.stderr.write(`promptpilot: cannot start the daemon with --max-old-space-size=${heapMiB}: ${err.message}\n`);
      done(70);
    });
    child.once('exit', (code, signal) => done(code ?? 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0))));
  });
}
