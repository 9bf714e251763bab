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
export {
  describeRwlockWord,
  downgradedWord,
  MAX_OWNING_READERS,
  MAX_PENDING_READERS,
  owningReaders,
  PENDING_READERS_MASK,
  PENDING_WRITER,
  pendingReaders,
  READER_LOCK_INC,
  READERS_MASK,
  RWLOCK_VARIANTS,
  Rwlock,
  type RwlockOptions,
  type RwlockStats,
  type RwlockVariant,
  rwlockWord,
  WRITER_LOCK,
  writerLocked,
  writerLockedWord,
  writerPending,
} from "./rwlock.js";
export { WaitRecord } from "./wait-record.js";
