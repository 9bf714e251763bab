// Synchronization primitives (osv-internals.md §3), written against WaitPort.

export { Condvar } from "./condvar.js";
export {
  LockfreeMutex,
  MAX_HANDOFF_ROUNDS,
  MUTEX_VARIANTS,
  type MutexOptions,
  type MutexStats,
  type MutexVariant,
} from "./mutex.js";
export { WaitRecord } from "./wait-record.js";
