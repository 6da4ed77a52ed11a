/** Redis adapters (ioredis): the state store, the decision log as a Stream, the connection, the key layout. */
export { connectRedis, type RedisConnectionOptions } from './redisConnection.js';
export { redisEndpoint, redisFailureCause, redisOutage, watchConnection } from './redisFailure.js';
export { RedisDecisionLog, type RedisDecisionLogOptions } from './redisDecisionLog.js';
export { redisKeys, type RedisKeys } from './redisKeys.js';
export { RedisStateStore, type RedisStateStoreOptions } from './redisStateStore.js';
export { RedisOutbox } from './redisOutbox.js';
export { RedisHistoryStore, type RedisHistoryStoreOptions } from './redisHistoryStore.js';
export { RedisInstancePresence } from './redisInstancePresence.js';
