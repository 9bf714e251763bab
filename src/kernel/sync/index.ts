// Synchronization primitives (osv-internals.md §3), written against WaitPort.

export { CONDVAR_VARIANTS, Condvar, type CondvarVariant, ETIMEDOUT } from "./condvar.js";
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
export {
  SEMAPHORE_VARIANTS,
  Semaphore,
  type SemaphoreAccount,
  type SemaphoreOptions,
  SemaphoreRecord,
  type SemaphoreVariant,
} from "./semaphore.js";
export { WaitRecord } from "./wait-record.js";
export {
  WAITQUEUE_VARIANTS,
  WaitObject,
  Waitqueue,
  type WaitqueueOptions,
  type WaitqueueVariant,
  waitFor,
} from "./waitqueue.js";
