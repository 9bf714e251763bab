// Guest program for OSv's RCU on the scheduler model (osv-internals.md §4; after OSv's tst-rcu-list
// and tst-rcu-hashtable, §9.5): reader threads walk an rcu_list and read an rcu_ptr under
// rcu_read_lock, computing inside the section to widen the windows, while updater threads replace
// the pointer's object and list nodes under the list's lockfree::mutex, rcu_dispose the old ones,
// call rcu_synchronize every few updates and rcu_flush at the end.

import { z } from "zod";
import { type Kernel, RcuList, RcuPtr, rcuOf } from "../../kernel/index.js";
import type { Guest } from "../../sim/index.js";
import { type ProgramContext, registerProgram } from "../registry.js";
import { durationType } from "../units.js";

interface Config {
  readonly version: number;
}

interface Element {
  readonly key: number;
  readonly version: number;
}

const params = z.strictObject({
  elements: z.number().int().min(1).max(64).default(4).meta({ description: "nodes in the rcu_list" }),
  reads: z.number().int().min(1).max(100_000).default(20).meta({ description: "read sections per reader" }),
  read_work: durationType()
    .default(1000)
    .meta({ description: "compute inside a read section per object dereferenced" }),
  think: durationType().default(2000).meta({ description: "compute between a reader's read sections" }),
  pause: durationType()
    .default(0)
    .meta({ description: "sleep after each read section (lets the CPU's rcu thread run; 0: none)" }),
  updaters: z.number().int().min(1).max(16).default(1),
  updater_cpus: z
    .array(z.number().int().min(0))
    .min(1)
    .default([0])
    .meta({ description: "CPUs the updaters are pinned to, round-robin" }),
  updates: z.number().int().min(0).max(100_000).default(20).meta({ description: "updates per updater" }),
  update_think: durationType().default(3000).meta({ description: "compute before each update" }),
  synchronize_every: z
    .number()
    .int()
    .min(0)
    .max(100_000)
    .default(4)
    .meta({ description: "rcu_synchronize after every n-th update (0: never; rcu_flush at the end always)" }),
  defer_queue_size: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(2000)
    .meta({ description: "callbacks per defer buffer (CONF_core_rcu_defer_queue_size)" }),
});

type RcuReadersParams = z.infer<typeof params>;

function readerCpu(context: ProgramContext<unknown>, kernel: Kernel, i: number) {
  const pin = context.pin;
  if (pin === undefined || pin.length === 0) return { cpu: 0, pinned: false };
  const cpu = pin[i % pin.length]!;
  if (cpu >= kernel.cpus.length) throw new RangeError(`pin: cpu ${cpu} does not exist`);
  return { cpu, pinned: true };
}

