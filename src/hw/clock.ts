// Clocks as OSv on KVM sees them (osv-internals.md §7.2): a per-CPU TSC, KVM's per-CPU
// pvclock_vcpu_time_info record and wall-clock record in guest memory, the host's two-step record
// updates, and the guest read protocol (seqlock retry, exact (delta << shift) * mul >> 32 scaling,
// the global CAS "last" when TSC_STABLE is not valid). A CPU's record is written only once the guest
// registers it (the SYSTEM_TIME MSR write OSv's kvmclock::init_on_cpu does on each CPU, §7.2, §9.1);
// until then it reads as zeros. Deliberate difference: besides that load-by-load read
// (pvclockRead), a CPU may read its *own* record in one step (pvclockReadOwn, the kernel's uptime):
// exact, since KVM rewrites a record only while its vCPU is out of guest mode. Simplified: the host's records come from one reference clock
// ("master", KVM's master-clock mode) or each CPU's own TSC ("per_cpu"); no HPET.

import {
  type Cell,
  compareAndSwap,
  type Effect,
  extension,
  FIRST_EXTENSION_OP,
  type Guest,
  load,
  type Simulation,
  type TimedHandler,
} from "../sim/index.js";
import type { GuestMemory } from "./memory.js";
import { physLoad } from "./memory.js";

// ---- the TSC --------------------------------------------------------------------------------------

export const ClockOp = {
  /** rdtsc: answers this CPU's TSC now. */
  Rdtsc: FIRST_EXTENSION_OP + 9,
  /** The running CPU's own pvclock record read in one step (see pvclockReadOwn). */
  PvclockRead: FIRST_EXTENSION_OP + 10,
} as const;

export const rdtsc = (): Effect => extension(ClockOp.Rdtsc);

const NS_PER_S = 1_000_000_000n;
const PPM = 1_000_000n;
const U64_MASK = (1n << 64n) - 1n;
/** Drift beyond ±10% is not a TSC, it is a unit mistake. */
const MAX_DRIFT_PPM = 100_000;

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** A time-stamp counter: offset + floor(t · hz · (1 + drift)), exact in BigInt. */
export class Tsc {
  private readonly numerator: bigint;
  private readonly offsetCycles: bigint;

  constructor(
    readonly hz: number,
    /** Counter value at virtual time 0 (a CPU's skew against the others). */
    readonly offset = 0,
    /** Rate error in parts per million (positive: the counter runs fast). */
    readonly driftPpm = 0,
  ) {
    if (!(Number.isSafeInteger(hz) && hz >= 1_000_000 && hz <= 10_000_000_000))
      throw new RangeError(`TSC frequency must be 1 MHz..10 GHz in whole Hz, got ${hz}`);
    if (!(Number.isSafeInteger(offset) && offset >= 0)) throw new RangeError(`TSC offset ${offset}`);
    if (!(Number.isSafeInteger(driftPpm) && Math.abs(driftPpm) <= MAX_DRIFT_PPM))
      throw new RangeError(`TSC drift must be whole ppm within ±${MAX_DRIFT_PPM}, got ${driftPpm}`);
    this.numerator = BigInt(hz) * (PPM + BigInt(driftPpm));
    this.offsetCycles = BigInt(offset);
    // cycles/ns as a reduced fraction; when its terms are small, read() needs no BigInt.
    const denominator = NS_PER_S * PPM;
    const divisor = gcd(this.numerator, denominator);
    const num = this.numerator / divisor;
    const den = denominator / divisor;
    this.fastTerms = num * den < BigInt(Number.MAX_SAFE_INTEGER) ? [Number(num), Number(den)] : null;
  }

  /** The reduced cycles-per-ns fraction [numerator, denominator] when their product is below 2^53. */
  private readonly fastTerms: [number, number] | null;

