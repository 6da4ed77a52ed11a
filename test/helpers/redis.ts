import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { connectRedis } from '../../src/adapters/redis/index.js';
import { startRedis, type RedisServer } from '../integration/harness/index.js';

/** A redis-server and a client for the whole test file: started in `beforeAll`, stopped in `afterAll`. */
export interface SuiteRedis {
  readonly server: RedisServer;
  readonly client: Redis;
  /** A fresh key prefix: an empty store on the shared server. */
  prefix(): string;
  /** Another connection to the server, as a second daemon instance has its own; closed in `afterAll`. */
  connect(): Promise<Redis>;
}

/** Starts a private redis-server for the file's tests; read `.current` inside tests. */
export function redisForSuite(): { readonly current: SuiteRedis } {
  const holder: { current: SuiteRedis } = { current: undefined as unknown as SuiteRedis };
  let n = 0;
  const others: Redis[] = [];
  beforeAll(async () => {
    const server = await startRedis();
    const client = await connectRedis(server.url);
    const connect = async (): Promise<Redis> => {
      const other = await connectRedis(server.url);
      others.push(other);
      return other;
    };
    holder.current = { server, client, prefix: () => `t${++n}:`, connect };
  });
  afterAll(async () => {
    for (const other of others) other.disconnect();
    holder.current?.client.disconnect();
    await holder.current?.server.stop();
  });
  return holder;
}
