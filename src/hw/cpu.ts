// A virtual x86 CPU under KVM as OSv sees it: it runs one guest context (a thread's stack of frames)
// at a time and takes interrupts between steps when IF=1, by x86 priority class (vector >> 4), with
// interruptible compute, hlt and an interrupt epilogue hook (osv-internals.md §7.1 dispatch, §2.8
// idle/hlt, §2.5 switch). Simplified: no TPR (OSv leaves it 0), no exceptions or NMI, no STI shadow
// except the atomic sti;hlt, and each interrupt frame lives on the interrupted context's stack.
// Timing departures, for speed: the cost of an op charged after its effect (cli, sti, switch_to, a
// clock read) and a deferred compute are paid with the next effect, so the guest code in between
// runs at once; cli, sti and the clock reads are performed inside the guest's step, recorded but not
// dispatched (see localOp for why no behaviour is lost); and pollExchange, a spin of exchange polls, waits out its quiet polls on the cell instead of
// simulating each (a write on the very instant of a poll counts as before it; quiet polls draw no
// fault choices).

import {
  ALREADY_BLOCKED,
  ALREADY_WAITING,
  type Cell,
  type CellWatcher,
  COMPUTE_DEFERRED,
  compute,
  DONE,
  type Effect,
  exchange,
  extension,
  FIRST_EXTENSION_OP,
  type Guest,
  GuestStack,
  Op,
  RUN_AHEAD_ENDED,
  RUN_AHEAD_NO,
  RUN_AHEAD_PENDING,
  RUN_AHEAD_SUSPENDED,
  RUN_AHEAD_WAITING,
  Runner,
  RunnerState,
  type Simulation,
  SUSPENDED,
} from "../sim/index.js";
import type { CostModel } from "./cost.js";
import type { InterruptSink } from "./interrupts.js";
import { type GuestMemory, HwOp, performPhysEffect } from "./memory.js";

/** The vCPU's own extension ops (66..71). APIC and clock ops follow at 72..; devices use 80.. */
export const CpuOp = {
  /** Clears IF; answers the previous IF (1 or 0), so it doubles as irq_save. */
  Cli: FIRST_EXTENSION_OP + 2,
  /** Sets IF; answers the previous IF. A pending interrupt is taken right after. */
  Sti: FIRST_EXTENSION_OP + 3,
  /** Halts until an interrupt can be taken (never, while IF=0). */
  Hlt: FIRST_EXTENSION_OP + 4,
  /** sti;hlt as one step: OSv's safe_halt, which cannot miss an interrupt between the two. */
  StiHlt: FIRST_EXTENSION_OP + 5,
  /** Makes another context current (switch_to); answers 0 to the context that is resumed. */
  SwitchTo: FIRST_EXTENSION_OP + 6,
  /** Internal: the vCPU has no context to run and waits for boot(). */
  Park: FIRST_EXTENSION_OP + 7,
  /** A spin of exchange(cell, 0) polls (see pollExchange); 75, after the APIC and clock ops. */
  PollExchange: FIRST_EXTENSION_OP + 11,
} as const;

// Operand-less ops are shared effect objects (effects are read-only once made).
const CLI = extension(CpuOp.Cli);
const STI = extension(CpuOp.Sti);
const HLT = extension(CpuOp.Hlt);
const STI_HLT = extension(CpuOp.StiHlt);
export const cli = (): Effect => CLI;
export const sti = (): Effect => STI;
export const hlt = (): Effect => HLT;
export const stiHlt = (): Effect => STI_HLT;
/** switch_to `context`: one effect per context, made on first use (effects are read-only values). */
export const switchTo = (context: CpuContext): Effect =>
  (context.switchEffect ??= extension(CpuOp.SwitchTo, 0, 0, context));
/**
 * A spin loop, as one effect: up to `polls` times, compute `periodNs`, then exchange(cell, 0) (a
 * memory op, charged as one, line transfers included); it stops at the first poll that finds a
 * non-zero value and answers that value, or 0 when every poll found 0. Vcpu.lastPollCount says how
 * many polls it made. Timing, costs and results are those of the loop written out, except that a
 * write landing on the same instant as a poll counts as before it; but quiet polls (the line stays
 * here, the cell stays 0) are not simulated one by one: the vCPU waits on the cell (CellWatcher)
 * and resumes the loop at the poll that would have seen another CPU's write. Interrupts are taken
 * between polls as in the loop, and end it after the poll in progress (answering what that poll
 * found, maybe 0), so the caller re-checks whatever a handler changed. Quiet polls draw no fault
 * choices (interrupt injection, compute jitter). OSv's idle thread polls its wakeup mask this way
 * (§2.8).
 */
export const pollExchange = (cell: Cell, periodNs: number, polls: number): Effect =>
  extension(CpuOp.PollExchange, periodNs, polls, null, cell);

/** irq_restore: puts IF back to what cli() or sti() answered. */
export const irqRestore = (previous: number): Effect => (previous !== 0 ? sti() : cli());

/** The APIC's spurious-interrupt vector (OSv programs SPIV = 0x1FF); it is never in service. */
export const SPURIOUS_VECTOR = 0xff;
/** Vectors below this are CPU exceptions, which the model does not raise. */
export const FIRST_INTERRUPT_VECTOR = 32;
/** Interrupt frames on one context: at most one per priority class above the exceptions, plus one. */
const MAX_INTERRUPT_FRAMES = 16;
/** Guest-code steps within one resume without a visible effect or compute: a spin with no way out. */
const MAX_LOCAL_STEPS = 1_000_000;

/**
 * An IDT entry: the handler for one delivery of `vector`. It is called once the entry cost is paid,
 * and answers guest code to run in the interrupt frame, or nothing when its work was all direct
 * (e.g. an EOI and a flag).
 */
export type InterruptHandler = (cpu: Vcpu, vector: number) => Guest<unknown> | undefined;

/** Performs an extension op registered on the vCPU (APIC, clock, devices). */
export type ExtensionPerformer = (cpu: Vcpu, effect: Effect) => number | typeof SUSPENDED;

export interface VcpuHooks {
  /** Called when an interrupt is taken, before its handler runs (tracing, checkers). */
  onInterruptEntry?: (cpu: Vcpu, vector: number) => void;
  /**
   * Called when a handler returns, before iret: OSv's epilogue (sched::preempt). Guest code it
   * answers runs in the interrupt frame with IF=0 and may switch contexts; iret follows when it ends.
   */
  onInterruptExit?: (cpu: Vcpu, vector: number) => Guest<unknown> | null;
}

