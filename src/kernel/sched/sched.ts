// OSv's scheduler running as guest code on simulated vCPUs (osv-internals.md §2.3-§2.14; core/sched.cc,
// include/osv/sched.hh). Cross-CPU interactions are effects on shared cells — the status
// compare-and-swap of wake(), the incoming-wakeup mask, idle_poll, the runqueue size a waker peeks at,
// the joiner and detach-state handshakes — and wakeup IPIs go through the APIC, so their
// interleavings are explored, not decided by the simulator. CPU-local state (runqueue, normalizer,
// timers, running_since) is plain data, as in OSv where only the owning CPU touches it with
// interrupts off. Time is OSv's uptime, read through kvmclock on the current CPU (clock.ts) wherever
// OSv calls osv::clock::uptime::now(): reschedule's interval and preemption deadline (the runtime
// accounting too, as in OSv, which takes an interval <= 0 as a context-switch penalty), the timer
// list, sleep and timed-wait deadlines and the API's clock. Boot follows §9.1 as far as the clock
// needs (arch/x64/smp.cc, drivers/clock-common.cc): each CPU's balancer thread runs first and fires
// the CPU notifiers under OSv's global notifier mutex, which set up that CPU's clock; application
// processors may come up staggered (`apBringupNs`). Workload threads start once every CPU has run
// its notifiers (OSv's application starts after smp_launch and milliseconds of further init), or,
// with `workloadsStart: "with-cpu"`, sit on their CPU's runqueue from the moment it starts, as OSv's
// per-CPU kernel threads do. Migration (§2.10: the load balancer, pin(), pin(t, cpu)) moves a
// thread's runtime (export / update_after_sleep) and its armed timers (suspend / resume_timers);
// real-time priorities follow §2.11 (no time slice), detached threads go to a reaper thread (§2.13).
// Deliberate simplifications: reschedule's own work is one compute (`rescheduleNs`), deferred to
// its first memory op (the mask exchange: nothing between them is visible to another CPU); an idle poll
// iteration is `idlePollNs` of compute, and quiet polls are waited out on the wakeup mask rather than
// simulated one by one (hw/cpu.ts pollExchange); the incoming wakeup queues are one effect per
// push and per drain; the reaper is created with the first detached thread (OSv: at boot); pin()'s
// last reschedule accounts the outgoing stretch on the source CPU's normalizer, where OSv's
// thread-local current_cpu already names the target (so OSv charges it, and the incoming thread's
// hysteresis credit, to the target's normalizer from the source CPU); the watchdogs measure waits in
// the host's virtual time. The status table gains queued -> waking (the balancer) and waking/queued ->
// waiting (pin(t, cpu)). pin(t, cpu) and unpin(t) keep OSv's races when several threads pin one
// thread at once (scenarios/bugs/pin-unpin-race.yaml, pin-wake-double-queue.yaml).

import {
  CpuContext,
  cli,
  irqRestore,
  type Machine,
  NOT_LOCAL,
  pollExchange,
  sendIpi,
  sti,
  stiHlt,
  switchTo,
  type Vcpu,
} from "../../hw/index.js";
import {
  type Cell,
  type CellEquals,
  call,
  cellEquals,
  compareAndSwap,
  compute,
  deferredCompute,
  type Effect,
  exchange,
  fence,
  type Guest,
  invoke,
  load,
  removeAt,
  type Simulation,
  store,
} from "../../sim/index.js";
import type { HeldLock, KernelThread, WaitPort } from "../port/index.js";
import { LockfreeMutex } from "../sync/index.js";
import type { KernelVariant } from "../variants.js";
import { CLOCK_MONOTONIC_CHECK, KernelClock, UPTIME_NOT_LOCAL } from "./clock.js";
import { Runqueue } from "./runqueue.js";
import { CONTEXT_SWITCH_PENALTY_NS, CpuRuntime, PRIORITY_IDLE, THYST_NS, ThreadRuntime } from "./runtime.js";
import { checkTransition, THREAD_STATUS_NAMES, ThreadStatus } from "./status.js";
import { Timer, type TimerClient, TimerList } from "./timers.js";

export const TIMER_VECTOR = 0x20;
/** The load balancer's period (§2.9). */
export const BALANCE_PERIOD_NS = 100_000_000;
export const WAKEUP_IPI_VECTOR = 0x21;
/** keepsRunning: p gives up the CPU. */
const SWITCH = -1;
/** switchingIn's answer when no preemption timer is armed (an uptime may be negative, #869). */
const NO_ARM = Number.NEGATIVE_INFINITY;
/** pin(t, cpu) retries this often while t holds a temporary migration lock (§2.10). */
export const PIN_RETRY_NS = 1_000_000;

/** A thread's _detach_state (§2.13): detach() and complete() race on it with compare-and-swap. */
export const DetachState = { Attached: 0, Detached: 1, AttachedComplete: 2 } as const;

/**
 * A wait predicate on host-side state (a timer's flag, the reaper's list), read when the waiter
 * checks it; shared so waiters need no fresh `function*` closure (see loadEquals).
 */
function* hostCondition(holds: boolean): Guest<boolean> {
  return holds;
}

export interface KernelOptions {
  /** Historical-bug variants switched on (osv-internals.md §10). */
  variants: readonly KernelVariant[];
  /**
   * End the run when every workload thread has terminated (the idle and balancer threads never do,
   * so a kernel never quiesces by itself). Scenarios without a duration use this.
   */
  stopWhenDone: boolean;
  /**
   * Idle polls of the wakeup queues before halting: OSv's 10,000 (about 540 us at 54 ns a poll). The
   * quiet ones cost no events (pollExchange), so the model no longer needs a short window (it used
   * 40, 2 us, just enough to outlast a hand-off that needs an IPI to a halted CPU).
   */
  idlePolls: number;
  /** CPU time of one idle poll iteration. */
  idlePollNs: number;
  /** Limit on threads. */
  maxThreads: number;
  /**
   * CPU time of reschedule_from_interrupt's own work, charged as compute on every entry. With the
   * hardware cost model it is calibrated against OSv's misc-ctxsw (hw/cost.ts).
   */
  rescheduleNs: number;
  /** The clock-monotonic observer (every uptime read on a CPU >= its previous read). */
  checkClockMonotonic: boolean;
  /**
   * When each application processor starts after boot, chosen in [min, max] per AP (the host's
   * INIT/SIPI to first instruction, §9.1); null: every CPU starts at once.
   */
  apBringupNs: { min: number; max: number } | null;
  /**
   * When threads spawned before start() begin: "after-boot", woken once every CPU has run its
   * notifiers (its clock is set up); "with-cpu", queued on their CPU from the start, so they may run
   * before that CPU's clock is set up (while the uptime is stuck at 0 no preemption timer expires,
   * so a CPU hog there keeps its CPU until the clock starts).
   */
  workloadsStart: "after-boot" | "with-cpu";
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
  idlePolls: 10_000,
  idlePollNs: 50,
  maxThreads: 4096,
  rescheduleNs: 100,
  checkClockMonotonic: true,
  apBringupNs: null,
  workloadsStart: "after-boot",
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
  /** Real-time priority (§2.11): 0 is a normal thread. */
  realtime?: number;
  /** Created detached: the reaper frees it once it completes, nobody joins it. */
  detached?: boolean;
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
  /** The real-time priority (§2.11); 0 for a normal thread. */
  realtime: number;
  status: string;
}

