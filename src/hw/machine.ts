// The machine builder: from a plain options object (what a scenario's `machine:` section will hold)
// it builds guest memory, the vCPUs with their local APICs and TSCs, and kvmclock on a Simulation,
// then attaches devices from factories. Follows the KVM guest OSv boots on (osv-internals.md §7);
// simplified: the wall clock is registered at build time, and so is every CPU's pvclock record unless
// `kvmclock.registerAtBuild` is false (the kernel model then registers each CPU's record from that
// CPU's bring-up, as OSv does); CPUs start parked until the kernel boots a context on them.

import type { Simulation } from "../sim/index.js";
import { type ApicOptions, allocateApicKinds, LocalApic, resolveApicOptions } from "./apic.js";
import {
  allocateClockKinds,
  ClockOp,
  KvmClock,
  type KvmClockOptions,
  PVCLOCK,
  PVCLOCK_WALL,
  performPvclockRead,
  resolveKvmClockOptions,
  Tsc,
} from "./clock.js";
import { type CostModel, resolveCostModel } from "./cost.js";
import { InterruptRouter, registerCpuOps, Vcpu } from "./cpu.js";
import { GuestMemory, registerHwOps } from "./memory.js";

export interface TscOptions {
  /** Nominal TSC frequency (Hz), which KVM also uses for the pvclock scale. */
  hz: number;
  /** Fault: each CPU's TSC starts at an offset drawn from between(0, max, "tsc.skew") cycles. */
  skewCyclesMax: number;
  /** Per-CPU drift in ppm (index = CPU; missing entries are 0). */
  driftPpm: number[];
}

export interface MachineOptions {
  /** Number of vCPUs, 1..64. */
  cpus: number;
  /** Guest physical memory in bytes. */
  memoryBytes: number;
  tsc: TscOptions;
  /** Overrides of DEFAULT_COST_MODEL. */
  cost: Partial<CostModel>;
  apic: Partial<ApicOptions>;
  kvmclock: Partial<KvmClockOptions>;
  /** IF at start (x86 resets with IF=0; OSv's boot code enables interrupts itself). */
  interruptsEnabledAtStart: boolean;
}

export const DEFAULT_MACHINE_OPTIONS: Readonly<MachineOptions> = Object.freeze({
  cpus: 1,
  memoryBytes: 16 * 1024 * 1024,
  tsc: Object.freeze({ hz: 2_400_000_000, skewCyclesMax: 0, driftPpm: [] as number[] }),
  cost: {},
  apic: {},
  kvmclock: {},
  interruptsEnabledAtStart: false,
});

export const MAX_CPUS = 64;

/** What a device factory gets: the machine built so far (memory, CPUs, the interrupt bus). */
export type DeviceFactory<D = unknown> = (machine: Machine) => D;

export interface MachineBuildOptions extends Partial<Omit<MachineOptions, "tsc">> {
  tsc?: Partial<TscOptions>;
}

export interface Machine {
  readonly sim: Simulation;
  readonly options: Readonly<MachineOptions>;
  readonly cost: Readonly<CostModel>;
  readonly memory: GuestMemory;
  readonly cpus: readonly Vcpu[];
  readonly apics: readonly LocalApic[];
  readonly tscs: readonly Tsc[];
  readonly kvmclock: KvmClock;
  /** raise(cpu, vector) for devices: the InterruptSink they are given. */
  readonly interrupts: InterruptRouter;
  /** Devices attached by the factories, in factory order. */
  readonly devices: unknown[];
}

/** One vCPU's totals for a run report (times in ms, to the ns). */
export interface CpuRow {
  id: number;
  busy_ms: number;
  halted_ms: number;
  switches: number;
  interrupts: number;
  steps: number;
}

/** Each vCPU's busy and halted time, context switches, interrupts taken and steps, at `nowNs`. */
export function cpuTable(machine: Machine, nowNs: number): CpuRow[] {
  const ms = (ns: number) => Math.round(ns) / 1e6;
  return machine.cpus.map((cpu, id) => ({
    id,
    busy_ms: ms(cpu.busyNsAt(nowNs)),
    halted_ms: ms(cpu.haltedNsAt(nowNs)),
    switches: cpu.stats.contextSwitches,
    interrupts: cpu.stats.interruptsTaken.reduce((sum, n) => sum + n, 0),
    steps: cpu.stats.steps,
  }));
}

