// OSv's scheduler running as guest code on simulated vCPUs (osv-internals.md §2.3-§2.9, §2.12-§2.14;
// core/sched.cc). Cross-CPU interactions are effects on shared cells — the status compare-and-swap of
// wake(), the incoming-wakeup mask, idle_poll, the runqueue size a waker peeks at — and wakeup IPIs
// go through the APIC, so their interleavings are explored, not decided by the simulator. CPU-local
// state (runqueue, normalizer, timers, running_since) is plain data, as in OSv where only the owning
// CPU touches it with interrupts off. Deliberate simplifications, for now: uptime is the host's
// virtual time (not a kvmclock read); the idle thread polls `idlePolls` times (OSv: 10,000) before
// halting; the incoming wakeup queues are one effect per push and per drain; the load balancer moves
// a thread's runtime but not its armed timers (suspend/resume_timers); no pin API, real-time
// priorities, detach or reaper yet; the status table gains queued -> waking, which the balancer does.

import {
  CpuContext,
  cli,
  irqRestore,
  type Machine,
  sendIpi,
  sti,
  stiHlt,
  switchTo,
  type Vcpu,
} from "../../hw/index.js";
import {
  type Cell,
  compareAndSwap,
  compute,
  exchange,
  fence,
  type Guest,
  load,
  type Simulation,
  store,
} from "../../sim/index.js";
import type { KernelThread, WaitPort } from "../port/index.js";
import type { KernelVariant } from "../variants.js";
import { Runqueue } from "./runqueue.js";
import { CONTEXT_SWITCH_PENALTY_NS, CpuRuntime, PRIORITY_IDLE, ThreadRuntime } from "./runtime.js";
import { checkTransition, THREAD_STATUS_NAMES, ThreadStatus } from "./status.js";
import { Timer, type TimerClient, TimerList } from "./timers.js";

export const TIMER_VECTOR = 0x20;
/** The load balancer's period (§2.9). */
export const BALANCE_PERIOD_NS = 100_000_000;
export const WAKEUP_IPI_VECTOR = 0x21;

export interface KernelOptions {
  /** Historical-bug variants switched on (osv-internals.md §10). */
  variants: readonly KernelVariant[];
  /**
   * End the run when every workload thread has terminated (the idle and balancer threads never do,
   * so a kernel never quiesces by itself). Scenarios without a duration use this.
   */
  stopWhenDone: boolean;
  /** Idle polls of the wakeup queues before halting (OSv: 10,000). */
  idlePolls: number;
  /** CPU time of one idle poll iteration. */
  idlePollNs: number;
  /** Limit on threads. */
  maxThreads: number;
  /**
   * Watchdogs (§2.16), off when 0: a runnable thread must get its CPU within `progressBoundNs` of
   * being queued ("sched-progress"), and a woken thread must reach a runqueue (or run) within it
   * ("sched-wake-delivery": a wakeup that never lands is a lost wakeup).
   */
  progressBoundNs: number;
  wakeDeliveryBoundNs: number;
}

export const DEFAULT_KERNEL_OPTIONS: Readonly<KernelOptions> = Object.freeze({
  variants: [] as KernelVariant[],
  stopWhenDone: true,
  idlePolls: 20,
  idlePollNs: 50,
  maxThreads: 4096,
  progressBoundNs: 0,
  wakeDeliveryBoundNs: 0,
});

export type ThreadBody = (api: ThreadApi, self: KThread) => Guest<unknown>;

export interface ThreadAttr {
  /** A housekeeping thread (idle, balancer): the run ends when every other thread has terminated. */
  system?: boolean;
  priority?: number;
  /** The CPU it starts on (OSv: the creator's CPU unless pinned). */
  cpu?: number;
  pinned?: boolean;
}

export interface ThreadRow {
  id: number;
  name: string;
  cpu: number;
  cpu_ms: number;
  switches: number;
  migrations: number;
  preemptions: number;
  priority: number;
  status: string;
}

/** A kernel thread (sched::thread). */
export class KThread implements KernelThread, TimerClient {
  readonly runtime: ThreadRuntime;
  readonly realtime = 0;
  /** st: the atomic status every CPU may CAS. */
  readonly status: Cell;
  /** _joiner: the thread (id) that joins, set by compare-and-swap. */
  readonly joiner: Cell;
  context: CpuContext | null = null;
  /** The home CPU (_detached_state->_cpu). */
  cpu: SchedCpu;
  preemptCounter = 1;
  pinned: boolean;
  readonly sleepTimer: Timer;
  /** The timer of timed waits (OSv: a sched::timer on the waiter's stack), made on first use. */
  waitTimer: Timer | null = null;
  /** lock_sent: a wake_lock() sent this thread a mutex; written by the waker under that mutex. */
  lockSent = false;
  system = false;
  /** When it last became queued / waking (for the watchdogs). */
  queuedSinceNs = 0;
  wakingSinceNs = 0;
  stats = { switches: 0, preemptions: 0, migrations: 0, totalCpuNs: 0 };
  result: unknown;

