const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;

/** FNV-1a 64-bit hash of a string's UTF-8 bytes, as 16 lowercase hex digits. */
export function fnv1a64Hex(text: string): string {
  let hash = FNV64_OFFSET;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * FNV64_PRIME) & MASK64;
  }
  return hash.toString(16).padStart(16, '0');
}

/**
 * Idempotency key of an action: deterministic from (route, variant, rule,
 * episode start in epoch ms), so replaying the same episode always yields the
 * same id and a new episode a new one.
 */
export function actionId(route: string, variant: string, rule: string, episodeStartMs: number): string {
  return fnv1a64Hex(`${route}\u0000${variant}\u0000${rule}\u0000${episodeStartMs}`);
}
