// Small guest programs shared by the engine property tests.

import {
  block,
  compareAndSwap,
  compute,
  type Guest,
  load,
  type Process,
  type Simulation,
  store,
  wake,
} from "../../../src/sim/index.js";

/** A blocking lock built from a CAS on an owner cell, a waiter list and block/wake. */
export interface TestLock {
  name: string;
  owner: ReturnType<Simulation["memory"]["cell"]>;
  waiters: Process[];
}

export function makeLock(sim: Simulation, name: string): TestLock {
  return { name, owner: sim.memory.cell(`${name}.owner`), waiters: [] };
}

export function* lock(l: TestLock, me: Process): Guest {
  for (;;) {
    if ((yield compareAndSwap(l.owner, 0, me.id + 1)) === 0) return;
    l.waiters.push(me);
    // Re-check after queueing: an unlock in between would otherwise be missed.
    if ((yield load(l.owner)) === 0) {
      l.waiters.splice(l.waiters.indexOf(me), 1);
      continue;
    }
    yield block();
  }
}

export function* unlock(l: TestLock): Guest {
  yield store(l.owner, 0);
  const next = l.waiters.shift();
  if (next !== undefined) yield wake(next);
}

/** Work between steps, so runs span virtual time. */
export const work = (ns: number) => compute(ns);