const FramePhase = { Body: 0, Epilogue: 1, Exiting: 2 } as const;
type FramePhaseValue = (typeof FramePhase)[keyof typeof FramePhase];

/** Vcpu.tryLocal's answer when the op must be yielded instead (local ops answer -1 or more). */
export const NOT_LOCAL = -2;

/** localOp: a CPU-local op that may run while deferred time is owed, or only once none is. */
const LOCAL_ANYTIME = 1;
const LOCAL_SETTLED = 2;

/** accept()'s and continuePoll's answer for an effect or compute taken in the step: the guest goes on. */
const RAN: Effect = Object.freeze({ op: -2, cell: null, a: 0, b: 0, target: null });

/** Times a held memory op may be charged its line transfer again (see Vcpu.opCostNs). */
const MAX_RECHARGES = 3;

const PollPhase = { Compute: 0, Exchange: 1, Watch: 2 } as const;
type PollPhaseValue = (typeof PollPhase)[keyof typeof PollPhase];

/** A pollExchange loop in progress on a frame. */
class Poll {
  phase: PollPhaseValue = PollPhase.Compute;
  /** Polls not yet finished, the one in progress included. */
  left = 0;
  /** Polls finished. */
  done = 0;
  /** When the current quiet run began: right after an exchange that found 0 (the line is here). */
  watchStartNs = 0;
  /**
   * An interrupt was taken during the loop: it ends after the poll in progress, so the guest code
   * sees what the handler did (a loop written out checks its exit condition after every poll).
   */
  interrupted = false;
  periodNs = 0;
  /** The exchange each poll issues (one per cell: effects are read-only once yielded). */
  exchange: Effect;
  constructor(public cell: Cell) {
    this.exchange = exchange(cell, 0);
  }

  /** Starts a loop in this object (a frame keeps its last one: the idle loop polls again and again). */
  restart(cell: Cell, periodNs: number, polls: number): void {
    if (cell !== this.cell) {
      this.cell = cell;
      this.exchange = exchange(cell, 0);
    }
    this.periodNs = periodNs;
    this.phase = PollPhase.Compute;
    this.left = polls;
    this.done = 0;
    this.watchStartNs = 0;
    this.interrupted = false;
  }
}

/** One activation on a context's stack: the thread's own code, or an interrupt handler. */
class Frame {
  phase: FramePhaseValue = FramePhase.Body;
  /** What the generator's pending yield answers when it next runs. */
  resumeValue = 0;
  /** CPU time this frame must spend before its next step (costs, computes, an interrupted rest). */
  owedNs = 0;
  /**
   * All of owedNs may wait for the frame's next visible effect: the costs of ops charged after their
   * effect (cli, sti, switch_to, clock reads) and deferred computes. The guest code that follows runs
   * at once and the time is paid with its next effect (see step).
   */
  owedDeferred = false;
  /** A visible effect the guest yielded while time was still owed; issued once it is paid. */
  held: Effect | null = null;
  /** Who had last written the held effect's cell when its line transfer was charged. */
  heldWriter = -1;
  /** The vCPU (memory agent) that charged it: a context switched to another CPU asks again. */
  heldAgent = -1;
  /** Transfers charged again for the held effect (bounded: coherence is roughly fair). */
  heldRecharges = 0;
  /** A pollExchange in progress: the frame's guest code waits for its answer. */
  poll: Poll | null = null;
  /** The Poll object of the frame's last pollExchange, kept for the next. */
  lastPoll: Poll | null = null;
  /** How many polls this frame's last finished pollExchange made. */
  pollCount = 0;
  /** The frame's guest code: its generators, innermost last (see sim/stack.ts). */
  readonly stack: GuestStack;
  constructor(
    generator: Guest<unknown>,
    /** The interrupt vector, or -1 for a context's base frame. */
    readonly vector: number,
    /** IF to restore at iret. */
    readonly savedInterruptsEnabled: boolean,
  ) {
    this.stack = new GuestStack(generator);
  }
}

/** A thread's CPU state as switch_to sees it: its code and the interrupt frames stacked on it. */
export class CpuContext {
  readonly frames: Frame[];
  /** The vCPU on which this context is current, if any (a context is current on at most one). */
  cpu: Vcpu | null = null;
  done = false;
  /** What the base generator returned. */
  result: unknown;
  /** The switch_to effect that makes this context current (see switchTo). */
  switchEffect: Effect | null = null;
  constructor(
    readonly name: string,
    guest: Guest<unknown>,
  ) {
    this.frames = [new Frame(guest, -1, true)];
  }
}

/** What the vCPU is waiting for between resume calls, i.e. how to read the next result. */
const Awaiting = { Nothing: 0, Effect: 1, Compute: 2, Halt: 3 } as const;
type AwaitingValue = (typeof Awaiting)[keyof typeof Awaiting];

export interface VcpuStats {
  /** Effects: visible ones issued and CPU-local ones performed. */
  steps: number;
  /** Interrupts taken, indexed by vector. */
  interruptsTaken: Uint32Array;
  /** Raises of a vector that was already pending (edge interrupts coalesce in the IRR). */
  coalescedRaises: number;
  /** Computes cut short by an interrupt. */
  interruptedComputes: number;
  contextSwitches: number;
  /** CPU time spent in computes (with their compute-jitter stretch) and charged costs. */
  busyNs: number;
  /** Completed halts' total duration (see haltedNsAt for the running one). */
  haltedNs: number;
}

/** A vector set of 256 bits: the IRR or the ISR. */
class VectorSet {
  private readonly words = new Uint32Array(8);
  /** Vectors in the set (the common empty case answers highest() without a scan). */
  private count = 0;
  get empty(): boolean {
    return this.count === 0;
  }
  has(vector: number): boolean {
    return (this.words[vector >> 5]! & (1 << (vector & 31))) !== 0;
  }
  add(vector: number): void {
    if (this.has(vector)) return;
    this.words[vector >> 5]! |= 1 << (vector & 31);
    this.count++;
  }
  delete(vector: number): void {
    if (!this.has(vector)) return;
    this.words[vector >> 5]! &= ~(1 << (vector & 31));
    this.count--;
  }
  /** The highest vector in the set, or -1. */
  highest(): number {
    if (this.count === 0) return -1;
    for (let w = 7; w >= 0; w--) {
      const word = this.words[w]!;
      if (word !== 0) return w * 32 + 31 - Math.clz32(word);
    }
    return -1;
  }
}

