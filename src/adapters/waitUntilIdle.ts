/**
 * Resolves when one of `waiters` is called (the caller pushes the resolver and
 * calls every waiter once it becomes idle) or after `timeoutMs`, whichever is
 * first; the timer never outlives the wait. Used by sources draining on stop.
 */
export async function waitUntilIdle(waiters: (() => void)[], timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    new Promise<void>((resolve) => waiters.push(resolve)),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
}
