// The POSIX-style synchronization surface workloads are written against (OSv's libc layer maps
// pthread_mutex_*, pthread_cond_*, sem_* and pthread_rwlock_* onto these same primitives: see
// libc/pthread.cc, core/semaphore.cc and core/rwlock.cc, osv-internals.md §3). Every call answers an errno value
// (0 on success) as POSIX does; deadlines are absolute, in the kernel's clock (the one api.now()
// reads). Thin by design: all behaviour lives in the primitives, so a workload written here runs the
// exact lockfree::mutex, condvar and semaphore algorithms the property tests search.

import { type Guest, load, type Simulation } from "../../sim/index.js";
import type { WaitPort } from "../port/index.js";
import { Condvar, ETIMEDOUT } from "../sync/condvar.js";
import { LockfreeMutex } from "../sync/mutex.js";
import { Rwlock } from "../sync/rwlock.js";
import { Semaphore } from "../sync/semaphore.js";

export const EPERM = 1;
export const EAGAIN = 11;
export const EBUSY = 16;
export const EINVAL = 22;
export { ETIMEDOUT };

export class Pthread {
  constructor(
    private readonly sim: Simulation,
    private readonly port: WaitPort,
  ) {}

  // ---- pthread_mutex_* (recursive, as OSv's mutex_t always is) ------------------------------------

  mutexInit(name: string): LockfreeMutex {
    return new LockfreeMutex(this.sim, this.port, name);
  }

  *mutexLock(mutex: LockfreeMutex): Guest<number> {
    yield* mutex.lock();
    return 0;
  }

  *mutexTrylock(mutex: LockfreeMutex): Guest<number> {
    return (yield* mutex.tryLock()) ? 0 : EBUSY;
  }

  /** EPERM when the caller does not own it (OSv would assert; POSIX error-checking mutexes refuse). */
  *mutexUnlock(mutex: LockfreeMutex): Guest<number> {
    const owner = yield load(mutex.owner);
    if (owner !== this.port.current().id) return EPERM;
    yield* mutex.unlock();
    return 0;
  }

  // ---- pthread_cond_* ------------------------------------------------------------------------------

  condInit(name: string): Condvar {
    return new Condvar(this.sim, this.port, name);
  }

  *condWait(cond: Condvar, mutex: LockfreeMutex): Guest<number> {
    return yield* cond.wait(mutex);
  }

  /** 0 when signalled, ETIMEDOUT once `deadlineNs` passed; the mutex is held again either way. */
  *condTimedwait(cond: Condvar, mutex: LockfreeMutex, deadlineNs: number): Guest<number> {
    if (!Number.isSafeInteger(deadlineNs) || deadlineNs < 0) return EINVAL;
    return yield* cond.wait(mutex, deadlineNs);
  }

  *condSignal(cond: Condvar): Guest<number> {
    yield* cond.wakeOne();
    return 0;
  }

  *condBroadcast(cond: Condvar): Guest<number> {
    yield* cond.wakeAll();
    return 0;
  }

  // ---- sem_* -----------------------------------------------------------------------------------------

  semInit(name: string, value: number): Semaphore {
    return new Semaphore(this.sim, this.port, name, value);
  }

  *semWait(sem: Semaphore): Guest<number> {
    yield* sem.wait(1);
    return 0;
  }

  *semTimedwait(sem: Semaphore, deadlineNs: number): Guest<number> {
    if (!Number.isSafeInteger(deadlineNs) || deadlineNs < 0) return EINVAL;
    return (yield* sem.wait(1, deadlineNs)) ? 0 : ETIMEDOUT;
  }

  *semTrywait(sem: Semaphore): Guest<number> {
    return (yield* sem.tryWait(1)) ? 0 : EAGAIN;
  }

  *semPost(sem: Semaphore): Guest<number> {
    yield* sem.post(1);
    return 0;
  }

  // ---- pthread_rwlock_* (OSv's rwlock: a writer may re-lock for writing recursively) ------------------

  rwlockInit(name: string): Rwlock {
    return new Rwlock(this.sim, this.port, name);
  }

  *rwlockRdlock(rwlock: Rwlock): Guest<number> {
    yield* rwlock.rlock();
    return 0;
  }

  *rwlockTryrdlock(rwlock: Rwlock): Guest<number> {
    return (yield* rwlock.tryRlock()) ? 0 : EBUSY;
  }

  *rwlockWrlock(rwlock: Rwlock): Guest<number> {
    yield* rwlock.wlock();
    return 0;
  }

  *rwlockTrywrlock(rwlock: Rwlock): Guest<number> {
    return (yield* rwlock.tryWlock()) ? 0 : EBUSY;
  }

  /** Unlocks what the caller holds: the write lock if it is the writer, else a read lock. */
  *rwlockUnlock(rwlock: Rwlock): Guest<number> {
    if (rwlock.writer === this.port.current().id) yield* rwlock.wunlock();
    else yield* rwlock.runlock();
    return 0;
  }
}
