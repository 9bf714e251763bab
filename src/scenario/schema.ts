// The scenario format as a zod schema, built from the program registry so that every workload's
// `params` is checked by its program's own schema. The JSON Schema under schema/ is generated from
// this (tools/gen-schema), and a test fails when the committed copy is stale.

import { z } from "zod";
import { DEFAULT_COST_MODEL } from "../hw/index.js";
import { programList, registryVersion } from "./registry.js";
import { durationType, sizeType } from "./units.js";

// Importing the built-in programs registers them before the schema is built.
import "./programs/engine.js";
import "./programs/kernel.js";
import "./programs/newcomer.js";
import "./programs/rcu.js";
import "./programs/rwlock.js";
import "./programs/sched.js";
import "./programs/sync.js";
import "./programs/osv-sync.js";

const limits = z
  .strictObject({
    max_events: z
      .number()
      .int()
      .positive()
      .optional()
      .meta({ description: "dispatches before the run is cut off" }),
    max_virtual_time: durationType()
      .optional()
      .meta({ description: "virtual time past which the run is cut off" }),
    max_steps_per_instant: z
      .number()
      .int()
      .positive()
      .optional()
      .meta({ description: "effects without time passing" }),
    max_pending_events: z.number().int().positive().optional(),
  })
  .default({});

const device = z.strictObject({
  kind: z.enum(["virtio-net", "virtio-blk", "virtio-rng"]),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
});

/** One optional whole-ns field per CostModel field, in snake_case. */
function costSchema() {
  const shape: Record<string, z.ZodOptional<z.ZodNumber>> = {};
  for (const field of Object.keys(DEFAULT_COST_MODEL)) {
    shape[field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = z
      .number()
      .int()
      .min(0)
      .max(1_000_000_000)
      .optional();
  }
  return z.strictObject(shape);
}

const machine = z
  .strictObject({
    cpus: z.number().int().min(1).max(31).default(1),
    memory: sizeType().default(512 * 1024 * 1024),
    clock: z
      .strictObject({
        tsc_hz: z.number().int().positive().default(2_500_000_000),
        tsc_stable: z.boolean().default(true),
      })
      .default({ tsc_hz: 2_500_000_000, tsc_stable: true }),
    devices: z.array(device).default([]),
    cost: costSchema()
      .default({})
      .meta({ description: "cost-model overrides in ns (load_ns, atomic_ns, switch_context_ns, …)" }),
  })
  .default({
    cpus: 1,
    memory: 512 * 1024 * 1024,
    clock: { tsc_hz: 2_500_000_000, tsc_stable: true },
    devices: [],
    cost: {},
  });

const kernel = z
  .strictObject({
    options: z
      .string()
      .default("")
      .meta({ description: "OSv-style command line, e.g. '--nomount --verbose'" }),
    variants: z
      .array(z.string())
      .default([])
      .meta({ description: "named historical-bug variants to switch on" }),
    progress_bound: durationType()
      .default(1_000_000_000)
      .meta({ description: "check sched-progress: longest a runnable thread may wait for its CPU" }),
    wake_delivery_bound: durationType().default(1_000_000_000).meta({
      description: "check sched-wake-delivery: longest a woken thread may take to reach a runqueue",
    }),
    workloads_start: z.enum(["after-boot", "with-cpu"]).default("after-boot").meta({
      description:
        "after-boot: workload threads start once every CPU has set up its clock; with-cpu: they sit on their CPU's runqueue from the moment it starts (like OSv's per-CPU kernel threads)",
    }),
  })
  .prefault({});

function workload() {
  const options = programList().map((program) =>
    z.strictObject({
      program: z.literal(program.name).meta({ description: program.description }),
      threads: z.number().int().min(1).max(4096).default(1),
      priority: z.number().positive().default(1).meta({ description: "OSv priority (lower runs more)" }),
      pin: z
        .array(z.number().int().min(0))
        .optional()
        .meta({ description: "CPUs the threads are pinned to" }),
      params: (program.params as z.ZodType).prefault({}),
    }),
  );
  return z.discriminatedUnion("program", options as unknown as [z.ZodObject, ...z.ZodObject[]]);
}

const fault = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z
      .literal("compute-jitter")
      .meta({ description: "stretch computes by up to `max`, with `probability` each" }),
    probability: z.number().min(0).max(1),
    max: durationType(),
  }),
  z.strictObject({
    kind: z.literal("ipi-latency").meta({ description: "each IPI takes a latency chosen in [min, max]" }),
    min: durationType(),
    max: durationType(),
  }),
  z.strictObject({
    kind: z
      .literal("spurious-interrupt")
      .meta({ description: "each APIC timer expiry also brings a spurious interrupt with `probability`" }),
    probability: z.number().min(0).max(1),
  }),
  z.strictObject({
    kind: z.literal("tsc-skew").meta({ description: "each CPU's TSC starts up to `max_cycles` apart" }),
    max_cycles: z
      .number()
      .int()
      .min(0)
      .max(2 ** 40),
  }),
  z.strictObject({
    kind: z.literal("ap-bringup").meta({
      description:
        "each application processor starts a time chosen in [min, max] after boot (INIT/SIPI to first instruction); its clock is set up only then",
    }),
    min: durationType(),
    max: durationType(),
  }),
  z.strictObject({
    kind: z.literal("interrupt-injection").meta({
      description: "after each step, with `probability`, an interrupt arrives (a preemption point)",
    }),
    probability: z.number().min(0).max(1),
  }),
]);

