// The lock-free queues and rings of include/lockfree (osv-internals.md §3.2, §3.8).

export { MAX_CAS_RETRIES, NodeTable, NULL_NODE } from "./nodes.js";
export { QueueMpsc, type QueueMpscOptions, type QueueMpscVariant } from "./queue-mpsc.js";
export {
  COUNTER_MODULUS,
  counterDistance,
  isPowerOfTwo,
  RingSpsc,
  type RingSpscOptions,
  type RingSpscVariant,
} from "./ring-spsc.js";
export { UnorderedQueueMpsc } from "./unordered-queue-mpsc.js";
export { UnorderedRingMpsc } from "./unordered-ring-mpsc.js";
