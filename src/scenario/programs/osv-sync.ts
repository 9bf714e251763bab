// Guest programs for OSv's blocking primitives on OSv threads (the scheduler model is the WaitPort):
// a bounded buffer under a mutex and two condvars with optional timed waits (tst-condvar,
// misc-ctxsw's handshake), a pool of semaphore units taken and given back, some with timed waits
// (tst-semaphore, tst-sem-timed-wait), and waiters on a waitqueue with timeouts woken by wakers
// through wait_for (tst-wait-for). Each declares its checks; the primitives' variants put back
// OSv's historical bugs (#1285, 506eb73b).

import { z } from "zod";
import {
  CONDVAR_VARIANTS,
  Condvar,
  ETIMEDOUT,
  LockfreeMutex,
  SEMAPHORE_VARIANTS,
  Semaphore,
  type ThreadApi,
  WAITQUEUE_VARIANTS,
  Waitqueue,
  waitFor,
} from "../../kernel/index.js";
import { formatDuration, type Guest } from "../../sim/index.js";
import { registerProgram } from "../registry.js";
import { durationType } from "../units.js";
import { cpuFor } from "./hosts.js";

registerProgram({
  name: "condvar-producer-consumer",
  usesKernel: () => true,
  description:
    "producers (the workload's threads) and consumers pass items through a bounded buffer under a lockfree::mutex and two condvars (not_empty, not_full), optionally with timed waits",
  params: z.strictObject({
    consumers: z.number().int().min(1).max(64).default(2),
    items: z.number().int().min(1).max(100_000).default(10).meta({ description: "items per producer" }),
    capacity: z.number().int().min(1).max(1024).default(2),
    produce: durationType().default(300).meta({ description: "compute before each item is made" }),
    consume: durationType().default(300).meta({ description: "compute after each item is taken" }),
    timeout: durationType()
      .optional()
      .meta({ description: "waits end after this long (then the waiter looks again); none: untimed" }),
    variant: z.enum(CONDVAR_VARIANTS).default("correct").meta({ description: "the condvar, or a mutant" }),
  }),
  checks: [
    { name: "pc-exactly-once", description: "every item is taken once, in order per producer" },
    {
      name: "condvar-no-spurious-wakeup",
      description: "a wait answers 0 only after a wake took its record; ETIMEDOUT never before the deadline",
    },
    { name: "pc-progress", description: "every item is consumed and every thread finishes" },
  ],
  build(context) {
    const { params, sim } = context;
    const kernel = context.osv();
    const name = `w${context.index}`;
    const mutex = new LockfreeMutex(sim, kernel, `${name}.mutex`);
    const notEmpty = new Condvar(sim, kernel, `${name}.not_empty`, 4096, params.variant);
    const notFull = new Condvar(sim, kernel, `${name}.not_full`, 4096, params.variant);
    const producers = context.threads;
    const total = producers * params.items;
    // Guarded by `mutex` (plain JS, as the buffer of a C program under a lock).
    const buffer: [number, number][] = [];
    const nextExpected = new Array<number>(producers).fill(0);
    let taken = 0;
    let finished = 0;
    const checkWakes = context.enabled.has("condvar-no-spurious-wakeup");
    const wait = function* (cv: Condvar): Guest<void> {
      const deadline = params.timeout === undefined ? undefined : sim.now + params.timeout;
      const result = yield* cv.wait(mutex, deadline);
      if (!checkWakes) return;
      sim.assert(
        cv.stats.waits <= cv.stats.wakesDelivered,
        "condvar-no-spurious-wakeup",
        () => `${cv.name}: ${cv.stats.waits} waits woken but ${cv.stats.wakesDelivered} wakes delivered`,
      );
      if (result === ETIMEDOUT)
        sim.assert(
          deadline !== undefined && sim.now >= deadline,
          "condvar-no-spurious-wakeup",
          () => `${cv.name}: ETIMEDOUT at ${formatDuration(sim.now)}, before the deadline`,
        );
    };
    for (let p = 0; p < producers; p++) {
      kernel.spawn(
        `${name}.producer${p}`,
        function* (api): Guest<void> {
          for (let i = 0; i < params.items; i++) {
            if (params.produce > 0) yield* api.compute(params.produce);
            yield* mutex.lock();
            while (buffer.length >= params.capacity) yield* wait(notFull);
            buffer.push([p, i]);
            yield* notEmpty.wakeOne();
            yield* mutex.unlock();
          }
          finished++;
        },
        { priority: context.priority, ...cpuFor(context, p) },
      );
    }
    for (let c = 0; c < params.consumers; c++) {
      kernel.spawn(
        `${name}.consumer${c}`,
        function* (api): Guest<void> {
          for (;;) {
            yield* mutex.lock();
            while (buffer.length === 0 && taken < total) yield* wait(notEmpty);
            const item = buffer.shift();
            if (item === undefined) {
              yield* mutex.unlock();
              break;
            }
            taken++;
            const [p, i] = item;
            if (context.enabled.has("pc-exactly-once"))
              sim.assert(
                nextExpected[p] === i,
                "pc-exactly-once",
                () => `consumer${c} took item ${i} of producer${p}, expected ${nextExpected[p]}`,
              );
            nextExpected[p] = i + 1;
            yield* notFull.wakeOne();
            // The last item: the other consumers wait for items that will never come.
            if (taken === total) yield* notEmpty.wakeAll();
            yield* mutex.unlock();
            if (params.consume > 0) yield* api.compute(params.consume);
          }
          finished++;
        },
        { priority: context.priority, ...cpuFor(context, producers + c) },
      );
    }
    const threads = producers + params.consumers;
    return {
      endChecks: {
        "pc-exactly-once": () => {
          const short = nextExpected.findIndex((n) => n !== params.items);
          return short < 0
            ? null
            : `producer${short}'s items taken: ${nextExpected[short]} of ${params.items}`;
        },
        "condvar-no-spurious-wakeup": () => {
          for (const cv of [notEmpty, notFull])
            if (cv.stats.waits !== cv.stats.wakesDelivered)
              return `${cv.name}: ${cv.stats.waits} waits woken, ${cv.stats.wakesDelivered} wakes delivered`;
          return null;
        },
        "pc-progress": () =>
          taken === total && finished === threads
            ? null
            : `${taken} of ${total} items taken; ${finished} of ${threads} threads finished`,
      },
      metrics: () => ({
        waits: notEmpty.stats.waits + notFull.stats.waits,
        timeouts: notEmpty.stats.timeouts + notFull.stats.timeouts,
        timeouts_raced: notEmpty.stats.raced + notFull.stats.raced,
      }),
    };
  },
});