  constructor(
    readonly kernel: Kernel,
    readonly id: number,
    readonly name: string,
    priority: number,
    cpu: SchedCpu,
    pinned: boolean,
  ) {
    this.runtime = new ThreadRuntime(priority);
    this.status = kernel.sim.memory.cell(`${name}.st`, ThreadStatus.Unstarted);
    this.joiner = kernel.sim.memory.cell(`${name}._joiner`, 0);
    this.cpu = cpu;
    this.pinned = pinned;
    this.sleepTimer = kernel.newTimer(this, `${name}.sleep`);
  }

  get runtimeKey(): number {
    return this.runtime.rtt;
  }

  get isIdle(): boolean {
    return this.runtime.priority === PRIORITY_IDLE;
  }

  timerFired(): void {
    this.kernel.pendingTimerWakes.push(this);
  }
}

/** Per-CPU scheduler state (sched::cpu). */
export class SchedCpu implements TimerClient {
  readonly runqueue: Runqueue<KThread>;
  readonly runtime = new CpuRuntime();
  /** incoming_wakeups[source cpu]: the threads pushed by each source CPU. */
  readonly incoming: KThread[][];
  /** incoming_wakeups_mask: bit per source CPU whose queue may be non-empty. */
  readonly mask: Cell;
  readonly idlePoll: Cell;
  /** The runqueue size as other CPUs read it (a racy read of a CPU-local tree's size). */
  readonly runqueueSize: Cell;
  current!: KThread;
  idle!: KThread;
  runningSinceNs = 0;
  needReschedule = false;
  terminatingThread: KThread | null = null;
  readonly timers: TimerList;
  readonly preemptionTimer: Timer;

  constructor(
    readonly kernel: Kernel,
    readonly index: number,
    readonly vcpu: Vcpu,
    cpuCount: number,
  ) {
    const memory = kernel.sim.memory;
    this.runqueue = new Runqueue<KThread>((check, message) => kernel.sim.fail(check, message));
    this.incoming = Array.from({ length: cpuCount }, () => []);
    this.mask = memory.cell(`cpu${index}.incoming_wakeups_mask`);
    this.idlePoll = memory.cell(`cpu${index}.idle_poll`);
    this.runqueueSize = memory.cell(`cpu${index}.runqueue.size`);
    const apic = kernel.machine.apics[index]!;
    this.timers = new TimerList(
      (ns) => apic.writeInitialCount(ns),
      () => kernel.sim.now,
    );
    this.preemptionTimer = kernel.newTimer(this, `cpu${index}.preemption_timer`);
  }

  /** The preemption timer's fire does nothing: the interrupt epilogue reschedules. */
  timerFired(): void {}

  syncRunqueueSize(): void {
    this.runqueueSize.value = this.runqueue.size;
  }
}

/** The guest API workloads are written against (a small POSIX-like surface). */
export interface ThreadApi {
  readonly port: WaitPort;
  now(): number;
  self(): KThread;
  compute(ns: number): Guest<void>;
  sleep(ns: number): Guest<void>;
  yield(): Guest<void>;
  create(name: string, body: ThreadBody, attr?: ThreadAttr): Guest<KThread>;
  join(thread: KThread): Guest<void>;
  waitUntil(predicate: () => Guest<boolean>): Guest<void>;
  /** Waits until `predicate` holds (true) or `deadlineNs` passes (false); see WaitPort. */
  waitUntilDeadline(predicate: () => Guest<boolean>, deadlineNs: number): Guest<boolean>;
  wake(thread: KThread): Guest<void>;
}

export class Kernel implements WaitPort {
  readonly cpus: SchedCpu[];
  readonly threads: KThread[] = [];
  readonly options: Readonly<KernelOptions>;
  /** Threads woken and not yet on a runqueue (for the wake-delivery watchdog). */
  private readonly wakingThreads = new Set<KThread>();
  /** Threads whose sleep timer fired in the current timer interrupt, to wake from guest code. */
  pendingTimerWakes: KThread[] = [];
  private timerIds = 0;
  /**
   * Observers of every context switch on a CPU (plain JS, no effects, so they change no run): RCU's
   * checker counts quiescent states with one.
   */
  readonly switchObservers: ((cpu: SchedCpu, from: KThread, to: KThread) => void)[] = [];
  /** Workload threads not yet terminated; when it drops to 0 the run ends. */
  private liveWorkloadThreads = 0;
  readonly api: ThreadApi;
  private readonly watching: boolean;

  constructor(
    readonly sim: Simulation,
    readonly machine: Machine,
    options: Partial<KernelOptions> = {},
  ) {
    this.options = { ...DEFAULT_KERNEL_OPTIONS, ...options };
    this.watching = this.options.progressBoundNs > 0 || this.options.wakeDeliveryBoundNs > 0;
    // The wakeup mask is one cell of safe-integer bits (OSv: 64 bits, max_cpus = 64).
    if (machine.cpus.length > 31)
      throw new RangeError(`the scheduler model supports up to 31 CPUs, got ${machine.cpus.length}`);
    this.cpus = machine.cpus.map((vcpu, i) => new SchedCpu(this, i, vcpu, machine.cpus.length));
    this.api = this.makeApi();
    for (const cpu of this.cpus) this.bootCpu(cpu);
  }

