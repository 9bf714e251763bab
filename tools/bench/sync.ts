// Sync benchmarks: wall-clock rate of lock+unlock pairs for one thread (the fast path), of lock
// hand-overs between 4 contending threads (direct hand-offs plus handoff-token takes), and of RCU
// grace periods on the scheduler model. Each prints as `name value unit`. Wall-clock reads are fine
// here: this measures the simulator.

import { buildMachine } from "../../src/hw/index.js";
import { Kernel, LockfreeMutex, type MutexStats, ProcessWaitPort, rcuOf } from "../../src/kernel/index.js";
import { type Guest, type RunResult, Simulation } from "../../src/sim/index.js";
import { medianRate } from "./measure.js";

export interface MutexBenchRun {
  result: RunResult;
  stats: MutexStats;
}

/** `threads` threads each take and release one mutex `pairs` times, with no work in between. */
export function runMutexPairs(threads: number, pairs: number, seed: number): MutexBenchRun {
  const sim = new Simulation({
    seed,
    keepChoiceLog: false,
    limits: { maxStepsPerInstant: Number.MAX_SAFE_INTEGER },
  });
  const port = new ProcessWaitPort(sim);
  const mutex = new LockfreeMutex(sim, port, "bench", { queueCapacity: threads + 1 });
  for (let t = 0; t < threads; t++) {
    const process = sim.spawn(`t${t}`, function* (): Guest {
      for (let i = 0; i < pairs; i++) {
        yield* mutex.lock();
        yield* mutex.unlock();
      }
    });
    port.adopt(process);
  }
  const result = sim.run();
  if (result.outcome !== "ok") throw new Error(`mutex bench run ended ${result.outcome}: ${result.reason}`);
  return { result, stats: mutex.stats };
}

/** sync.mutex.uncontended_pairs_per_wall_sec: one thread, lock+unlock pairs per wall second. */
export function measureUncontendedPairsPerWallSec(pairs = 200_000, trials = 5, warmups = 2): number {
  return medianRate(
    (trial) => {
      const { stats } = runMutexPairs(1, pairs, 100 + trial);
      if (stats.fastAcquires !== pairs) throw new Error("an uncontended lock left the fast path");
      return pairs;
    },
    trials,
    warmups,
  );
}

/** sync.mutex.contended_handoffs_per_wall_sec: 4 threads, lock hand-overs per wall second. */
export function measureContendedHandoffsPerWallSec(pairsPerThread = 50_000, trials = 5, warmups = 2): number {
  return medianRate(
    (trial) => {
      const { stats } = runMutexPairs(4, pairsPerThread, 100 + trial);
      return stats.directHandoffs + stats.handoffTakes;
    },
    trials,
    warmups,
  );
}

/**
 * RCU on 2 vCPUs: a thread on cpu0 rcu_disposes an object and calls rcu_synchronize, `rounds` times
 * (each a grace period in which rcu0 requests rcu1, which wakes cpu1 from halt with an IPI); answers
 * the grace periods completed.
 */
export function runRcuGracePeriods(rounds: number, seed: number): number {
  const sim = new Simulation({ seed, keepChoiceLog: false, limits: { maxEvents: 100_000_000 } });
  const kernel = new Kernel(sim, buildMachine(sim, { cpus: 2, memoryBytes: 1 << 20 }));
  const rcu = rcuOf(kernel);
  kernel.spawn(
    "deferrer",
    function* (): Guest<void> {
      for (let i = 0; i < rounds; i++) {
        yield* rcu.dispose(rcu.objects.allocate(i, "bench object"), "bench object");
        yield* rcu.synchronize();
      }
    },
    { cpu: 0, pinned: true },
  );
  kernel.start();
  const result = sim.run();
  if (result.outcome !== "ok") throw new Error(`rcu bench run ended ${result.outcome}: ${result.reason}`);
  if (rcu.objects.freed !== rounds) throw new Error(`rcu bench freed ${rcu.objects.freed} of ${rounds}`);
  return rcu.stats.gracePeriods;
}

/** sync.rcu.grace_periods_per_wall_sec: RCU grace periods completed per wall second. */
export function measureRcuGracePeriodsPerWallSec(rounds = 500, trials = 5, warmups = 1): number {
  return medianRate((trial) => runRcuGracePeriods(rounds, 100 + trial), trials, warmups);
}

/** Prints the measurements as `name value unit` lines. */
export function printSyncBench(): void {
  console.log(
    `sync.mutex.uncontended_pairs_per_wall_sec ${measureUncontendedPairsPerWallSec()} pairs_per_sec`,
  );
  console.log(
    `sync.mutex.contended_handoffs_per_wall_sec ${measureContendedHandoffsPerWallSec()} handoffs_per_sec`,
  );
  console.log(
    `sync.rcu.grace_periods_per_wall_sec ${measureRcuGracePeriodsPerWallSec()} grace_periods_per_sec`,
  );
}
