import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisKeys } from './redisKeys.js';

/**
 * This process's claim on its instance id (`redis.instance_id`): a key holding a token only this process knows,
 * rewritten on every {@link beat}. Another running daemon with the same id rewrites it with its own token, so a beat
 * that finds a foreign token after this process has written its own shows that the id is in use twice: both daemons
 * would then own the same routes and both decide for them. A token found on the first beat is a predecessor's (a
 * restart after a crash, which keeps its id on purpose) and is not taken for a second daemon.
 */
export class RedisInstancePresence {
  private readonly key: string;
  private readonly token = randomUUID();
  private wrote = false;

  /** @param ttlMs How long the key outlives the last beat: several beat intervals, so a live daemon's key never lapses. */
  constructor(
    private readonly client: Redis,
    prefix: string,
    instanceId: string,
    private readonly ttlMs: number,
  ) {
    this.key = redisKeys(prefix).instance(instanceId);
  }

  /** Writes this process's token; true when another running daemon wrote its own since this one's last beat. */
  async beat(): Promise<boolean> {
    const results = await this.client.multi().getset(this.key, this.token).pexpire(this.key, this.ttlMs).exec();
    const previous = results?.[0]?.[1];
    const foreign = this.wrote && typeof previous === 'string' && previous !== this.token;
    this.wrote = true;
    return foreign;
  }
}