  has(variant: KernelVariant): boolean {
    return this.options.variants.includes(variant);
  }

  newTimer(client: TimerClient, name: string): Timer {
    return new Timer(client, name, ++this.timerIds);
  }

  // ---- threads -----------------------------------------------------------------------------------

  private newThread(name: string, body: ThreadBody, attr: ThreadAttr): KThread {
    if (this.threads.length >= this.options.maxThreads)
      throw new Error(`more than ${this.options.maxThreads} threads`);
    const cpuIndex = attr.cpu ?? 0;
    const cpu = this.cpus[cpuIndex];
    if (cpu === undefined) throw new RangeError(`thread ${name}: no cpu ${cpuIndex}`);
    const thread = new KThread(
      this,
      this.threads.length + 1,
      name,
      attr.priority ?? 1,
      cpu,
      attr.pinned ?? false,
    );
    thread.system = attr.system ?? false;
    if (!thread.system) this.liveWorkloadThreads++;
    this.threads.push(thread);
    thread.context = new CpuContext(name, this.threadMain(thread, body));
    return thread;
  }

  /** Creates and starts a thread from outside the simulation (boot-time workloads). */
  spawn(name: string, body: ThreadBody, attr: ThreadAttr = {}): KThread {
    const thread = this.newThread(name, body, attr);
    // start() before anything runs: waiting, then woken straight onto its CPU's runqueue.
    this.setStatus(thread, ThreadStatus.Waiting);
    this.setStatus(thread, ThreadStatus.Waking);
    this.setStatus(thread, ThreadStatus.Queued);
    thread.runtime.updateAfterSleep(thread.cpu.runtime);
    thread.cpu.runqueue.insertEqual(thread);
    thread.cpu.syncRunqueueSize();
    return thread;
  }

  /** thread_main: the first code a new thread runs after its first switch_to. */
  private *threadMain(thread: KThread, body: ThreadBody): Guest<unknown> {
    // Before #11's fix, a thread entered through its first switch did not destroy the pending one.
    if (!this.has("11-terminating-overwrite")) yield* this.afterSwitch(this.cpuOf());
    yield sti();
    // The template's 1, dropped by thread_main's preempt_enable; the idle thread keeps preemption off.
    thread.preemptCounter = thread.isIdle ? 1 : 0;
    thread.result = yield* body(this.api, thread);
    yield* this.complete(thread);
    return thread.result;
  }

  /** complete(): terminating, handed to the next thread on this CPU for destroy(). */
  private *complete(thread: KThread): Guest<void> {
    if (this.has("cf4c46c4-join-hang")) yield* this.completeBefore_cf4c46c4(thread);
    thread.preemptCounter++;
    yield cli();
    const cpu = this.cpuOf();
    yield* this.storeStatus(thread, ThreadStatus.Running, ThreadStatus.Terminating);
    if (cpu.terminatingThread !== null && !this.has("11-terminating-overwrite"))
      yield* this.destroy(cpu.terminatingThread);
    cpu.terminatingThread = thread;
    yield* this.reschedule(cpu, false);
    this.sim.fail("sched.complete", `terminated thread ${thread.name} was scheduled again`);
  }

  /**
   * The exit path before cf4c46c4: the exiting thread marks itself terminated and then wakes its
   * joiner, with preemption and interrupts enabled; a preemption in between switches it out for good.
   */
  private *completeBefore_cf4c46c4(thread: KThread): Guest<void> {
    yield* this.storeStatus(thread, ThreadStatus.Running, ThreadStatus.Terminating);
    yield* this.storeStatus(thread, ThreadStatus.Terminating, ThreadStatus.Terminated);
    this.threadTerminated(thread);
    yield compute(50); // the instructions between the store and the wake
    const claimed = yield compareAndSwap(thread.joiner, 0, -1);
    if (claimed !== 0) {
      const joiner = this.threads[claimed - 1];
      if (joiner !== undefined) yield* this.wake(joiner);
    }
    // Nothing else to do: park for good (the thread is never scheduled again).
    const flags = yield cli();
    yield* this.reschedule(this.cpuOf(), false);
    yield irqRestore(flags);
    this.sim.fail("sched.complete", `terminated thread ${thread.name} was scheduled again`);
  }

  /** destroy() by the next thread on the CPU: terminated, or wake the joiner. */
  private *destroy(thread: KThread): Guest<void> {
    const claimed = yield compareAndSwap(thread.joiner, 0, -1);
    yield* this.storeStatus(thread, ThreadStatus.Terminating, ThreadStatus.Terminated);
    this.threadTerminated(thread);
    if (claimed !== 0) {
      const joiner = this.threads[claimed - 1];
      if (joiner !== undefined) yield* this.wake(joiner);
    }
  }