export class Vcpu extends Runner implements InterruptSink, CellWatcher {
  /** IF, changed only by the cli/sti effects, interrupt entry and iret. */
  private interruptFlag: boolean;
  readonly hooks: VcpuHooks = {};
  readonly stats: VcpuStats = {
    steps: 0,
    interruptsTaken: new Uint32Array(256),
    coalescedRaises: 0,
    interruptedComputes: 0,
    contextSwitches: 0,
    busyNs: 0,
    haltedNs: 0,
  };
  private readonly irr = new VectorSet();
  private readonly isr = new VectorSet();
  private readonly handlers: (InterruptHandler | null)[] = new Array(256).fill(null);
  private readonly performers: (ExtensionPerformer | null)[] = new Array(64).fill(null);
  /**
   * Cost of each op (core and extension). A memory op's cost (with any cache-line transfer) is
   * charged before it takes effect: it waits for its line, then acts, and the code after it runs at
   * once with the result. Every other op is charged after its effect: VM exits (KVM delivers an IPI,
   * or programs the APIC timer, during the sender's exit), CPU state changes (cli, sti, switch_to),
   * and the clock reads (rdtsc, and pvclock_read, which samples the TSC first and then pays for the
   * record's seven loads, all from this CPU's own cache).
   *
   * The transfer is decided when the op is accepted, by who last wrote the line; if another CPU
   * wrote it while the op was held (or the thread moved to another CPU meanwhile), the line has to
   * come back: one more transfer is charged, at most MAX_RECHARGES times per op. An op accepted
   * while deferred time is still owed is not charged up front: its transfer is decided when that
   * time is paid, by the same check (see holdEffect).
   */
  private readonly opCostNs = new Float64Array(128);
  /** 1 for the ops charged before they take effect (memory ops). */
  private readonly chargedBefore = new Uint8Array(128);
  /**
   * Non-zero for the CPU-local ops, performed inside the guest's step as they are yielded (recorded
   * as events, never dispatched): cli and sti, which touch only this CPU's IF, and the clock reads,
   * which read what only time changes (the TSC; this CPU's own pvclock record, which only the host's
   * timed updates write). They run locally only when no timed event is due at this instant (see
   * mayRunLocally), so interrupts raised and records updated by timed events land as they would
   * around a dispatched op; other runners' effects at the same instant cannot tell the two orders
   * apart. switch_to is not local: which CPU a context is current on is shared state (two CPUs
   * switching to one context is a race the model must be able to show).
   */
  private readonly localOp = new Uint8Array(128);
  private context: CpuContext | null = null;
  private awaiting: AwaitingValue = Awaiting.Nothing;
  private computeFrame: Frame | null = null;
  private halted = false;
  private parked = false;
  private haltedSinceNs = 0;
  private inResume = false;
  /** The op of the last visible effect issued; a charged-after op pays its cost when its result arrives. */
  private lastOp = 0;
  private injectRatio = 0;
  private injectVector = 0;
  /** The frame whose poll waits on its cell through quiet polls (PollPhase.Watch), if any. */
  private watchFrame: Frame | null = null;
  private readonly computeEffect: Effect = compute(0);

  constructor(
    readonly sim: Simulation,
    /** The CPU number (OSv's cpu id, also the APIC id). */
    readonly index: number,
    readonly memory: GuestMemory,
    readonly cost: Readonly<CostModel>,
    options: { interruptsEnabled?: boolean } = {},
  ) {
    super(`cpu${index}`);
    this.interruptFlag = options.interruptsEnabled ?? false;
    this.handlers[SPURIOUS_VECTOR] = spuriousHandler;
    const costs = this.opCostNs;
    costs[Op.Load] = cost.loadNs;
    costs[Op.Store] = cost.storeNs;
    costs[Op.CompareAndSwap] = cost.atomicNs;
    costs[Op.FetchAdd] = cost.atomicNs;
    costs[Op.Exchange] = cost.atomicNs;
    costs[Op.Fence] = cost.fenceNs;
    costs[HwOp.PhysLoad] = cost.loadNs;
    costs[HwOp.PhysStore] = cost.storeNs;
    costs[CpuOp.Cli] = cost.interruptFlagNs;
    costs[CpuOp.Sti] = cost.interruptFlagNs;
    costs[CpuOp.SwitchTo] = cost.switchContextNs;
    for (const op of [
      Op.Load,
      Op.Store,
      Op.CompareAndSwap,
      Op.FetchAdd,
      Op.Exchange,
      Op.Fence,
      HwOp.PhysLoad,
      HwOp.PhysStore,
    ])
      this.chargedBefore[op] = 1;
    this.localOp[CpuOp.Cli] = LOCAL_ANYTIME;
    this.localOp[CpuOp.Sti] = LOCAL_ANYTIME;
  }

  // ---- set-up (host side) -----------------------------------------------------------------------

  /** Installs the IDT entry for `vector`. */
  setInterruptHandler(vector: number, handler: InterruptHandler): void {
    checkVector(vector);
    this.handlers[vector] = handler;
  }

  /**
   * Adds an extension op this vCPU performs (APIC, clock, devices), with its cost, charged after its
   * effect. `local`: it reads or changes only this CPU's own state (see localOp), so it is performed
   * inside the guest's step once no time is owed; its performer must answer a number, never SUSPENDED.
   */
  registerExtension(
    op: number,
    name: string,
    performer: ExtensionPerformer,
    costNs = 0,
    local = false,
  ): void {
    if (!(op >= CpuOp.Park + 1 && op < FIRST_EXTENSION_OP + 64) || op === CpuOp.PollExchange)
      throw new RangeError(
        `extension op ${op} must be in [${CpuOp.Park + 1}, ${FIRST_EXTENSION_OP + 64}) and not the vCPU's own`,
      );
    if (this.performers[op - FIRST_EXTENSION_OP] !== null)
      throw new Error(`${this.name}: extension op ${op} is already registered`);
    this.sim.kinds.defineExtensionOp(op, name);
    this.performers[op - FIRST_EXTENSION_OP] = performer;
    this.opCostNs[op] = costNs;
    this.localOp[op] = local ? LOCAL_SETTLED : 0;
  }

  /** Gives a vCPU with no context its first one (the boot thread, or a woken AP). */
  boot(context: CpuContext): void {
    if (this.context !== null) throw new Error(`${this.name} already runs '${this.context.name}'`);
    this.claim(context);
    this.context = context;
    if (this.parked) {
      this.parked = false;
      this.awaiting = Awaiting.Nothing;
      this.sim.resumeNow(this, 0);
    }
  }

  // ---- state guest code and the kernel may read ---------------------------------------------------

