// The cost model: how much virtual CPU time each hardware-visible step of guest code takes on a KVM
// guest (memory effects, interrupt entry and exit, the context-switch primitive, IPI sends, hlt
// wake-up). OSv's source has none of these numbers (osv-internals.md §12 says parameterize them); the
// defaults are orders of magnitude for a modern x86 host, and §11's measured context-switch figures
// (≈330 ns same CPU, ≈580 ns cross CPU) are what the scheduler model calibrates its totals against.

/** Nanoseconds each step costs. All fields are whole, non-negative nanoseconds. */
export interface CostModel {
  /** A plain load (L1/L2 hit, ≈4–12 cycles at 3 GHz). */
  loadNs: number;
  /** A plain store (retires into the store buffer). */
  storeNs: number;
  /** A locked read-modify-write: CAS, fetch-add, exchange (≈20 cycles uncontended). */
  atomicNs: number;
  /** A full fence (mfence, ≈30 cycles). */
  fenceNs: number;
  /**
   * Extra cost of a load or locked operation on a shared cell that another CPU wrote last: the cache
   * line moves between cores (≈60–150 ns on a multi-socket host or under virtualization). 0 turns the
   * cache model off.
   */
  cacheTransferNs: number;
  /** cli or sti (a few cycles; no VM exit). */
  interruptFlagNs: number;
  /**
   * Taking an interrupt: delivery into the guest (posted interrupt or VM entry with event injection),
   * the IDT gate and OSv's register save in the entry stub.
   */
  interruptEntryNs: number;
  /** Leaving an interrupt handler: register restore and iret. */
  interruptExitNs: number;
  /**
   * The switch_to primitive alone (save and restore of callee-saved registers, stack and FS base,
   * TSS update). The scheduler's own work is charged by the scheduler model as compute; together
   * they should land near §11's ≈330 ns colocated context switch.
   */
  switchContextNs: number;
  /** Writing the ICR to send an IPI (an MSR write that exits to KVM without IPI virtualization). */
  ipiSendNs: number;
  /** Writing the APIC timer's initial-count register (also an MSR write that exits to KVM). */
  apicTimerWriteNs: number;
  /** rdtsc (≈25 cycles; does not exit under KVM). */
  rdtscNs: number;
  /** From an interrupt arriving at a halted vCPU to its first guest instruction (host wake-up). */
  haltWakeNs: number;
}

// Calibrated against OSv's misc-ctxsw (osv-internals.md §11: ≈313–347 ns per switch colocated,
// ≈558–598 ns apart) with scenarios/sched/ctxsw.yaml: atomicNs 4, switchContextNs 30 and
// cacheTransferNs 50, with the scheduler model's 100 ns of reschedule work (KernelOptions
// rescheduleNs, paid before its first memory op) and OSv's 10,000 idle polls, give 318 ns colocated
// and 574 ns apart (unchanged since the idle loop polled 40 times, and since cli, sti and clock reads
// became CPU-local ops), memory ops paying their latency and line transfers before they take effect
// (hw/cpu.ts). (Before that change, 60 ns
// transfers charged after the effect gave 316 / 592 ns.) (An earlier calibration,
// 384 / 584 ns with cacheTransferNs 80 and no reschedule work, leaned on an APIC timer write per
// colocated switch that OSv does not do: its timer_set leaves a cancelled preemption deadline
// programmed.)
export const DEFAULT_COST_MODEL: Readonly<CostModel> = Object.freeze({
  loadNs: 1,
  storeNs: 1,
  atomicNs: 4,
  fenceNs: 10,
  cacheTransferNs: 50,
  interruptFlagNs: 1,
  interruptEntryNs: 150,
  interruptExitNs: 100,
  switchContextNs: 30,
  ipiSendNs: 300,
  apicTimerWriteNs: 300,
  rdtscNs: 8,
  haltWakeNs: 0,
});

/** Ceiling on any one cost: a second of CPU per step is surely a unit mistake. */
const MAX_COST_NS = 1_000_000_000;

/** Merges overrides into the defaults and checks every field is a whole, bounded count of ns. */
export function resolveCostModel(overrides: Partial<CostModel> = {}): Readonly<CostModel> {
  const model: CostModel = { ...DEFAULT_COST_MODEL };
  for (const key of Object.keys(overrides) as (keyof CostModel)[]) {
    if (!(key in DEFAULT_COST_MODEL)) throw new RangeError(`cost model has no field '${key}'`);
    const value = overrides[key];
    if (value === undefined) continue;
    if (!(Number.isSafeInteger(value) && value >= 0 && value <= MAX_COST_NS)) {
      throw new RangeError(`cost model '${key}' must be whole ns in [0, ${MAX_COST_NS}], got ${value}`);
    }
    model[key] = value;
  }
  return Object.freeze(model);
}