  private threadTerminated(thread: KThread): void {
    if (thread.system) return;
    this.liveWorkloadThreads--;
    if (this.liveWorkloadThreads === 0 && this.options.stopWhenDone)
      this.sim.requestStop("all workload threads finished");
  }

  private *afterSwitch(cpu: SchedCpu): Guest<void> {
    const dead = cpu.terminatingThread;
    if (dead !== null && dead !== cpu.current) {
      cpu.terminatingThread = null;
      yield* this.destroy(dead);
    }
  }

  // ---- status ------------------------------------------------------------------------------------

  /** Bookkeeping of the watchdogs on every status change (host-side; no effect on the run). */
  private statusChanged(thread: KThread, from: number, to: number): void {
    if (to === ThreadStatus.Queued) thread.queuedSinceNs = this.sim.now;
    if (to === ThreadStatus.Waking) {
      thread.wakingSinceNs = this.sim.now;
      this.wakingThreads.add(thread);
    } else if (from === ThreadStatus.Waking) this.wakingThreads.delete(thread);
  }

  /** sched-progress: a queued thread of `cpus` that has waited longer than the bound, or null. */
  progressProblem(cpus: readonly SchedCpu[] = this.cpus): string | null {
    const bound = this.options.progressBoundNs;
    const now = this.sim.now;
    for (const cpu of cpus) {
      for (const thread of cpu.runqueue) {
        const waitedNs = now - thread.queuedSinceNs;
        if (!thread.isIdle && waitedNs > bound)
          return `${thread.name} has been runnable on cpu${cpu.index} for ${waitedNs} ns without running (bound ${bound} ns)`;
      }
    }
    return null;
  }

  /** sched-wake-delivery: a woken thread that has not reached a runqueue within the bound, or null. */
  wakeDeliveryProblem(): string | null {
    const bound = this.options.wakeDeliveryBoundNs;
    const now = this.sim.now;
    for (const thread of this.wakingThreads) {
      const sinceNs = now - thread.wakingSinceNs;
      if (sinceNs > bound)
        return `${thread.name} was woken ${sinceNs} ns ago and never reached a runqueue (bound ${bound} ns): a lost wakeup`;
    }
    return null;
  }

  /** The watchdogs at a reschedule of `cpu` (§2.16): cheap, only this CPU's queue and the woken set. */
  private checkWatchdogs(cpu: SchedCpu): void {
    if (this.options.progressBoundNs > 0) {
      const problem = this.progressProblem([cpu]);
      if (problem !== null) this.sim.fail("sched-progress", problem);
    }
    if (this.options.wakeDeliveryBoundNs > 0) {
      const problem = this.wakeDeliveryProblem();
      if (problem !== null) this.sim.fail("sched-wake-delivery", problem);
    }
  }

  /** A status change from host code (boot), checked against the transition table. */
  private setStatus(thread: KThread, to: number): void {
    const problem = checkTransition(thread.status.value, to);
    if (problem !== null) throw new Error(`${thread.name}: ${problem}`);
    this.statusChanged(thread, thread.status.value, to);
    thread.status.value = to;
  }

  /** A plain store of a status OSv stores without CAS; the previous value must be `from`. */
  private *storeStatus(thread: KThread, from: number, to: number): Guest<void> {
    const problem = checkTransition(from, to);
    if (problem !== null) this.sim.fail("sched.status-transition", `${thread.name}: ${problem}`);
    const old = yield exchange(thread.status, to);
    this.statusChanged(thread, from, to);
    this.sim.assert(
      old === from,
      "sched.status-transition",
      () =>
        `${thread.name}: expected ${THREAD_STATUS_NAMES[from]} before ${THREAD_STATUS_NAMES[to]}, found ${THREAD_STATUS_NAMES[old] ?? old}`,
    );
  }

  // ---- where am I --------------------------------------------------------------------------------

  /** The scheduler CPU whose vCPU runs the calling guest code. */
  cpuOf(): SchedCpu {
    const runner = this.sim.currentRunner;
    const cpu = this.cpus.find((c) => c.vcpu === runner);
    if (cpu === undefined) throw new Error("kernel code running outside a vCPU");
    return cpu;
  }

  current(): KThread {
    return this.cpuOf().current;
  }

  // ---- preemption control (§2.6) -----------------------------------------------------------------

  *preemptDisable(): Guest<void> {
    this.current().preemptCounter++;
  }

  *preemptEnable(): Guest<void> {
    const thread = this.current();
    thread.preemptCounter--;
    this.sim.assert(
      thread.preemptCounter >= 0,
      "sched.preempt-counter",
      `${thread.name}: preempt_enable without disable`,
    );
    const cpu = this.cpuOf();
    if (thread.preemptCounter === 0 && cpu.needReschedule && cpu.vcpu.interruptsEnabled)
      yield* this.schedule();
  }

  /** cpu::schedule(): reschedule with interrupts off. */
  *schedule(): Guest<void> {
    const flags = yield cli();
    yield* this.reschedule(this.cpuOf(), false);
    yield irqRestore(flags);
  }