  /** The counter at virtual time `nowNs`. */
  read(nowNs: number): number {
    const fast = this.fastTerms;
    if (fast !== null) {
      // nowNs = whole · den + part: cycles = offset + whole · num + floor(part · num / den), every
      // product exact (part · num < den · num < 2^53), the whole-part sum checked against 2^53.
      const num = fast[0];
      const den = fast[1];
      let whole = Math.floor(nowNs / den);
      if (whole * den > nowNs) whole--;
      const part = nowNs - whole * den;
      const product = part * num;
      let fraction = Math.floor(product / den);
      if (fraction * den > product) fraction--;
      else if ((fraction + 1) * den <= product) fraction++;
      const cycles = this.offset + whole * num + fraction;
      if (Number.isSafeInteger(cycles)) return cycles;
    }
    const cycles = this.offsetCycles + (BigInt(nowNs) * this.numerator) / (NS_PER_S * PPM);
    if (cycles > BigInt(Number.MAX_SAFE_INTEGER))
      throw new RangeError(`TSC passed 2^53 at ${nowNs} ns: runs this long need a slower TSC`);
    return Number(cycles);
  }
}

// ---- pvclock arithmetic ------------------------------------------------------------------------------

/** pvclock_vcpu_time_info field offsets (32 bytes). */
export const PVCLOCK = {
  version: 0,
  tscTimestamp: 8,
  systemTime: 16,
  tscToSystemMul: 24,
  tscShift: 28,
  flags: 29,
  sizeBytes: 32,
} as const;
/** pvclock_wall_clock field offsets (12 bytes). */
export const PVCLOCK_WALL = { version: 0, sec: 4, nsec: 8, sizeBytes: 12 } as const;
export const PVCLOCK_TSC_STABLE_BIT = 1;

export interface PvclockScale {
  /** tsc_to_system_mul: a 32-bit binary fraction. */
  mul: number;
  /** tsc_shift: applied to the delta before the multiply (negative: shift right). */
  shift: number;
}

/**
 * The (mul, shift) pair that turns TSC cycles at `tscHz` into ns: shift the delta so that
 * 1e9 / (hz · 2^shift) lies in [0.5, 1), then mul = floor(that fraction · 2^32). This is the pair
 * KVM's time-scale computation arrives at, found here directly.
 */
export function pvclockScale(tscHz: number): PvclockScale {
  if (!(Number.isSafeInteger(tscHz) && tscHz > 0)) throw new RangeError(`TSC frequency ${tscHz}`);
  let shift = 0;
  // ratio = 1e9 / (hz · 2^shift), kept as numerator / denominator in BigInt.
  let numerator = NS_PER_S;
  let denominator = BigInt(tscHz);
  while (numerator >= denominator) {
    denominator *= 2n;
    shift++;
  }
  while (numerator * 2n < denominator) {
    numerator *= 2n;
    shift--;
  }
  const mul = (numerator << 32n) / denominator;
  if (!(mul >= 0x8000_0000n && mul <= 0xffff_ffffn) || shift < -32 || shift > 31)
    throw new Error(`pvclockScale(${tscHz}): mul ${mul} shift ${shift} out of range`);
  return { mul: Number(mul), shift };
}

/** ns for a TSC delta: (delta shifted by `shift`) × mul >> 32, exact u64 arithmetic as in §7.2. */
export function pvclockScaleDelta(delta: bigint, mul: number, shift: number): bigint {
  let d = delta & U64_MASK;
  d = shift >= 0 ? (d << BigInt(shift)) & U64_MASK : d >> BigInt(-shift);
  return ((d * BigInt(mul)) >> 32n) & U64_MASK;
}

/** The full pvclock time: system_time + scaled(tsc − tsc_timestamp), wrapping as u64. */
export function pvclockTimeNs(
  record: { tscTimestamp: number; systemTime: number; mul: number; shift: number },
  tsc: number,
): bigint {
  const delta = (BigInt(tsc) - BigInt(record.tscTimestamp)) & U64_MASK;
  return (BigInt(record.systemTime) + pvclockScaleDelta(delta, record.mul, record.shift)) & U64_MASK;
}

