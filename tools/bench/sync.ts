// Mutex benchmarks: wall-clock rate of lock+unlock pairs for one thread (the fast path), and of
// lock hand-overs between 4 contending threads (direct hand-offs plus handoff-token takes). Each
// prints as `name value unit`. Wall-clock reads are fine here: this measures the simulator.

import { LockfreeMutex, type MutexStats, ProcessWaitPort } from "../../src/kernel/index.js";
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

/** Prints both measurements as `name value unit` lines. */
export function printSyncBench(): void {
  console.log(
    `sync.mutex.uncontended_pairs_per_wall_sec ${measureUncontendedPairsPerWallSec()} pairs_per_sec`,
  );
  console.log(
    `sync.mutex.contended_handoffs_per_wall_sec ${measureContendedHandoffsPerWallSec()} handoffs_per_sec`,
  );
}