  /** sched::preempt(), run at the end of every interrupt handler. */
  *preempt(cpu: SchedCpu): Guest<void> {
    if (cpu.current.preemptCounter === 0) yield* this.reschedule(cpu, false);
    else cpu.needReschedule = true;
  }

  // ---- reschedule_from_interrupt (§2.5) ----------------------------------------------------------

  *reschedule(cpu: SchedCpu, fromYield: boolean): Guest<void> {
    this.sim.assert(
      !cpu.vcpu.interruptsEnabled,
      "sched.reschedule-irq",
      "reschedule with interrupts enabled",
    );
    cpu.needReschedule = false;
    yield* this.handleIncomingWakeups(cpu);
    if (this.watching) this.checkWatchdogs(cpu);
    const now = this.sim.now;
    let interval = now - cpu.runningSinceNs;
    cpu.runningSinceNs = now;
    if (interval <= 0) interval = CONTEXT_SWITCH_PENALTY_NS;
    const p = cpu.current;
    const pStatus = yield load(p.status);
    this.sim.assert(
      pStatus !== ThreadStatus.Queued,
      "sched.running-not-queued",
      () => `${p.name} is current but queued`,
    );
    this.sim.assert(
      !cpu.runqueue.has(p),
      "sched.running-not-queued",
      () => `running thread ${p.name} is in the runqueue`,
    );
    let pQueued = false;
    p.stats.totalCpuNs += interval;
    const renormalizations = cpu.runtime.renormalizeCount;
    p.runtime.ranFor(cpu.runtime, interval, runtimesOf(cpu.runqueue));
    this.sim.assert(
      !Number.isNaN(p.runtime.rtt),
      "sched.runtime-nan",
      () => `${p.name}'s runtime became NaN`,
    );
    // Renormalization rescales every queued runtime alike (the order holds); nothing else may change them.
    if (cpu.runtime.renormalizeCount !== renormalizations) cpu.runqueue.rescaled();
    if (pStatus === ThreadStatus.Running) {
      if (cpu.runqueue.size === 0) {
        cpu.timers.cancel(cpu.preemptionTimer);
        return;
      }
      const head = cpu.runqueue.begin();
      if (!fromYield && p.runtime.rtt < head.runtime.rtt) {
        cpu.timers.cancel(cpu.preemptionTimer);
        const delta = p.runtime.timeUntil(cpu.runtime, head.runtime.rtt);
        if (delta > 0) cpu.timers.set(cpu.preemptionTimer, now + delta);
        return;
      }
      if (fromYield && head.isIdle) return;
      p.runtime.hysteresisRunStop(cpu.runtime);
      pQueued = true;
      yield* this.storeStatus(p, ThreadStatus.Running, ThreadStatus.Queued);
      if (!fromYield) {
        cpu.runqueue.insertEqual(p);
        p.stats.preemptions++;
      }
    } else {
      p.runtime.hysteresisRunStop(cpu.runtime);
    }
    const n = cpu.runqueue.begin();
    cpu.runqueue.erase(n);
    if (fromYield) cpu.runqueue.insertEqual(p);
    cpu.syncRunqueueSize();
    yield* this.storeStatus(n, ThreadStatus.Queued, ThreadStatus.Running);
    n.runtime.hysteresisRunStart(cpu.runtime, !this.has("cec13e02-idle-nan"));
    this.sim.assert(
      !Number.isNaN(n.runtime.rtt),
      "sched.runtime-nan",
      () => `${n.name}'s runtime became NaN`,
    );
    this.sim.assert(n !== p, "sched.switch-to-self", `${p.name} switched to itself`);
    if (pQueued && p !== cpu.idle) n.runtime.addContextSwitchPenalty(cpu.runtime);
    cpu.timers.cancel(cpu.preemptionTimer);
    if (cpu.runqueue.size > 0 && n.realtime === 0) {
      const delta = n.runtime.timeUntil(cpu.runtime, cpu.runqueue.begin().runtime.rtt);
      if (delta > 0) cpu.timers.set(cpu.preemptionTimer, now + delta);
    }
    n.stats.switches++;
    for (const observe of this.switchObservers) observe(cpu, p, n);
    cpu.current = n;
    yield switchTo(n.context!);
    // Back in p's context, possibly much later and (after migration) on another CPU.
    yield* this.afterSwitch(this.cpuOf());
  }

  /**
   * handle_incoming_wakeups (§2.7): fetch_clear the mask (with interrupts in whatever state the
   * caller has: the idle loop polls with them on), then drain each flagged source queue under its own
   * irq_save lock, as OSv does; an empty mask costs one exchange and nothing else.
   */
  private *handleIncomingWakeups(cpu: SchedCpu): Guest<void> {
    const sources = yield exchange(cpu.mask, 0);
    if (sources === 0) return;
    for (let source = 0; source < cpu.incoming.length; source++) {
      if ((sources & (1 << source)) === 0) continue;
      const queue = cpu.incoming[source]!;
      const flags = yield cli();
      yield* this.drainIncoming(cpu, queue);
      yield irqRestore(flags);
    }
    cpu.syncRunqueueSize();
  }