const explore = z
  .strictObject({
    strategy: z.literal("random").default("random"),
    runs: z
      .number()
      .int()
      .positive()
      .default(100)
      .meta({ description: "runs of `osv-sim fuzz` when --runs is not given" }),
    shrink_budget: z.number().int().min(0).default(2000).meta({ description: "re-runs a shrink may spend" }),
  })
  .default({ strategy: "random", runs: 100, shrink_budget: 2000 });

const check = z.union([z.string(), z.strictObject({ name: z.string() })]);

/**
 * The scenario schema, built once per version of the program list (building it costs milliseconds:
 * zod compiles every program's params; fuzz and property tests parse scenarios many times).
 */
export function scenarioSchema() {
  if (cachedSchema === null || cachedSchemaVersion !== registryVersion()) {
    cachedSchema = buildScenarioSchema();
    cachedSchemaVersion = registryVersion();
  }
  return cachedSchema;
}

let cachedSchema: ReturnType<typeof buildScenarioSchema> | null = null;
let cachedSchemaVersion = -1;

function buildScenarioSchema() {
  return z.strictObject({
    name: z.string().min(1),
    description: z.string().default(""),
    seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(1),
    duration: durationType()
      .optional()
      .meta({ description: "virtual time to run; without it, until quiescence" }),
    limits,
    machine,
    kernel,
    workloads: z.array(workload()).min(1),
    faults: z.array(fault).default([]),
    explore,
    checks: z
      .array(check)
      .default([])
      .meta({ description: "checks to enable; empty means every check the workloads provide" }),
  });
}

/** A workload after validation (its params checked by the program's own schema). */
export interface WorkloadSpec {
  program: string;
  threads: number;
  priority: number;
  pin?: number[] | undefined;
  params: Record<string, unknown>;
}

/** A validated scenario with defaults applied and units resolved (durations in ns, sizes in bytes). */
export type Scenario = Omit<z.output<ReturnType<typeof buildScenarioSchema>>, "workloads"> & {
  workloads: WorkloadSpec[];
};

/** The JSON Schema editors use (yaml-language-server), for the input form of the format. */
export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(scenarioSchema(), { io: "input" }) as Record<string, unknown>;
  return { ...schema, title: "osv-sim scenario", $id: "https://osv-sim.dev/schema/scenario.schema.json" };
}
