import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

/** A TCP proxy in front of a one-broker Kafka cluster that can make the broker "go away". */
export interface KafkaOutageProxy {
  /** Bootstrap address clients should use, `127.0.0.1:PORT`. */
  readonly brokers: string;
  /** True while the broker is unreachable through the proxy. */
  readonly down: boolean;
  /** Cuts every open connection and refuses (accepts, then resets) new ones until {@link restore}. */
  cut(): void;
  /** Lets connections through again. */
  restore(): void;
  /** Holds every broker response back this long (ms, 0 = none), in order: a slow client or link. */
  delayResponses(ms: number): void;
  /** Closes the proxy and every connection. */
  stop(): Promise<void>;
}

/**
 * Starts a TCP proxy for a one-broker cluster at `upstream` (`127.0.0.1:PORT`).
 *
 * @remarks A Kafka client bootstraps, then connects to the address the broker
 * advertises in Metadata/FindCoordinator responses, which would bypass a plain
 * proxy. This one rewrites that advertised port to its own in every response
 * frame (same byte length, so frame sizes stay valid), so every connection of
 * the client goes through it and {@link KafkaOutageProxy.cut} really takes the
 * broker away while the mock cluster keeps its data — librdkafka's mock has no
 * fixed-port option, so killing and restarting it would lose every message.
 */
export async function startKafkaOutageProxy(upstream: string): Promise<KafkaOutageProxy> {
  const [host, portText] = upstream.split(':');
  const upstreamHost = host ?? '127.0.0.1';
  const upstreamPort = Number(portText);
  const sockets = new Set<Socket>();
  let down = false;
  let proxyPort = 0;
  let delayMs = 0;

  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    if (down) {
      client.resetAndDestroy();
      return;
    }
    const broker = connect(upstreamPort, upstreamHost);
    sockets.add(broker);
    broker.on('close', () => {
      sockets.delete(broker);
      client.destroy();
    });
    broker.on('error', () => client.destroy());
    client.on('close', () => broker.destroy());
    client.pipe(broker);
    const rewriter = frameRewriter(upstreamHost, upstreamPort, () => proxyPort);
    // Frames due in order: a later frame is never written before an earlier one, whatever the delay.
    let lastDueMs = 0;
    broker.on('data', (chunk: Buffer) => {
      for (const frame of rewriter(chunk)) {
        const dueMs = Math.max(Date.now() + delayMs, lastDueMs);
        lastDueMs = dueMs;
        if (dueMs <= Date.now()) client.write(frame);
        else setTimeout(() => client.write(frame), dueMs - Date.now());
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxyPort = (server.address() as AddressInfo).port;

  return {
    brokers: `127.0.0.1:${proxyPort}`,
    get down() {
      return down;
    },
    cut() {
      down = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      down = false;
    },
    delayResponses(ms) {
      delayMs = ms;
    },
    async stop() {
      down = true;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Splits the broker's byte stream into size-prefixed frames and rewrites the advertised port in each. */
function frameRewriter(host: string, fromPort: number, toPort: () => number): (chunk: Buffer) => Buffer[] {
  const needle = Buffer.from(host, 'latin1');
  const from = Buffer.alloc(4);
  from.writeInt32BE(fromPort);
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const frames: Buffer[] = [];
    while (pending.length >= 4) {
      const size = pending.readInt32BE(0);
      if (pending.length < 4 + size) break;
      const frame = Buffer.from(pending.subarray(0, 4 + size));
      pending = pending.subarray(4 + size);
      let at = frame.indexOf(needle, 4);
      while (at >= 0) {
        const portAt = at + needle.length;
        if (portAt + 4 <= frame.length && frame.subarray(portAt, portAt + 4).equals(from)) frame.writeInt32BE(toPort(), portAt);
        at = frame.indexOf(needle, portAt);
      }
      frames.push(frame);
    }
    return frames;
  };
}