  /** One source CPU's incoming wakeup queue, interrupts off. */
  private *drainIncoming(cpu: SchedCpu, queue: KThread[]): Guest<void> {
    while (queue.length > 0) {
      const thread = queue.shift()!;
      if (thread === cpu.current && !this.has("e60ebaf3-queued-runtime")) {
        yield* this.storeStatus(thread, ThreadStatus.Waking, ThreadStatus.Running);
      } else if (thread.cpu !== cpu) {
        // A stale entry after the thread moved (fix 0a4b84bd): ignore it.
      } else {
        yield* this.storeStatus(thread, ThreadStatus.Waking, ThreadStatus.Queued);
        thread.runtime.updateAfterSleep(cpu.runtime);
        this.sim.assert(
          this.cpus.every((c) => !c.runqueue.has(thread) && c.current !== thread),
          "sched.one-runqueue",
          () => `woken thread ${thread.name} is already queued or running somewhere`,
        );
        cpu.runqueue.insertEqual(thread);
      }
    }
  }

  // ---- wait / wake (§2.7) ------------------------------------------------------------------------

  *waitUntil(predicate: () => Guest<boolean>): Guest<void> {
    const thread = this.current();
    this.sim.assert(
      this.cpuOf().vcpu.interruptsEnabled,
      "sched.wait-irq",
      `${thread.name} waits with interrupts off`,
    );
    this.sim.assert(
      thread.preemptCounter === 0,
      "sched.wait-preempt",
      `${thread.name} waits with preemption off`,
    );
    for (let rounds = 0; ; rounds++) {
      this.sim.assert(rounds < 1_000_000, "sched.wait-rounds", `${thread.name}: a million spurious wakeups`);
      yield* this.preemptDisable();
      yield* this.storeStatus(thread, ThreadStatus.Running, ThreadStatus.Waiting);
      if (yield* predicate()) {
        yield* this.stopWait(thread);
        return;
      }
      yield* this.schedule();
      yield* this.stopWait(thread);
    }
  }

  /** stop_wait: waiting -> running, or let a concurrent wake finish first. */
  private *stopWait(thread: KThread): Guest<void> {
    const seen = yield compareAndSwap(thread.status, ThreadStatus.Waiting, ThreadStatus.Running);
    thread.preemptCounter--;
    if (seen === ThreadStatus.Waiting) return;
    for (let rounds = 0; ; rounds++) {
      this.sim.assert(
        rounds < 100_000,
        "sched.stop-wait",
        `${thread.name}: status stuck at ${THREAD_STATUS_NAMES[seen]}`,
      );
      const status = yield load(thread.status);
      if (status === ThreadStatus.Running) return;
      this.sim.assert(
        status === ThreadStatus.Waking || status === ThreadStatus.SendingLock,
        "sched.stop-wait",
        () => `${thread.name}: stop_wait found ${THREAD_STATUS_NAMES[status]}`,
      );
      yield* this.schedule();
    }
  }

  *wake(target: KernelThread): Guest<void> {
    yield* this.wakeImpl(target, false);
  }

  /** wake_with_from_mutex: a thread in sending_lock may be woken too (the mutex hands it the lock). */
  *wakeFromMutex(target: KernelThread): Guest<void> {
    yield* this.wakeImpl(target, true);
  }

  /** wake_impl: CAS the status to waking from an allowed state (waiting, or sending_lock). */
  private *wakeImpl(target: KernelThread, fromMutex: boolean): Guest<void> {
    const thread = this.threads[target.id - 1];
    if (thread === undefined) throw new Error(`wake: no thread ${target.id}`);
    let expected: number = ThreadStatus.Waiting;
    for (let rounds = 0; ; rounds++) {
      this.sim.assert(rounds < 100_000, "sched.wake-rounds", () => `${thread.name}: wake_impl looped`);
      const seen = yield compareAndSwap(thread.status, expected, ThreadStatus.Waking);
      if (seen === expected) break;
      // Not in an allowed state: the wake is discarded.
      if (!(fromMutex && (seen === ThreadStatus.Waiting || seen === ThreadStatus.SendingLock))) return;
      expected = seen;
    }
    this.statusChanged(thread, expected, ThreadStatus.Waking);
    yield* this.preemptDisable();
    const flags = yield cli();
    const me = this.cpuOf();
    const target_ = thread.cpu;
    target_.incoming[me.index]!.push(thread);
    const bit = 1 << me.index;
    const before = yield* this.fetchOr(target_.mask, bit);
    if ((before & bit) === 0) {
      if (target_ !== me) yield* this.sendWakeupIpi(target_);
      else me.needReschedule = true;
    }
    yield irqRestore(flags);
    yield* this.preemptEnable();
  }