  /** IF: whether maskable interrupts may be taken. */
  get interruptsEnabled(): boolean {
    return this.interruptFlag;
  }
  get currentContext(): CpuContext | null {
    return this.context;
  }
  get isHalted(): boolean {
    return this.halted;
  }
  /** The vector being handled (innermost), or -1 when the current context runs thread code. */
  get currentVector(): number {
    const frames = this.context?.frames;
    return frames === undefined ? -1 : frames[frames.length - 1]!.vector;
  }
  isPending(vector: number): boolean {
    return this.irr.has(vector);
  }
  isInService(vector: number): boolean {
    return this.isr.has(vector);
  }
  /** How many polls the running code's last finished pollExchange made (read right after it). */
  get lastPollCount(): number {
    const frames = this.context?.frames;
    return frames === undefined ? 0 : frames[frames.length - 1]!.pollCount;
  }
  /** Total halted time including a halt in progress. */
  haltedNsAt(nowNs: number): number {
    return this.stats.haltedNs + (this.halted ? nowNs - this.haltedSinceNs : 0);
  }
  /** The compute-jitter fault stretches computes: the stretch is busy time too. */
  override computeStretched(ns: number): void {
    this.stats.busyNs += ns;
  }
  /**
   * CPU time spent in computes and charged costs up to `nowNs`. stats.busyNs counts a compute (or a
   * quiet poll stretch) whole, jitter included, when it starts; a run that ends inside one did not
   * spend the rest.
   */
  busyNsAt(nowNs: number): number {
    const computing = this.state === RunnerState.Waiting && this.awaiting === Awaiting.Compute;
    return this.stats.busyNs - (computing ? Math.max(0, this.wakeAtNs - nowNs) : 0);
  }

  /** Charges CPU time to the running guest code (a direct call from inside it, e.g. an APIC write). */
  charge(ns: number): void {
    if (!(Number.isSafeInteger(ns) && ns >= 0)) throw new RangeError(`charge(${ns}): needs whole ns >= 0`);
    if (!this.inResume || this.context === null)
      throw new Error(`${this.name}: charge() outside its running guest code`);
    const frames = this.context.frames;
    frames[frames.length - 1]!.owedNs += ns;
  }

  /** Whether `charge` may be called now (the caller is this vCPU's running guest code). */
  get runningGuestCode(): boolean {
    return this.inResume;
  }

  // ---- the interrupt controller side --------------------------------------------------------------

  /** InterruptSink: only this vCPU's own index is accepted (InterruptRouter spreads over many). */
  raise(cpu: number, vector: number): void {
    if (cpu !== this.index) throw new RangeError(`${this.name} got an interrupt for cpu ${cpu}`);
    this.raiseVector(vector);
  }

  /** Makes `vector` pending; takes it at once if the vCPU is halted or computing with IF=1. */
  raiseVector(vector: number): void {
    checkVector(vector);
    if (this.irr.has(vector)) this.stats.coalescedRaises++;
    else this.irr.add(vector);
    this.notify();
  }

  /**
   * Fault: after each visible effect, with probability `ratio` (a choice), `vector` becomes pending,
   * as if an interrupt arrived at exactly that point. Every interrupt ends in the kernel's epilogue,
   * so this puts a preemption point at any step — the search's way to reach windows a few
   * instructions wide that timing alone almost never hits. 0 turns it off.
   */
  setInterruptInjection(ratio: number, vector: number): void {
    if (!(ratio >= 0 && ratio <= 1))
      throw new RangeError(`interrupt injection ratio must be in [0, 1], got ${ratio}`);
    checkVector(vector);
    this.injectRatio = ratio;
    this.injectVector = vector;
  }

  /**
   * A cache-line transfer when an effect touches a cell another CPU wrote last. It is charged before
   * the effect takes place (the line has to arrive first), so a load sees, and an atomic acts on,
   * the value at the end of the transfer, and the code right after an atomic follows it closely.
   */
  private transferCost(cell: Cell | null): number {
    const cost = this.cost.cacheTransferNs;
    if (cost === 0 || cell === null) return 0;
    const writer = cell.lastWriter;
    return writer >= 0 && writer !== this.memoryAgent ? cost : 0;
  }

  private maybeInject(): void {
    if (this.injectRatio === 0 || !this.interruptFlag) return;
    if (this.sim.choice.chance(this.injectRatio, "irq.inject")) this.raiseVector(this.injectVector);
  }

  /** EOI: the highest in-service vector is done. Answers it, or -1 when none was in service. */
  endOfInterrupt(): number {
    const vector = this.isr.highest();
    if (vector < 0) return -1;
    this.isr.delete(vector);
    // A lower-class vector held back by this one may now be deliverable.
    this.notify();
    return vector;
  }

  /** The vector that would be taken now, or -1 (IF=0, nothing pending, or blocked by priority). */
  deliverableVector(): number {
    if (!this.interruptFlag || this.context === null) return -1;
    const pending = this.irr.highest();
    if (pending < 0) return -1;
    const inService = this.isr.highest();
    if (inService >= 0 && pending >> 4 <= inService >> 4) return -1;
    return pending;
  }

  /** Cuts a halt or an interruptible compute short when an interrupt has become deliverable. */
  private notify(): void {
    if (this.inResume || this.deliverableVector() < 0) return;
    if (this.halted) {
      this.endHalt();
      this.sim.resumeNow(this, 0);
    } else if (this.state === RunnerState.Waiting && this.awaiting === Awaiting.Compute) {
      const remainingNs = this.sim.cancelWait(this);
      this.stats.busyNs -= remainingNs;
      if (this.watchFrame !== null) this.endWatch();
      else {
        this.computeFrame!.owedNs += remainingNs;
        this.computeFrame!.owedDeferred = false;
      }
      this.stats.interruptedComputes++;
      this.awaiting = Awaiting.Nothing;
      this.sim.resumeNow(this, 0);
    }
    // Ready or New: the interrupt is taken when the pending step completes.
  }

  private endHalt(): void {
    this.halted = false;
    this.stats.haltedNs += this.sim.now - this.haltedSinceNs;
  }

  // ---- the runner side --------------------------------------------------------------------------

  override get blockedMeansDeadlock(): boolean {
    // Halted with IF=1 is an idle CPU (its wake-up is someone else's business); halted with IF=0 can
    // never wake; a parked CPU has not been booted.
    if (this.parked) return false;
    if (this.halted) return !this.interruptFlag;
    return true;
  }

  resume(result: number): Effect | null {
    this.inResume = true;
    const effect = this.step(result);
    this.inResume = false;
    return effect;
  }

