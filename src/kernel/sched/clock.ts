// The kernel's time source as OSv has it on KVM (drivers/clock-common.cc pv_based_clock,
// drivers/kvmclock.cc, arch/x64/pvclock-abi.cc; osv-internals.md §7.2, §9.1, §10 item 9):
// osv::clock::uptime::now() is 0 until `_smp_init` is published, then system_time() minus
// `_boot_systemtime`, where system_time() is the read of the *current CPU's* pvclock record
// (hw/clock.ts kvmclockSystemTime, with the global CAS "last" when TSC_STABLE is not valid). The
// deliberate difference: that read is one step (pvclockReadOwn), not OSv's seqlock of eight loads;
// exact for a CPU's own record, which KVM never rewrites while the vCPU runs guest code. Each
// CPU's bring-up runs setup_cpu (from its balancer thread, through the CPU notifiers): it registers
// its record (the SYSTEM_TIME MSR write) and decrements a counter of CPUs left; the CPU that takes it
// to zero reads boot_systemtime and publishes _smp_init (e63c8876, the fix for #869). The variant
// 869-clock-backwards-smp-boot publishes from the *first* CPU instead (call_once), so a CPU whose
// record is still unregistered reads system_time() = 0 and an uptime below 0.
// An observer (the scenario check "clock-monotonic") fails the run when an uptime read on a CPU is
// below that CPU's previous read (uptime starts at 0, so a negative first read counts too).
// Deliberate differences: `_smp_init` is a word of guest memory (a visible load / store, like OSv's
// atomic, but outside the cache-transfer cost model, which would charge a transfer on every read of
// a flag another CPU wrote once); `_boot_systemtime` is plain data written before the release store
// and read after the acquire load; callers read uptime with interrupts off (OSv only holds
// migration_lock in system_time()), so reads on one CPU never nest and "previous read" is defined.

import {
  kvmclockSystemTimeOwn,
  type Machine,
  NOT_LOCAL,
  PVCLOCK_TSC_STABLE_BIT,
  physLoad,
  physStore,
  pvclockReadOp,
  pvclockTimeNs,
  readPvclockRecord,
  stableOwnTime,
} from "../../hw/index.js";
import { type Cell, type Effect, fetchAdd, type Guest, type Simulation } from "../../sim/index.js";

export interface KernelClockOptions {
  /** 869-clock-backwards-smp-boot: the first CPU to set up its clock publishes it. */
  publishFromFirstCpu: boolean;
  /** The clock-monotonic observer: every uptime read on a CPU >= that CPU's previous read. */
  checkMonotonic: boolean;
}

export const CLOCK_MONOTONIC_CHECK = "clock-monotonic";
/** uptimeLocal's answer when the read needs more steps (uptimeRest); no uptime is -Infinity. */
export const UPTIME_NOT_LOCAL = Number.NEGATIVE_INFINITY;

export class KernelClock {
  /** _boot_systemtime_init_counter: CPUs that have not yet run setup_cpu. */
  readonly initCounter: Cell;
  /** pvclock::_last: the latest non-stable system time any CPU returned. */
  readonly last: Cell;
  /** Guest-physical address of the _smp_init word. */
  readonly smpInitAddr: number;
  /** uptime()'s load of _smp_init, made once (effects are read-only values). */
  private readonly smpInitLoad: Effect;
  /** Each CPU's one-step read of its own pvclock record, made once. */
  private readonly ownReads: Effect[];
  private bootSystemTimeNs = 0;
  /** The CPU whose uptimeLocal answered UPTIME_NOT_LOCAL (else -1), and what its read found. */
  private restCpu = -1;
  private restPacked = 0;
  private readonly previousReadNs: number[];
  readonly stats = { reads: 0, setups: 0, publishedByCpu: -1, publishedAtNs: -1 };

  constructor(
    private readonly sim: Simulation,
    private readonly machine: Machine,
    private readonly options: Readonly<KernelClockOptions>,
  ) {
    const cpus = machine.cpus.length;
    this.initCounter = sim.memory.cell("clock._boot_systemtime_init_counter", cpus);
    this.last = sim.memory.cell("pvclock._last", 0);
    this.smpInitAddr = machine.memory.alloc(8, 64);
    this.smpInitLoad = physLoad(this.smpInitAddr, 1);
    this.ownReads = machine.kvmclock.recordAddrs.map((addr) => pvclockReadOp(addr));
    this.previousReadNs = new Array<number>(cpus).fill(0);
  }

  /** Whether _smp_init has been published (host-side peek, for tests and reports). */
  get published(): boolean {
    return this.machine.memory.read(this.smpInitAddr, 1) !== 0;
  }

  /** The boot system time uptime counts from (valid once published). */
  get bootSystemTime(): number {
    return this.bootSystemTimeNs;
  }