  /** wait_until with a sched::timer: the predicate is `timer.expired() || predicate()`. */
  *waitUntilDeadline(predicate: () => Guest<boolean>, deadlineNs: number): Guest<boolean> {
    const thread = this.current();
    thread.waitTimer ??= this.newTimer(thread, `${thread.name}.wait`);
    const timer = thread.waitTimer;
    let flags = yield cli();
    this.cpuOf().timers.set(timer, deadlineNs);
    yield irqRestore(flags);
    let held = false;
    yield* this.waitUntil(function* (): Guest<boolean> {
      if (timer.expired) return true;
      held = yield* predicate();
      return held;
    });
    // Cancel on the CPU list it was armed on (the thread may have moved since); an expired or
    // fired timer is in no list, and its pending wake, if any, finds the thread not waiting.
    flags = yield cli();
    (timer.list ?? this.cpuOf().timers).cancel(timer);
    yield irqRestore(flags);
    return held;
  }

  /** wake_lock's status hand-shake (§2.7); `send` is mutex.send_lock_unless_already_waiting. */
  *wakeLock(target: KernelThread, send: () => Guest<boolean>): Guest<boolean> {
    const thread = this.threads[target.id - 1];
    if (thread === undefined) throw new Error(`wake_lock: no thread ${target.id}`);
    const seen = yield compareAndSwap(thread.status, ThreadStatus.Waiting, ThreadStatus.SendingLock);
    if (seen !== ThreadStatus.Waiting) return false;
    if (yield* send()) {
      thread.lockSent = true;
      return true;
    }
    yield* this.storeStatus(thread, ThreadStatus.SendingLock, ThreadStatus.Waiting);
    return false;
  }

  takeLockSent(): boolean {
    const thread = this.current();
    const sent = thread.lockSent;
    thread.lockSent = false;
    return sent;
  }

  private *fetchOr(cell: Cell, bits: number): Guest<number> {
    for (;;) {
      const old = yield load(cell);
      if ((yield compareAndSwap(cell, old, old | bits)) === old) return old;
    }
  }

  /** send_wakeup_ipi: only when the target is not polling and has at most one runnable thread. */
  private *sendWakeupIpi(target: SchedCpu): Guest<void> {
    yield fence();
    const polling = yield load(target.idlePoll);
    const queued = yield load(target.runqueueSize);
    if (polling === 0 && queued <= 1) yield sendIpi(target.index, WAKEUP_IPI_VECTOR);
  }

  // ---- idle (§2.8) -------------------------------------------------------------------------------

  private *idleMain(cpu: SchedCpu): Guest<void> {
    for (;;) {
      yield* this.doIdle(cpu);
      yield* this.schedule();
    }
  }

  private *doIdle(cpu: SchedCpu): Guest<void> {
    for (;;) {
      yield store(cpu.idlePoll, 1);
      for (let i = 0; i < this.options.idlePolls; i++) {
        yield compute(this.options.idlePollNs);
        yield* this.handleIncomingWakeups(cpu);
        if (cpu.runqueue.size > 0) {
          yield store(cpu.idlePoll, 0);
          return;
        }
      }
      yield store(cpu.idlePoll, 0);
      yield fence();
      yield cli();
      yield* this.handleIncomingWakeups(cpu);
      if (cpu.runqueue.size > 0) {
        yield sti();
        return;
      }
      yield stiHlt();
      yield* this.handleIncomingWakeups(cpu);
      if (cpu.runqueue.size > 0) return;
    }
  }

  // ---- load balancer (§2.9) ------------------------------------------------------------------------

  /** The balancerN thread: every 100 ms, move one thread to the least loaded CPU if worth it. */
  private *balancerMain(cpu: SchedCpu): Guest<void> {
    for (;;) {
      yield* this.api.sleep(BALANCE_PERIOD_NS);
      if (cpu.runqueue.size === 0) continue;
      let min = cpu;
      let minLoad = cpu.runqueue.size;
      for (const other of this.cpus) {
        const load_ = other === cpu ? cpu.runqueue.size : yield load(other.runqueueSize);
        if (load_ < minLoad) {
          min = other;
          minLoad = load_;
        }
      }
      if (min === cpu) continue;
      // This CPU runs one extra thread (the balancer itself, not in its queue): don't move for 1.
      const slack = this.has("e9f0cf29-balancer-overcount") ? 0 : 1;
      if (minLoad >= cpu.runqueue.size - slack) continue;
      const flags = yield cli();
      yield* this.migrateOne(cpu, min);
      yield irqRestore(flags);
    }
  }

  /** Moves the queued thread with the largest runtime that may migrate from `cpu` to `target`. */
  private *migrateOne(cpu: SchedCpu, target: SchedCpu): Guest<void> {
    const thread = cpu.runqueue.fromBack().find((t) => !t.pinned && !t.isIdle);
    if (thread === undefined) return;
    cpu.runqueue.erase(thread);
    cpu.syncRunqueueSize();
    yield* this.storeStatus(thread, ThreadStatus.Queued, ThreadStatus.Waking);
    thread.cpu = target;
    thread.runtime.exportRuntime(cpu.runtime);
    thread.stats.migrations++;
    target.incoming[cpu.index]!.push(thread);
    const bit = 1 << cpu.index;
    const before = yield* this.fetchOr(target.mask, bit);
    if ((before & bit) === 0) yield* this.sendWakeupIpi(target);
  }

  // ---- boot --------------------------------------------------------------------------------------