  private step(result: number): Effect {
    const awaiting = this.awaiting;
    this.awaiting = Awaiting.Nothing;
    // A resume that was not an interrupt (a stray engine wake) still ends a halt or a park.
    if (this.halted) this.endHalt();
    this.parked = false;
    if ((awaiting === Awaiting.Effect || awaiting === Awaiting.Halt) && this.context !== null) {
      const frames = this.context.frames;
      const top = frames[frames.length - 1]!;
      if (awaiting === Awaiting.Effect) this.settle(top, this.lastOp, result);
      else if (this.cost.haltWakeNs > 0) {
        // The wake-up latency comes before the interrupt's handler runs.
        top.owedNs += this.cost.haltWakeNs;
        top.owedDeferred = false;
        const issued = this.issueCompute(top);
        if (issued !== null) return issued;
      }
    }
    return this.runGuest();
  }

  /**
   * An effect's result reaches the guest (the top frame of the context now current): a charged-after
   * op's cost is owed, deferred to the next effect, and the interrupt-injection fault may fire.
   */
  private settle(top: Frame, op: number, result: number): void {
    top.resumeValue = result;
    this.chargeAfter(top, op);
    this.maybeInject();
  }

  /** A charged-after op's cost is owed by `top`, deferred to its next effect. */
  private chargeAfter(top: Frame, op: number): void {
    if (this.chargedBefore[op] === 0) {
      const costNs = this.opCostNs[op]!;
      if (costNs > 0) {
        if (top.owedNs === 0) top.owedDeferred = true;
        top.owedNs += costNs;
      }
    }
  }

  /**
   * A CPU-local op (cli, sti, a registered local read) called directly by this vCPU's running guest
   * code instead of yielded, on hot kernel paths (a yield costs a generator round trip and a pass of
   * the step loop). It is performed, counted and recorded exactly as the yielded op would be, when
   * nothing could come between the two: no interrupt is pending (none could be taken before the
   * guest goes on), the injection fault is off (it draws a choice after each op), and the op may run
   * locally now (mayRunLocally). Otherwise nothing is done and the answer is NOT_LOCAL: the caller
   * yields the op. Local ops answer -1 or more (a clock read answers -1 for a record being updated).
   * Off when the simulation's run-ahead is off, so the run-ahead equivalence test covers it too.
   */
  tryLocal(effect: Effect): number {
    if (
      !this.inResume ||
      this.injectRatio !== 0 ||
      !this.irr.empty ||
      this.context === null ||
      this.sim.currentRunner !== this ||
      !this.sim.runsAhead
    )
      return NOT_LOCAL;
    const op = effect.op;
    const local = this.localOp[op]!;
    if (local === 0) return NOT_LOCAL;
    const frames = this.context.frames;
    const top = frames[frames.length - 1]!;
    if (top.held !== null || top.poll !== null || !this.mayRunLocally(top, op, local)) return NOT_LOCAL;
    return this.runLocal(top, effect);
  }

  /** A local op's work, yielded or called (performLocal, tryLocal): performed, counted, recorded, charged. */
  private runLocal(top: Frame, effect: Effect): number {
    const op = effect.op;
    const result = this.performExtension(effect);
    if (result === SUSPENDED || result < -1)
      throw new Error(`${this.name}: local op ${op} answered ${String(result)}`);
    this.stats.steps++;
    this.sim.recordLocal(this, op, result);
    this.chargeAfter(top, op);
    return result;
  }

  /** Runs guest code (taking interrupts between steps) until there is something to issue. */
  private runGuest(): Effect {
    for (let steps = 0; steps < MAX_LOCAL_STEPS; steps++) {
      const context = this.context;
      if (context === null) return this.issue(extension(CpuOp.Park));
      // Checked before every guest step; the common case, nothing pending, costs no call.
      if (!this.irr.empty) this.takeInterrupt(context);
      const frames = context.frames;
      const frame = frames[frames.length - 1]!;
      // Time owed only for ops charged after their effect is paid with the next effect, so the
      // guest code in between runs without a dispatch of its own; anything else is paid first.
      if (frame.owedNs > 0 && (!frame.owedDeferred || frame.held !== null)) {
        const issued = this.issueCompute(frame);
        if (issued !== null) return issued;
        steps = 0;
        continue;
      }
      if (frame.held !== null) {
        const transfer = this.rechargeHeld(frame);
        if (transfer > 0) {
          frame.owedNs += transfer;
          const issued = this.issueCompute(frame);
          if (issued !== null) return issued;
          steps = 0;
          continue;
        }
        const held = frame.held;
        frame.held = null;
        const issued = this.issueVisible(held);
        if (issued !== null) return issued;
        steps = 0;
        continue;
      }
      if (frame.phase === FramePhase.Exiting) {
        this.interruptReturn(context, frame);
        continue;
      }
      if (frame.poll !== null) {
        const effect = this.continuePoll(frame, frame.poll);
        if (effect === RAN) steps = 0;
        else if (effect !== null) return effect;
        continue;
      }
      const next = frame.stack.next(frame.resumeValue);
      frame.resumeValue = 0;
      if (next === DONE) {
        this.frameReturned(context, frame, frame.stack.result);
        continue;
      }
      const effect = this.accept(frame, next);
      if (effect === RAN) steps = 0;
      else if (effect !== null) return effect;
    }
    return this.sim.fail(
      "vcpu.local_steps",
      `${this.name}: ${MAX_LOCAL_STEPS} guest steps without a visible effect or any time passing`,
    );
  }

  /**
   * Another CPU wrote the held op's line while this one waited for it (or the thread moved to
   * another CPU): the line has to come back first. Answers the transfer to charge, or 0.
   */
  private rechargeHeld(frame: Frame): number {
    const held = frame.held!;
    const cell = held.cell;
    if (
      cell === null ||
      this.chargedBefore[held.op] === 0 ||
      frame.heldRecharges >= MAX_RECHARGES ||
      (cell.lastWriter === frame.heldWriter && frame.heldAgent === this.memoryAgent)
    )
      return 0;
    frame.heldWriter = cell.lastWriter;
    frame.heldAgent = this.memoryAgent;
    frame.heldRecharges++;
    return this.transferCost(cell);
  }

  /**
   * The engine's side of a compute that holds an effect (Runner.heldEffect): when it ends, the held
   * op either pays a re-transfer first or is issued, with no guest code to run in between. No
   * interrupt can be deliverable here: one becoming so during the compute cuts it short (notify).
   */
  override heldEffectDue(): number {
    const frame = this.computeFrame!;
    if (!(frame.held === this.heldEffect && this.awaiting === Awaiting.Compute))
      this.sim.fail("vcpu.held", `${this.name}: the held effect is not the computing frame's`);
    const transfer = this.rechargeHeld(frame);
    if (transfer > 0) {
      this.stats.busyNs += transfer;
      return transfer;
    }
    frame.held = null;
    this.issue(this.heldEffect!);
    return 0;
  }