/** A kernel thread (sched::thread). */
export class KThread implements KernelThread, TimerClient {
  readonly runtime: ThreadRuntime;
  /**
   * _realtime._priority (§2.11): 0 for a normal thread; rt > 0 runs before every normal thread,
   * higher before lower, equals FIFO. Only the thread itself changes it, while running (never queued).
   */
  realtime = 0;
  /** st: the atomic status every CPU may CAS. */
  readonly status: Cell;
  /** exchange(status, s) for each status s, made on first use (the switch path stores statuses). */
  readonly statusExchanges: (Effect | undefined)[] = [];
  /** stop_wait's compare-and-swap of status from waiting to running, made on first use. */
  stopWaitEffect: Effect | null = null;
  /** load(status), made once (reschedule and stop_wait read it at every switch). */
  readonly statusLoad: Effect;
  /** _joiner: the thread (id) that joins, set by compare-and-swap. */
  readonly joiner: Cell;
  /** _detach_state: attached, detached or attached_complete. */
  readonly detachState: Cell;
  /** attr._detached: set at creation or by detach(); nobody may join the thread. */
  detached = false;
  /** Freed by the reaper; touching it afterwards is a use-after-free. */
  reaped = false;
  /**
   * The thread-local current_cpu (the home CPU's index), rewritten by whoever migrates the thread.
   * Only the #178 variant's schedule() reads it; the model otherwise asks the vCPU.
   */
  readonly currentCpuTls: Cell;
  /**
   * _detached_state->_cpu in memory: wake() loads it (after its compare-and-swap and cli, as OSv
   * does), so a stall of the waker between those instructions is a window others can act in; every
   * move of the thread rewrites it together with `cpu`.
   */
  readonly homeCpu: Cell;
  context: CpuContext | null = null;
  /** The home CPU (_detached_state->_cpu), as the kernel's host-side bookkeeping sees it. */
  cpu: SchedCpu;
  preemptCounter = 1;
  /**
   * _migration_lock_counter: > 0 means the load balancer must not move the thread. The thread
   * changes it while running (migrate_disable/enable, pin); pin(t, cpu)'s helper and the balancer
   * touch it from t's home CPU while t is off-CPU there — never at the same time: plain data.
   */
  migrationLockCounter: number;
  /** _pinned: pin() holds a permanent +1 on migrationLockCounter. */
  pinned: boolean;
  /** Model bookkeeping for the "pinned thread never runs elsewhere" check: where pin() put it. */
  pinnedCpu: SchedCpu | null;
  /** The armed timers whose client is this thread (they move with it). */
  readonly activeTimers: Timer[] = [];
  /** _timers_need_reload: suspended on the old CPU, to resume on the new one. */
  timersNeedReload = false;
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
    this.statusLoad = load(this.status);
    this.joiner = kernel.sim.memory.cell(`${name}._joiner`, 0);
    this.detachState = kernel.sim.memory.cell(`${name}._detach_state`, DetachState.Attached);
    this.currentCpuTls = kernel.sim.memory.cell(`${name}.current_cpu`, cpu.index);
    this.homeCpu = kernel.sim.memory.cell(`${name}._cpu`, cpu.index);
    this.cpu = cpu;
    this.pinned = pinned;
    this.migrationLockCounter = pinned ? 1 : 0;
    this.pinnedCpu = pinned ? cpu : null;
    this.sleepTimer = kernel.newTimer(this, `${name}.sleep`);
  }

  get runtimeKey(): number {
    return this.runtime.rtt;
  }

  get isIdle(): boolean {
    return this.runtime.priority === PRIORITY_IDLE;
  }

  /** thread::timer_fired: wake_with_irq_disabled. */
  timerFired(timer: Timer): Guest<void> {
    const kernel = this.kernel;
    const here = kernel.cpuOf();
    // A thread's armed timers follow it (suspend/resume_timers): they fire on its home CPU.
    kernel.sim.assert(
      this.cpu === here,
      "sched.timer-home",
      () => `${timer.name} fired on cpu${here.index}, its thread lives on cpu${this.cpu.index}`,
    );
    return kernel.wake(this);
  }
}

/** Per-CPU scheduler state (sched::cpu). */
export class SchedCpu implements TimerClient {
  readonly runqueue: Runqueue<KThread>;
  /** The queued threads' runtimes, for ran_for's renormalization (walked only when it happens). */
  readonly queuedRuntimes: Iterable<ThreadRuntime>;
  readonly runtime = new CpuRuntime();
  /** incoming_wakeups[source cpu]: the threads pushed by each source CPU. */
  readonly incoming: KThread[][];
  /** incoming_wakeups_mask: bit per source CPU whose queue may be non-empty. */
  readonly mask: Cell;
  /** exchange(mask, 0), handle_incoming_wakeups' fetch-and-clear: one effect, made once. */
  readonly maskClear: Effect;
  readonly idlePoll: Cell;
  /** store(idlePoll, 1) and store(idlePoll, 0), made once. */
  readonly idlePollOn: Effect;
  readonly idlePollOff: Effect;
  /** The runqueue size as other CPUs read it (a racy read of a CPU-local tree's size). */
  readonly runqueueSize: Cell;
  current!: KThread;
  idle!: KThread;
  runningSinceNs = 0;
  needReschedule = false;
  terminatingThread: KThread | null = null;
  readonly timers: TimerList;
  readonly preemptionTimer: Timer;
  /** The preemption timer's client is the CPU itself. */
  readonly activeTimers: Timer[] = [];

  constructor(
    readonly kernel: Kernel,
    readonly index: number,
    readonly vcpu: Vcpu,
    cpuCount: number,
  ) {
    const memory = kernel.sim.memory;
    this.runqueue = new Runqueue<KThread>((check, message) => kernel.sim.fail(check, message));
    const runqueue = this.runqueue;
    this.queuedRuntimes = { [Symbol.iterator]: () => runtimesOf(runqueue) };
    this.incoming = Array.from({ length: cpuCount }, () => []);
    this.mask = memory.cell(`cpu${index}.incoming_wakeups_mask`);
    this.maskClear = exchange(this.mask, 0);
    this.idlePoll = memory.cell(`cpu${index}.idle_poll`);
    this.idlePollOn = store(this.idlePoll, 1);
    this.idlePollOff = store(this.idlePoll, 0);
    this.runqueueSize = memory.cell(`cpu${index}.runqueue.size`);
    const apic = kernel.machine.apics[index]!;
    this.timers = new TimerList({
      uptime: () => kernel.clock.uptime(index),
      program: (ns) => apic.writeInitialCount(ns),
      clockBackwards: (now, last) =>
        kernel.sim.fail(
          CLOCK_MONOTONIC_CHECK,
          `cpu${index}: timer_set::expire(${now}) with last ${last}: the clock went backwards (OSv aborts)`,
        ),
      fail: (check, message) => kernel.sim.fail(check, `cpu${index}: ${message}`),
    });
    this.preemptionTimer = kernel.newTimer(this, `cpu${index}.preemption_timer`);
  }

  /** The preemption timer's fire does nothing: the interrupt epilogue reschedules. */
  timerFired(): undefined {
    return undefined;
  }

  syncRunqueueSize(): void {
    this.runqueueSize.value = this.runqueue.size;
  }
}

/** The guest API workloads are written against (a small POSIX-like surface). */
export interface ThreadApi {
  readonly port: WaitPort;
  /** osv::clock::uptime::now() on the calling thread's CPU. */
  now(): Guest<number>;
  /** The same uptime read as now() (kept for programs written against the earlier API). */
  clock(): Guest<number>;
  self(): KThread;
  compute(ns: number): Guest<void>;
  sleep(ns: number): Guest<void>;
  yield(): Guest<void>;
  create(name: string, body: ThreadBody, attr?: ThreadAttr): Guest<KThread>;
  /** Waits for a thread to terminate; joining a detached thread is an error. */
  join(thread: KThread): Guest<void>;
  /** pthread_detach: the reaper frees the thread once it completes. */
  detach(thread: KThread): Guest<void>;
  waitUntil(predicate: () => Guest<boolean>): Guest<void>;
  /** Waits until `predicate` holds (true) or `deadlineNs` passes (false); see WaitPort. */
  waitUntilDeadline(predicate: () => Guest<boolean>, deadlineNs: number): Guest<boolean>;
  wake(thread: KThread): Guest<void>;
  /** Pins the calling thread (or `thread`) to `cpu`, moving it there (sched::thread::pin). */
  pin(cpu: number, thread?: KThread): Guest<void>;
  /** Drops the pinning of the calling thread (or of `thread`): the load balancer may move it again. */
  unpin(thread?: KThread): Guest<void>;
  /** While disabled (a counter), the load balancer does not move the calling thread. */
  migrateDisable(): Guest<void>;
  migrateEnable(): Guest<void>;
  /** The calling thread's priority (lower runs more; 1 is the default). */
  setPriority(priority: number): Guest<void>;
  /** The calling thread's real-time priority (§2.11; 0 makes it a normal thread again). */
  setRealtimePriority(realtime: number): Guest<void>;
}

/** thread::reaper (§2.13): a thread that joins and frees completed detached threads. */
interface Reaper {
  readonly thread: KThread;
  /** _mtx, guarding `zombies`. */
  readonly mutex: LockfreeMutex;
  readonly zombies: KThread[];
  /** Zombies handed over and not yet freed (the run does not stop before they are). */
  pending: number;
  freed: number;
}

/** The cli effect (one shared object), for Vcpu.tryLocal. */
const CLI_OP = cli();

export class Kernel implements WaitPort {
  /** Thread id -> the lock it waits for (noteWaitingFor). */
  private readonly waitingFor = new Map<number, HeldLock>();
  readonly cpus: SchedCpu[];
  readonly threads: KThread[] = [];
  readonly options: Readonly<KernelOptions>;
  /** reschedule's own instructions as one deferred-compute effect, or null when they cost nothing. */
  private readonly rescheduleWork: Effect | null;
  readonly clock: KernelClock;
  /** cpu::notifier::_mtx: the global mutex CPU notifiers (the clock's setup_cpu) run under. */
  readonly notifierMutex: LockfreeMutex;
  /** Threads woken and not yet on a runqueue (for the wake-delivery watchdog). */
  /**
   * Threads in status waking, in the order they became so (sched-wake-delivery names the first
   * late one). An array: a Set's delete shrinks and regrows its table at every wakeup.
   */
  private readonly wakingThreads: KThread[] = [];
  private timerIds = 0;
  private started = false;
  /** Workload threads spawned before start(), woken when every CPU has set up its clock. */
  private readonly pendingStart: KThread[] = [];
  /**
   * Observers of every context switch on a CPU (plain JS, no effects, so they change no run): RCU's
   * checker counts quiescent states with one.
   */
  readonly switchObservers: ((cpu: SchedCpu, from: KThread, to: KThread) => void)[] = [];
  /** Workload threads not yet terminated; when it drops to 0 the run ends. */
  private liveWorkloadThreads = 0;
  private reaper: Reaper | null = null;
  /** Times a pin(t, cpu) helper found t in migrate_disable and slept 1 ms before retrying. */
  pinRetries = 0;
  readonly api: ThreadApi;
  private readonly watching: boolean;