// ---- the host side: KVM writing the records -------------------------------------------------------

export interface KvmClockOptions {
  /**
   * "master": every record is cut from one reference clock (nominal TSC, no skew or drift), as KVM
   * does in master-clock mode, so a CPU whose TSC is skewed reads a skewed time. "per_cpu": each
   * record uses that CPU's own TSC (skew cancels; drift accumulates until the next update).
   */
  hostClockMode: "master" | "per_cpu";
  /** Whether records carry TSC_STABLE (the host's claim). */
  tscStableFlag: boolean;
  /** Whether CPUID advertises the stable bit, i.e. whether the guest may trust the flag. */
  stableBitAdvertised: boolean;
  /** Fault: probability per record update that TSC_STABLE is withheld. */
  withholdStableRatio: number;
  /** Fault: probability per record update that the host's clock steps by up to clockStepNsMax. */
  clockStepRatio: number;
  clockStepNsMax: number;
  /** Period of host record updates for every CPU, 0 = only the initial record (default). */
  updatePeriodNs: number;
  /** Time between an update's first write (version odd + fields) and its second (version even). */
  updateWriteNs: number;
  /** kvmclock system_time at virtual time 0 (the host's monotonic clock at VM start). */
  systemTimeAtStartNs: number;
  /** Wall-clock time (whole seconds since the epoch) at kvmclock system_time 0. */
  wallClockAtZeroSec: number;
  /**
   * Whether every CPU's record is registered when the machine is built (a machine without a guest
   * kernel), or only when the guest writes the SYSTEM_TIME MSR on that CPU (`register`), as OSv
   * does from each CPU's bring-up; an unregistered record is all zeros.
   */
  registerAtBuild: boolean;
}

export const DEFAULT_KVMCLOCK_OPTIONS: Readonly<KvmClockOptions> = Object.freeze({
  hostClockMode: "master",
  tscStableFlag: true,
  stableBitAdvertised: true,
  withholdStableRatio: 0,
  clockStepRatio: 0,
  clockStepNsMax: 1_000_000,
  updatePeriodNs: 0,
  updateWriteNs: 100,
  systemTimeAtStartNs: 1_000_000_000,
  wallClockAtZeroSec: 1_767_225_600,
  registerAtBuild: true,
});

export function resolveKvmClockOptions(overrides: Partial<KvmClockOptions> = {}): Readonly<KvmClockOptions> {
  const o = { ...DEFAULT_KVMCLOCK_OPTIONS, ...overrides };
  const wholeNs = (name: string, v: number, max = Number.MAX_SAFE_INTEGER) => {
    if (!(Number.isSafeInteger(v) && v >= 0 && v <= max)) throw new RangeError(`kvmclock ${name}: ${v}`);
  };
  wholeNs("clockStepNsMax", o.clockStepNsMax, 3_600_000_000_000);
  wholeNs("updatePeriodNs", o.updatePeriodNs);
  wholeNs("updateWriteNs", o.updateWriteNs, 1_000_000_000);
  wholeNs("systemTimeAtStartNs", o.systemTimeAtStartNs);
  wholeNs("wallClockAtZeroSec", o.wallClockAtZeroSec, 0xffff_ffff);
  for (const [name, ratio] of [
    ["withholdStableRatio", o.withholdStableRatio],
    ["clockStepRatio", o.clockStepRatio],
  ] as const) {
    if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`kvmclock ${name} must be in [0, 1]: ${ratio}`);
  }
  if (o.updatePeriodNs > 0 && o.updatePeriodNs <= o.updateWriteNs)
    throw new RangeError("kvmclock updatePeriodNs must exceed updateWriteNs");
  if (o.hostClockMode !== "master" && o.hostClockMode !== "per_cpu")
    throw new RangeError(`kvmclock hostClockMode '${o.hostClockMode as string}'`);
  if (typeof o.registerAtBuild !== "boolean")
    throw new RangeError(`kvmclock registerAtBuild must be a boolean: ${String(o.registerAtBuild)}`);
  return Object.freeze(o);
}