  /** Takes an effect the guest yielded: computes accumulate, visible effects wait for owed time. */
  private accept(frame: Frame, effect: Effect): Effect | null {
    const op = effect.op;
    if (op === Op.Compute) {
      const ns = effect.a;
      if (!(Number.isSafeInteger(ns) && ns >= 0))
        throw new RangeError(`${this.name}: compute(${ns}) needs whole ns >= 0`);
      // A deferred compute joins owed time that is itself deferred; a plain one (even of 0 ns: a way
      // to make owed time pass here) is paid at once, with all that is owed.
      if (effect.b !== COMPUTE_DEFERRED) frame.owedDeferred = false;
      else if (ns > 0) frame.owedDeferred = frame.owedNs === 0 || frame.owedDeferred;
      frame.owedNs += ns;
      return null;
    }
    const local = this.localOp[op]!;
    if (local !== 0 && this.mayRunLocally(frame, op, local)) {
      this.performLocal(effect);
      return null;
    }
    if (op === CpuOp.PollExchange) {
      const cell = effect.cell;
      const periodNs = effect.a;
      const polls = effect.b;
      if (cell === null || !(Number.isSafeInteger(periodNs) && periodNs >= 0))
        throw new RangeError(`${this.name}: pollExchange needs a cell and a whole period >= 0 ns`);
      if (!(Number.isSafeInteger(polls) && polls >= 1))
        throw new RangeError(`${this.name}: pollExchange needs at least 1 poll, got ${polls}`);
      // The frame's last loop object is reused: an idle CPU starts one per pass of its loop.
      frame.lastPoll ??= new Poll(cell);
      const poll = frame.lastPoll;
      poll.restart(cell, periodNs, polls);
      frame.poll = poll;
      this.startPoll(frame, poll);
      return null;
    }
    if (op === Op.Sleep || op === Op.Block || op === Op.Wake) {
      throw new Error(
        `${this.name}: guest code on a vCPU cannot ${op === Op.Sleep ? "sleep" : op === Op.Block ? "block" : "wake a runner"}; use timers, hlt and switchTo`,
      );
    }
    if (this.chargedBefore[op] === 1) {
      this.holdEffect(frame, effect);
      if (frame.owedNs > 0) return this.payHeld(frame);
      frame.held = null;
      return this.issueVisible(effect) ?? RAN;
    }
    if (frame.owedNs > 0) {
      frame.held = effect;
      frame.owedDeferred = false;
      return this.payHeld(frame);
    }
    return this.issueVisible(effect) ?? RAN;
  }

  /**
   * The op just held waits for the frame's owed time: the step loop's next pass, taken here when it
   * would find no interrupt to take first (nothing pending), so it issues the compute at once.
   */
  private payHeld(frame: Frame): Effect | null {
    if (!this.irr.empty) return null;
    return this.issueCompute(frame) ?? RAN;
  }

  /**
   * A visible effect whose time is paid: answered to the engine, or, when the engine would perform it
   * next with nothing in between (Simulation.performNow), performed here and now, so the guest goes
   * on without leaving its step (answers null). The same event is recorded either way, and the
   * effect is performed as from a dispatch: issued first, outside the guest's code (inResume false,
   * so an extension op is not charged as the guest's own call), its result settled on the top frame.
   */
  private issueVisible(effect: Effect): Effect | null {
    this.issue(effect);
    this.inResume = false;
    const done = this.sim.performNow(this, effect);
    this.inResume = true;
    return this.afterPerform(done, effect);
  }

  /** The step's side of an effect performNow or computeNow handled (answers null to go on). */
  private afterPerform(done: number, effect: Effect): Effect | null {
    switch (done) {
      case RUN_AHEAD_NO:
      case RUN_AHEAD_PENDING:
        return effect;
      case RUN_AHEAD_SUSPENDED:
        return ALREADY_BLOCKED;
      default: {
        // RUN_AHEAD_PERFORMED: as step() after the effect's dispatch.
        this.awaiting = Awaiting.Nothing;
        const frames = this.context!.frames;
        this.settle(frames[frames.length - 1]!, this.lastOp, this.sim.performedResult);
        return null;
      }
    }
  }

  // ---- pollExchange ------------------------------------------------------------------------------

  /** One poll of the loop: its period of compute, then its exchange's own cost (the line is here). */
  private pollPeriodNs(poll: Poll): number {
    return poll.periodNs + this.opCostNs[Op.Exchange]!;
  }

  /** A poll starts: its period is owed before its exchange is issued (continuePoll, Compute). */
  private startPoll(frame: Frame, poll: Poll): void {
    poll.phase = PollPhase.Compute;
    frame.owedNs += poll.periodNs;
    frame.owedDeferred = false;
  }

  /** Advances a poll loop whose owed time and held exchange are settled; answers what to issue. */
  private continuePoll(frame: Frame, poll: Poll): Effect | null {
    const cell = poll.cell;
    switch (poll.phase) {
      case PollPhase.Compute:
        // The period is spent: the exchange waits for its line, as any memory op.
        this.holdEffect(frame, poll.exchange);
        poll.phase = PollPhase.Exchange;
        return null;
      case PollPhase.Exchange: {
        const found = frame.resumeValue;
        poll.left--;
        poll.done++;
        if (found !== 0 || poll.left === 0 || poll.interrupted) {
          this.finishPoll(frame, poll, found);
          return null;
        }
        const periodNs = this.pollPeriodNs(poll);
        // Quiet from here while the line stays here and nobody writes it: wait through the polls.
        if (periodNs > 0 && cell.lastWriter === this.memoryAgent && cell.value === 0) {
          if (cell.watcher !== null) this.sim.fail("vcpu.poll", `${cell.name} is already watched`);
          cell.watcher = this;
          this.watchFrame = frame;
          poll.watchStartNs = this.sim.now;
          poll.phase = PollPhase.Watch;
          frame.owedNs += poll.left * periodNs;
          return this.issueCompute(frame) ?? RAN;
        }
        this.startPoll(frame, poll);
        return null;
      }
      default:
        // The quiet run ran to its end: every poll left found 0.
        this.unwatch(poll);
        poll.done += poll.left;
        poll.left = 0;
        this.finishPoll(frame, poll, 0);
        return null;
    }
  }