registerProgram({
  name: "semaphore-pool",
  usesKernel: () => true,
  description:
    "threads take units from a semaphore (thread i asks for 1 + i mod max_request), hold them, and post them back; odd threads wait with a timeout when `timeout` is set",
  params: z.strictObject({
    units: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .default(2)
      .meta({ description: "the semaphore's initial value" }),
    iterations: z.number().int().min(1).max(100_000).default(10),
    max_request: z.number().int().min(1).max(1024).default(2),
    hold: durationType().default(500).meta({ description: "sleep while holding the units (as for I/O)" }),
    think: durationType().default(300).meta({ description: "compute before each wait" }),
    timeout: durationType().optional().meta({ description: "odd threads' waits end after this long" }),
    try_every: z
      .number()
      .int()
      .min(0)
      .default(0)
      .meta({ description: "every n-th attempt is a trywait (0: never)" }),
    variant: z.enum(SEMAPHORE_VARIANTS).default("correct").meta({ description: "the semaphore, or a bug" }),
  }),
  checks: [
    { name: "semaphore-holders", description: "the units held never exceed the semaphore's units" },
    {
      name: "semaphore-units",
      description: "every unit is in the value, granted to a live waiter, or held (posted − acquired)",
    },
    { name: "semaphore-progress", description: "every thread finishes and some wait succeeds" },
  ],
  build(context) {
    const { params, sim } = context;
    if (params.max_request > params.units)
      throw new RangeError(`semaphore-pool: max_request ${params.max_request} > units ${params.units}`);
    const kernel = context.osv();
    const name = `w${context.index}`;
    const sem = new Semaphore(sim, kernel, `${name}.sem`, params.units, { variant: params.variant });
    let held = 0;
    let acquired = 0;
    let finished = 0;
    const checkUnits = (when: string) => {
      if (!context.enabled.has("semaphore-units")) return;
      const missing = sem.unitsMissing;
      sim.assert(
        missing === 0,
        "semaphore-units",
        () =>
          `${sem.name} ${when}: ${missing} unit(s) unaccounted for (value ${sem.value}, posted ${sem.account.posted}, acquired ${sem.account.acquired}, granted to live waiters ${sem.account.grantedToLiveWaiters}, to dead records ${sem.account.grantedToDeadRecords})`,
      );
    };
    for (let t = 0; t < context.threads; t++) {
      const units = 1 + (t % params.max_request);
      const timed = params.timeout !== undefined && t % 2 === 1;
      kernel.spawn(
        `${name}.taker${t}`,
        function* (api): Guest<void> {
          for (let n = 0; n < params.iterations; n++) {
            if (params.think > 0) yield* api.compute(params.think);
            let ok: boolean;
            if (params.try_every > 0 && n % params.try_every === params.try_every - 1)
              ok = yield* sem.tryWait(units);
            else ok = yield* sem.wait(units, timed ? (yield* api.now()) + params.timeout! : undefined);
            checkUnits(`after ${api.self().name}'s wait`);
            if (!ok) continue;
            acquired++;
            held += units;
            if (context.enabled.has("semaphore-holders"))
              sim.assert(
                held <= params.units,
                "semaphore-holders",
                () => `${held} units held of ${params.units}`,
              );
            if (params.hold > 0) yield* api.sleep(params.hold);
            held -= units;
            yield* sem.post(units);
            checkUnits(`after ${api.self().name}'s post`);
          }
          finished++;
        },
        { priority: context.priority, ...cpuFor(context, t) },
      );
    }
    return {
      endChecks: {
        "semaphore-units": () => {
          const missing = sem.unitsMissing;
          if (missing !== 0) return `${missing} unit(s) unaccounted for`;
          return finished === context.threads && sem.value !== params.units
            ? `the value is ${sem.value} after every unit was posted back, expected ${params.units}`
            : null;
        },
        "semaphore-progress": () =>
          finished === context.threads && acquired > 0
            ? null
            : `${finished} of ${context.threads} threads finished, ${acquired} waits succeeded`,
      },
      metrics: () => ({
        acquired,
        timeouts: sem.stats.timeouts,
        out_of_order_grants: sem.stats.outOfOrderGrants,
        units_lost: sem.account.grantedToDeadRecords,
      }),
    };
  },
});