/** Fills defaults and checks the options; throws RangeError naming the bad field. */
export function resolveMachineOptions(options: MachineBuildOptions = {}): Readonly<MachineOptions> {
  const d = DEFAULT_MACHINE_OPTIONS;
  const resolved: MachineOptions = {
    cpus: options.cpus ?? d.cpus,
    memoryBytes: options.memoryBytes ?? d.memoryBytes,
    tsc: { ...d.tsc, ...options.tsc },
    cost: options.cost ?? d.cost,
    apic: options.apic ?? d.apic,
    kvmclock: options.kvmclock ?? d.kvmclock,
    interruptsEnabledAtStart: options.interruptsEnabledAtStart ?? d.interruptsEnabledAtStart,
  };
  if (!(Number.isInteger(resolved.cpus) && resolved.cpus >= 1 && resolved.cpus <= MAX_CPUS))
    throw new RangeError(`machine cpus must be 1..${MAX_CPUS}, got ${resolved.cpus}`);
  const { skewCyclesMax, driftPpm } = resolved.tsc;
  if (!(Number.isSafeInteger(skewCyclesMax) && skewCyclesMax >= 0 && skewCyclesMax <= 2 ** 40))
    throw new RangeError(`tsc skewCyclesMax must be whole cycles in [0, 2^40], got ${skewCyclesMax}`);
  if (driftPpm.length > resolved.cpus) throw new RangeError("tsc driftPpm has more entries than cpus");
  return resolved;
}

/**
 * Builds the machine on `sim`: memory, vCPUs (added as runners, parked until booted), APICs, TSCs,
 * kvmclock; then each device factory in order. Call before sim.run().
 */
export function buildMachine(
  sim: Simulation,
  options: MachineBuildOptions = {},
  devices: readonly DeviceFactory[] = [],
): Machine {
  const resolved = resolveMachineOptions(options);
  const cost = resolveCostModel(resolved.cost);
  const apicOptions = resolveApicOptions(resolved.apic);
  const clockOptions = resolveKvmClockOptions(resolved.kvmclock);
  registerHwOps(sim);
  registerCpuOps(sim);
  const apicKinds = allocateApicKinds(sim);
  const clockKind = allocateClockKinds(sim);
  const memory = new GuestMemory(resolved.memoryBytes);

  const cpus: Vcpu[] = [];
  const tscs: Tsc[] = [];
  for (let index = 0; index < resolved.cpus; index++) {
    const cpu = new Vcpu(sim, index, memory, cost, { interruptsEnabled: resolved.interruptsEnabledAtStart });
    const skew = sim.choice.between(0, resolved.tsc.skewCyclesMax, "tsc.skew");
    const tsc = new Tsc(resolved.tsc.hz, skew, resolved.tsc.driftPpm[index] ?? 0);
    cpu.registerExtension(ClockOp.Rdtsc, "rdtsc", () => tsc.read(sim.now), cost.rdtscNs, true);
    // An rdtsc and the record's seven loads. Only a CPU's own record may be read in one step (KVM
    // never rewrites it while this vCPU runs guest code); another CPU's needs pvclockRead.
    cpu.registerExtension(
      ClockOp.PvclockRead,
      "pvclock_read",
      (_cpu, effect) => {
        // A plain test, not sim.assert with a message closure: this runs at every clock read.
        if (effect.a !== recordAddrs[index])
          sim.fail(
            "kvmclock.own-record",
            `cpu${index}: one-step pvclock read of the record at ${effect.a}, not its own`,
          );
        return performPvclockRead(memory, effect.a, tsc.read(sim.now));
      },
      cost.rdtscNs + 7 * cost.loadNs,
      true,
    );
    cpus.push(cpu);
    tscs.push(tsc);
  }
  const interrupts = new InterruptRouter(cpus);
  const apics = cpus.map((cpu) => new LocalApic(sim, cpu, interrupts, cpus.length, apicOptions, apicKinds));
  // Per-CPU records: 64-byte aligned so no two share a cache line, as OSv's per-CPU variables are.
  const recordAddrs = cpus.map(() => memory.alloc(PVCLOCK.sizeBytes, 64));
  const wallClockAddr = memory.alloc(PVCLOCK_WALL.sizeBytes, 64);
  const kvmclock = new KvmClock(sim, memory, tscs, recordAddrs, wallClockAddr, clockOptions, clockKind);
  for (const cpu of cpus) sim.addRunner(cpu);

  const machine: Machine = {
    sim,
    options: resolved,
    cost,
    memory,
    cpus,
    apics,
    tscs,
    kvmclock,
    interrupts,
    devices: [],
  };
  // Virtio devices (and any other) attach here, after the CPUs and before the run starts.
  for (const factory of devices) machine.devices.push(factory(machine));
  return machine;
}