  private finishPoll(frame: Frame, poll: Poll, found: number): void {
    frame.poll = null;
    frame.resumeValue = found;
    frame.pollCount = poll.done;
  }

  private unwatch(poll: Poll): void {
    poll.cell.watcher = null;
    this.watchFrame = null;
  }

  /**
   * Ends a quiet run at the current instant (a write to the cell, or an interrupt): the polls that
   * finished before now are counted, and the one in progress completes as it would have: its rest
   * of the period, then its exchange, which pays for the line again if someone wrote it.
   */
  private endWatch(): void {
    const frame = this.watchFrame!;
    const poll = frame.poll!;
    this.sim.assert(poll.phase === PollPhase.Watch, "vcpu.poll", "a watch without a quiet run");
    this.unwatch(poll);
    const periodNs = this.pollPeriodNs(poll);
    const elapsedNs = this.sim.now - poll.watchStartNs;
    // Poll j of the run ends at start + (j + 1) * period; those ending before now are done.
    const finished = Math.min(poll.left, Math.max(0, Math.ceil(elapsedNs / periodNs) - 1));
    poll.left -= finished;
    poll.done += finished;
    if (poll.left === 0) {
      // Only under compute jitter, which stretches the run past its last poll: all were quiet.
      this.finishPoll(frame, poll, 0);
      return;
    }
    // The poll in progress ends at start + (finished + 1) * period, its exchange's cost included. Its
    // exchange is held as if accepted with the line here (not holdEffect, which would charge a
    // transfer now): a write meanwhile costs the transfer as a re-charge when the rest is paid, a
    // compute of its own, as in the loop written out.
    frame.owedNs += poll.watchStartNs + (finished + 1) * periodNs - this.sim.now;
    frame.owedDeferred = false;
    frame.held = poll.exchange;
    frame.heldWriter = this.memoryAgent;
    frame.heldAgent = this.memoryAgent;
    frame.heldRecharges = 0;
    poll.phase = PollPhase.Exchange;
  }

  /** CellWatcher: another CPU wrote the cell a poll loop waits on. */
  cellWritten(cell: Cell, agent: number): void {
    if (agent === this.memoryAgent) return;
    if (
      !(
        this.watchFrame !== null &&
        this.watchFrame.poll?.cell === cell &&
        this.state === RunnerState.Waiting &&
        this.awaiting === Awaiting.Compute
      )
    )
      this.sim.fail("vcpu.poll", `${this.name}: told of a write to ${cell.name} it does not wait on`);
    const remainingNs = this.sim.cancelWait(this);
    this.stats.busyNs -= remainingNs;
    this.endWatch();
    this.awaiting = Awaiting.Nothing;
    this.sim.resumeNow(this, 0);
  }

  /** Holds a memory op until its cost and any line transfer are paid (see opCostNs). */
  private holdEffect(frame: Frame, effect: Effect): void {
    if (frame.owedNs > 0) {
      // Deferred time comes first: the line is fetched when the op runs, so its transfer is decided
      // then (rechargeHeld, as for a line taken meanwhile), not by who wrote it before that time.
      frame.owedNs += this.opCostNs[effect.op]!;
      frame.heldWriter = this.memoryAgent;
    } else {
      frame.owedNs += this.opCostNs[effect.op]! + this.transferCost(effect.cell);
      frame.heldWriter = effect.cell === null ? -1 : effect.cell.lastWriter;
    }
    frame.owedDeferred = false;
    frame.heldAgent = this.memoryAgent;
    frame.heldRecharges = 0;
    frame.held = effect;
  }

  /**
   * Whether a local op may run now, inside the step. Never while a timed event is due at this instant
   * (a dispatched op would run after it: an interrupt raised then, a host clock update). An op that
   * changes IF or reads the clock waits for owed time, so interrupts and reads land where they did
   * when it was paid first; a cli or sti that leaves IF as it is may run while deferred time is owed.
   */
  private mayRunLocally(frame: Frame, op: number, local: number): boolean {
    if (this.sim.timedEventDue) return false;
    if (frame.owedNs === 0) return true;
    if (local !== LOCAL_ANYTIME || !frame.owedDeferred) return false;
    return op === CpuOp.Cli ? !this.interruptFlag : this.interruptFlag;
  }

  /** Performs a CPU-local op inside the step (see localOp): recorded as an event, not dispatched. */
  private performLocal(effect: Effect): void {
    const frames = this.context!.frames;
    const top = frames[frames.length - 1]!;
    // settle(), with runLocal having charged the op's cost.
    top.resumeValue = this.runLocal(top, effect);
    this.maybeInject();
  }

  private issue(effect: Effect): Effect {
    this.lastOp = effect.op;
    this.awaiting = Awaiting.Effect;
    this.stats.steps++;
    return effect;
  }

  /**
   * Spends the frame's owed time; a held op rides on the compute (one dispatch for both). When nothing
   * can happen before the compute ends, the engine runs through it here (Simulation.computeNow) and
   * the guest goes on as if resumed at its end (answers null); otherwise answers what to give the
   * engine.
   */
  private issueCompute(frame: Frame): Effect | null {
    const ns = frame.owedNs;
    frame.owedNs = 0;
    frame.owedDeferred = false;
    this.computeFrame = frame;
    this.awaiting = Awaiting.Compute;
    this.stats.busyNs += ns;
    const held = frame.held;
    this.heldEffect = held;
    this.inResume = false;
    const done = this.sim.computeNow(this, ns);
    this.inResume = true;
    switch (done) {
      case RUN_AHEAD_NO: {
        // One compute effect per vCPU, rewritten each time: the engine reads it at once and keeps none.
        const effect = this.computeEffect as { a: number };
        effect.a = ns;
        return this.computeEffect;
      }
      case RUN_AHEAD_WAITING:
        return ALREADY_WAITING;
      case RUN_AHEAD_ENDED:
        // As step() after the compute's end.
        this.awaiting = Awaiting.Nothing;
        return null;
      default:
        // The held effect was released (heldEffectDue issued it) and maybe performed.
        return this.afterPerform(done, held!);
    }
  }

