// Program rwlock-readers-writers (in the spirit of OSv's tests/tst-rwlock.cc): OSv threads on the
// scheduler model share a two-cell record under one rwlock (osv-internals.md §3.7). Writers update
// both cells under wlock (optionally taking it recursively between the two stores, or downgrading to
// a read lock afterwards); readers check the cells are equal under rlock. Who holds the lock is
// tracked in plain JS at every acquire and release, so exclusion is asserted at the moment it breaks.

import { z } from "zod";
import { describeRwlockWord, type KernelThread, RWLOCK_VARIANTS, Rwlock } from "../../kernel/index.js";
import { type Guest, load, store } from "../../sim/index.js";
import { type ProgramContext, registerProgram } from "../registry.js";
import { durationType } from "../units.js";

const params = z.strictObject({
  writers: z
    .number()
    .int()
    .min(0)
    .max(4096)
    .default(1)
    .meta({ description: "how many of the workload's threads write (the first ones); the rest read" }),
  iterations: z.number().int().min(0).max(100_000).default(10).meta({ description: "sections per thread" }),
  read_work: durationType()
    .default(200)
    .meta({ description: "compute between reading the record's two cells" }),
  write_work: durationType().default(200).meta({ description: "compute between writing the two cells" }),
  think: durationType().default(300).meta({ description: "compute before each section" }),
  pause: durationType()
    .default(0)
    .meta({ description: "sleep before each section, so the CPU's other threads run in between" }),
  recursive_every: z
    .number()
    .int()
    .min(0)
    .default(0)
    .meta({ description: "every n-th write takes wlock again between its two stores (0: never)" }),
  downgrade_every: z
    .number()
    .int()
    .min(0)
    .default(0)
    .meta({ description: "every n-th write downgrades to a read lock and re-checks the record (0: never)" }),
  try_every: z
    .number()
    .int()
    .min(0)
    .default(0)
    .meta({ description: "every n-th section tries first (try_rlock / try_wlock), then blocks (0: never)" }),
  variant: z.enum(RWLOCK_VARIANTS).default("correct").meta({ description: "the rwlock, or a mutant" }),
});
type Params = z.output<typeof params>;

/** Every n-th iteration (1-based), or never for n = 0. */
const every = (n: number, iteration: number) => n > 0 && (iteration + 1) % n === 0;

/** Checker state (plain JS): who is inside a section right now. */
class Occupancy {
  writersIn = 0;
  readersIn = 0;
  constructor(
    private readonly context: ProgramContext<Params>,
    private readonly name: string,
  ) {}

  private check(ok: boolean, message: () => string): void {
    if (this.context.enabled.has("rwlock-exclusion"))
      this.context.sim.assert(ok, "rwlock-exclusion", message);
  }
  enterWrite(who: string): void {
    this.check(
      this.writersIn === 0 && this.readersIn === 0,
      () =>
        `${who} writes ${this.name} with ${this.writersIn} writer(s) and ${this.readersIn} reader(s) inside`,
    );
    this.writersIn++;
  }
  leaveWrite(): void {
    this.writersIn--;
  }
  enterRead(who: string): void {
    this.check(this.writersIn === 0, () => `${who} reads ${this.name} while a writer is inside`);
    this.readersIn++;
  }
  leaveRead(): void {
    this.readersIn--;
  }
}