export interface KvmClockStats {
  updates: number;
  withheldStable: number;
  steps: number;
  wallClockWrites: number;
  /** SYSTEM_TIME MSR writes (registrations) by the guest. */
  registrations: number;
}

/** KVM's side of kvmclock: owns the records' contents and rewrites them at host updates. */
export class KvmClock {
  readonly scale: PvclockScale;
  readonly stats: KvmClockStats = {
    updates: 0,
    withheldStable: 0,
    steps: 0,
    wallClockWrites: 0,
    registrations: 0,
  };
  /** Whether each CPU's record has been registered (and so is written by the host). */
  private readonly registeredCpus: boolean[];
  /** Accumulated clock steps (faults) added to the host clock. */
  private stepNs = 0;
  private readonly reference: Tsc;
  private readonly handler: TimedHandler;
  /** Observes every record write (tests, trace): the fields as written for `cpu`. */
  onRecordWrite: ((cpu: number, tscTimestamp: number, systemTime: number, flags: number) => void) | null =
    null;

  constructor(
    private readonly sim: Simulation,
    private readonly memory: GuestMemory,
    readonly tscs: readonly Tsc[],
    /** Guest-physical address of each CPU's pvclock_vcpu_time_info. */
    readonly recordAddrs: readonly number[],
    /** Guest-physical address of the pvclock_wall_clock. */
    readonly wallClockAddr: number,
    readonly options: Readonly<KvmClockOptions>,
    kind: number,
  ) {
    if (tscs.length !== recordAddrs.length || tscs.length === 0)
      throw new RangeError("kvmclock needs one record address per TSC");
    this.scale = pvclockScale(tscs[0]!.hz);
    this.reference = new Tsc(tscs[0]!.hz);
    // arg = cpu · 2 + phase (0: version odd and fields, 1: version even).
    this.handler = { kind, id: 0, fire: (arg) => this.updatePhase(arg >> 1, arg & 1) };
    this.registeredCpus = tscs.map(() => false);
    this.writeWallClock();
    if (options.registerAtBuild) for (let cpu = 0; cpu < tscs.length; cpu++) this.register(cpu);
  }

  /**
   * The host's answer to the guest writing `cpu`'s SYSTEM_TIME MSR (enable bit set): the record is
   * written at once (the vCPU is in the exit meanwhile, so the guest never sees it half-written) and,
   * with a period, kept updated from then on. A second registration rewrites the record.
   */
  register(cpu: number): void {
    if (!(Number.isInteger(cpu) && cpu >= 0 && cpu < this.tscs.length)) throw new RangeError(`cpu ${cpu}`);
    const addr = this.recordAddrs[cpu]!;
    const version = this.memory.read(addr + PVCLOCK.version, 4);
    this.writeFields(cpu, this.sim.now);
    // Mid-update (odd), the update's pending second write makes the version even again.
    if (version % 2 === 0) this.memory.write(addr + PVCLOCK.version, 4, (version + 2) >>> 0);
    this.stats.registrations++;
    const first = !this.registeredCpus[cpu];
    this.registeredCpus[cpu] = true;
    if (first && this.options.updatePeriodNs > 0)
      this.scheduleUpdate(cpu, this.sim.now + this.options.updatePeriodNs);
  }

  /** Whether `cpu`'s record has been registered. */
  isRegistered(cpu: number): boolean {
    return this.registeredCpus[cpu] === true;
  }

  /** The host's kvmclock (ns) at virtual time `nowNs`. */
  hostSystemTimeNs(nowNs: number): number {
    return this.options.systemTimeAtStartNs + nowNs + this.stepNs;
  }

