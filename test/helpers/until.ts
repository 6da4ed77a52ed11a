/**
 * Polls `probe` until it returns something other than null, every `everyMs`;
 * throws naming `what` after `timeoutMs` (a ceiling for a stuck test, not a
 * timed assertion: a slow machine only waits longer).
 */
export async function until<T>(what: string, probe: () => Promise<T | null>, timeoutMs = 180_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
