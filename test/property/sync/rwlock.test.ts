// Goal: OSv's rwlock v2 (§3.7) keeps writers alone, never lets a reader see a half-written record,
// and loses no wakeup, whatever the interleaving; its planted mistakes are found. Method: fast-check
// choice sequences drive (1) the rwlock-readers-writers scenario on 2-4 vCPUs of the scheduler model
// with injected interrupts (preemption between any two steps), whose mutants seeded runs find as
// `osv-sim fuzz` does, and (2) engine processes on a ProcessWaitPort, where every step is a
// scheduling choice and fast-check finds the mutants; there an enumeration of schedules with few
// preemptions also shows a wake the rwlock issues reaching a thread that already finished.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildScenario, choiceSequences, loadScenario } from "../../../src/index.js";
import { ProcessWaitPort, Rwlock, type RwlockVariant } from "../../../src/kernel/index.js";
import {
  compute,
  type Guest,
  load,
  SequenceStrategy,
  Simulation,
  type Strategy,
  store,
} from "../../../src/sim/index.js";

function scenario(cpus: number) {
  const pins = Array.from({ length: 5 }, (_, i) => i % cpus).join(", ");
  return loadScenario(
    `rwlock-${cpus}.yaml`,
    `name: rwlock-${cpus}
machine: { cpus: ${cpus}, memory: 1MiB }
duration: 2ms
faults:
  - { kind: interrupt-injection, probability: 0.05 }
  - { kind: compute-jitter, probability: 0.3, max: 300ns }
workloads:
  - program: rwlock-readers-writers
    threads: 5
    pin: [${pins}]
    params:
      writers: 2
      iterations: 6
      read_work: 300ns
      write_work: 300ns
      think: 300ns
      pause: 500ns
      recursive_every: 2
      downgrade_every: 3
      try_every: 2
checks: [rwlock-exclusion, rwlock-consistent, rwlock-progress]
`,
  );
}

/**
 * Whole-run choice sequences, sparse: one value in five may be non-zero (values up to the jitter
 * bound, so a choice can pick any jitter). Dense sequences inject an interrupt at every other step
 * and slow every thread alike, so readers and writers rarely meet in the few-instruction windows
 * (a writer releasing between a reader's pending count and its push) that the coverage below needs.
 */
const runSequences = choiceSequences({ maxLength: 4000, maxValue: 300, density: 0.2 });

const PASS = [
  { name: "rwlock-exclusion", status: "pass" },
  { name: "rwlock-consistent", status: "pass" },
  { name: "rwlock-progress", status: "pass" },
];

describe("rwlock on OSv threads (scheduler model)", () => {
  for (const cpus of [2, 3, 4]) {
    it(`on ${cpus} vCPUs: exclusion, consistent reads, every section, under chosen schedules and interrupts`, () => {
      const s = scenario(cpus);
      // How many runs took each slow path: the schedules must reach them, not only the fast paths.
      const reached = { queued_reads: 0, self_admitted_reads: 0, waited_writes: 0, admit_spins_max: 0 };
      fc.assert(
        fc.property(runSequences, (values) => {
          const built = buildScenario(s, { sim: { strategy: new SequenceStrategy(values) } });
          const result = built.run();
          expect(result.failure).toBeNull();
          expect(result.checks).toEqual(PASS);
          const metrics = built.metrics();
          for (const key of Object.keys(reached) as (keyof typeof reached)[])
            if ((metrics[`w0.${key}`] ?? 0) > 0) reached[key]++;
        }),
        { numRuns: 340 },
      );
      console.log(`${cpus} vCPUs, runs that reached each path of 340: ${JSON.stringify(reached)}`);
      for (const count of Object.values(reached)) expect(count).toBeGreaterThan(0);
    });
  }

  for (const name of ["wlock-sets-writer-wait-late", "rlock-skips-pending-recheck"]) {
    it(`the ${name} mutant is found by seeded runs (as osv-sim fuzz does)`, () => {
      const s = loadScenario(`scenarios/bugs/rwlock-${name}.yaml`);
      let first = 0;
      for (let seed = 1; seed <= 400 && first === 0; seed++) {
        const result = buildScenario(s, { seed }).run();
        if (result.outcome !== "ok") {
          expect(result.failure?.check).toBe("rwlock-progress");
          first = seed;
        }
      }
      expect(first).toBeGreaterThan(0);
    });
  }
});