registerProgram<RcuReadersParams>({
  name: "rcu-readers",
  usesKernel: () => true,
  description:
    "readers walk an rcu_list and read an rcu_ptr under rcu_read_lock while updaters replace and rcu_dispose (tst-rcu-list)",
  params,
  checks: [
    {
      name: "rcu-safety",
      description: "a callback runs only after every CPU passed a quiescent state since its rcu_defer",
    },
    { name: "rcu-once", description: "no deferred callback runs twice" },
    { name: "rcu-use-after-free", description: "no reader dereferences a disposed object" },
    { name: "rcu-list-shape", description: "every reader walk sees each key once, in order" },
    {
      name: "rcu-progress",
      description: "every deferred callback ran by the end (after the final rcu_flush)",
    },
  ],
  build(context) {
    const { params: p, sim, enabled } = context;
    const kernel = context.osv();
    for (const cpu of p.updater_cpus)
      if (cpu >= kernel.cpus.length) throw new RangeError(`updater_cpus: cpu ${cpu} does not exist`);
    const rcu = rcuOf(kernel, {
      deferQueueSize: p.defer_queue_size,
      checks: {
        safety: enabled.has("rcu-safety"),
        once: enabled.has("rcu-once"),
        useAfterFree: enabled.has("rcu-use-after-free"),
      },
    });
    const prefix = `w${context.index}`;
    // The initial contents, published before anything runs.
    const config = new RcuPtr<Config>(
      rcu,
      `${prefix}.config`,
      rcu.objects.allocate<Config>({ version: 0 }, `${prefix} config v0`),
    );
    const list = new RcuList<Element>(rcu, `${prefix}.list`);
    list.initialize(Array.from({ length: p.elements }, (_, key) => ({ key, version: 0 })));

    let sections = 0;
    for (let i = 0; i < context.threads; i++) {
      kernel.spawn(
        `${prefix}.reader${i}`,
        function* (api): Guest<void> {
          for (let n = 0; n < p.reads; n++) {
            if (p.think > 0) yield* api.compute(p.think);
            yield* rcu.readLock();
            const id = yield* config.read();
            const version = config.deref(id)!.version;
            if (p.read_work > 0) yield* api.compute(p.read_work);
            let expected = 0;
            yield* list.forRead(function* (element): Guest<void> {
              if (enabled.has("rcu-list-shape")) {
                sim.assert(
                  element.key === expected,
                  "rcu-list-shape",
                  () => `${api.self().name} saw key ${element.key} where ${expected} belongs`,
                );
              }
              expected++;
              if (p.read_work > 0) yield* api.compute(p.read_work);
            });
            if (enabled.has("rcu-list-shape")) {
              sim.assert(
                expected === p.elements,
                "rcu-list-shape",
                () => `${api.self().name} walked ${expected} of ${p.elements} nodes`,
              );
            }
            // Use the object again at the end of the section: it must still be there, unchanged.
            sim.assert(
              config.deref(id)!.version === version,
              "rcu.object-changed",
              "a published object changed",
            );
            yield* rcu.readUnlock();
            sections++;
            if (p.pause > 0) yield* api.sleep(p.pause);
          }
        },
        { priority: context.priority, ...readerCpu(context, kernel, i) },
      );
    }

    let version = 0;
    let updatersDone = 0;
    for (let u = 0; u < p.updaters; u++) {
      kernel.spawn(
        `${prefix}.updater${u}`,
        function* (api): Guest<void> {
          for (let n = 0; n < p.updates; n++) {
            if (p.update_think > 0) yield* api.compute(p.update_think);
            yield* list.mutex.lock();
            version++;
            if (n % 2 === 0) {
              const old = yield* config.readByOwner();
              yield* config.assign(rcu.objects.allocate<Config>({ version }, `${prefix} config v${version}`));
              yield* list.mutex.unlock();
              yield* rcu.dispose(old, `${prefix} config`);
            } else {
              const key = (n >> 1) % p.elements;
              const replaced = yield* list.replace((e) => e.key === key, { key, version });
              sim.assert(replaced !== 0, "rcu.list-replace", () => `key ${key} was not in the list`);
              yield* list.mutex.unlock();
            }
            if (p.synchronize_every > 0 && (n + 1) % p.synchronize_every === 0) yield* rcu.synchronize();
          }
          yield* rcu.flush();
          updatersDone++;
        },
        { priority: context.priority, cpu: p.updater_cpus[u % p.updater_cpus.length]!, pinned: true },
      );
    }

    return {
      endChecks: {
        "rcu-progress": () => {
          if (updatersDone < p.updaters)
            return `${updatersDone} of ${p.updaters} updaters finished (each ends with rcu_flush)`;
          const pending = rcu.stats.deferred - rcu.stats.ran;
          return pending === 0 ? null : `${pending} of ${rcu.stats.deferred} deferred callbacks never ran`;
        },
      },
      metrics: () => ({
        read_sections: sections,
        grace_periods: rcu.stats.gracePeriods,
        callbacks_run: rcu.stats.ran,
        objects_freed: rcu.objects.freed,
        defer_full_waits: rcu.stats.fullWaits,
        max_callback_delay_ns: rcu.stats.maxCallbackDelayNs,
      }),
    };
  },
});