  /** Schedules a two-step update of `cpu`'s record starting at `atNs`. */
  scheduleUpdate(cpu: number, atNs: number): void {
    if (!(Number.isInteger(cpu) && cpu >= 0 && cpu < this.tscs.length)) throw new RangeError(`cpu ${cpu}`);
    this.sim.at(atNs, this.handler, cpu * 2);
  }

  private updatePhase(cpu: number, phase: number): void {
    const addr = this.recordAddrs[cpu]!;
    const version = this.memory.read(addr + PVCLOCK.version, 4);
    if (phase === 0) {
      this.sim.assert(version % 2 === 0, "kvmclock.version", `cpu${cpu}: update began on odd version`);
      this.memory.write(addr + PVCLOCK.version, 4, (version + 1) >>> 0);
      this.maybeStep();
      this.writeFields(cpu, this.sim.now);
      this.sim.at(this.sim.now + this.options.updateWriteNs, this.handler, cpu * 2 + 1);
      return;
    }
    this.sim.assert(version % 2 === 1, "kvmclock.version", `cpu${cpu}: update ended on even version`);
    this.memory.write(addr + PVCLOCK.version, 4, (version + 1) >>> 0);
    this.stats.updates++;
    if (this.options.updatePeriodNs > 0) this.scheduleUpdate(cpu, this.sim.now + this.options.updatePeriodNs);
  }

  private maybeStep(): void {
    if (!this.sim.choice.chance(this.options.clockStepRatio, "kvmclock.step")) return;
    const magnitude = this.sim.choice.between(
      1,
      Math.max(1, this.options.clockStepNsMax),
      "kvmclock.step_ns",
    );
    const backwards = this.sim.choice.chance(0.5, "kvmclock.step_back");
    // The host clock never goes below 0.
    this.stepNs += backwards ? -Math.min(magnitude, this.hostSystemTimeNs(this.sim.now)) : magnitude;
    this.stats.steps++;
  }

  /** Writes tsc_timestamp, system_time, mul, shift and flags as of `nowNs` (version untouched). */
  private writeFields(cpu: number, nowNs: number): void {
    const addr = this.recordAddrs[cpu]!;
    const tsc = this.options.hostClockMode === "master" ? this.reference : this.tscs[cpu]!;
    let flags = this.options.tscStableFlag ? PVCLOCK_TSC_STABLE_BIT : 0;
    if (flags !== 0 && this.sim.choice.chance(this.options.withholdStableRatio, "kvmclock.withhold_stable")) {
      flags = 0;
      this.stats.withheldStable++;
    }
    const tscTimestamp = tsc.read(nowNs);
    const systemTime = this.hostSystemTimeNs(nowNs);
    this.memory.write(addr + PVCLOCK.tscTimestamp, 8, tscTimestamp);
    this.memory.write(addr + PVCLOCK.systemTime, 8, systemTime);
    this.memory.write(addr + PVCLOCK.tscToSystemMul, 4, this.scale.mul);
    this.memory.write(addr + PVCLOCK.tscShift, 1, this.scale.shift & 0xff);
    this.memory.write(addr + PVCLOCK.flags, 1, flags);
    this.onRecordWrite?.(cpu, tscTimestamp, systemTime, flags);
  }

  /**
   * The host's answer to a write of the WALL_CLOCK MSR: the wall time at kvmclock 0, written under
   * its version (at one instant: the guest's vCPU is in the exit while it happens).
   */
  writeWallClock(): void {
    const addr = this.wallClockAddr;
    const version = this.memory.read(addr + PVCLOCK_WALL.version, 4);
    // A step of the host clock moves kvmclock, so the wall time at kvmclock 0 moves the other way.
    const wallAtZeroNs = BigInt(this.options.wallClockAtZeroSec) * NS_PER_S - BigInt(this.stepNs);
    this.memory.write(addr + PVCLOCK_WALL.version, 4, (version + 1) >>> 0);
    this.memory.write(addr + PVCLOCK_WALL.sec, 4, Number(wallAtZeroNs / NS_PER_S));
    this.memory.write(addr + PVCLOCK_WALL.nsec, 4, Number(wallAtZeroNs % NS_PER_S));
    this.memory.write(addr + PVCLOCK_WALL.version, 4, (version + 2) >>> 0);
    this.stats.wallClockWrites++;
  }