  private bootCpu(cpu: SchedCpu): void {
    const kernel = this;
    const apic = this.machine.apics[cpu.index]!;
    apic.writeLvtTimer(TIMER_VECTOR, false);
    cpu.vcpu.setInterruptHandler(TIMER_VECTOR, () => {
      apic.eoi();
      const due = cpu.timers.fired();
      for (const timer of due) timer.client.timerFired(timer);
      const wakes = kernel.pendingTimerWakes;
      kernel.pendingTimerWakes = [];
      if (wakes.length === 0) return undefined;
      return (function* (): Guest<void> {
        for (const thread of wakes) yield* kernel.wake(thread);
      })();
    });
    cpu.vcpu.setInterruptHandler(WAKEUP_IPI_VECTOR, () => {
      apic.eoi();
      return undefined;
    });
    cpu.vcpu.hooks.onInterruptExit = () => kernel.preempt(cpu);
  }

  /** Creates each CPU's idle thread and boots the vCPUs into them; call once, before running. */
  start(): void {
    for (const cpu of this.cpus) {
      const idle = this.newThread(`idle${cpu.index}`, () => this.idleMain(cpu), {
        cpu: cpu.index,
        priority: PRIORITY_IDLE,
        pinned: true,
        system: true,
      });
      cpu.idle = idle;
      cpu.current = idle;
      this.setStatus(idle, ThreadStatus.Waiting);
      this.setStatus(idle, ThreadStatus.Running);
      idle.runtime.updateAfterSleep(cpu.runtime);
      idle.runtime.hysteresisRunStart(cpu.runtime, !this.has("cec13e02-idle-nan"));
      cpu.vcpu.boot(idle.context!);
    }
    for (const cpu of this.cpus) {
      this.spawn(`balancer${cpu.index}`, () => this.balancerMain(cpu), {
        cpu: cpu.index,
        pinned: true,
        system: true,
      });
    }
  }

  /** A thread's CPU time including its current stretch if it is running (OSv's thread_clock, §2.15). */
  cpuTimeNs(thread: KThread): number {
    const running = thread.cpu.current === thread;
    return thread.stats.totalCpuNs + (running ? this.sim.now - thread.cpu.runningSinceNs : 0);
  }

  /** The rows of OSv's /os/threads (REST API, §9.3) for reports. */
  threadTable(): ThreadRow[] {
    return this.threads.map((t) => ({
      id: t.id,
      name: t.name,
      cpu: t.cpu.index,
      cpu_ms: Math.round(this.cpuTimeNs(t) / 1000) / 1000,
      switches: t.stats.switches,
      migrations: t.stats.migrations,
      preemptions: t.stats.preemptions,
      priority: t.runtime.priority,
      status: THREAD_STATUS_NAMES[t.status.value] ?? String(t.status.value),
    }));
  }

  // ---- the guest API -----------------------------------------------------------------------------

  private makeApi(): ThreadApi {
    const kernel = this;
    return {
      port: this,
      now: () => kernel.sim.now,
      self: () => kernel.current(),
      *compute(ns: number): Guest<void> {
        yield compute(ns);
      },
      *sleep(ns: number): Guest<void> {
        const thread = kernel.current();
        const cpu = kernel.cpuOf();
        const flags = yield cli();
        cpu.timers.set(thread.sleepTimer, kernel.sim.now + ns);
        yield irqRestore(flags);
        yield* kernel.waitUntil(function* () {
          return thread.sleepTimer.expired;
        });
      },
      *yield(): Guest<void> {
        const flags = yield cli();
        const cpu = kernel.cpuOf();
        yield* kernel.handleIncomingWakeups(cpu);
        if (cpu.runqueue.size > 0 && !cpu.runqueue.begin().isIdle) yield* kernel.reschedule(cpu, true);
        yield irqRestore(flags);
      },
      *create(name: string, body: ThreadBody, attr: ThreadAttr = {}): Guest<KThread> {
        const cpu = kernel.cpuOf();
        const thread = kernel.newThread(name, body, { cpu: cpu.index, ...attr });
        yield* kernel.storeStatus(thread, ThreadStatus.Unstarted, ThreadStatus.Waiting);
        yield* kernel.wake(thread);
        return thread;
      },
      *join(thread: KThread): Guest<void> {
        const me = kernel.current();
        const claimed = yield compareAndSwap(thread.joiner, 0, me.id);
        if (claimed !== 0) return; // destroy() already ran
        yield* kernel.waitUntil(function* () {
          return (yield load(thread.status)) === ThreadStatus.Terminated;
        });
      },
      waitUntil: (predicate) => kernel.waitUntil(predicate),
      waitUntilDeadline: (predicate, deadlineNs) => kernel.waitUntilDeadline(predicate, deadlineNs),
      wake: (thread) => kernel.wake(thread),
    };
  }
}

function runtimesOf(queue: Runqueue<KThread>): ThreadRuntime[] {
  const out: ThreadRuntime[] = [];
  for (const thread of queue) out.push(thread.runtime);
  return out;
}
