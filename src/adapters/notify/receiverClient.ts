import type { ReceiverConfig } from '../../config/notifySchema.js';
import { describeError } from '../../core/errors.js';
import { classifyResponse, signatureHeader, type DeliveryOutcome } from '../../notify/index.js';

/** The HTTP request one message becomes for its receiver. */
export interface ReceiverRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Builds the request for a message: the receiver's URL (Alertmanager:
 * `<url>/api/v2/alerts`) with its `user:password@` sent as HTTP Basic
 * `Authorization` instead, JSON content type, `Idempotency-Key`, and for a
 * webhook with a secret `Promptpilot-Signature` over `"<t>.<body>"` with `t`
 * the send time in unix seconds (fresh on every retry; the key stays).
 */
export function receiverRequest(receiver: ReceiverConfig, key: string, body: string, nowMs: number, userAgent: string): ReceiverRequest {
  const { address, authorization } = withoutCredentials(receiver.url);
  const url = receiver.type === 'alertmanager' ? `${address.replace(/\/+$/, '')}/api/v2/alerts` : address;
  const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': key, 'user-agent': userAgent };
  if (authorization !== undefined) headers['authorization'] = authorization;
  if (receiver.type === 'webhook' && receiver.secret !== undefined) headers['promptpilot-signature'] = signatureHeader(receiver.secret, body, nowMs / 1000);
  return { url, headers, body };
}

/**
 * A URL's `user:password@` as HTTP Basic credentials, and the URL without
 * them: `fetch` refuses a URL that carries credentials, so every delivery to
 * such a receiver failed before it was sent.
 */
function withoutCredentials(url: string): { address: string; authorization?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { address: url };
  }
  if (parsed.username === '' && parsed.password === '') return { address: url };
  const credentials = `${decoded(parsed.username)}:${decoded(parsed.password)}`;
  parsed.username = '';
  parsed.password = '';
  return { address: parsed.toString(), authorization: `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}` };
}

function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/**
 * Sends one message with `fetch` and classifies the answer; a timeout or a
 * network error is a retriable outcome, never a throw.
 */
export async function sendToReceiver(receiver: ReceiverConfig, key: string, body: string, nowMs: number, userAgent = 'promptpilot'): Promise<DeliveryOutcome> {
  const request = receiverRequest(receiver, key, body, nowMs, userAgent);
  try {
    const response = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body, signal: AbortSignal.timeout(receiver.timeout), redirect: 'manual' });
    const text = response.ok ? '' : await response.text().catch(() => '');
    return classifyResponse(response.status, response.headers.get('retry-after'), nowMs, text.replace(/\s+/g, ' ').trim());
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    if (timedOut) return { kind: 'retry', reason: `no answer within ${receiver.timeout} ms`, code: 'TIMEOUT' };
    return { kind: 'retry', reason: `cannot reach the receiver: ${describeError(err)}`, code: networkCode(err) };
  }
}

/** The system error code behind a failed `fetch` (`ECONNREFUSED`, `ENOTFOUND`…: undici puts it in `cause`), else the error's name. */
function networkCode(err: unknown): string {
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  return err instanceof Error ? err.name : 'ERROR';
}