  /** The flags the guest may trust: TSC_STABLE only when CPUID advertises the stable bit. */
  get validFlags(): number {
    return this.options.stableBitAdvertised ? PVCLOCK_TSC_STABLE_BIT : 0;
  }
}

export function allocateClockKinds(sim: Simulation): number {
  sim.kinds.defineExtensionOp(ClockOp.Rdtsc, "rdtsc");
  sim.kinds.defineExtensionOp(ClockOp.PvclockRead, "pvclock_read");
  return sim.kinds.kindFor("kvmclock_update");
}

// ---- the guest side: OSv's kvmclock driver read path ---------------------------------------------

/** Retries of the seqlock before the read is declared stuck (the host never finishes an update). */
const MAX_SEQLOCK_RETRIES = 10_000;
/** Retries of the CAS on `last` (each failure means another CPU published a later time). */
const MAX_CAS_RETRIES = 10_000;

export interface PvclockReading {
  timeNs: number;
  flags: number;
  /** The fields the time was computed from (a consistent pair when the seqlock did its job). */
  tscTimestamp: number;
  systemTime: number;
  tsc: number;
  /** Passes through the seqlock (1 = no retry). */
  attempts: number;
}

/** Reads one pvclock record with the seqlock protocol of §7.2 (guest code on the record's CPU). */
export function* pvclockRead(addr: number): Guest<PvclockReading> {
  for (let attempt = 1; attempt <= MAX_SEQLOCK_RETRIES; attempt++) {
    const v1 = yield physLoad(addr + PVCLOCK.version, 4);
    // (barrier; lfence: no-ops under sequential consistency)
    const tsc = yield rdtsc();
    const tscTimestamp = yield physLoad(addr + PVCLOCK.tscTimestamp, 8);
    const systemTime = yield physLoad(addr + PVCLOCK.systemTime, 8);
    const mul = yield physLoad(addr + PVCLOCK.tscToSystemMul, 4);
    const shiftByte = yield physLoad(addr + PVCLOCK.tscShift, 1);
    const flags = yield physLoad(addr + PVCLOCK.flags, 1);
    const v2 = yield physLoad(addr + PVCLOCK.version, 4);
    if ((v1 & 1) !== 0 || v1 !== v2) continue;
    const shift = shiftByte >= 128 ? shiftByte - 256 : shiftByte;
    const time = pvclockTimeNs({ tscTimestamp, systemTime, mul, shift }, tsc);
    if (time > BigInt(Number.MAX_SAFE_INTEGER))
      throw new RangeError(`pvclock time ${time} is beyond 2^53 (a TSC below tsc_timestamp?)`);
    return { timeNs: Number(time), flags, tscTimestamp, systemTime, tsc, attempts: attempt };
  }
  throw new Error(`pvclock read at ${addr}: version still changing after ${MAX_SEQLOCK_RETRIES} tries`);
}

/** The record's scaling fields as they are in memory now (host-side, no effects). */
export function readPvclockRecord(
  memory: GuestMemory,
  addr: number,
): { tscTimestamp: number; systemTime: number; mul: number; shift: number; flags: number } {
  const shiftByte = memory.read(addr + PVCLOCK.tscShift, 1);
  return {
    tscTimestamp: memory.read(addr + PVCLOCK.tscTimestamp, 8),
    systemTime: memory.read(addr + PVCLOCK.systemTime, 8),
    mul: memory.read(addr + PVCLOCK.tscToSystemMul, 4),
    shift: shiftByte >= 128 ? shiftByte - 256 : shiftByte,
    flags: memory.read(addr + PVCLOCK.flags, 1),
  };
}

