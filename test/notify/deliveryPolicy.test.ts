import { describe, expect, it } from 'vitest';
import { NotifySchema } from '../../src/config/notifySchema.js';
import { classifyResponse, nextStep, parseRetryAfterMs, RateLimiter, retryDelayMs, signatureHeader, verifySignature } from '../../src/notify/index.js';

const delivery = NotifySchema.parse({}).delivery;
const NOW = 1_800_000_000_000;

describe('delivery policy', () => {
  it.each([
    [200, 'delivered'], [202, 'delivered'], [500, 'retry'], [503, 'retry'], [429, 'retry'], [400, 'rejected'], [401, 'rejected'], [404, 'rejected'], [301, 'rejected'],
  ] as const)('HTTP %i is %s', (status, kind) => {
    expect(classifyResponse(status, null, NOW).kind).toBe(kind);
  });

  it('honours Retry-After in seconds and as a date, capped by max_backoff', () => {
    expect(parseRetryAfterMs('7', NOW)).toBe(7000);
    expect(parseRetryAfterMs(new Date(NOW + 12_000).toUTCString(), NOW)).toBe(12_000);
    expect(parseRetryAfterMs('soon', NOW)).toBeNull();
    const outcome = classifyResponse(429, '20', NOW);
    expect(nextStep(outcome, 1, delivery, NOW, 0)).toMatchObject({ kind: 'retry', retryAtMs: NOW + 20_000 });
    expect(retryDelayMs(1, delivery, 0, 10 * 60_000)).toBe(delivery.max_backoff);
  });

  it('backs off exponentially with jitter down to half, then dead-letters after max_attempts', () => {
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, delivery, 0))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(3, delivery, 0.999)).toBeGreaterThanOrEqual(2000);
    expect(retryDelayMs(3, delivery, 0.999)).toBeLessThan(4000);
    expect(retryDelayMs(30, delivery, 0)).toBe(300_000);
    const fail = classifyResponse(500, null, NOW);
    expect(nextStep(fail, delivery.max_attempts - 1, delivery, NOW, 0).kind).toBe('retry');
    expect(nextStep(fail, delivery.max_attempts, delivery, NOW, 0)).toMatchObject({ kind: 'dead_letter', reason: expect.stringMatching(/gave up after 8 attempts/) });
    expect(nextStep(classifyResponse(400, null, NOW, 'bad field'), 1, delivery, NOW, 0)).toMatchObject({ kind: 'dead_letter', reason: expect.stringMatching(/HTTP 400: bad field .*not retried/) });
  });

  it('rate limiter lets N per minute through and says how long the next waits', () => {
    const limiter = new RateLimiter(2);
    expect(limiter.reserve(NOW)).toBe(0);
    expect(limiter.reserve(NOW + 10)).toBe(0);
    expect(limiter.waitMs(NOW + 20)).toBe(60_000 - 20);
    expect(limiter.reserve(NOW + 20)).toBe(60_000 - 20);
    expect(limiter.reserve(NOW + 60_000)).toBe(0);
    expect(new RateLimiter(0).reserve(NOW)).toBe(0);
  });
});

describe('webhook signature', () => {
  it('verifies with the recipe in docs/operations.md and fails on any change', async () => {
    const { createHmac } = await import('node:crypto');
    const body = '{"decision":{"type":"trigger"}}';
    const header = signatureHeader('s3cret', body, NOW / 1000);
    // The documented recipe, step by step.
    const [tPart, vPart] = header.split(',');
    const t = tPart!.slice(2);
    const expected = createHmac('sha256', 's3cret').update(`${t}.${body}`).digest('hex');
    expect(vPart).toBe(`v1=${expected}`);
    expect(verifySignature('s3cret', body, header, NOW / 1000)).toBe(true);
    expect(verifySignature('s3cret', body + ' ', header, NOW / 1000)).toBe(false);
    expect(verifySignature('other', body, header, NOW / 1000)).toBe(false);
    expect(verifySignature('s3cret', body, header, NOW / 1000 + 301)).toBe(false);
    expect(verifySignature('s3cret', body, 'garbage', NOW / 1000)).toBe(false);
  });
});
