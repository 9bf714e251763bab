// The local APIC as OSv programs it (osv-internals.md §7.1, §2.14): a one-shot timer whose initial
// count is nanoseconds (divide-by-1 on KVM's 1 GHz APIC clock), the LVT timer vector and mask, EOI,
// and fixed-delivery IPIs that arrive after a latency from the choice source. Simplified: no
// periodic or TSC-deadline mode, no shorthand or logical destinations, no INIT/SIPI, no TPR.
//
// Local register writes (timer count, LVT, EOI) are direct calls from the guest code running on the
// vCPU: they act at the current instant and are deterministic either way. Sending an IPI is an
// effect (sendIpi), so it is an interleaving point between CPUs and appears in the event stream.

import {
  type Effect,
  extension,
  FIRST_EXTENSION_OP,
  type Simulation,
  type TimedHandler,
} from "../sim/index.js";
import { FIRST_INTERRUPT_VECTOR, SPURIOUS_VECTOR, type Vcpu } from "./cpu.js";
import type { InterruptSink } from "./interrupts.js";

export const ApicOp = {
  /** Sends a fixed IPI: `a` = target CPU, `b` = vector. */
  SendIpi: FIRST_EXTENSION_OP + 8,
} as const;

/** Guest effect: send `vector` to CPU `targetCpu` (an ICR write). */
export const sendIpi = (targetCpu: number, vector: number): Effect =>
  extension(ApicOp.SendIpi, targetCpu, vector);

export interface ApicOptions {
  /**
   * IPI delivery latency bounds (ns); each IPI draws from between(min, max, "ipi.latency"), so the
   * default choice is the minimum. Not in OSv's source (§12); a posted-interrupt IPI on KVM to a
   * running vCPU takes about a microsecond, to a halted one several.
   */
  ipiLatencyNsMin: number;
  ipiLatencyNsMax: number;
  /** Probability that a timer expiry also brings a spurious interrupt (vector 0xff). Off by default. */
  spuriousRatio: number;
}

export const DEFAULT_APIC_OPTIONS: Readonly<ApicOptions> = Object.freeze({
  ipiLatencyNsMin: 1_000,
  ipiLatencyNsMax: 5_000,
  spuriousRatio: 0,
});

/** The initial-count register is 32 bits: with divide-by-1 at 1 GHz, at most ≈4.29 s ahead. */
export const MAX_TIMER_COUNT_NS = 0xffff_ffff;
/** Bound on the IPI latency a scenario may configure (1 s). */
const MAX_IPI_LATENCY_NS = 1_000_000_000;

export function resolveApicOptions(overrides: Partial<ApicOptions> = {}): Readonly<ApicOptions> {
  const options = { ...DEFAULT_APIC_OPTIONS, ...overrides };
  const { ipiLatencyNsMin: min, ipiLatencyNsMax: max, spuriousRatio } = options;
  if (!(Number.isSafeInteger(min) && Number.isSafeInteger(max) && 0 <= min && min <= max))
    throw new RangeError(`IPI latency needs whole ns 0 <= min <= max, got [${min}, ${max}]`);
  if (max > MAX_IPI_LATENCY_NS) throw new RangeError(`IPI latency max ${max} ns is over 1 s`);
  if (!(spuriousRatio >= 0 && spuriousRatio <= 1))
    throw new RangeError(`spuriousRatio must be in [0, 1], got ${spuriousRatio}`);
  return Object.freeze(options);
}

/** Event kinds shared by all APICs of a machine (allocate once per simulation). */
export interface ApicKinds {
  timer: number;
  ipi: number;
}

export function allocateApicKinds(sim: Simulation): ApicKinds {
  sim.kinds.defineExtensionOp(ApicOp.SendIpi, "send_ipi");
  return { timer: sim.kinds.kindFor("apic_timer"), ipi: sim.kinds.kindFor("ipi") };
}

export interface ApicStats {
  /** Timer expiries that raised the LVT vector. */
  timerInterrupts: number;
  /** Timer expiries while the LVT was masked (no interrupt). */
  maskedExpiries: number;
  /** Timer events that found the timer re-programmed or cancelled (no interrupt). */
  staleTimerEvents: number;
  ipisSent: number;
  spuriousInterrupts: number;
  eois: number;
}

export class LocalApic {
  readonly stats: ApicStats = {
    timerInterrupts: 0,
    maskedExpiries: 0,
    staleTimerEvents: 0,
    ipisSent: 0,
    spuriousInterrupts: 0,
    eois: 0,
  };
  /** LVT timer entry: the vector and the mask bit (masked at reset, as on x86). */
  private timerVector = FIRST_INTERRUPT_VECTOR;
  private timerMasked = true;
  /** Identifies the one timer event that is current; older ones are stale. */
  private timerToken = 0;
  /** When the armed timer expires, or -1. */
  private timerDeadlineNs = -1;
  private readonly timerHandler: TimedHandler;
  private readonly ipiHandler: TimedHandler;