/**
 * The vCPU side of ClockOp.PvclockRead: the whole record and the TSC at one instant. Answers
 * time · 2 + (TSC_STABLE set ? 1 : 0), or -1 when the version is odd (the host is mid-update).
 */
export function performPvclockRead(memory: GuestMemory, addr: number, tsc: number): number {
  if ((memory.read(addr + PVCLOCK.version, 4) & 1) !== 0) return -1;
  const shiftByte = memory.read(addr + PVCLOCK.tscShift, 1);
  const tscTimestamp = memory.read(addr + PVCLOCK.tscTimestamp, 8);
  const systemTime = memory.read(addr + PVCLOCK.systemTime, 8);
  const mul = memory.read(addr + PVCLOCK.tscToSystemMul, 4);
  const shift = shiftByte >= 128 ? shiftByte - 256 : shiftByte;
  let time = pvclockTimeNsFast(tscTimestamp, systemTime, mul, shift, tsc);
  if (time < 0 || time * 2 + 1 > Number.MAX_SAFE_INTEGER) {
    const exact = pvclockTimeNs({ tscTimestamp, systemTime, mul, shift }, tsc);
    if (exact * 2n + 1n > BigInt(Number.MAX_SAFE_INTEGER))
      throw new RangeError(`pvclock time ${exact} is beyond 2^52 (a TSC below tsc_timestamp?)`);
    time = Number(exact);
  }
  const flags = memory.read(addr + PVCLOCK.flags, 1);
  return time * 2 + ((flags & PVCLOCK_TSC_STABLE_BIT) !== 0 ? 1 : 0);
}

const TWO_16 = 0x1_0000;
const TWO_32 = 0x1_0000_0000;

/**
 * pvclockTimeNs in plain numbers, exact, for the common case where no step needs more than 53 bits
 * (the TSC at or after tsc_timestamp, the shifted delta and the sum below 2^53); answers -1 otherwise
 * (the caller falls back to the BigInt form). The 32x32-bit product is split into 16-bit halves so
 * every partial product is exact in a double.
 */
export function pvclockTimeNsFast(
  tscTimestamp: number,
  systemTime: number,
  mul: number,
  shift: number,
  tsc: number,
): number {
  const delta = tsc - tscTimestamp;
  if (delta < 0) return -1;
  let d: number;
  if (shift >= 0) {
    d = delta * 2 ** shift;
    if (d > Number.MAX_SAFE_INTEGER) return -1;
  } else d = Math.floor(delta / 2 ** -shift);
  const dHi = Math.floor(d / TWO_32);
  const dLo = d - dHi * TWO_32;
  const mHi = Math.floor(mul / TWO_16);
  const mLo = mul - mHi * TWO_16;
  // d·mul >> 32 = dHi·mul + (dLo·mul >> 32), and dLo·mul = a·2^16 + b.
  const a = dLo * mHi;
  const b = dLo * mLo;
  const aHi = Math.floor(a / TWO_16);
  const scaled = dHi * mul + aHi + Math.floor(((a - aHi * TWO_16) * TWO_16 + b) / TWO_32);
  const time = systemTime + scaled;
  return time <= Number.MAX_SAFE_INTEGER ? time : -1;
}

/**
 * Reads the running CPU's own pvclock record in one step: the same answer as pvclockRead's seqlock
 * loop, without its eight separate loads. Exact for a CPU's own record, because KVM rewrites it only
 * while that vCPU is out of guest mode, so the guest never sees it change between two of its loads
 * (the model's host still has a mid-update window, odd version, which makes this retry). pvclockRead
 * stays for reading any record load by load, and for testing the seqlock itself.
 */
export function* pvclockReadOwn(addr: number): Guest<{ timeNs: number; flags: number }> {
  for (let attempt = 1; attempt <= MAX_SEQLOCK_RETRIES; attempt++) {
    const packed = yield extension(ClockOp.PvclockRead, addr);
    if (packed >= 0)
      return { timeNs: Math.floor(packed / 2), flags: packed % 2 === 1 ? PVCLOCK_TSC_STABLE_BIT : 0 };
  }
  throw new Error(`pvclock read at ${addr}: version still odd after ${MAX_SEQLOCK_RETRIES} tries`);
}

