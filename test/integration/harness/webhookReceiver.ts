import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver got, with the status it answered. */
export interface ReceivedRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly status: number;
}

/** What the receiver answers a request: a status, optional headers and an optional body (default `ok` / `nope`). */
export type Answer = (
  request: { path: string; headers: IncomingHttpHeaders; body: string },
  seen: readonly ReceivedRequest[],
) => { status: number; headers?: Record<string, string>; body?: string };

/** A real HTTP endpoint standing in for a webhook/Slack receiver, with a knob for its answers. */
export interface WebhookReceiver {
  readonly url: string;
  readonly port: number;
  readonly requests: ReceivedRequest[];
  /** Changes how it answers from now on. */
  answer: Answer;
  /**
   * While true the receiver is down: every connection is reset as soon as it is accepted, before a
   * request is read (nothing is recorded), as a sender sees a receiver that is not running. The port
   * stays this receiver's meanwhile, so setting it back to false brings the receiver up where senders
   * were told it is (a port released and bound again later may be taken by another process in between).
   */
  down: boolean;
  /** Resolves once `predicate` holds over the requests (polls; rejects after `timeoutMs`). */
  waitFor(predicate: (requests: readonly ReceivedRequest[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts a receiver on a free loopback port; `down` starts it down (see {@link WebhookReceiver.down}). */
export async function startWebhookReceiver(answer: Answer = () => ({ status: 200 }), options: { down?: boolean } = {}): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const receiver = { answer, down: options.down === true };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const { status, headers, body: answerBody } = receiver.answer({ path: req.url ?? '/', headers: req.headers, body }, requests);
      requests.push({ path: req.url ?? '/', headers: req.headers, body, status });
      res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(answerBody ?? (status < 300 ? 'ok' : 'nope'));
    });
  });
  server.on('connection', (socket) => {
    if (receiver.down) socket.resetAndDestroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/hook`,
    port: bound,
    requests,
    get answer() {
      return receiver.answer;
    },
    set answer(next: Answer) {
      receiver.answer = next;
    },
    get down() {
      return receiver.down;
    },
    set down(next: boolean) {
      receiver.down = next;
    },
    async waitFor(predicate, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(requests)) {
        if (Date.now() > deadline) throw new Error(`receiver: condition not met within ${timeoutMs} ms (${requests.length} requests)`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/**
 * Checks a `Promptpilot-Signature` header the way docs/operations.md
 * ("Verifying a webhook") tells a receiver to: HMAC-SHA256 over `"<t>.<raw body>"`,
 * and `t` within five minutes of `nowSeconds`.
 */
export function verifySignature(secret: string, rawBody: string, header: string, nowSeconds: number): boolean {
  const fields = Object.fromEntries(header.split(',').map((kv) => kv.split('=') as [string, string]));
  const t = fields['t'] ?? '';
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex');
  return fields['v1'] === expected && Math.abs(nowSeconds - Number(t)) <= 300;
}