interface EngineRun {
  outcome: string;
  check: string | undefined;
  lateWakes: string[];
  admitSpins: number;
}

/**
 * The sequence's choices, then the processes take turns in id order. OSv's wake_pending_readers
 * waits for a reader that counted itself pending but has not queued yet by spinning; a schedule that
 * never lets that reader run (the sequence's default 0 keeps the current process) spins forever.
 * OSv's CPUs run in parallel and preempt, so the checks below need a fair tail; the spin itself is
 * shown by the last test, on the plain sequence.
 */
class SequenceThenTurns implements Strategy {
  readonly name = "sequence-then-turns";
  private position = 0;
  private last = -1;
  constructor(private readonly values: readonly number[]) {}
  private next(): number | undefined {
    return this.position < this.values.length ? this.values[this.position++] : undefined;
  }
  choose(n: number): number {
    return (this.next() ?? 0) % n;
  }
  chance(): number {
    return (this.next() ?? 0) % 2;
  }
  schedule(candidates: readonly number[]): number {
    const value = this.next();
    if (value !== undefined) return value % candidates.length;
    const sorted = [...candidates].sort((x, y) => x - y);
    const id = sorted.find((c) => c > this.last) ?? sorted[0]!;
    this.last = id;
    return candidates.indexOf(id);
  }
}

/**
 * Preemption-bounded schedules (as CHESS enumerates them): at the scheduling decisions whose index
 * is in `switches` run another process (the next ready one), at the others keep the current one;
 * after decision `horizon` take turns.
 */
class SwitchAt implements Strategy {
  readonly name = "switch-at";
  private decisions = 0;
  private readonly turns = new SequenceThenTurns([]);
  constructor(
    private readonly switches: ReadonlySet<number>,
    private readonly horizon: number,
  ) {}
  choose(): number {
    return 0;
  }
  chance(): number {
    return 0;
  }
  schedule(candidates: readonly number[]): number {
    const index = this.decisions++;
    if (index >= this.horizon) return this.turns.schedule(candidates);
    return this.switches.has(index) ? 1 : 0;
  }
}

/** Subsets of [0, horizon) with at most `bound` members, smallest first, in lexicographic order. */
function* switchSets(horizon: number, bound: number, from = 0, chosen: number[] = []): Generator<number[]> {
  yield chosen;
  if (chosen.length === bound) return;
  for (let i = from; i < horizon; i++) yield* switchSets(horizon, bound, i + 1, [...chosen, i]);
}

interface Cast {
  variant?: RwlockVariant;
  /** Take turns once the sequence is spent (see SequenceThenTurns). */
  fair?: boolean;
  writers?: number;
  readers?: number;
  iterations?: number;
  /** Overrides the strategy built from the values. */
  strategy?: Strategy;
}

/**
 * Writers and readers as engine processes, each step a scheduling choice. Writers bump a two-cell
 * record under wlock (recursively on odd iterations; downgrading on the last), readers compare it.
 */