registerProgram({
  name: "waitqueue-wait-for",
  usesKernel: () => true,
  description:
    "waiters (the workload's threads) take tokens under a mutex, waiting on a waitqueue with a timeout through wait_for; wakers add tokens and wake_one (every wake_all_every-th time wake_all)",
  params: z.strictObject({
    wakers: z.number().int().min(1).max(64).default(1),
    rounds: z.number().int().min(1).max(100_000).default(10).meta({ description: "waits per waiter" }),
    wakes: z.number().int().min(0).max(100_000).default(10).meta({ description: "tokens per waker" }),
    timeout: durationType().optional().meta({ description: "each wait ends after this long; none: untimed" }),
    wake_all_every: z.number().int().min(0).default(3).meta({ description: "0: never wake_all" }),
    think: durationType().default(1000).meta({ description: "a waker's compute between wakes" }),
    work: durationType().default(200).meta({ description: "a waiter's compute between waits" }),
    variant: z.enum(WAITQUEUE_VARIANTS).default("correct").meta({ description: "the waitqueue, or a bug" }),
  }),
  checks: [
    { name: "waitqueue-list", description: "the FIFO's links are whole (a model assertion, always on)" },
    {
      name: "waitqueue-wakeups",
      description:
        "wait_for returns holding the mutex; woken returns never exceed wakes delivered; a timeout never comes early",
    },
    { name: "waitqueue-tokens", description: "tokens taken + tokens left = tokens given" },
    { name: "waitqueue-progress", description: "every thread finishes" },
  ],
  build(context) {
    const { params, sim } = context;
    if (params.timeout === undefined && params.wakes * params.wakers < params.rounds * context.threads)
      throw new RangeError("waitqueue-wait-for: untimed waiters need at least as many tokens as waits");
    const kernel = context.osv();
    const name = `w${context.index}`;
    const mutex = new LockfreeMutex(sim, kernel, `${name}.mutex`);
    const queue = new Waitqueue(sim, kernel, `${name}.wq`, { variant: params.variant });
    // Guarded by `mutex`.
    let tokens = 0;
    let given = 0;
    let taken = 0;
    let holders = 0;
    let finished = 0;
    const checkWakes = context.enabled.has("waitqueue-wakeups");
    const enter = (who: string) => {
      holders++;
      if (checkWakes)
        sim.assert(holders === 1, "waitqueue-wakeups", () => `${who}: ${holders} threads hold the mutex`);
    };
    const checkTokens = () => {
      if (context.enabled.has("waitqueue-tokens"))
        sim.assert(
          taken + tokens === given && tokens >= 0,
          "waitqueue-tokens",
          () => `taken ${taken} + left ${tokens} != given ${given}`,
        );
    };
    for (let w = 0; w < context.threads; w++) {
      const body = function* (api: ThreadApi): Guest<void> {
        const me = `waiter${w}`;
        for (let r = 0; r < params.rounds; r++) {
          if (params.work > 0) yield* api.compute(params.work);
          yield* mutex.lock();
          enter(me);
          const deadline = params.timeout === undefined ? undefined : (yield* api.now()) + params.timeout;
          while (tokens === 0) {
            holders--;
            const woken = yield* waitFor(sim, kernel, mutex, queue, deadline);
            enter(me);
            if (checkWakes) {
              sim.assert(
                queue.stats.woken <= queue.stats.wakesDelivered,
                "waitqueue-wakeups",
                () => `${queue.stats.woken} woken returns, ${queue.stats.wakesDelivered} wakes delivered`,
              );
              if (!woken) {
                const now = yield* api.now();
                sim.assert(
                  deadline !== undefined && now >= deadline,
                  "waitqueue-wakeups",
                  () => `${me}: timed out at ${formatDuration(now)}, before its deadline`,
                );
              }
            }
            if (!woken) break;
          }
          if (tokens > 0) {
            tokens--;
            taken++;
          }
          checkTokens();
          holders--;
          yield* mutex.unlock();
        }
        finished++;
      };
      kernel.spawn(`${name}.waiter${w}`, body, { priority: context.priority, ...cpuFor(context, w) });
    }
    for (let k = 0; k < params.wakers; k++) {
      kernel.spawn(
        `${name}.waker${k}`,
        function* (api): Guest<void> {
          for (let n = 0; n < params.wakes; n++) {
            if (params.think > 0) yield* api.compute(params.think);
            yield* mutex.lock();
            enter(`waker${k}`);
            tokens++;
            given++;
            checkTokens();
            if (params.wake_all_every > 0 && n % params.wake_all_every === params.wake_all_every - 1)
              yield* queue.wakeAll(mutex);
            else yield* queue.wakeOne(mutex);
            holders--;
            yield* mutex.unlock();
          }
          finished++;
        },
        { priority: context.priority, ...cpuFor(context, context.threads + k) },
      );
    }
    const threads = context.threads + params.wakers;
    return {
      endChecks: {
        "waitqueue-tokens": () =>
          taken + tokens === given ? null : `taken ${taken} + left ${tokens} != given ${given}`,
        "waitqueue-progress": () =>
          finished === threads ? null : `${finished} of ${threads} threads finished`,
      },
      metrics: () => ({
        woken: queue.stats.woken,
        timeouts: queue.stats.timeouts,
        taken,
        already_waiting: mutex.stats.alreadyWaiting,
        // send_lock_unless_already_waiting keeps its count increment (as OSv does): at the end, with
        // nobody holding or waiting, count still shows one per such wake.
        mutex_count_at_end: mutex.count.value,
      }),
    };
  },
});