  /**
   * pv_based_clock::setup_cpu on `cpu` (guest code on that CPU): register, count down, maybe
   * publish. Answers whether this was the last CPU to set up its clock.
   */
  *setupCpu(cpu: number): Guest<boolean> {
    // kvmclock::init_on_cpu: OSv clears the record and writes the SYSTEM_TIME MSR (an exit to KVM),
    // whose answer writes every field of the record.
    const vcpu = this.machine.cpus[cpu]!;
    this.machine.kvmclock.register(cpu);
    vcpu.charge(this.machine.cost.apicTimerWriteNs);
    this.stats.setups++;
    const left = yield fetchAdd(this.initCounter, -1);
    const publisher = this.options.publishFromFirstCpu ? left === this.machine.cpus.length : left === 1;
    if (publisher) {
      this.bootSystemTimeNs = yield* this.systemTime(cpu);
      yield physStore(this.smpInitAddr, 1, 1);
      this.stats.publishedByCpu = cpu;
      this.stats.publishedAtNs = this.sim.now;
    }
    return left === 1;
  }

  /**
   * kvmclock::system_time(): the pvclock read of `cpu`'s record (guest code on that CPU, so its own
   * record: read in one step, see pvclockReadOwn).
   */
  systemTime(cpu: number): Guest<number> {
    const kvmclock = this.machine.kvmclock;
    return kvmclockSystemTimeOwn(kvmclock.recordAddrs[cpu]!, this.last, kvmclock.validFlags);
  }

  /**
   * pv_based_clock::uptime() on `cpu` (guest code on that CPU, interrupts off): the load of
   * _smp_init, then uptimeLocal and, when needed, uptimeRest. Hot callers (reschedule) write the three steps out themselves
   * to save a generator per switch: `yield clock.smpInitLoadEffect`, uptimeLocal, and only when it
   * answers UPTIME_NOT_LOCAL, `yield* clock.uptimeRest(cpu)`.
   */
  *uptime(cpu: number): Guest<number> {
    const smpInit = yield this.smpInitLoad;
    const value = this.uptimeLocal(cpu, smpInit);
    if (value !== UPTIME_NOT_LOCAL) return value;
    return yield* this.uptimeRest(cpu);
  }

  /** The load of _smp_init that begins every uptime read (made once: effects are read-only values). */
  get smpInitLoadEffect(): Effect {
    return this.smpInitLoad;
  }

  /**
   * uptime's rest after the _smp_init load answered `smpInit`, with no generator: the common case, a
   * one-step read of this CPU's own record called directly (Vcpu.tryLocal) that is complete with a
   * trusted TSC_STABLE. Answers the uptime, or UPTIME_NOT_LOCAL: then the caller must finish with
   * uptimeRest(cpu), which continues from whatever this call already read.
   */
  uptimeLocal(cpu: number, smpInit: number): number {
    if (smpInit === 0) {
      this.restCpu = -1;
      return this.finishRead(cpu, 0);
    }
    const packed = this.machine.cpus[cpu]!.tryLocal(this.ownReads[cpu]!);
    if (packed !== NOT_LOCAL) {
      const time = stableOwnTime(packed, this.machine.kvmclock.validFlags);
      if (time >= 0) {
        this.restCpu = -1;
        return this.finishRead(cpu, time - this.bootSystemTimeNs);
      }
    }
    this.restCpu = cpu;
    this.restPacked = packed;
    return UPTIME_NOT_LOCAL;
  }

  /** uptime's slow rest, right after uptimeLocal answered UPTIME_NOT_LOCAL for `cpu`. */
  *uptimeRest(cpu: number): Guest<number> {
    if (this.restCpu !== cpu)
      throw new Error(`uptimeRest(cpu${cpu}) without uptimeLocal answering NOT_LOCAL`);
    let packed = this.restPacked;
    this.restCpu = -1;
    // The one-step read yielded when it could not be called directly (an interrupt could come
    // first: with interrupt injection on, always); a complete, trusted read needs nothing more.
    if (packed === NOT_LOCAL) packed = yield this.ownReads[cpu]!;
    const kvmclock = this.machine.kvmclock;
    let time = stableOwnTime(packed, kvmclock.validFlags);
    if (time < 0)
      time = yield* kvmclockSystemTimeOwn(kvmclock.recordAddrs[cpu]!, this.last, kvmclock.validFlags, packed);
    return this.finishRead(cpu, time - this.bootSystemTimeNs);
  }

  /** Counts a read and checks it against this CPU's previous one (clock-monotonic). */
  private finishRead(cpu: number, value: number): number {
    this.stats.reads++;
    if (this.options.checkMonotonic) {
      const previous = this.previousReadNs[cpu]!;
      if (value < previous) {
        this.sim.fail(
          CLOCK_MONOTONIC_CHECK,
          `cpu${cpu}: uptime read ${value} ns after a previous read of ${previous} ns on this CPU`,
        );
      }
      this.previousReadNs[cpu] = value;
    }
    return value;
  }

  /**
   * What an uptime read on `cpu` would answer now, computed from outside the simulation (no effects,
   * and the CAS on `last` is not performed): thread CPU-time reports use it.
   */
  peekUptimeNs(cpu: number): number {
    if (!this.published) return 0;
    const memory = this.machine.memory;
    const addr = this.machine.kvmclock.recordAddrs[cpu]!;
    const record = readPvclockRecord(memory, addr);
    let time = Number(pvclockTimeNs(record, this.machine.tscs[cpu]!.read(this.sim.now)));
    const flags = record.flags;
    if ((flags & this.machine.kvmclock.validFlags & PVCLOCK_TSC_STABLE_BIT) === 0)
      time = Math.max(time, this.last.value);
    return time - this.bootSystemTimeNs;
  }
}