  constructor(
    private readonly sim: Simulation,
    readonly cpu: Vcpu,
    private readonly bus: InterruptSink,
    private readonly cpuCount: number,
    private readonly options: Readonly<ApicOptions>,
    kinds: ApicKinds,
  ) {
    this.timerHandler = {
      kind: kinds.timer,
      id: cpu.index,
      fire: (token) => this.timerFired(token),
      isLive: (token) => token === this.timerToken,
    };
    this.ipiHandler = {
      kind: kinds.ipi,
      id: cpu.index,
      fire: (packed) => this.bus.raise(packed >> 8, packed & 0xff),
    };
    cpu.registerExtension(
      ApicOp.SendIpi,
      "send_ipi",
      (_cpu, effect) => {
        this.sendIpi(effect.a, effect.b);
        return 0;
      },
      cpu.cost.ipiSendNs,
    );
  }

  /** Writes the LVT timer register: the vector and the mask bit. */
  writeLvtTimer(vector: number, masked: boolean): void {
    checkVector(vector);
    this.timerVector = vector;
    this.timerMasked = masked;
  }

  get lvtTimer(): { vector: number; masked: boolean } {
    return { vector: this.timerVector, masked: this.timerMasked };
  }

  /**
   * Writes the initial-count register: the timer expires `countNs` from now, replacing any armed
   * expiry; 0 stops it. Charged to the running guest code when it is the caller.
   */
  writeInitialCount(countNs: number): void {
    if (!(Number.isSafeInteger(countNs) && countNs >= 0 && countNs <= MAX_TIMER_COUNT_NS))
      throw new RangeError(`APIC initial count must be in [0, 2^32), got ${countNs}`);
    this.timerToken++;
    if (countNs === 0) {
      this.timerDeadlineNs = -1;
    } else {
      this.timerDeadlineNs = this.sim.now + countNs;
      this.sim.at(this.timerDeadlineNs, this.timerHandler, this.timerToken);
    }
    if (this.cpu.runningGuestCode) this.cpu.charge(this.cpu.cost.apicTimerWriteNs);
  }

  /** The current-count register: ns until expiry, 0 when stopped or expired. */
  get currentCountNs(): number {
    return this.timerDeadlineNs < 0 ? 0 : this.timerDeadlineNs - this.sim.now;
  }

  /** The armed expiry time, or -1. */
  get deadlineNs(): number {
    return this.timerDeadlineNs;
  }

  /** EOI register write: retires the highest in-service vector. */
  eoi(): void {
    this.stats.eois++;
    this.cpu.endOfInterrupt();
  }

  /** Sends `vector` to `targetCpu`; it is raised there after a latency drawn from the choice source. */
  sendIpi(targetCpu: number, vector: number): void {
    if (!(Number.isInteger(targetCpu) && targetCpu >= 0 && targetCpu < this.cpuCount))
      throw new RangeError(`IPI to cpu ${targetCpu}: the machine has ${this.cpuCount}`);
    checkVector(vector);
    const { ipiLatencyNsMin, ipiLatencyNsMax } = this.options;
    const latencyNs = this.sim.choice.between(ipiLatencyNsMin, ipiLatencyNsMax, "ipi.latency");
    this.stats.ipisSent++;
    this.sim.at(this.sim.now + latencyNs, this.ipiHandler, (targetCpu << 8) | vector);
  }

  private timerFired(token: number): void {
    if (token !== this.timerToken) {
      this.stats.staleTimerEvents++;
      return;
    }
    this.sim.assert(this.timerDeadlineNs === this.sim.now, "apic.timer_deadline", () => {
      return `cpu${this.cpu.index}: timer event at ${this.sim.now} ns for deadline ${this.timerDeadlineNs} ns`;
    });
    this.timerDeadlineNs = -1;
    if (this.timerMasked) {
      this.stats.maskedExpiries++;
    } else {
      this.stats.timerInterrupts++;
      this.bus.raise(this.cpu.index, this.timerVector);
    }
    if (this.sim.choice.chance(this.options.spuriousRatio, "apic.spurious")) {
      this.stats.spuriousInterrupts++;
      this.bus.raise(this.cpu.index, SPURIOUS_VECTOR);
    }
  }
}

function checkVector(vector: number): void {
  if (!(Number.isInteger(vector) && vector >= FIRST_INTERRUPT_VECTOR && vector <= 255))
    throw new RangeError(`APIC vector must be in [${FIRST_INTERRUPT_VECTOR}, 255], got ${vector}`);
}