  constructor(
    readonly sim: Simulation,
    readonly machine: Machine,
    options: Partial<KernelOptions> = {},
  ) {
    this.options = { ...DEFAULT_KERNEL_OPTIONS, ...options };
    this.rescheduleWork = this.options.rescheduleNs > 0 ? deferredCompute(this.options.rescheduleNs) : null;
    this.watching = this.options.progressBoundNs > 0 || this.options.wakeDeliveryBoundNs > 0;
    // The wakeup mask is one cell of safe-integer bits (OSv: 64 bits, max_cpus = 64).
    if (machine.cpus.length > 31)
      throw new RangeError(`the scheduler model supports up to 31 CPUs, got ${machine.cpus.length}`);
    const bringup = this.options.apBringupNs;
    if (
      bringup !== null &&
      !(Number.isSafeInteger(bringup.min) && bringup.min >= 0 && bringup.min <= bringup.max)
    )
      throw new RangeError(`apBringupNs needs whole ns with 0 <= min <= max, got ${JSON.stringify(bringup)}`);
    this.clock = new KernelClock(sim, machine, {
      publishFromFirstCpu: this.has("869-clock-backwards-smp-boot"),
      checkMonotonic: this.options.checkClockMonotonic,
    });
    this.notifierMutex = new LockfreeMutex(sim, this, "cpu::notifier::_mtx");
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

  /** timer_base::set from guest code: arms `timer` in the calling CPU's list, interrupts off. */
  *setTimer(timer: Timer, timeNs: number): Guest<void> {
    const flags = yield cli();
    yield* this.cpuOf().timers.reset(timer, timeNs);
    yield irqRestore(flags);
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
    const realtime = attr.realtime ?? 0;
    if (!(Number.isSafeInteger(realtime) && realtime >= 0))
      throw new RangeError(`thread ${name}: real-time priority must be a whole number >= 0, got ${realtime}`);
    thread.realtime = realtime;
    if (attr.detached === true) {
      thread.detached = true;
      thread.detachState.value = DetachState.Detached;
    }
    if (!thread.system) this.liveWorkloadThreads++;
    this.threads.push(thread);
    thread.context = new CpuContext(name, this.threadMain(thread, body));
    return thread;
  }

  /**
   * Creates and starts a thread from outside the simulation (boot-time workloads). `first`: ahead of
   * the threads of equal runtime already queued (boot puts the balancers before the workloads).
   */
  spawn(name: string, body: ThreadBody, attr: ThreadAttr = {}, first = false): KThread {
    const thread = this.newThread(name, body, attr);
    if (thread.detached) {
      const reaper = this.newReaper();
      if (reaper !== null) this.startFromHost(reaper, false);
    }
    this.startFromHost(thread, first);
    return thread;
  }

  /**
   * start() before anything runs: waiting, then woken straight onto its CPU's runqueue (a workload
   * thread spawned before boot completes waits for it, unless workloads start with their CPU).
   */
  private startFromHost(thread: KThread, first: boolean): void {
    this.setStatus(thread, ThreadStatus.Waiting);
    if (!this.started && !thread.system && this.options.workloadsStart === "after-boot") {
      this.pendingStart.push(thread);
      return;
    }
    this.setStatus(thread, ThreadStatus.Waking);
    this.setStatus(thread, ThreadStatus.Queued);
    thread.runtime.updateAfterSleep(thread.cpu.runtime);
    if (first) thread.cpu.runqueue.insertFirstEqual(thread);
    else thread.cpu.runqueue.insertEqual(thread);
    thread.cpu.syncRunqueueSize();
  }

  /** start() from guest code: waiting, then wake(). */
  private *startThread(thread: KThread): Guest<void> {
    yield* this.storeStatus(thread, ThreadStatus.Unstarted, ThreadStatus.Waiting);
    yield* this.wake(thread);
  }

  /** thread_main: the first code a new thread runs after its first switch_to. */
  private *threadMain(thread: KThread, body: ThreadBody): Guest<unknown> {
    // Before #11's fix, a thread entered through its first switch did not destroy the pending one.
    if (!this.has("11-terminating-overwrite")) yield* this.afterSwitch(this.cpuOf());
    yield sti();
    // The template's 1, dropped by thread_main's preempt_enable (which honours a reschedule an
    // interrupt asked for meanwhile); the idle thread keeps preemption off.
    if (!thread.isIdle && this.preemptEnableHere()) yield invoke(this.schedule());
    thread.result = yield* call(body(this.api, thread));
    yield* this.complete(thread);
    return thread.result;
  }

  /** complete(): terminating, handed to the next thread on this CPU for destroy(). */
  private *complete(thread: KThread): Guest<void> {
    // The detach handshake: if detach() came first, this thread goes to the reaper; if it comes
    // later, detach() sees attached_complete and hands it over itself.
    const detach = yield compareAndSwap(
      thread.detachState,
      DetachState.Attached,
      DetachState.AttachedComplete,
    );
    if (detach === DetachState.Detached) yield* this.addZombie(thread);
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
    this.maybeStop();
  }

  /** With stopWhenDone: stop once every workload thread has terminated and every zombie is freed. */
  private maybeStop(): void {
    if (this.liveWorkloadThreads === 0 && (this.reaper?.pending ?? 0) === 0 && this.options.stopWhenDone)
      this.sim.requestStop("all workload threads finished");
  }

  /** join(): wait until destroy() marks the thread terminated (or return if destroy already ran). */
  private *joinThread(thread: KThread): Guest<void> {
    if (thread.reaped) this.sim.fail("sched.use-after-free", `join of freed thread ${thread.name}`);
    const me = this.current();
    const claimed = yield compareAndSwap(thread.joiner, 0, me.id);
    if (claimed !== 0) return; // destroy() already ran
    yield* this.waitUntil(cellEquals(thread.status, ThreadStatus.Terminated));
  }

  // ---- detach and the reaper (§2.13) -------------------------------------------------------------

  /** thread::detach(): whoever of detach() and complete() comes second hands the thread to the reaper. */
  *detach(thread: KThread): Guest<void> {
    if (thread.reaped) this.sim.fail("sched.use-after-free", `detach of freed thread ${thread.name}`);
    const reaper = this.newReaper();
    if (reaper !== null) yield* this.startThread(reaper);
    thread.detached = true;
    const before = yield compareAndSwap(thread.detachState, DetachState.Attached, DetachState.Detached);
    if (before === DetachState.AttachedComplete) yield* this.addZombie(thread);
  }

  /** Creates the reaper thread the first time a thread is detached; answers it, to be started. */
  private newReaper(): KThread | null {
    if (this.reaper !== null) return null;
    const thread = this.newThread("reaper", () => this.reaperMain(), { cpu: 0, system: true });
    const mutex = new LockfreeMutex(this.sim, this, "reaper._mtx");
    this.reaper = { thread, mutex, zombies: [], pending: 0, freed: 0 };
    return thread;
  }

  /** reaper::add_zombie: queue a completed detached thread under the reaper's mutex and wake it. */
  private *addZombie(zombie: KThread): Guest<void> {
    const reaper = this.reaper;
    if (reaper === null || !zombie.detached)
      this.sim.fail("sched.reaper", `${zombie.name} handed to the reaper without being detached`);
    yield* reaper.mutex.lock();
    this.sim.assert(
      reaper.zombies.length < this.options.maxThreads,
      "sched.reaper",
      "the zombie list outgrew the thread limit",
    );
    reaper.zombies.push(zombie);
    reaper.pending++;
    yield* this.wake(reaper.thread);
    yield* reaper.mutex.unlock();
  }

  /** reaper::reap: waits for zombies, joins each (destroy() may still be on its way) and frees it. */
  private *reaperMain(): Guest<void> {
    const reaper = this.reaper!;
    for (;;) {
      yield* reaper.mutex.lock();
      yield* this.waitUntilLocked(reaper.mutex, () => hostCondition(reaper.zombies.length > 0));
      while (reaper.zombies.length > 0) {
        const zombie = reaper.zombies.shift()!;
        yield* this.joinThread(zombie);
        zombie.reaped = true;
        reaper.pending--;
        reaper.freed++;
      }
      yield* reaper.mutex.unlock();
      this.maybeStop();
    }
  }

  /** Detached threads the reaper has freed so far. */
  get reapedThreads(): number {
    return this.reaper?.freed ?? 0;
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
      if (!this.wakingThreads.includes(thread)) this.wakingThreads.push(thread);
    } else if (from === ThreadStatus.Waking) {
      const at = this.wakingThreads.indexOf(thread);
      if (at >= 0) removeAt(this.wakingThreads, at);
    }
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

  /** WaitPort.noteWaitingFor: which lock each thread waits for (host-side, for deadlock reports). */
  noteWaitingFor(thread: KernelThread, lock: HeldLock | null): void {
    if (lock === null) this.waitingFor.delete(thread.id);
    else this.waitingFor.set(thread.id, lock);
  }

  /**
   * kernel-deadlock: a cycle in the wait-for graph (a thread waits for a lock held by a thread that
   * waits, ..., for a lock it holds), printed as the chain; or null.
   */
  waitForCycle(): string | null {
    for (const start of this.waitingFor.keys()) {
      const path: number[] = [];
      const seen = new Set<number>();
      for (let id = start; this.waitingFor.has(id) && !seen.has(id); ) {
        seen.add(id);
        path.push(id);
        id = this.waitingFor.get(id)!.holder();
        if (id === start) {
          const links = path.map((t) => {
            const lock = this.waitingFor.get(t)!;
            return `${this.threads[t - 1]!.name} waits for ${lock.name}, held by ${this.threads[lock.holder() - 1]!.name}`;
          });
          return `wait-for cycle: ${links.join("; ")}`;
        }
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
    const old = yield this.statusStore(thread, from, to);
    this.statusStored(thread, from, to, old);
  }

  // storeStatus in two halves, for hot paths that inline it (a generator call allocates): the
  // effect, checked against the transition table, and the bookkeeping once it answers `old`.
  private statusStore(thread: KThread, from: number, to: number): Effect {
    const problem = checkTransition(from, to);
    if (problem !== null) this.sim.fail("sched.status-transition", `${thread.name}: ${problem}`);
    const made = thread.statusExchanges[to];
    if (made !== undefined) return made;
    const effect = exchange(thread.status, to);
    thread.statusExchanges[to] = effect;
    return effect;
  }

  private statusStored(thread: KThread, from: number, to: number, old: number): void {
    this.statusChanged(thread, from, to);
    if (old !== from)
      this.sim.fail(
        "sched.status-transition",
        `${thread.name}: expected ${THREAD_STATUS_NAMES[from]} before ${THREAD_STATUS_NAMES[to]}, found ${THREAD_STATUS_NAMES[old] ?? old}`,
      );
  }

  // ---- where am I --------------------------------------------------------------------------------

  /** The scheduler CPU whose vCPU runs the calling guest code. */
  cpuOf(): SchedCpu {
    const runner = this.sim.currentRunner;
    // A vCPU's index is its scheduler CPU's.
    const cpu = runner === null ? undefined : this.cpus[(runner as Vcpu).index];
    if (cpu === undefined || cpu.vcpu !== runner) throw new Error("kernel code running outside a vCPU");
    return cpu;
  }

  current(): KThread {
    return this.cpuOf().current;
  }

  cpuAt(index: number): SchedCpu {
    const cpu = this.cpus[index];
    if (cpu === undefined) throw new RangeError(`no cpu ${index} (the machine has ${this.cpus.length})`);
    return cpu;
  }

  // ---- preemption control (§2.6) -----------------------------------------------------------------

  *preemptDisable(): Guest<void> {
    this.preemptDisableHere();
  }

  *preemptEnable(): Guest<void> {
    if (this.preemptEnableHere()) yield invoke(this.schedule());
  }

  // The two halves without a generator, for the scheduler's own hot paths (a generator call
  // allocates even when it yields nothing).
  private preemptDisableHere(): void {
    this.current().preemptCounter++;
  }

  /** preempt_enable's counter work; answers whether it must now schedule(). */
  private preemptEnableHere(): boolean {
    const cpu = this.cpuOf();
    const thread = cpu.current;
    thread.preemptCounter--;
    if (thread.preemptCounter < 0)
      this.sim.fail("sched.preempt-counter", `${thread.name}: preempt_enable without disable`);
    return thread.preemptCounter === 0 && cpu.needReschedule && cpu.vcpu.interruptsEnabled;
  }

  /** cpu::schedule(): reschedule with interrupts off, on the CPU found inside the irq lock (#178). */
  schedule(): Guest<void> {
    // The variant's choice made here, outside the generator: its frame then needs no delegation.
    return this.has("178-reschedule-wrong-cpu") ? this.scheduleBefore_178() : this.scheduleFixed();
  }

  /** cpu::schedule() since ee92f736 (#178). */
  private *scheduleFixed(): Guest<void> {
    // cli and irq_restore called directly where the vCPU allows (Vcpu.tryLocal): every switch runs this.
    let flags = this.cpuOf().vcpu.tryLocal(CLI_OP);
    if (flags === NOT_LOCAL) flags = yield cli();
    yield invoke(this.reschedule(this.cpuOf(), false));
    const restore = irqRestore(flags);
    if (this.cpuOf().vcpu.tryLocal(restore) === NOT_LOCAL) yield restore;
  }

  /**
   * schedule() before ee92f736: the caller reads its current_cpu, then disables interrupts. A
   * preemption in between, and a migration while preempted, resume it on another CPU, where it runs
   * the old CPU's reschedule (its runqueue, its preemption timer) — from the wrong vCPU.
   */
  private *scheduleBefore_178(): Guest<void> {
    const index = yield load(this.current().currentCpuTls);
    const cpu = this.cpus[index]!;
    const flags = yield cli();
    yield* this.reschedule(cpu, false);
    yield irqRestore(flags);
  }

  /** sched::preempt(), run at the end of every interrupt handler. */
  *preempt(cpu: SchedCpu): Guest<void> {
    if (cpu.current.preemptCounter === 0) yield invoke(this.reschedule(cpu, false));
    else cpu.needReschedule = true;
  }

  // ---- reschedule_from_interrupt (§2.5) ----------------------------------------------------------

  *reschedule(cpu: SchedCpu, fromYield: boolean, preemptAfterNs = THYST_NS): Guest<void> {
    // The generator holds only the steps with effects; the arithmetic between them is in plain
    // methods (every local of a generator lives in its frame, allocated at each of these calls).
    this.rescheduleEntry(cpu);
    // The scheduler's own instructions (runtime math, tree operations, tracing, FPU state): CPU time
    // paid before the mask's exchange below, with nothing another CPU can see in between.
    if (this.rescheduleWork !== null) yield this.rescheduleWork;
    // handle_incoming_wakeups, written out: this runs at every switch (a generator call allocates).
    const sources = yield cpu.maskClear;
    if (sources !== 0) yield* this.drainSources(cpu, sources);
    if (this.watching) this.checkWatchdogs(cpu);
    // uptime(), written out (a generator call fewer at every switch; see KernelClock.uptime).
    const smpInit = yield this.clock.smpInitLoadEffect;
    let now = this.clock.uptimeLocal(cpu.index, smpInit);
    if (now === UPTIME_NOT_LOCAL) now = yield* this.clock.uptimeRest(cpu.index);
    // The interval ends here, before p's status is read (running_since moves on at once, as in OSv).
    const interval = this.takeInterval(cpu, now);
    const p = cpu.current;
    const pStatus = yield p.statusLoad;
    // SWITCH unless p still runs and keeps the CPU.
    const keep = this.accountOutgoing(cpu, p, pStatus, interval, fromYield);
    if (keep !== SWITCH) {
      if (keep > 0) yield* cpu.timers.arm(cpu.preemptionTimer, now + keep);
      return;
    }
    p.runtime.hysteresisRunStop(cpu.runtime);
    const pQueued = pStatus === ThreadStatus.Running;
    if (pQueued) {
      const old = yield this.statusStore(p, ThreadStatus.Running, ThreadStatus.Queued);
      this.requeuePreempted(cpu, p, fromYield, old);
    }
    const n = this.takeNext(cpu, p, fromYield);
    const nOld = yield this.statusStore(n, ThreadStatus.Queued, ThreadStatus.Running);
    const armAt = this.switchingIn(cpu, p, n, nOld, pQueued, fromYield, now, preemptAfterNs);
    if (armAt !== NO_ARM) yield* cpu.timers.arm(cpu.preemptionTimer, armAt);
    this.switched(cpu, p, n);
    yield switchTo(n.context!);
    // Back in p's context, possibly much later and (after migration) on another CPU.
    const here = this.cpuOf();
    if (here.terminatingThread !== null) yield* this.afterSwitch(here);
  }

  /** reschedule's entry checks: on its own vCPU (#178), with interrupts off. */
  private rescheduleEntry(cpu: SchedCpu): void {
    // cpu::schedule() is static since #178 (ee92f736): one CPU's scheduler never runs on another.
    if (cpu.vcpu !== this.sim.currentRunner)
      this.sim.fail(
        "sched.wrong-cpu",
        `cpu${cpu.index}'s reschedule runs on ${this.sim.currentRunner?.name ?? "no vCPU"}`,
      );
    this.sim.assert(
      !cpu.vcpu.interruptsEnabled,
      "sched.reschedule-irq",
      "reschedule with interrupts enabled",
    );
    cpu.needReschedule = false;
  }

  /** The running interval that ends at uptime `now` (at least the context-switch penalty). */
  private takeInterval(cpu: SchedCpu, now: number): number {
    const interval = now - cpu.runningSinceNs;
    cpu.runningSinceNs = now;
    return interval <= 0 ? CONTEXT_SWITCH_PENALTY_NS : interval;
  }

  /**
   * Steps 1-3 of reschedule for the outgoing p (status `pStatus`) after a running `interval`: its
   * runtime accounting and, for a still-running p, keepsRunning's answer (SWITCH otherwise).
   */
  private accountOutgoing(
    cpu: SchedCpu,
    p: KThread,
    pStatus: number,
    interval: number,
    fromYield: boolean,
  ): number {
    if (pStatus === ThreadStatus.Queued)
      this.sim.fail("sched.running-not-queued", `${p.name} is current but queued`);
    if (cpu.runqueue.has(p))
      this.sim.fail("sched.running-not-queued", `running thread ${p.name} is in the runqueue`);
    p.stats.totalCpuNs += interval;
    const renormalizations = cpu.runtime.renormalizeCount;
    p.runtime.ranFor(cpu.runtime, interval, cpu.queuedRuntimes);
    if (Number.isNaN(p.runtime.rtt)) this.sim.fail("sched.runtime-nan", `${p.name}'s runtime became NaN`);
    // Renormalization rescales every queued runtime alike (the order holds); nothing else may change them.
    if (cpu.runtime.renormalizeCount !== renormalizations) cpu.runqueue.rescaled();
    return pStatus === ThreadStatus.Running ? this.keepsRunning(cpu, p, fromYield) : SWITCH;
  }

  /** A preempted or yielding p after its running -> queued store saw `old`. */
  private requeuePreempted(cpu: SchedCpu, p: KThread, fromYield: boolean, old: number): void {
    this.statusStored(p, ThreadStatus.Running, ThreadStatus.Queued, old);
    if (!fromYield) {
      // Back in front of its equals: the POSIX rule for a preempted real-time thread.
      cpu.runqueue.insertFirstEqual(p);
      p.stats.preemptions++;
    }
  }

  /** Step 4: takes the runqueue's head n (a yielding p goes behind its equals). */
  private takeNext(cpu: SchedCpu, p: KThread, fromYield: boolean): KThread {
    const n = cpu.runqueue.begin();
    cpu.runqueue.erase(n);
    if (fromYield) cpu.runqueue.insertEqual(p);
    cpu.syncRunqueueSize();
    return n;
  }

  /**
   * Step 5 up to the preemption timer, after n's queued -> running store saw `nOld`: n's runtime,
   * the checks, the context-switch penalty. Answers when to arm the preemption timer, or NO_ARM.
   */
  private switchingIn(
    cpu: SchedCpu,
    p: KThread,
    n: KThread,
    nOld: number,
    pQueued: boolean,
    fromYield: boolean,
    now: number,
    preemptAfterNs: number,
  ): number {
    this.statusStored(n, ThreadStatus.Queued, ThreadStatus.Running, nOld);
    n.runtime.hysteresisRunStart(cpu.runtime, !this.has("cec13e02-idle-nan"));
    if (Number.isNaN(n.runtime.rtt)) this.sim.fail("sched.runtime-nan", `${n.name}'s runtime became NaN`);
    this.sim.assert(n !== p, "sched.switch-to-self", `${p.name} switched to itself`);
    this.checkPlacement(n, cpu);
    if (pQueued && p !== cpu.idle) n.runtime.addContextSwitchPenalty(cpu.runtime);
    cpu.timers.cancel(cpu.preemptionTimer);
    // Real-time threads get no preemption timer (SCHED_FIFO; OSv has no time slices).
    if (n.realtime !== 0) return NO_ARM;
    if (fromYield) return now + preemptAfterNs;
    if (cpu.runqueue.size > 0) {
      const delta = n.runtime.timeUntil(cpu.runtime, cpu.runqueue.begin().runtime.rtt);
      if (delta > 0) return now + delta;
    }
    return NO_ARM;
  }

  /** The switch's bookkeeping just before switch_to: n's count, the observers, cpu.current. */
  private switched(cpu: SchedCpu, p: KThread, n: KThread): void {
    n.stats.switches++;
    for (const observe of this.switchObservers) observe(cpu, p, n);
    cpu.current = n;
  }

  /**
   * Step 3 of reschedule_from_interrupt for a still-running p: whether p keeps the CPU. Answers
   * SWITCH, or that it keeps it: 0, or for a normal p that is still ahead the preemption timer's new
   * delay (> 0), which the caller arms (the decision itself has no effects, so it is no generator).
   * Real-time rules of §2.11: an RT thread yields only to a higher RT thread (or, from yield(), to an
   * equal one); RT beats every normal thread.
   */
  private keepsRunning(cpu: SchedCpu, p: KThread, fromYield: boolean): number {
    if (cpu.runqueue.size === 0) {
      cpu.timers.cancel(cpu.preemptionTimer);
      return 0;
    }
    const head = cpu.runqueue.begin();
    if (fromYield) return head.isIdle || (p.realtime > 0 && head.realtime < p.realtime) ? 0 : SWITCH;
    if (p.realtime > 0) return head.realtime <= p.realtime ? 0 : SWITCH;
    if (head.realtime === 0 && p.runtime.rtt < head.runtime.rtt) {
      cpu.timers.cancel(cpu.preemptionTimer);
      return Math.max(0, p.runtime.timeUntil(cpu.runtime, head.runtime.rtt));
    }
    return SWITCH;
  }

  /** A thread runs only on its home CPU, and a pinned one only where it was pinned. */
  private checkPlacement(thread: KThread, cpu: SchedCpu): void {
    if (thread.cpu !== cpu)
      this.sim.fail(
        "sched.home-cpu",
        `${thread.name} (home cpu${thread.cpu.index}) switched in on cpu${cpu.index}`,
      );
    if (!(!thread.pinned || thread.pinnedCpu === cpu))
      this.sim.fail(
        "sched.pinned-elsewhere",
        `${thread.name}, pinned to cpu${thread.pinnedCpu?.index}, switched in on cpu${cpu.index}`,
      );
  }

  /**
   * handle_incoming_wakeups (§2.7): fetch_clear the mask (with interrupts in whatever state the
   * caller has: the idle loop polls with them on), then drain each flagged source queue under its own
   * irq_save lock, as OSv does; an empty mask costs one exchange and nothing else.
   */
  private *handleIncomingWakeups(cpu: SchedCpu): Guest<void> {
    const sources = yield cpu.maskClear;
    if (sources !== 0) yield* this.drainSources(cpu, sources);
  }

  /** The rest of handle_incoming_wakeups, once the fetch_clear found `sources` (non-zero). */
  private *drainSources(cpu: SchedCpu, sources: number): Guest<void> {
    for (let source = 0; source < cpu.incoming.length; source++) {
      if ((sources & (1 << source)) === 0) continue;
      const queue = cpu.incoming[source]!;
      let flags = cpu.vcpu.tryLocal(CLI_OP);
      if (flags === NOT_LOCAL) flags = yield cli();
      // The source's queue, drained here (one generator call fewer at every wakeup).
      while (queue.length > 0) {
        const thread = queue.shift()!;
        if (thread === cpu.current && !this.has("e60ebaf3-queued-runtime")) {
          const old = yield this.statusStore(thread, ThreadStatus.Waking, ThreadStatus.Running);
          this.statusStored(thread, ThreadStatus.Waking, ThreadStatus.Running, old);
        } else if (thread.cpu !== cpu && !this.has("0a4b84bd-stale-wakeup")) {
          // A stale entry after the thread moved (fix 0a4b84bd): ignore it.
        } else {
          const old = yield this.statusStore(thread, ThreadStatus.Waking, ThreadStatus.Queued);
          this.statusStored(thread, ThreadStatus.Waking, ThreadStatus.Queued, old);
          thread.runtime.updateAfterSleep(cpu.runtime);
          this.checkNotQueuedAnywhere(thread);
          cpu.runqueue.insertEqual(thread);
          if (thread.timersNeedReload) yield* this.resumeTimers(thread, cpu);
        }
      }
      const restore = irqRestore(flags);
      if (cpu.vcpu.tryLocal(restore) === NOT_LOCAL) yield restore;
    }
    cpu.syncRunqueueSize();
  }

  /** A thread about to be queued is in no runqueue and current on no CPU. */
  private checkNotQueuedAnywhere(thread: KThread): void {
    for (const c of this.cpus) {
      if (c.runqueue.has(thread) || c.current === thread)
        this.sim.fail(
          "sched.one-runqueue",
          `woken thread ${thread.name} is already queued or running somewhere`,
        );
    }
  }

  // ---- wait / wake (§2.7) ------------------------------------------------------------------------

  *waitUntil(predicate: () => Guest<boolean>): Guest<void> {
    const thread = this.current();
    if (!this.cpuOf().vcpu.interruptsEnabled)
      this.sim.fail("sched.wait-irq", `${thread.name} waits with interrupts off`);
    if (thread.preemptCounter !== 0)
      this.sim.fail("sched.wait-preempt", `${thread.name} waits with preemption off`);
    yield invoke(this.waitUntilLocked(null, predicate));
  }

  /**
   * stop_wait: waiting -> running, or let a concurrent wake finish first. In two halves, so the common
   * case (the CAS succeeds) costs no generator: the CAS effect, then stopWaitAfter with what it saw.
   */
  private stopWaitCas(thread: KThread): Effect {
    if (thread.stopWaitEffect === null)
      thread.stopWaitEffect = compareAndSwap(thread.status, ThreadStatus.Waiting, ThreadStatus.Running);
    return thread.stopWaitEffect;
  }

  /**
   * The rest of stop_wait once its CAS saw `seen` (not waiting: a wake is in progress) and the load
   * after it found `status` (not running; the caller makes that first load, so the common case, a
   * wake that already finished, costs no generator): schedule while waking or sending_lock.
   */
  private *stopWaitAfter(thread: KThread, seen: number, status: number): Guest<void> {
    for (let rounds = 1; status !== ThreadStatus.Running; rounds++) {
      if (!(status === ThreadStatus.Waking || status === ThreadStatus.SendingLock))
        this.sim.fail("sched.stop-wait", `${thread.name}: stop_wait found ${THREAD_STATUS_NAMES[status]}`);
      yield* this.schedule();
      if (rounds >= 100_000)
        this.sim.fail("sched.stop-wait", `${thread.name}: status stuck at ${THREAD_STATUS_NAMES[seen]}`);
      status = yield thread.statusLoad;
    }
  }

  /**
   * wait_until(pred) and wait_until(mutex, pred): status waiting, then the predicate; with a mutex,
   * the predicate is checked with it held, and it is dropped while asleep and taken again before the
   * next check.
   */
  private *waitUntilLocked(mutex: LockfreeMutex | null, predicate: () => Guest<boolean>): Guest<void> {
    const thread = this.current();
    for (let rounds = 0; ; rounds++) {
      if (rounds >= 1_000_000)
        this.sim.fail("sched.wait-rounds", `${thread.name}: a million spurious wakeups`);
      this.preemptDisableHere();
      const old = yield this.statusStore(thread, ThreadStatus.Running, ThreadStatus.Waiting);
      this.statusStored(thread, ThreadStatus.Running, ThreadStatus.Waiting, old);
      // A cell-equals predicate is one load, checked here without a generator (sim/effects.ts).
      const quick = predicate as Partial<CellEquals>;
      const holds = quick.cell !== undefined ? (yield load(quick.cell)) === quick.value : yield* predicate();
      if (!holds) {
        if (mutex !== null) yield* mutex.unlock();
        yield invoke(this.schedule());
      }
      // stop_wait, after the predicate held or after sleeping.
      const seen = yield this.stopWaitCas(thread);
      thread.preemptCounter--;
      if (seen !== ThreadStatus.Waiting) {
        const status = yield thread.statusLoad;
        if (status !== ThreadStatus.Running) yield* this.stopWaitAfter(thread, seen, status);
      }
      if (holds) return;
      if (mutex !== null) yield* mutex.lock();
    }
  }

  *wake(target: KernelThread): Guest<void> {
    yield invoke(this.wakeImpl(target, false));
  }

  /** wake_with_from_mutex: a thread in sending_lock may be woken too (the mutex hands it the lock). */
  *wakeFromMutex(target: KernelThread): Guest<void> {
    yield* this.wakeImpl(target, true);
  }

  /** wake_impl: CAS the status to waking from an allowed state (waiting, or sending_lock). */
  private *wakeImpl(target: KernelThread, fromMutex: boolean): Guest<void> {
    const thread = this.threads[target.id - 1];
    if (thread === undefined) throw new Error(`wake: no thread ${target.id}`);
    if (thread.reaped) this.sim.fail("sched.use-after-free", `wake of freed thread ${thread.name}`);
    // wake() runs under rcu_read_lock: preemption is off from the compare-and-swap on.
    this.preemptDisableHere();
    let expected: number = ThreadStatus.Waiting;
    for (let rounds = 0; ; rounds++) {
      if (rounds >= 100_000) this.sim.fail("sched.wake-rounds", `${thread.name}: wake_impl looped`);
      const seen = yield compareAndSwap(thread.status, expected, ThreadStatus.Waking);
      if (seen === expected) break;
      // Not in an allowed state: the wake is discarded.
      if (!(fromMutex && (seen === ThreadStatus.Waiting || seen === ThreadStatus.SendingLock))) {
        if (this.preemptEnableHere()) yield invoke(this.schedule());
        return;
      }
      expected = seen;
    }
    this.statusChanged(thread, expected, ThreadStatus.Waking);
    // As OSv: irq_save, then the home CPU is loaded. pin(t, cpu) may move a waking thread; a waker
    // stalled between its compare-and-swap and this load sees the new home and queues t twice there
    // (scenarios/bugs/pin-wake-double-queue.yaml).
    let flags = this.cpuOf().vcpu.tryLocal(CLI_OP);
    if (flags === NOT_LOCAL) flags = yield cli();
    const target_ = this.cpus[yield load(thread.homeCpu)]!;
    const me = this.cpuOf();
    target_.incoming[me.index]!.push(thread);
    const bit = 1 << me.index;
    // fetch_or on the mask and send_wakeup_ipi, written out (this runs at every wakeup).
    const mask = target_.mask;
    let before: number;
    for (;;) {
      before = yield load(mask);
      if ((yield compareAndSwap(mask, before, before | bit)) === before) break;
    }
    if ((before & bit) === 0) {
      if (target_ !== me) {
        yield fence();
        const polling = yield load(target_.idlePoll);
        const queued = yield load(target_.runqueueSize);
        if (polling === 0 && queued <= 1) yield sendIpi(target_.index, WAKEUP_IPI_VECTOR);
      } else me.needReschedule = true;
    }
    const restore = irqRestore(flags);
    if (me.vcpu.tryLocal(restore) === NOT_LOCAL) yield restore;
    if (this.preemptEnableHere()) yield invoke(this.schedule());
  }

  /** WaitPort.clockNow: deadlines are uptime. */
  clockNow(): Guest<number> {
    return this.uptimeHere();
  }

  /** wait_until with a sched::timer: the predicate is `timer.expired() || predicate()`. */
  *waitUntilDeadline(predicate: () => Guest<boolean>, deadlineNs: number): Guest<boolean> {
    const thread = this.current();
    thread.waitTimer ??= this.newTimer(thread, `${thread.name}.wait`);
    const timer = thread.waitTimer;
    let flags = yield cli();
    yield* this.cpuOf().timers.reset(timer, deadlineNs);
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

  /** fetch_or as OSv's atomic loop (wakeImpl writes it out, with sendWakeupIpi: keep them in step). */
  private *fetchOr(cell: Cell, bits: number): Guest<number> {
    for (;;) {
      const old = yield load(cell);
      if ((yield compareAndSwap(cell, old, old | bits)) === old) return old;
    }
  }

  /**
   * send_wakeup_ipi: only when the target is not polling and has at most one runnable thread
   * (written out in wakeImpl too, the hot path; keep the two in step).
   */
  private *sendWakeupIpi(target: SchedCpu): Guest<void> {
    yield fence();
    const polling = yield load(target.idlePoll);
    const queued = yield load(target.runqueueSize);
    if (polling === 0 && queued <= 1) yield sendIpi(target.index, WAKEUP_IPI_VECTOR);
  }

  // ---- idle (§2.8) -------------------------------------------------------------------------------

  /** The idle thread: do_idle, then schedule(), forever. */
  private *idleMain(cpu: SchedCpu): Guest<void> {
    for (;;) {
      // do_idle, written out (a generator fewer per idle period): it ends when the runqueue fills.
      idle: for (;;) {
        yield cpu.idlePollOn;
        // The poll loop: idlePollNs of work, then handle_incoming_wakeups' fetch_clear, until the
        // runqueue fills or the polls run out. pollExchange runs the loop's quiet stretches as one wait.
        for (let left = this.options.idlePolls; left > 0; ) {
          // The loop checks the runqueue after every poll: with threads already queued (boot queues
          // them without the mask), the next poll is the last.
          const polls = cpu.runqueue.size > 0 ? 1 : left;
          const sources = yield pollExchange(cpu.mask, this.options.idlePollNs, polls);
          left -= cpu.vcpu.lastPollCount;
          if (sources !== 0) yield* this.drainSources(cpu, sources);
          if (cpu.runqueue.size > 0) {
            yield cpu.idlePollOff;
            break idle;
          }
        }
        yield cpu.idlePollOff;
        yield fence();
        yield cli();
        yield* this.handleIncomingWakeups(cpu);
        if (cpu.runqueue.size > 0) {
          yield sti();
          break;
        }
        yield stiHlt();
        yield* this.handleIncomingWakeups(cpu);
        if (cpu.runqueue.size > 0) break;
      }
      yield invoke(this.schedule());
    }
  }

  // ---- load balancer (§2.9) ------------------------------------------------------------------------

  /**
   * The balancerN thread (cpu::load_balance): first the CPU notifiers (notifier::fire, under the
   * global notifier mutex: the clock's setup_cpu), then every 100 ms, move one thread to the least
   * loaded CPU if worth it.
   */
  private *balancerMain(cpu: SchedCpu): Guest<void> {
    yield* this.notifierMutex.lock();
    const last = yield* this.clock.setupCpu(cpu.index);
    yield* this.notifierMutex.unlock();
    // Boot is complete: the application's threads start (thread::start is a wake).
    if (last) for (const thread of this.pendingStart.splice(0)) yield* this.wake(thread);
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
    const thread = cpu.runqueue.fromBack().find((t) => t.migrationLockCounter === 0);
    if (thread === undefined) return;
    cpu.runqueue.erase(thread);
    cpu.syncRunqueueSize();
    // Not waiting, so no wake() races this store (OSv's own reasoning).
    yield* this.storeStatus(thread, ThreadStatus.Queued, ThreadStatus.Waking);
    this.moveThread(thread, cpu, target);
    target.incoming[cpu.index]!.push(thread);
    const bit = 1 << cpu.index;
    const before = yield* this.fetchOr(target.mask, bit);
    if ((before & bit) === 0) yield* this.sendWakeupIpi(target);
  }

  // ---- migration and pinning (§2.10) --------------------------------------------------------------

  /**
   * Moves an off-CPU thread's home from `from` to `to` (interrupts off, on `from`): its armed timers
   * leave `from`'s list, its runtime takes the global form, its thread-local current_cpu is rewritten.
   */
  private moveThread(thread: KThread, from: SchedCpu, to: SchedCpu): void {
    thread.stats.migrations++;
    this.suspendTimers(thread, from);
    thread.runtime.exportRuntime(from.runtime);
    this.setHomeCpu(thread, to);
  }

  private setHomeCpu(thread: KThread, cpu: SchedCpu): void {
    thread.cpu = cpu;
    thread.homeCpu.value = cpu.index;
    // remote_thread_local_var(current_cpu): written while the thread is off-CPU (or by itself).
    thread.currentCpuTls.value = cpu.index;
  }

  /** suspend_timers (interrupts off, on the CPU the thread leaves). */
  private suspendTimers(thread: KThread, cpu: SchedCpu): void {
    if (thread.timersNeedReload) return;
    thread.timersNeedReload = true;
    cpu.timers.suspend(thread.activeTimers);
  }

  /** resume_timers (interrupts off, on the thread's new CPU, as it is queued there). */
  private *resumeTimers(thread: KThread, cpu: SchedCpu): Guest<void> {
    if (!thread.timersNeedReload) return;
    thread.timersNeedReload = false;
    yield* cpu.timers.resume(thread.activeTimers);
  }

  /** thread::pin(cpu) for the calling thread: returns running on `target`, pinned there. */
  *pinSelf(target: SchedCpu): Guest<void> {
    const t = this.current();
    if (!t.pinned) {
      // migrate_disable(): pinning holds a permanent +1.
      t.migrationLockCounter++;
      t.pinned = true;
    }
    const source = this.cpuOf();
    t.pinnedCpu = source;
    if (source === target) return;
    // t cannot wake itself on the target while it still runs here, so a helper pinned to this CPU
    // ("wakeme") does it once t has switched out. Both run only on this CPU: `release` is plain data.
    let release = false;
    const wakeme = this.newThread(
      `${t.name}.wakeme`,
      function* (api): Guest<void> {
        yield* api.waitUntil(function* () {
          return release;
        });
        yield* api.wake(t);
      },
      { cpu: source.index, pinned: true },
    );
    yield* this.startThread(wakeme);
    const flags = yield cli();
    if (this.cpuOf() !== source)
      this.sim.fail("sched.wrong-cpu", `${t.name} left cpu${source.index} while pinned`);
    this.moveThread(t, source, target);
    t.pinnedCpu = target;
    // update_after_sleep against the target's normalizer, read from here as OSv does (a racy read).
    t.runtime.updateAfterSleep(target.runtime);
    yield* this.storeStatus(t, ThreadStatus.Running, ThreadStatus.Waiting);
    // wake_with: make the helper's predicate true, then wake it. It is on this CPU and interrupts are
    // off, so it runs only after this thread has switched out.
    release = true;
    yield* this.wake(wakeme);
    yield* this.reschedule(source, false);
    yield irqRestore(flags);
    // Running on the target now; the helper is joined (OSv: its unique_ptr<thread> goes away).
    yield* this.joinThread(wakeme);
  }

  /**
   * thread::pin(t, cpu) for another thread: a helper started on t's CPU follows t until they share
   * a CPU, then, with interrupts off (t is off-CPU and belongs to this CPU), re-pins it and moves it.
   */
  *pinOther(t: KThread, target: SchedCpu): Guest<void> {
    if (t === this.current()) return yield* this.pinSelf(target);
    if (t.reaped) this.sim.fail("sched.use-after-free", `pin of freed thread ${t.name}`);
    const helper = this.newThread(`${t.name}.pinner`, () => this.pinHelper(t, target), {
      cpu: t.cpu.index,
      pinned: true,
    });
    yield* this.startThread(helper);
    yield* this.joinThread(helper);
  }

  private *pinHelper(t: KThread, target: SchedCpu): Guest<void> {
    let flags = yield cli();
    // t's home is written by whichever CPU last moved t: a racy load, as in OSv.
    for (let moves = 0; ; moves++) {
      const home = this.cpus[yield load(t.homeCpu)]!;
      if (home === this.cpuOf()) break;
      if (moves >= 1000) this.sim.fail("sched.pin-chase", `${t.name} outran its pin helper 1000 times`);
      yield irqRestore(flags);
      yield* this.pinSelf(home);
      flags = yield cli();
    }
    // On t's home with interrupts off: nothing moves t now (the balancer here cannot run).
    const here = this.cpuOf();
    // An earlier pin explains one count; drop it so that only temporary locks remain.
    if (t.pinned) t.migrationLockCounter--;
    if (here === target) {
      t.migrationLockCounter++;
      t.pinned = true;
      t.pinnedCpu = target;
      yield irqRestore(flags);
      return;
    }
    // t holds a temporary migration lock: hold one more (t stays here), sleep 1 ms, retry.
    for (let retries = 0; t.migrationLockCounter > 0; retries++) {
      if (retries >= 100_000) this.sim.fail("sched.pin-retry", `${t.name} never left migrate_disable`);
      t.migrationLockCounter++;
      this.pinRetries++;
      yield irqRestore(flags);
      yield* this.api.sleep(PIN_RETRY_NS);
      flags = yield cli();
      t.migrationLockCounter--;
    }
    t.migrationLockCounter = 1;
    t.pinned = true;
    t.pinnedCpu = target;
    yield* this.pinMove(t, here, target);
    yield irqRestore(flags);
  }

  /**
   * pin(t, cpu)'s move proper. A waiting t is first marked waking, so that a racing wake() cannot
   * wake it on the old CPU with stale fields; t is then really woken on the target (perhaps
   * spuriously). A stale wakeup left in this CPU's queues is ignored there (fix 0a4b84bd).
   */
  private *pinMove(t: KThread, here: SchedCpu, target: SchedCpu): Guest<void> {
    if ((yield load(t.status)) === ThreadStatus.Waiting) {
      const old = yield exchange(t.status, ThreadStatus.Waking);
      this.statusChanged(t, old, ThreadStatus.Waking);
      // A racing wake() may have stored waking first: storing it again is harmless.
      if (!(old === ThreadStatus.Waiting || old === ThreadStatus.Waking))
        this.sim.fail(
          "sched.status-transition",
          `${t.name}: pin stored waking over ${THREAD_STATUS_NAMES[old] ?? old}`,
        );
    }
    const status = yield load(t.status);
    if (status === ThreadStatus.Queued) {
      // OSv unlinks t from this CPU's intrusive runqueue list: if t is not on it, that corrupts the
      // list (reachable when several threads pin and unpin one thread concurrently).
      if (!here.runqueue.has(t))
        this.sim.fail(
          "sched.runqueue-unlink",
          `${t.name} is queued but not on cpu${here.index}'s runqueue, which pin(t, cpu) unlinks it from`,
        );
      here.runqueue.erase(t);
      here.syncRunqueueSize();
      this.moveThread(t, here, target);
      yield* this.storeStatus(t, ThreadStatus.Queued, ThreadStatus.Waiting);
      yield* this.wake(t);
    } else if (
      status === ThreadStatus.Waking ||
      status === ThreadStatus.SendingLock ||
      status === ThreadStatus.Prestarted
    ) {
      this.moveThread(t, here, target);
      if ((yield load(t.status)) === ThreadStatus.Waking) {
        yield* this.storeStatus(t, ThreadStatus.Waking, ThreadStatus.Waiting);
        yield* this.wake(t);
      }
    }
    // Any other status (terminating, terminated): t cannot be moved.
  }

  /**
   * thread::unpin() of `thread` (the calling thread when omitted): the permanent migration lock goes.
   * The calling thread drops it at once. Another thread t is unpinned, as OSv does, by a helper
   * started on t's CPU that follows t there (pinning itself to t's CPU while t moves) and drops the
   * lock with preemption off; the caller joins it. As in OSv this does not exclude a concurrent
   * pin(t, cpu) that is sleeping out t's migrate_disable with its own count dropped and t still
   * marked pinned: the pin's count is then dropped twice, and t's own migrate_enable later fails
   * sched.migrate-counter (fuzzing pin-hop with a shared victim, unpin_victim and migrate_disable
   * finds it; that setup also meets pin(t)'s double-queue race of pin-wake-double-queue.yaml).
   */
  *unpin(thread?: KThread): Guest<void> {
    const me = this.current();
    const t = thread ?? me;
    if (t === me) {
      this.dropPin(t);
      return;
    }
    if (t.reaped) this.sim.fail("sched.use-after-free", `unpin of freed thread ${t.name}`);
    const helper = this.newThread(`${t.name}.unpinner`, () => this.unpinHelper(t), {
      cpu: t.cpu.index,
      pinned: true,
    });
    yield* this.startThread(helper);
    yield* this.joinThread(helper);
  }

  private *unpinHelper(t: KThread): Guest<void> {
    this.preemptDisableHere();
    // t's home (tcpu()) is written by whichever CPU last moved t: a racy load, as in OSv.
    for (let moves = 0; ; moves++) {
      const home = this.cpus[yield load(t.homeCpu)]!;
      if (home === this.cpuOf()) break;
      if (moves >= 1000) this.sim.fail("sched.unpin-chase", `${t.name} outran its unpin helper 1000 times`);
      // DROP_LOCK(preempt_lock) around pin(t->tcpu()).
      if (this.preemptEnableHere()) yield invoke(this.schedule());
      yield* this.pinSelf(home);
      this.preemptDisableHere();
    }
    // On t's CPU with preemption off: t is not running, and nothing that could move it runs here.
    this.dropPin(t);
    if (this.preemptEnableHere()) yield invoke(this.schedule());
  }

  /** The permanent migration lock of a pinned thread goes (no-op for an unpinned one). */
  private dropPin(t: KThread): void {
    if (!t.pinned) return;
    t.pinned = false;
    t.pinnedCpu = null;
    t.migrationLockCounter--;
  }

  *migrateDisable(): Guest<void> {
    this.current().migrationLockCounter++;
  }

  *migrateEnable(): Guest<void> {
    const t = this.current();
    t.migrationLockCounter--;
    if (t.migrationLockCounter < 0)
      this.sim.fail("sched.migrate-counter", `${t.name}: migrate_enable without migrate_disable`);
  }

  // ---- boot --------------------------------------------------------------------------------------

  private bootCpu(cpu: SchedCpu): void {
    const apic = this.machine.apics[cpu.index]!;
    apic.writeLvtTimer(TIMER_VECTOR, false);
    cpu.vcpu.setInterruptHandler(TIMER_VECTOR, () => {
      apic.eoi();
      return cpu.timers.fired();
    });
    cpu.vcpu.setInterruptHandler(WAKEUP_IPI_VECTOR, () => {
      apic.eoi();
      return undefined;
    });
    cpu.vcpu.hooks.onInterruptExit = () => this.preempt(cpu);
  }

  /**
   * Creates each CPU's idle thread and boots the vCPUs into them (the application processors after
   * their bring-up delay, if any), with each CPU's balancer queued ahead of the workloads; call once,
   * before running.
   */
  start(): void {
    if (this.started) throw new Error("kernel already started");
    this.started = true;
    const bringup = this.options.apBringupNs;
    const bootKind = bringup === null ? 0 : this.sim.kinds.kindFor("smp_bringup");
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
      if (cpu.index === 0 || bringup === null) {
        cpu.vcpu.boot(idle.context!);
      } else {
        const delayNs = this.sim.choice.between(bringup.min, bringup.max, "smp.bringup");
        const boot = { kind: bootKind, id: cpu.index, fire: () => cpu.vcpu.boot(idle.context!) };
        this.sim.at(this.sim.now + delayNs, boot);
      }
    }
    for (const cpu of this.cpus) {
      const attr = { cpu: cpu.index, pinned: true, system: true };
      this.spawn(`balancer${cpu.index}`, () => this.balancerMain(cpu), attr, true);
    }
  }

  /** A thread's CPU time including its current stretch if it is running (OSv's thread_clock, §2.15). */
  cpuTimeNs(thread: KThread): number {
    const running = thread.cpu.current === thread;
    const since = running ? this.clock.peekUptimeNs(thread.cpu.index) - thread.cpu.runningSinceNs : 0;
    return thread.stats.totalCpuNs + Math.max(0, since);
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
      realtime: t.realtime,
      status: THREAD_STATUS_NAMES[t.status.value] ?? String(t.status.value),
    }));
  }

