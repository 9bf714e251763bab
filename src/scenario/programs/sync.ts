// Guest programs for OSv's synchronization primitives on engine Processes (each thread on its own
// notional CPU, adopted into a ProcessWaitPort until the scheduler model provides threads):
// threads counting under lockfree::mutex, producers and one consumer on queue_mpsc, a
// producer/consumer pair on ring_spsc across the 32-bit counter wrap (each with buggy variants),
// and the destroy-after-acquire pattern of OSv's open issue #137 with a use-after-free checker.

import { z } from "zod";
import {
  LockfreeMutex,
  MUTEX_VARIANTS,
  type MutexVariant,
  ProcessHost,
  ProcessWaitPort,
  QueueMpsc,
  type QueueMpscVariant,
  RingSpsc,
  type RingSpscVariant,
  type ThreadHost,
} from "../../kernel/index.js";
import {
  type Cell,
  compute,
  type Guest,
  load,
  type MemoryModel,
  type Simulation,
  store,
} from "../../sim/index.js";
import { registerProgram } from "../registry.js";
import { durationType } from "../units.js";
import { hostFor, hostParam } from "./hosts.js";

export interface MutexCounterOptions {
  threads: number;
  increments: number;
  /** Compute inside the critical section, between the counter's load and store. */
  workNs: number;
  /** Compute before each lock. */
  thinkNs: number;
  variant: MutexVariant;
  /** Take the lock twice (recursively) around each increment. */
  recursive: boolean;
  /** Try try_lock first and fall back to lock. */
  tryFirst: boolean;
  /** Assert mutual exclusion at every acquire and release. */
  checkExclusion: boolean;
}

export const DEFAULT_MUTEX_COUNTER: MutexCounterOptions = {
  threads: 3,
  increments: 3,
  workNs: 0,
  thinkNs: 100,
  variant: "correct",
  recursive: false,
  tryFirst: false,
  checkExclusion: true,
};

/** Threads that each increment a plain counter (load, then store) under one mutex. */
export function spawnMutexCounter(
  sim: Simulation,
  options: MutexCounterOptions,
  prefix = "mutex",
  host: ThreadHost = new ProcessHost(sim),
) {
  const port = host.port;
  const mutex = new LockfreeMutex(sim, port, `${prefix}.mutex`, { variant: options.variant });
  const counter = sim.memory.cell(`${prefix}.counter`);
  let inside = 0;
  const acquire = function* (): Guest {
    if (!options.tryFirst || !(yield* mutex.tryLock())) yield* mutex.lock();
    if (options.recursive) yield* mutex.lock();
    if (options.checkExclusion)
      sim.assert(inside === 0, "mutual-exclusion", () => `${inside} other thread(s) hold ${mutex.name}`);
    inside++;
  };
  const release = function* (): Guest {
    if (options.checkExclusion)
      sim.assert(inside === 1, "mutual-exclusion", () => `${inside} threads hold ${mutex.name} at release`);
    inside--;
    if (options.recursive) yield* mutex.unlock();
    yield* mutex.unlock();
  };
  for (let t = 0; t < options.threads; t++) {
    host.spawn(
      `${prefix}.t${t}`,
      function* (): Guest {
        for (let i = 0; i < options.increments; i++) {
          if (options.thinkNs > 0) yield compute(options.thinkNs);
          yield* acquire();
          const value = yield load(counter);
          if (options.workNs > 0) yield compute(options.workNs);
          yield store(counter, value + 1);
          yield* release();
        }
      },
      t,
    );
  }
  return { mutex, counter, port, expected: options.threads * options.increments };
}

/** The end-of-run check of mutex-counter: no update was lost. */
export function counterTotalCheck(counter: Cell, expected: number): () => string | null {
  return () =>
    counter.value === expected
      ? null
      : `counter is ${counter.value}, expected ${expected}: an update was lost under the mutex, or a thread never got it back`;
}

