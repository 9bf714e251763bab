// Engine benchmarks: the SimPy-style "hold" workload (many threads sleeping random durations) and a
// shared-memory stepping workload with a scheduling choice at every effect.

import {
  compareAndSwap,
  type Guest,
  load,
  type QueueKind,
  type RunResult,
  Simulation,
  sleep,
  store,
} from "../../src/sim/index.js";

export interface HoldOptions {
  threads: number;
  events: number;
  seed: number;
  queue?: QueueKind;
  /** Called every `everyEvents` dispatches (for memory sampling). */
  sample?: { everyEvents: number; callback: (events: number) => void };
}

/** `threads` guest threads each sleep a duration in 0..1000 ns drawn from the choice source. */
export function runHold(options: HoldOptions): RunResult {
  const sim = new Simulation({
    seed: options.seed,
    keepChoiceLog: false,
    queue: options.queue ?? "wheel",
    limits: { maxEvents: options.events + options.threads },
    ...(options.sample === undefined
      ? {}
      : {
          onDispatch: (index: number) => {
            if (index % options.sample!.everyEvents === 0) options.sample!.callback(index);
          },
        }),
  });
  const choice = sim.choice;
  for (let t = 0; t < options.threads; t++) {
    sim.spawn(`hold${t}`, function* (): Guest {
      for (;;) yield sleep(choice.between(0, 1000, "hold"));
    });
  }
  return sim.run();
}

/** Two threads doing load / store / CAS on shared cells, a scheduling choice at every effect. */
export function runStep(options: { effects: number; seed: number }): RunResult {
  const sim = new Simulation({
    seed: options.seed,
    keepChoiceLog: false,
    limits: { maxEvents: options.effects },
  });
  const cells = sim.memory.array("word", 4);
  for (let t = 0; t < 2; t++) {
    sim.spawn(`stepper${t}`, function* (): Guest {
      for (let i = 0; ; i++) {
        const cell = cells[(i + t) & 3]!;
        const v = yield load(cell);
        yield store(cell, v + 1);
        yield compareAndSwap(cells[(i + 1) & 3]!, v, v + 2);
      }
    });
  }
  return sim.run();
}