function build(context: ProgramContext<Params>) {
  const { params, sim } = context;
  if (params.writers > context.threads)
    throw new RangeError(`rwlock-readers-writers: ${params.writers} writers of ${context.threads} threads`);
  const kernel = context.osv();
  const prefix = `w${context.index}`;
  const finished = new Set<number>();
  let lateWakes = 0;
  const rwlock = new Rwlock(sim, kernel, `${prefix}.rwlock`, {
    variant: params.variant,
    // A wake after its target finished: in OSv that thread may be gone (raw thread::wake()).
    onWake: (thread: KernelThread, site) => {
      if (!finished.has(thread.id)) return;
      lateWakes++;
      if (context.enabled.has("rwlock-wake-lifetime"))
        sim.fail("rwlock-wake-lifetime", `${site} woke ${thread.name} after it finished`);
    },
  });
  const a = sim.memory.cell(`${prefix}.record.a`);
  const b = sim.memory.cell(`${prefix}.record.b`);
  const inside = new Occupancy(context, rwlock.name);
  const counts = { reads: 0, writes: 0, done: 0 };

  function* readRecord(who: string): Guest<void> {
    const first = yield load(a);
    if (params.read_work > 0) yield* kernel.api.compute(params.read_work);
    const second = yield load(b);
    if (context.enabled.has("rwlock-consistent"))
      sim.assert(
        first === second,
        "rwlock-consistent",
        () => `${who} read a torn record: a=${first} b=${second}`,
      );
    counts.reads++;
  }

  function* reader(who: string, n: number): Guest<void> {
    if (!(every(params.try_every, n) && (yield* rwlock.tryRlock()))) yield* rwlock.rlock();
    inside.enterRead(who);
    yield* readRecord(who);
    inside.leaveRead();
    yield* rwlock.runlock();
  }

  function* writer(who: string, n: number): Guest<void> {
    if (!(every(params.try_every, n) && (yield* rwlock.tryWlock()))) yield* rwlock.wlock();
    inside.enterWrite(who);
    const value = yield load(a);
    const other = yield load(b);
    if (context.enabled.has("rwlock-consistent"))
      sim.assert(
        value === other,
        "rwlock-consistent",
        () => `${who} found a torn record: a=${value} b=${other}`,
      );
    yield store(a, value + 1);
    if (params.write_work > 0) yield* kernel.api.compute(params.write_work);
    if (every(params.recursive_every, n)) {
      // The inner wunlock must not release the lock: a reader would see the half-written record.
      yield* rwlock.wlock();
      yield* rwlock.wunlock();
    }
    yield store(b, value + 1);
    counts.writes++;
    if (every(params.downgrade_every, n)) {
      inside.leaveWrite();
      inside.enterRead(who);
      yield* rwlock.downgrade();
      yield* readRecord(who);
      inside.leaveRead();
      yield* rwlock.runlock();
      return;
    }
    inside.leaveWrite();
    yield* rwlock.wunlock();
  }

  for (let i = 0; i < context.threads; i++) {
    const writes = i < params.writers;
    const who = `${prefix}.${writes ? "writer" : "reader"}${i}`;
    const pin = context.pin;
    const where =
      pin === undefined || pin.length === 0
        ? { cpu: 0, pinned: false }
        : { cpu: pin[i % pin.length]!, pinned: true };
    if (where.cpu >= kernel.cpus.length) throw new RangeError(`pin: cpu ${where.cpu} does not exist`);
    kernel.spawn(
      who,
      function* (api, self): Guest<void> {
        for (let n = 0; n < params.iterations; n++) {
          if (params.pause > 0) yield* api.sleep(params.pause);
          if (params.think > 0) yield* api.compute(params.think);
          yield* writes ? writer(who, n) : reader(who, n);
        }
        counts.done++;
        finished.add(self.id);
      },
      { priority: context.priority, ...where },
    );
  }

  const expectedWrites = params.writers * params.iterations;
  return {
    endChecks: {
      "rwlock-progress": () => {
        if (counts.done !== context.threads)
          return `${counts.done} of ${context.threads} threads finished (${counts.writes} writes, ${counts.reads} reads); _readers ${describeRwlockWord(rwlock.readers.value)}, _writer_wait ${rwlock.writerWait.value}`;
        if (a.value !== expectedWrites || b.value !== expectedWrites)
          return `record is a=${a.value} b=${b.value}, expected ${expectedWrites} writes`;
        if (rwlock.readers.value !== 0 || rwlock.readWaiters.size !== 0 || rwlock.wmtx.count.value !== 0)
          return `${rwlock.name} not at rest: _readers ${describeRwlockWord(rwlock.readers.value)}, ${rwlock.readWaiters.size} queued, _wmtx count ${rwlock.wmtx.count.value}`;
        return null;
      },
    },
    metrics: () => ({
      reads: counts.reads,
      writes: counts.writes,
      queued_reads: rwlock.stats.queuedReads,
      self_admitted_reads: rwlock.stats.selfAdmittedReads,
      admit_spins: rwlock.stats.admitSpins,
      admitted_readers: rwlock.stats.admittedReaders,
      admit_spins_max: rwlock.stats.admitSpinsMax,
      admit_spin_ns_max: rwlock.stats.admitSpinNsMax,
      waited_writes: rwlock.stats.waitedWrites,
      writer_wakes: rwlock.stats.writerWakes,
      late_wakes: lateWakes,
    }),
  };
}

registerProgram({
  name: "rwlock-readers-writers",
  usesKernel: () => true,
  description:
    "OSv threads on the scheduler: writers update a two-cell record under wlock, readers check it under rlock (tst-rwlock)",
  params,
  checks: [
    {
      name: "rwlock-exclusion",
      description: "a writer is alone; readers never overlap a writer (at every acquire)",
    },
    {
      name: "rwlock-consistent",
      description: "no reader (or writer) ever sees the record's two cells differ",
    },
    {
      name: "rwlock-progress",
      description: "every thread finishes its sections, the record counts every write, the lock ends at rest",
    },
    {
      name: "rwlock-wake-lifetime",
      description:
        "no rwlock wake reaches a thread that already finished (OSv's raw thread::wake() would touch it)",
    },
  ],
  build,
});