  // ---- the guest API -----------------------------------------------------------------------------

  /** osv::clock::uptime::now() from guest code: the current CPU's kvmclock read, interrupts off. */
  *uptimeHere(): Guest<number> {
    const flags = yield cli();
    const uptime = yield* this.clock.uptime(this.cpuOf().index);
    yield irqRestore(flags);
    return uptime;
  }

  private makeApi(): ThreadApi {
    const kernel = this;
    return {
      port: this,
      now: () => kernel.uptimeHere(),
      clock: () => kernel.uptimeHere(),
      self: () => kernel.current(),
      *compute(ns: number): Guest<void> {
        yield compute(ns);
      },
      *sleep(ns: number): Guest<void> {
        const thread = kernel.current();
        // thread::sleep(d): timer.set(uptime::now() + d) on the CPU the thread is on after cli.
        const flags = yield cli();
        const cpu = kernel.cpuOf();
        const now = yield* kernel.clock.uptime(cpu.index);
        yield* cpu.timers.arm(thread.sleepTimer, now + ns);
        yield irqRestore(flags);
        yield* kernel.waitUntil(() => hostCondition(thread.sleepTimer.expired));
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
        if (thread.detached) {
          const reaper = kernel.newReaper();
          if (reaper !== null) yield* kernel.startThread(reaper);
        }
        yield* kernel.startThread(thread);
        return thread;
      },
      *join(thread: KThread): Guest<void> {
        kernel.sim.assert(
          !thread.detached,
          "sched.join-detached",
          () => `join of detached thread ${thread.name}`,
        );
        yield* kernel.joinThread(thread);
      },
      detach: (thread) => kernel.detach(thread),
      waitUntil: (predicate) => kernel.waitUntil(predicate),
      waitUntilDeadline: (predicate, deadlineNs) => kernel.waitUntilDeadline(predicate, deadlineNs),
      wake: (thread) => kernel.wake(thread),
      pin: (cpu, thread) => kernel.pinOther(thread ?? kernel.current(), kernel.cpuAt(cpu)),
      unpin: (thread) => kernel.unpin(thread),
      migrateDisable: () => kernel.migrateDisable(),
      migrateEnable: () => kernel.migrateEnable(),
      *setPriority(priority: number): Guest<void> {
        if (!(priority > 0)) throw new RangeError(`priority must be > 0, got ${priority}`);
        kernel.current().runtime.priority = priority;
      },
      *setRealtimePriority(realtime: number): Guest<void> {
        if (!(Number.isSafeInteger(realtime) && realtime >= 0))
          throw new RangeError(`real-time priority must be a whole number >= 0, got ${realtime}`);
        // Only the running thread changes its own: the runqueue order is never disturbed.
        kernel.current().realtime = realtime;
      },
    };
  }
}

/** The runtimes of a runqueue's threads, as ran_for's renormalization walks them (lazily: rare). */
function* runtimesOf(queue: Runqueue<KThread>): Generator<ThreadRuntime> {
  for (const thread of queue) yield thread.runtime;
}