registerProgram({
  name: "mutex-counter",
  usesKernel: (params) => params.on === "osv",
  description: "threads increment a plain counter (load, then store) under one lockfree::mutex",
  params: z.strictObject({
    on: hostParam(),
    increments: z.number().int().min(0).max(100_000).default(3),
    work: durationType().default(0).meta({ description: "compute between the counter's load and store" }),
    think: durationType().default(100).meta({ description: "compute before each lock" }),
    variant: z.enum(MUTEX_VARIANTS).default("correct").meta({ description: "the mutex, or a mutant" }),
    recursive: z.boolean().default(false).meta({ description: "lock twice around each increment" }),
    try_first: z.boolean().default(false).meta({ description: "try_lock first, then lock" }),
  }),
  checks: [
    {
      name: "mutual-exclusion",
      description: "never two threads hold the mutex (asserted at acquire/release)",
    },
    { name: "mutex-counter-total", description: "the counter equals threads x increments at the end" },
  ],
  build(context) {
    const { sim, params, threads, index, enabled } = context;
    const { counter, expected } = spawnMutexCounter(
      sim,
      {
        threads,
        increments: params.increments,
        workNs: params.work,
        thinkNs: params.think,
        variant: params.variant,
        recursive: params.recursive,
        tryFirst: params.try_first,
        checkExclusion: enabled.has("mutual-exclusion"),
      },
      `w${index}`,
      hostFor(context, params.on),
    );
    return { endChecks: { "mutex-counter-total": counterTotalCheck(counter, expected) } };
  },
});

export interface QueueStressOptions {
  producers: number;
  items: number;
  thinkNs: number;
  variant?: QueueMpscVariant;
  checkExactlyOnce: boolean;
  checkFifo: boolean;
}

interface QueueItem {
  producer: number;
  index: number;
}

/** Producers push numbered items onto one queue_mpsc; one consumer pops them all. */
export function spawnQueueStress(
  sim: Simulation,
  options: QueueStressOptions,
  prefix = "queue",
  host: ThreadHost = new ProcessHost(sim),
) {
  const port = host.port;
  const total = options.producers * options.items;
  const queue = new QueueMpsc<QueueItem>(sim, `${prefix}.queue`, {
    capacity: Math.max(1, total),
    variant: options.variant ?? "correct",
  });
  const seen = new Set<number>();
  const lastIndex = new Array<number>(options.producers).fill(-1);
  const consumer = host.spawn(
    `${prefix}.consumer`,
    function* (): Guest {
      // Each round pops an item or waits; a wait ends at most once per push, so 2 x total + 1 bounds it.
      for (let round = 0; seen.size < total; round++) {
        sim.assert(round <= 2 * total + 1, "queue-consumer-bound", `consumer looped ${round} times`);
        const item = yield* queue.pop();
        if (item === undefined) {
          yield* port.waitUntil(function* (): Guest<boolean> {
            return !(yield* queue.empty());
          });
          continue;
        }
        const key = item.producer * options.items + item.index;
        if (options.checkExactlyOnce)
          sim.assert(
            !seen.has(key),
            "queue-exactly-once",
            () => `item ${item.producer}/${item.index} popped twice`,
          );
        if (options.checkFifo) {
          sim.assert(
            item.index === lastIndex[item.producer]! + 1,
            "queue-producer-fifo",
            () => `producer ${item.producer}: item ${item.index} after ${lastIndex[item.producer]}`,
          );
        }
        lastIndex[item.producer] = item.index;
        seen.add(key);
      }
    },
    options.producers,
  );
  for (let p = 0; p < options.producers; p++) {
    const producer = p;
    host.spawn(
      `${prefix}.producer${p}`,
      function* (): Guest {
        for (let index = 0; index < options.items; index++) {
          if (options.thinkNs > 0) yield compute(options.thinkNs);
          yield* queue.push({ producer, index });
          yield* port.wake(consumer);
        }
      },
      p,
    );
  }
  const exactlyOnce = () =>
    seen.size === total && queue.size === 0
      ? null
      : `consumer popped ${seen.size} of ${total} items; ${queue.size} left in the queue`;
  return { queue, seen, total, exactlyOnce };
}