registerProgram({
  name: "osv-lock-order",
  usesKernel: () => true,
  description:
    "OSv threads each take two lockfree::mutexes: thread t takes mutex t, then t+1 (mod threads), a lock-order cycle; ordered: true takes the lower-numbered first (no cycle)",
  params: z.strictObject({
    work: durationType().default(1000).meta({ description: "compute while holding the first mutex" }),
    rounds: z.number().int().min(1).max(10_000).default(1),
    ordered: z.boolean().default(false).meta({ description: "take the two mutexes in one global order" }),
  }),
  checks: [{ name: "lock-order-complete", description: "every thread finished all its rounds" }],
  build(context) {
    const { params, sim, threads } = context;
    if (threads < 2) throw new RangeError(`osv-lock-order needs at least 2 threads, got ${threads}`);
    const kernel = context.osv();
    const name = `w${context.index}`;
    const mutexes = Array.from(
      { length: threads },
      (_, m) => new LockfreeMutex(sim, kernel, `${name}.m${m}`),
    );
    let finished = 0;
    for (let t = 0; t < threads; t++) {
      const next = (t + 1) % threads;
      const [first, second] = params.ordered ? [Math.min(t, next), Math.max(t, next)] : [t, next];
      kernel.spawn(
        `${name}.t${t}`,
        function* (api): Guest<void> {
          for (let r = 0; r < params.rounds; r++) {
            yield* mutexes[first]!.lock();
            if (params.work > 0) yield* api.compute(params.work);
            yield* mutexes[second]!.lock();
            yield* mutexes[second]!.unlock();
            yield* mutexes[first]!.unlock();
          }
          finished++;
        },
        { priority: context.priority, ...cpuFor(context, t) },
      );
    }
    return {
      endChecks: {
        "lock-order-complete": () =>
          finished === threads ? null : `${finished} of ${threads} threads finished their rounds`,
      },
    };
  },
});