  /** Delivers the highest deliverable vector by pushing its handler's frame. */
  private takeInterrupt(context: CpuContext): void {
    // Checked before every guest step: the common case, nothing pending, answers at once.
    if (this.irr.empty) return;
    const vector = this.deliverableVector();
    if (vector < 0) return;
    const handler = this.handlers[vector];
    if (handler === null || handler === undefined)
      this.sim.fail("vcpu.unexpected_interrupt", `${this.name}: no handler for vector ${vector}`);
    if (context.frames.length > MAX_INTERRUPT_FRAMES)
      this.sim.fail("vcpu.interrupt_nesting", `${this.name}: more than ${MAX_INTERRUPT_FRAMES} frames`);
    this.irr.delete(vector);
    // The spurious vector is delivered without entering service and needs no EOI.
    if (vector !== SPURIOUS_VECTOR) {
      // Priority gating makes this impossible: a vector never re-enters service before its EOI.
      if (this.isr.has(vector)) this.sim.fail("vcpu.isr", `${this.name}: vector ${vector} in service twice`);
      this.isr.add(vector);
    }
    const interrupted = context.frames[context.frames.length - 1]!;
    if (interrupted.poll !== null) interrupted.poll.interrupted = true;
    const frame = new Frame(invokeHandler(handler, this, vector), vector, this.interruptFlag);
    frame.owedNs = this.cost.interruptEntryNs;
    this.interruptFlag = false;
    context.frames.push(frame);
    this.stats.interruptsTaken[vector]!++;
    this.hooks.onInterruptEntry?.(this, vector);
  }

  private frameReturned(context: CpuContext, frame: Frame, value: unknown): void {
    if (frame.vector < 0) {
      // The thread's own code returned. OSv threads never do (they switch away in exit); the
      // context is finished and the vCPU parks until boot() gives it another.
      this.sim.assert(context.frames.length === 1, "vcpu.frames", "base frame returned under others");
      context.frames.pop();
      context.done = true;
      context.result = value;
      context.cpu = null;
      this.context = null;
      return;
    }
    if (frame.phase === FramePhase.Body) {
      const epilogue = this.hooks.onInterruptExit?.(this, frame.vector) ?? null;
      if (epilogue !== null) {
        frame.stack.reset(epilogue);
        frame.phase = FramePhase.Epilogue;
        return;
      }
    }
    frame.phase = FramePhase.Exiting;
    frame.owedNs += this.cost.interruptExitNs;
    frame.owedDeferred = false;
  }

  /** iret: pops the handler's frame and restores the interrupted code's IF. */
  private interruptReturn(context: CpuContext, frame: Frame): void {
    const popped = context.frames.pop();
    this.sim.assert(popped === frame && frame.vector >= 0, "vcpu.iret", "iret without an interrupt frame");
    if (this.interruptFlag) this.sim.fail("vcpu.iret", `${this.name}: iret with IF=1`);
    this.interruptFlag = frame.savedInterruptsEnabled;
  }

  override performExtension(effect: Effect): number | typeof SUSPENDED {
    const op = effect.op;
    switch (op) {
      case HwOp.PhysLoad:
      case HwOp.PhysStore:
        return performPhysEffect(this.memory, effect)!;
      case CpuOp.Cli: {
        const previous = this.interruptFlag ? 1 : 0;
        this.interruptFlag = false;
        return previous;
      }
      case CpuOp.Sti: {
        const previous = this.interruptFlag ? 1 : 0;
        this.interruptFlag = true;
        return previous;
      }
      case CpuOp.Hlt:
        return this.halt();
      case CpuOp.StiHlt:
        this.interruptFlag = true;
        return this.halt();
      case CpuOp.SwitchTo:
        return this.performSwitch(effect.target);
      case CpuOp.Park:
        this.parked = true;
        return SUSPENDED;
      default: {
        const performer = op < FIRST_EXTENSION_OP + 64 ? this.performers[op - FIRST_EXTENSION_OP] : null;
        if (performer === null || performer === undefined)
          throw new Error(`${this.name}: no performer for extension op ${op}`);
        return performer(this, effect);
      }
    }
  }

  private halt(): number | typeof SUSPENDED {
    if (this.deliverableVector() >= 0) return 0;
    this.halted = true;
    this.haltedSinceNs = this.sim.now;
    this.awaiting = Awaiting.Halt;
    return SUSPENDED;
  }

  private performSwitch(target: unknown): number {
    if (!(target instanceof CpuContext)) throw new TypeError(`${this.name}: switchTo needs a CpuContext`);
    // OSv switches only from reschedule_from_interrupt, with interrupts disabled.
    if (this.interruptFlag) this.sim.fail("vcpu.switch_irq", `${this.name}: switch_to with IF=1`);
    const previous = this.context!;
    this.claim(target);
    previous.cpu = null;
    this.context = target;
    this.stats.contextSwitches++;
    return 0;
  }

  /** Makes `context` current here; a context is current on at most one CPU, and never twice. */
  private claim(context: CpuContext): void {
    if (!(context.cpu === null && !context.done))
      this.sim.fail(
        "vcpu.context_owner",
        `${this.name}: context '${context.name}' is ${context.done ? "finished" : `current on ${context.cpu?.name}`}`,
      );
    context.cpu = this;
  }
}

const spuriousHandler: InterruptHandler = () => undefined;

/** Runs a handler as the frame's guest code, so its direct work happens after the entry cost. */
function* invokeHandler(handler: InterruptHandler, cpu: Vcpu, vector: number): Guest<unknown> {
  const guest = handler(cpu, vector);
  if (guest !== undefined) return yield* guest;
  return undefined;
}

function checkVector(vector: number): void {
  if (!(Number.isInteger(vector) && vector >= FIRST_INTERRUPT_VECTOR && vector <= 255))
    throw new RangeError(`interrupt vector must be in [${FIRST_INTERRUPT_VECTOR}, 255], got ${vector}`);
}

/** Routes raise(cpu, vector) to the machine's vCPUs: what devices and IPIs see as the APIC bus. */
export class InterruptRouter implements InterruptSink {
  constructor(private readonly cpus: readonly Vcpu[]) {}
  raise(cpu: number, vector: number): void {
    const target = this.cpus[cpu];
    if (target === undefined) throw new RangeError(`no cpu ${cpu} (the machine has ${this.cpus.length})`);
    target.raiseVector(vector);
  }
}

/** Names the vCPU's extension ops in the simulation's kind registry (idempotent). */
export function registerCpuOps(sim: Simulation): void {
  sim.kinds.defineExtensionOp(CpuOp.Cli, "cli");
  sim.kinds.defineExtensionOp(CpuOp.Sti, "sti");
  sim.kinds.defineExtensionOp(CpuOp.Hlt, "hlt");
  sim.kinds.defineExtensionOp(CpuOp.StiHlt, "sti_hlt");
  sim.kinds.defineExtensionOp(CpuOp.SwitchTo, "switch_to");
  sim.kinds.defineExtensionOp(CpuOp.Park, "park");
  sim.kinds.defineExtensionOp(CpuOp.PollExchange, "poll_exchange");
}