registerProgram({
  name: "queue-stress",
  usesKernel: (params) => params.on === "osv",
  description: "`threads` producers push numbered items onto one queue_mpsc; one consumer pops them",
  params: z.strictObject({
    on: hostParam(),
    items: z.number().int().min(0).max(100_000).default(4).meta({ description: "items per producer" }),
    think: durationType().default(50).meta({ description: "compute before each push" }),
    variant: z
      .enum(["correct", "refill-without-reverse"])
      .default("correct")
      .meta({ description: "refill-without-reverse: a planted mutant (pop hands out the newest item)" }),
  }),
  checks: [
    { name: "queue-exactly-once", description: "every item is popped exactly once" },
    { name: "queue-producer-fifo", description: "each producer's items come out in push order" },
  ],
  build(context) {
    const { sim, params, threads, index, enabled } = context;
    const { exactlyOnce } = spawnQueueStress(
      sim,
      {
        producers: threads,
        items: params.items,
        thinkNs: params.think,
        variant: params.variant,
        checkExactlyOnce: enabled.has("queue-exactly-once"),
        checkFifo: enabled.has("queue-producer-fifo"),
      },
      `w${index}`,
      hostFor(context, params.on),
    );
    return { endChecks: { "queue-exactly-once": exactlyOnce } };
  },
});

export interface RingSpscProgramOptions {
  capacity: number;
  items: number;
  startCounter: number;
  thinkNs: number;
  variant: RingSpscVariant;
  checkFifo: boolean;
}

/** A producer and a consumer on one ring_spsc; each waits (WaitPort) when full / empty. */
export function spawnRingSpsc(
  sim: Simulation,
  options: RingSpscProgramOptions,
  prefix = "ring",
  host: ThreadHost = new ProcessHost(sim),
) {
  const port = host.port;
  const ring = new RingSpsc(sim, `${prefix}.ring`, {
    capacity: options.capacity,
    startCounter: options.startCounter,
    variant: options.variant,
  });
  let received = 0;
  const bound = 3 * options.items + 2;
  const producer = host.spawn(
    `${prefix}.producer`,
    function* (): Guest {
      for (let item = 0; item < options.items; item++) {
        if (options.thinkNs > 0) yield compute(options.thinkNs);
        for (let round = 0; !(yield* ring.push(item)); round++) {
          sim.assert(round <= bound, "ring-producer-bound", `producer retried ${round} times`);
          yield* port.waitUntil(function* (): Guest<boolean> {
            return !(yield* ring.full());
          });
        }
        yield* port.wake(consumer);
      }
    },
    0,
  );
  const consumer = host.spawn(
    `${prefix}.consumer`,
    function* (): Guest {
      for (let round = 0; received < options.items; round++) {
        sim.assert(round <= bound, "ring-consumer-bound", `consumer looped ${round} times`);
        const item = yield* ring.pop();
        if (item === undefined) {
          yield* port.waitUntil(function* (): Guest<boolean> {
            return !(yield* ring.empty());
          });
          continue;
        }
        if (options.checkFifo)
          sim.assert(item === received, "ring-fifo", () => `popped ${item}, expected ${received}`);
        received++;
        yield* port.wake(producer);
      }
    },
    1,
  );
  const delivery = () =>
    received === options.items ? null : `consumer received ${received} of ${options.items} items`;
  return { ring, delivery, received: () => received };
}

registerProgram({
  name: "ring-spsc",
  usesKernel: (params) => params.on === "osv",
  description: "a producer and a consumer on one ring_spsc whose 32-bit counters wrap during the run",
  params: z.strictObject({
    on: hostParam(),
    capacity: z.number().int().min(1).max(1024).default(4).meta({ description: "slots (a power of two)" }),
    items: z.number().int().min(0).max(100_000).default(16),
    start: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(2 ** 32 - 6)
      .meta({ description: "initial begin/end counter (near 2^32 to cross the wrap)" }),
    think: durationType().default(50).meta({ description: "compute before each push" }),
    variant: z
      .enum(["correct", "issue-225"])
      .default("correct")
      .meta({ description: "issue-225: emptiness tested with >= (OSv #225)" }),
  }),
  checks: [
    { name: "ring-fifo", description: "items come out in push order, none lost or repeated" },
    { name: "ring-delivery", description: "the consumer receives every item" },
  ],
  build(context) {
    const { sim, params, threads, index, enabled } = context;
    if (threads !== 1) throw new RangeError(`ring-spsc runs one producer and one consumer; set threads: 1`);
    const { delivery } = spawnRingSpsc(
      sim,
      {
        capacity: params.capacity,
        items: params.items,
        startCounter: params.start,
        thinkNs: params.think,
        variant: params.variant,
        checkFifo: enabled.has("ring-fifo"),
      },
      `w${index}`,
      hostFor(context, params.on),
    );
    return { endChecks: { "ring-delivery": delivery } };
  },
});

