import { PartitionAssigners, type PartitionAssigner } from 'kafkajs';

/**
 * kafkajs' round-robin assigner whose group leader holds its SyncGroup back
 * for `graceMs` when the group has more than one member, so the followers'
 * SyncGroup requests reach the coordinator first.
 *
 * @remarks Why: a coordinator may complete a generation as soon as the leader's
 * assignment arrives and answer a follower's later SyncGroup with an error
 * instead of its assignment. librdkafka's mock cluster does exactly that
 * (INVALID_REQUEST, "request malformed … incompatible broker"), and kafkajs
 * treats that error as fatal: the follower's consumer crashed whenever its
 * process was a few milliseconds slower than the leader's metadata round trip.
 * Apache Kafka itself keeps the assignment for late followers, so there the
 * delay only lengthens a rebalance by `graceMs`. The protocol name stays
 * `RoundRobinAssigner`, so members running plain kafkajs can share the group.
 * The source restarts a crashed consumer in any case; this makes the crash rare.
 */
export function syncGraceAssigner(graceMs: number): PartitionAssigner {
  return (config) => {
    const inner = PartitionAssigners.roundRobin(config);
    return {
      name: inner.name,
      version: inner.version,
      protocol: (subscription) => inner.protocol(subscription),
      async assign(group) {
        const assignment = await inner.assign(group);
        if (group.members.length > 1 && graceMs > 0) await new Promise((resolve) => setTimeout(resolve, graceMs));
        return assignment;
      },
    };
  };
}