function engineRun(values: readonly number[], cast: Cast = {}): EngineRun {
  const { variant = "correct", fair = true, writers = 2, readers = 3, iterations = 2 } = cast;
  const strategy = cast.strategy ?? (fair ? new SequenceThenTurns(values) : new SequenceStrategy(values));
  const sim = new Simulation({ strategy, limits: { maxStepsPerInstant: 20_000 } });
  const port = new ProcessWaitPort(sim);
  const finished = new Set<number>();
  const lateWakes: string[] = [];
  const rw = new Rwlock(sim, port, "rw", {
    variant,
    onWake: (thread, site) => {
      if (finished.has(thread.id)) lateWakes.push(`${site} woke ${thread.name}`);
    },
  });
  const a = sim.memory.cell("a");
  const b = sim.memory.cell("b");
  let writersIn = 0;
  let readersIn = 0;
  const spawn = (name: string, body: () => Guest<void>) => {
    const thread = port.adopt(
      sim.spawn(name, function* () {
        yield* body();
        finished.add(thread.id);
      }),
    );
  };
  function* read(): Guest<void> {
    sim.assert(writersIn === 0, "rwlock-exclusion", "a reader overlaps a writer");
    readersIn++;
    const first = yield load(a);
    const second = yield load(b);
    sim.assert(first === second, "rwlock-consistent", () => `torn: ${first} ${second}`);
    readersIn--;
  }
  for (let w = 0; w < writers; w++) {
    spawn(`w${w}`, function* () {
      for (let n = 0; n < iterations; n++) {
        yield compute(10);
        yield* rw.wlock();
        sim.assert(writersIn === 0 && readersIn === 0, "rwlock-exclusion", "a writer is not alone");
        writersIn++;
        const value = yield load(a);
        yield store(a, value + 1);
        if (n % 2 === 1) {
          yield* rw.wlock();
          yield* rw.wunlock();
        }
        yield store(b, value + 1);
        writersIn--;
        if (n === iterations - 1 && w === 1) {
          yield* rw.downgrade();
          yield* read();
          yield* rw.runlock();
        } else {
          yield* rw.wunlock();
        }
      }
    });
  }
  for (let r = 0; r < readers; r++) {
    spawn(`r${r}`, function* () {
      for (let n = 0; n < iterations; n++) {
        yield compute(10);
        yield* rw.rlock();
        yield* read();
        yield* rw.runlock();
      }
    });
  }
  const result = sim.run();
  const at = result.outcome === "ok" && (rw.readers.value !== 0 || a.value !== writers * iterations);
  return {
    outcome: at ? "not-at-rest" : result.outcome,
    check: result.failure?.check,
    lateWakes,
    admitSpins: rw.stats.admitSpins,
  };
}

describe("rwlock on engine processes (every step a choice)", () => {
  const sequences = fc.array(fc.nat({ max: 6 }), { maxLength: 500, size: "max" });

  it("exclusion, consistent reads, no lost wakeup, at rest at the end (1000 schedules)", () => {
    fc.assert(
      fc.property(sequences, (values) => {
        const run = engineRun(values);
        expect(run.check).toBeUndefined();
        expect(run.outcome).toBe("ok");
      }),
      { numRuns: 1000 },
    );
  });

  it("finds the runlock-skips-writer-wake and wlock-sets-writer-wait-late deadlocks", () => {
    for (const variant of ["runlock-skips-writer-wake", "wlock-sets-writer-wait-late"] as const) {
      const details = fc.check(
        fc.property(sequences, (values) => engineRun(values, { variant }).outcome === "ok"),
        { numRuns: 1000 },
      );
      expect(details.failed).toBe(true);
      expect(engineRun(details.counterexample![0], { variant }).outcome).toBe("deadlock");
    }
  });

  it("a wake the rwlock issues after publishing the condition can reach a thread that already finished", () => {
    // OSv's runlock stores _writer_wait = false, and wake_pending_readers clears the reader's item,
    // before calling thread::wake() on a raw pointer (no wake_with/RCU): a finished thread may be gone.
    // Random schedules almost never line this up (three switches at exact steps), so enumerate the
    // schedules of one writer and one reader with up to three preemptions, fewest first.
    const cast = { writers: 1, readers: 1, iterations: 1 };
    let found: { switches: number[]; run: EngineRun } | null = null;
    let tried = 0;
    for (const switches of switchSets(40, 3)) {
      tried++;
      const run = engineRun([], { ...cast, strategy: new SwitchAt(new Set(switches), 40) });
      expect(run.check).toBeUndefined();
      if (run.lateWakes.length > 0) {
        found = { switches, run };
        break;
      }
    }
    expect(found).not.toBeNull();
    expect(found!.run.outcome).toBe("ok");
    console.log(
      `late wake: ${found!.run.lateWakes.join("; ")}, switches at [${found!.switches}] (${tried} schedules)`,
    );
  });

  it("without a fair tail the releasing writer can spin forever waiting for a pending reader", () => {
    const details = fc.check(
      fc.property(sequences, (values) => engineRun(values, { fair: false }).outcome !== "budget"),
      { numRuns: 1000 },
    );
    expect(details.failed).toBe(true);
    const run = engineRun(details.counterexample![0], { fair: false });
    expect(run.outcome).toBe("budget");
    expect(run.admitSpins).toBeGreaterThan(1000);
  });
});