/**
 * A checker memory model: performs accesses on the engine's SC memory, but fails the run when guest
 * code touches a cell after it was freed (a use-after-free in the model).
 */
export class FreedCellChecker implements MemoryModel {
  private readonly freed = new Set<number>();
  constructor(
    private readonly sim: Simulation,
    private readonly memory: MemoryModel,
    private readonly check: string,
  ) {}
  free(cells: readonly Cell[]): void {
    for (const cell of cells) this.freed.add(cell.id);
  }
  private touch(cell: Cell): void {
    this.sim.assert(
      !this.freed.has(cell.id),
      this.check,
      () => `access to '${cell.name}' after it was freed`,
    );
  }
  load(agent: number, cell: Cell): number {
    this.touch(cell);
    return this.memory.load(agent, cell);
  }
  store(agent: number, cell: Cell, value: number): void {
    this.touch(cell);
    this.memory.store(agent, cell, value);
  }
  compareAndSwap(agent: number, cell: Cell, expected: number, desired: number): number {
    this.touch(cell);
    return this.memory.compareAndSwap(agent, cell, expected, desired);
  }
  fetchAdd(agent: number, cell: Cell, delta: number): number {
    this.touch(cell);
    return this.memory.fetchAdd(agent, cell, delta);
  }
  exchange(agent: number, cell: Cell, value: number): number {
    this.touch(cell);
    return this.memory.exchange(agent, cell, value);
  }
  fence(agent: number): void {
    this.memory.fence(agent);
  }
}

/** One checker per simulation, so several mutex-destroy workloads share it. */
const freedCellCheckers = new WeakMap<Simulation, FreedCellChecker>();

/**
 * OSv #137 (open): users leave the critical section after counting themselves done; the last user
 * sees everyone done under the mutex and frees it. An unlocker still in its hand-off loop then
 * reads the freed mutex.
 */
export function spawnMutexDestroy(sim: Simulation, users: number, thinkNs: number, prefix = "destroy") {
  let checker = freedCellCheckers.get(sim);
  if (checker === undefined) {
    checker = new FreedCellChecker(sim, sim.memory, "mutex-use-after-free");
    sim.setMemoryModel(checker);
    freedCellCheckers.set(sim, checker);
  }
  const freed = checker;
  const port = new ProcessWaitPort(sim);
  const mutex = new LockfreeMutex(sim, port, `${prefix}.mutex`);
  const done = sim.memory.cell(`${prefix}.done`);
  for (let u = 0; u < users; u++) {
    const process = sim.spawn(`${prefix}.user${u}`, function* (): Guest {
      if (thinkNs > 0) yield compute(thinkNs * u);
      yield* mutex.lock();
      yield store(done, (yield load(done)) + 1);
      yield* mutex.unlock();
    });
    port.adopt(process);
  }
  const last = sim.spawn(`${prefix}.last`, function* (): Guest {
    for (let round = 0; ; round++) {
      sim.assert(round < 10_000, "mutex-destroy-bound", "the users never finished");
      yield* mutex.lock();
      const finished = yield load(done);
      yield* mutex.unlock();
      if (finished === users) break;
      yield compute(Math.max(1, thinkNs));
    }
    // Everyone left the critical section: by the mutex's contract, nobody uses it any more.
    freed.free(mutex.cells);
  });
  port.adopt(last);
  return { mutex, checker: freed };
}

registerProgram({
  name: "mutex-destroy",
  description: "users count themselves done under a mutex; the last one frees it (OSv #137, open)",
  params: z.strictObject({
    think: durationType().default(0).meta({ description: "stagger between the users' lock() calls" }),
  }),
  checks: [{ name: "mutex-use-after-free", description: "nobody touches the mutex after it is freed" }],
  build({ sim, params, threads, index }) {
    spawnMutexDestroy(sim, threads, params.think, `w${index}`);
    return { endChecks: {} };
  },
});