/**
 * kvmclock system time as OSv reads it: the pvclock time, returned directly when TSC_STABLE is set
 * and valid; otherwise made globally non-decreasing through the CAS-max cell `last`.
 */
export function* kvmclockSystemTime(
  addr: number,
  last: Cell,
  validFlags: number,
  read: (addr: number) => Guest<{ timeNs: number; flags: number }> = pvclockRead,
): Guest<number> {
  const { timeNs, flags } = yield* read(addr);
  if ((flags & validFlags & PVCLOCK_TSC_STABLE_BIT) !== 0) return timeNs;
  return yield* publishLast(timeNs, last);
}

/** The CAS-max on `last` that makes an unstable pvclock time globally non-decreasing. */
function* publishLast(timeNs: number, last: Cell): Guest<number> {
  let seen = yield load(last);
  for (let attempt = 0; attempt < MAX_CAS_RETRIES; attempt++) {
    if (timeNs <= seen) return seen;
    const old = yield compareAndSwap(last, seen, timeNs);
    if (old === seen) return timeNs;
    seen = old;
  }
  throw new Error(`kvmclock 'last': CAS failed ${MAX_CAS_RETRIES} times`);
}

/** The one-step read of the record at `addr` (see pvclockReadOwn); callers may make it once and reuse it. */
export const pvclockReadOp = (addr: number): Effect => extension(ClockOp.PvclockRead, addr);

/**
 * The system time a one-step read answered (`packed`, the op's result) when it needs nothing more:
 * a complete read (even version) with TSC_STABLE set and valid. Otherwise -1: the caller goes on with
 * kvmclockSystemTimeOwn(…, packed), which retries an odd version or publishes through `last`.
 */
export function stableOwnTime(packed: number, validFlags: number): number {
  if (packed < 0 || packed % 2 !== 1 || (validFlags & PVCLOCK_TSC_STABLE_BIT) === 0) return -1;
  return Math.floor(packed / 2);
}

/**
 * kvmclockSystemTime of the running CPU's own record, read in one step as pvclockReadOwn does: the
 * same effects and answer, written as one generator with no intermediate object (the scheduler reads
 * the clock at every switch). `first`: the result of a read the caller already made (stableOwnTime's
 * fast path), or undefined to start with a read.
 */
export function* kvmclockSystemTimeOwn(
  addr: number,
  last: Cell,
  validFlags: number,
  first?: number,
): Guest<number> {
  const read = pvclockReadOp(addr);
  let packed = first ?? (yield read);
  for (let attempt = 1; packed < 0; attempt++) {
    if (attempt >= MAX_SEQLOCK_RETRIES)
      throw new Error(`pvclock read at ${addr}: version still odd after ${MAX_SEQLOCK_RETRIES} tries`);
    packed = yield read;
  }
  const stable = stableOwnTime(packed, validFlags);
  return stable >= 0 ? stable : yield* publishLast(Math.floor(packed / 2), last);
}

/** Reads the wall-clock record (the wall time at kvmclock 0) with the same seqlock. */
export function* readWallClock(addr: number): Guest<{ sec: number; nsec: number }> {
  for (let attempt = 1; attempt <= MAX_SEQLOCK_RETRIES; attempt++) {
    const v1 = yield physLoad(addr + PVCLOCK_WALL.version, 4);
    const sec = yield physLoad(addr + PVCLOCK_WALL.sec, 4);
    const nsec = yield physLoad(addr + PVCLOCK_WALL.nsec, 4);
    const v2 = yield physLoad(addr + PVCLOCK_WALL.version, 4);
    if ((v1 & 1) === 0 && v1 === v2) return { sec, nsec };
  }
  throw new Error(`wall clock read at ${addr}: version still changing`);
}
