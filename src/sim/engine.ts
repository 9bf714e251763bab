// The simulation engine: virtual time, the event queue, the choice source, runners and the run
// loop. It knows nothing of OSv. Timed events fire in (time, seq) order; between them, every runner
// that holds a visible effect is "ready", and which one performs its effect next is a scheduling
// choice whose default (0) is to keep running the current runner. Local effects (compute, sleep) are
// performed inline, so only shared-state effects are interleaving points. When only one runner can
// act next, it runs ahead: its effects and computes are taken from inside its own step, with every
// event, count and choice the loop would make (performNow, computeNow; `runAhead: false` turns it off).

import { ChoiceSource, DivergenceError, RandomStrategy, type Strategy } from "./choice.js";
import { Digest } from "./digest.js";
import type { Guest } from "./effects.js";
import { type Effect, FIRST_EXTENSION_OP, Op } from "./effects.js";
import { EventKind, KindRegistry, RecentEvents } from "./events.js";
import { guardDeterminism } from "./guard.js";
import { Memory, type MemoryModel } from "./memory.js";
import { createEventQueue, type EventQueue, type QueueKind, QueueLimitError } from "./queue.js";
import {
  ALREADY_BLOCKED,
  ALREADY_WAITING,
  Process,
  RUN_AHEAD_ENDED,
  RUN_AHEAD_NO,
  RUN_AHEAD_PENDING,
  RUN_AHEAD_PERFORMED,
  RUN_AHEAD_SUSPENDED,
  RUN_AHEAD_WAITING,
  RUNNER_STATE_NAMES,
  type RunAheadHost,
  Runner,
  RunnerState,
  SUSPENDED,
} from "./runner.js";
import { assertTimeNs, formatDuration } from "./time.js";

/** A timed-event target. `kind` names the event in digests and traces; `id` says whose it is. */
export interface TimedHandler {
  readonly kind: number;
  readonly id: number;
  fire(arg: number): void;
  /**
   * Whether the event scheduled with `arg` still matters (a re-armed timer's old event does not).
   * A dead event is dropped unseen: not dispatched, not counted, and it never moves virtual time.
   */
  isLive?(arg: number): boolean;
}

export interface Limits {
  /** Dispatches (timed events fired plus effects performed) before the run is cut off. */
  maxEvents: number;
  /** Virtual time past which the run is cut off (a budget; `untilNs` is the normal end). */
  maxVirtualNs: number;
  /** Visible effects performed without virtual time advancing (a spin with no way out). */
  maxStepsPerInstant: number;
  /** Pending timed events. */
  maxPendingEvents: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxEvents: 100_000_000,
  maxVirtualNs: Number.MAX_SAFE_INTEGER,
  maxStepsPerInstant: 1_000_000,
  maxPendingEvents: 1 << 22,
};

export interface SimulationOptions {
  /** Seed of the default random strategy, and reported with every result. */
  seed?: number;
  /** Decides every choice; defaults to RandomStrategy(seed). */
  strategy?: Strategy;
  /** Keep the whole choice log in memory (default true). */
  keepChoiceLog?: boolean;
  limits?: Partial<Limits>;
  queue?: QueueKind;
  /** How many recent events a failure report carries (default 32). */
  recentEvents?: number;
  /** Observes every dispatch (trace writers). */
  onDispatch?: DispatchListener;
  /** Observes every choice (trace writers). */
  onChoice?: (index: number, labelId: number, label: string, value: number) => void;
  /** Observes each runner as it is added (trace writers name runners). */
  onRunnerAdded?: (runner: Runner) => void;
  /**
   * Let a runner perform its effects and wait out its computes from inside its own step when nothing
   * else can happen first (Simulation.performNow, computeNow): the same run, trace and digest, with
   * fewer trips through the loop. Default true; false is for checking that equivalence.
   */
  runAhead?: boolean;
  /** Timing fault: each compute is stretched, with this probability, by up to maxNs (choices). */
  computeJitter?: { probability: number; maxNs: number };
}

export type DispatchListener = (
  index: number,
  timeNs: number,
  kind: number,
  runner: number,
  value: number,
) => void;

export type Outcome = "ok" | "violation" | "deadlock" | "budget" | "divergence";

export interface Failure {
  /** The check or verdict that failed: an invariant's name, "deadlock", "budget", "divergence". */
  check: string;
  message: string;
  timeNs: number;
  /** Index of the dispatch during which it failed. */
  eventIndex: number;
  /** The runner that was stepping, if any. */
  runner: string | null;
  /** The last events before the failure, formatted one per line. */
  recent: string[];
}

export interface CheckResult {
  name: string;
  status: "pass" | "fail" | "not-run";
  message?: string;
}

export interface RunnerSummary {
  id: number;
  name: string;
  state: string;
  steps: number;
}

export interface RunResult {
  outcome: Outcome;
  /** One line: why the run ended. */
  reason: string;
  seed: number;
  strategy: string;
  digest: string;
  virtualNs: number;
  /** Dispatches: timed events fired plus effects performed. */
  events: number;
  timedEvents: number;
  steps: number;
  choices: number;
  nonZeroChoices: number;
  checks: CheckResult[];
  runners: RunnerSummary[];
  failure: Failure | null;
}

/** A failed invariant: carries where and when in the run it happened. */
export class InvariantViolation extends Error {
  override name = "InvariantViolation";
  constructor(
    readonly check: string,
    readonly detail: string,
    readonly timeNs: number,
    readonly eventIndex: number,
    readonly runner: string | null,
    readonly seed: number,
    readonly recent: string[],
  ) {
    super(`${check}: ${detail} (at ${formatDuration(timeNs)}, event #${eventIndex}, seed ${seed})`);
  }
}

/** Runner ids share a digest word with the event kind. */
const MAX_RUNNERS = 1 << 20;

/** A limit was exceeded: an inconclusive verdict, never a hang. */
class BudgetExceeded extends Error {
  override name = "BudgetExceeded";
}

type EndCheck = (sim: Simulation) => string | null | undefined;

export class Simulation implements RunAheadHost {
  readonly seed: number;
  readonly choice: ChoiceSource;
  readonly memory: Memory;
  readonly kinds = new KindRegistry();
  readonly limits: Readonly<Limits>;
  readonly digest = new Digest();
  private memoryModel: MemoryModel;

  private nowNs = 0;
  private seq = 0;
  private readonly queue: EventQueue<TimedHandler | Runner>;
  private readonly runners: Runner[] = [];
  private readonly ready: Runner[] = [];
  private readonly candidateIds: number[] = [];
  private current: Runner | null = null;
  /**
   * The runner whose resume ends the dispatch in progress (nothing else happens before the loop goes
   * on): only it may have effects performed from inside its guest code (performNow).
   */
  private tailRunner: Runner | null = null;
  /** What the effect performNow performed answered. */
  private performedValue = 0;
  /** The current runner when the tail runner's advance began (advance() puts it back). */
  private tailPrevious: Runner | null = null;
  /** Whether the tail runner performed an effect ahead during its advance (advanceTail). */
  private performedAhead = false;
  /** limits.maxEvents, read at every record. */
  private readonly maxEvents: number;
  /** The queue's limit, exceeded by an event scheduled before the run (reported by run()). */
  private setupOverflow: QueueLimitError | null = null;
  /** Run-ahead stops at half the queue's limit (see computeNow). */
  private readonly runAheadQueueLimit: number;
  /** Whether runners may run ahead (SimulationOptions.runAhead). */
  private readonly runAhead: boolean;
  private dispatches = 0;
  private timedEvents = 0;
  private stepCount = 0;
  private stepsThisInstant = 0;
  private digestTimeNs = 0;
  private instantNs = -1;
  private readonly recent: RecentEvents;
  private readonly onDispatch: DispatchListener | null;
  private readonly onRunnerAdded: ((runner: Runner) => void) | null;
  private readonly jitterProbability: number;
  private readonly jitterMaxNs: number;
  private readonly endChecks: { name: string; check: EndCheck }[] = [];
  private started = false;
  private stopReason: string | null = null;
  /** The run's end (run()'s untilNs). */
  private untilNs = Number.MAX_SAFE_INTEGER;

  constructor(options: SimulationOptions = {}) {
    this.seed = options.seed ?? 0;
    if (!Number.isSafeInteger(this.seed) || this.seed < 0)
      throw new RangeError(`seed must be a non-negative safe integer`);
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.queue = createEventQueue<TimedHandler | Runner>(
      options.queue ?? "wheel",
      this.limits.maxPendingEvents,
    );
    const choiceOptions: ConstructorParameters<typeof ChoiceSource>[1] = {
      keepLog: options.keepChoiceLog ?? true,
      digest: this.digest,
    };
    if (options.onChoice !== undefined) choiceOptions.listener = options.onChoice;
    this.choice = new ChoiceSource(options.strategy ?? new RandomStrategy(this.seed), choiceOptions);
    this.memory = new Memory();
    this.memoryModel = this.memory;
    this.recent = new RecentEvents(options.recentEvents ?? 32);
    this.onDispatch = options.onDispatch ?? null;
    this.onRunnerAdded = options.onRunnerAdded ?? null;
    this.runAhead = options.runAhead ?? true;
    this.maxEvents = this.limits.maxEvents;
    this.runAheadQueueLimit = Math.floor(this.limits.maxPendingEvents / 2);
    this.jitterProbability = options.computeJitter?.probability ?? 0;
    this.jitterMaxNs = options.computeJitter?.maxNs ?? 0;
    if (!(this.jitterProbability >= 0 && this.jitterProbability <= 1))
      throw new RangeError("computeJitter.probability must be in [0, 1]");
    assertTimeNs(this.jitterMaxNs, "computeJitter.maxNs");
  }

  /** Current virtual time in nanoseconds. */
  get now(): number {
    return this.nowNs;
  }
  /** Whether a timed event (maybe a stale one) is due at the current instant and has not fired. */
  get timedEventDue(): boolean {
    return this.eventDueBy(this.nowNs);
  }
  /** Dispatches so far (the index the next dispatch gets). */
  get eventCount(): number {
    return this.dispatches;
  }
  /** The runner whose effect is being performed or whose guest code is running, if any. */
  get currentRunner(): Runner | null {
    return this.current;
  }

  /** Replaces the memory model (x86-TSO); must happen before the run starts. */
  setMemoryModel(model: MemoryModel): void {
    if (this.started) throw new Error("the memory model must be set before the run starts");
    this.memoryModel = model;
  }

  // ---- building -------------------------------------------------------------------------------

  /** Adds a runner and schedules its start at the current virtual time. */
  addRunner<T extends Runner>(runner: T): T {
    if (runner.id !== -1) throw new Error(`runner '${runner.name}' was already added`);
    // Digests pack a runner id into 20 bits.
    if (this.runners.length >= MAX_RUNNERS) throw new BudgetExceeded(`more than ${MAX_RUNNERS} runners`);
    runner.id = this.runners.length;
    runner.memoryAgent = runner.id;
    runner.host = this;
    this.runners.push(runner);
    this.onRunnerAdded?.(runner);
    this.resumeAt(runner, this.nowNs, 0);
    runner.state = RunnerState.New;
    return runner;
  }

  /** Starts a guest thread with its own notional CPU (the engine-only runtime). */
  spawn<R>(name: string, body: (self: Process<R>) => Guest<R>): Process<R> {
    return this.addRunner(new Process<R>(name, body));
  }

  /** Schedules `handler.fire(arg)` at absolute virtual time `timeNs` (not in the past). */
  at(timeNs: number, handler: TimedHandler, arg = 0): void {
    if (handler instanceof Runner || handler.kind === EventKind.Wakeup) {
      throw new Error(
        "at(): runners are resumed with resumeAt(); handlers need a kind from kinds.allocate()",
      );
    }
    this.push(timeNs, handler, arg);
  }

  private push(timeNs: number, handler: TimedHandler | Runner, arg: number): void {
    if (timeNs < this.nowNs)
      throw new RangeError(`cannot schedule at ${timeNs} ns, before now (${this.nowNs} ns)`);
    if (!Number.isSafeInteger(timeNs)) assertTimeNs(timeNs, "event time");
    if (this.started) {
      this.queue.push(timeNs, this.seq++, handler, arg);
      return;
    }
    // Before the run (a model scheduling its start-up events) the queue's limit is a budget verdict
    // too: kept, and reported by run() at once, not thrown out of the model's construction.
    try {
      this.queue.push(timeNs, this.seq++, handler, arg);
    } catch (error) {
      if (!(error instanceof QueueLimitError)) throw error;
      this.setupOverflow ??= error;
    }
  }

  /** Registers an end-of-run property; it answers a failure message, or null when it holds. */
  addCheck(name: string, check: EndCheck): void {
    this.endChecks.push({ name, check });
  }

  // ---- used by runners and guest code --------------------------------------------------------

  /** Schedules a timed wakeup of `runner` that resumes its guest code with `value`. */
  resumeAt(runner: Runner, timeNs: number, value: number, kind: number = EventKind.Wakeup): void {
    runner.state = RunnerState.Waiting;
    runner.waitKind = kind;
    runner.waitStartNs = this.nowNs;
    runner.resumeValue = value;
    runner.wakeAtNs = timeNs;
    this.push(timeNs, runner, ++runner.wakeToken);
  }

  /**
   * Cuts a waiting runner's timed wait short (an interrupt arriving during a compute): its wakeup
   * event becomes stale, the runner is left Blocked for `resumeNow`, and the answer is how many
   * nanoseconds of the wait were left.
   */
  cancelWait(runner: Runner): number {
    if (runner.state !== RunnerState.Waiting) {
      throw new Error(
        `cancelWait: runner '${runner.name}' is ${RUNNER_STATE_NAMES[runner.state]}, not waiting`,
      );
    }
    runner.wakeToken++;
    runner.heldEffect = null;
    runner.state = RunnerState.Blocked;
    const remainingNs = runner.wakeAtNs - this.nowNs;
    if (remainingNs < 0) throw new Error(`engine: runner '${runner.name}' waited past its wakeup`);
    return remainingNs;
  }

  /** Resumes a blocked or suspended runner now, from inside a dispatch. */
  resumeNow(runner: Runner, value: number): void {
    if (runner.state !== RunnerState.Blocked)
      throw new Error(`resumeNow: runner '${runner.name}' is not blocked`);
    this.record(EventKind.Unblock, runner.id, value);
    this.advance(runner, value);
  }

  /**
   * Records an effect `runner` performed inside its own guest code (a vCPU's CPU-local op, such as
   * cli or a clock read): an event of the trace and a step, but not a scheduling point, because nothing
   * another runner does at the same instant can tell the two orders apart.
   */
  recordLocal(runner: Runner, kind: number, value: number): void {
    if (this.current !== runner || runner.state === RunnerState.Done)
      throw new Error(`recordLocal: runner '${runner.name}' is not the one running`);
    runner.steps++;
    this.stepCount++;
    this.record(kind, runner.id, value);
  }

  /**
   * Run-ahead: performs `runner`'s visible effect here and now, from inside its own guest code, when
   * the engine would do exactly that next anyway: the runner's resume ends the dispatch in progress,
   * no other runner is ready, no timed event (not even a stale one) is due at this instant and no
   * stop is requested. Then the loop would find this runner the only candidate and step it with no
   * choice, so the effect is counted, performed and recorded as that step would be, byte for byte,
   * without the runner's guest code returning to the engine between the two. Memory ops (load
   * through fence) and extension ops qualify; a runner that calls this for an extension op handles
   * it suspending. Answers RUN_AHEAD_NO (nothing was done: the runner answers the effect),
   * RUN_AHEAD_PERFORMED (the result is `performedResult`) or RUN_AHEAD_SUSPENDED (the extension op
   * suspended the runner: it answers ALREADY_BLOCKED).
   */
  performNow(runner: Runner, effect: Effect): number {
    const op = effect.op;
    if (
      op < Op.Load ||
      (op > Op.Fence && op < FIRST_EXTENSION_OP) ||
      !this.mayRunAhead(runner) ||
      this.eventDueBy(this.nowNs)
    )
      return RUN_AHEAD_NO;
    return this.performAhead(runner, effect);
  }

  /** The conditions performNow and computeNow share: see performNow. */
  private mayRunAhead(runner: Runner): boolean {
    return (
      this.runAhead &&
      runner === this.tailRunner &&
      runner === this.current &&
      this.ready.length === 0 &&
      this.stopReason === null
    );
  }

  /** Whether a timed event, maybe a stale one, is due at or before `timeNs`. */
  private eventDueBy(timeNs: number): boolean {
    return this.queue.earliestTime() <= timeNs;
  }

  /**
   * Run-ahead through a compute of `ns` that `runner` is about to answer (with `runner.heldEffect`
   * riding on it, or none): when the runner may run ahead (as for performNow) and no timed event, not
   * even a stale one, is due until the compute's end, nothing can happen before it ends, so its wait
   * is taken here: virtual time moves to its end, the end is counted and recorded as the timed event
   * would be, and a held effect is released and performed, exactly as the loop would do it, choices
   * (compute jitter) included. Answers:
   * - RUN_AHEAD_NO: nothing was done; the runner answers its compute.
   * - RUN_AHEAD_WAITING: the compute was accepted but must be waited for; the runner answers
   *   ALREADY_WAITING.
   * - RUN_AHEAD_ENDED: the compute ended (no held effect); the guest goes on, resumed with 0.
   * - RUN_AHEAD_PERFORMED, RUN_AHEAD_SUSPENDED: the held effect was performed, as by performNow.
   * - RUN_AHEAD_PENDING: the held effect (a core op other than a memory op) is released; the runner
   *   answers it.
   */
  computeNow(runner: Runner, ns: number): number {
    if (
      !this.mayRunAhead(runner) ||
      // Far from the queue's limit, where the wakeup's push could not be the one that exceeds it.
      this.queue.size >= this.runAheadQueueLimit
    )
      return RUN_AHEAD_NO;
    if (!(Number.isSafeInteger(ns) && ns >= 0))
      throw new RangeError(`runner '${runner.name}': compute(${ns}) needs whole ns >= 0`);
    // From here on the engine's own path is followed: advance()'s compute branch, the loop, fireNext,
    // releaseHeldEffect, stepOne.
    runner.steps++;
    this.stepCount++;
    let endNs = this.nowNs + ns + this.jitter(runner);
    for (;;) {
      if (this.eventDueBy(endNs) || endNs > this.untilNs || endNs > this.limits.maxVirtualNs) {
        this.resumeAt(runner, endNs, 0, EventKind.ComputeDone);
        return RUN_AHEAD_WAITING;
      }
      // The wakeup's push and pop, with nothing between them (waiting, as resumeAt leaves it).
      runner.state = RunnerState.Waiting;
      this.seq++;
      runner.wakeToken++;
      const startNs = this.nowNs;
      this.nowNs = endNs;
      this.timedEvents++;
      if (runner.heldEffect === null) {
        this.asLoopWould(runner);
        this.record(EventKind.ComputeDone, runner.id, endNs - startNs);
        this.current = runner;
        return RUN_AHEAD_ENDED;
      }
      this.asLoopWould(runner);
      const moreNs = runner.heldEffectDue();
      this.current = runner;
      if (moreNs > 0) {
        if (!Number.isSafeInteger(moreNs))
          throw new RangeError(`runner '${runner.name}': held effect asked for ${moreNs} ns more`);
        runner.steps++;
        this.stepCount++;
        endNs = this.nowNs + moreNs + this.jitter(runner);
        continue;
      }
      const effect = runner.heldEffect;
      runner.heldEffect = null;
      const op = effect.op;
      if (op < Op.Load || (op > Op.Fence && op < FIRST_EXTENSION_OP)) return RUN_AHEAD_PENDING;
      // The loop's step of the only ready runner, with nothing due.
      return this.performAhead(runner, effect);
    }
  }

  /**
   * Whether runners may do ahead what the loop would do next (SimulationOptions.runAhead); a runner
   * with shortcuts of its own of the same kind (a vCPU's directly called local ops) honours it too.
   */
  get runsAhead(): boolean {
    return this.runAhead;
  }

  /** What the effect performNow or computeNow performed last answered. */
  get performedResult(): number {
    return this.performedValue;
  }

  /**
   * The current runner the loop would have at this point of a run-ahead (a failure report names it):
   * the one advance() put back, until the runner's first step ahead makes it current for good.
   */
  private asLoopWould(runner: Runner): void {
    this.current = this.performedAhead ? runner : this.tailPrevious;
  }

  /** stepOne and perform for the only ready runner, from inside its guest code (see performNow). */
  private performAhead(runner: Runner, effect: Effect): number {
    this.asLoopWould(runner);
    // Stepped as a ready runner, as the loop steps it (a report made now lists it so).
    runner.state = RunnerState.Ready;
    this.countInstantStep();
    this.performedAhead = true;
    this.current = runner;
    runner.steps++;
    this.stepCount++;
    const op = effect.op;
    if (op <= Op.Fence) {
      const result = this.performMemory(runner, effect);
      this.record(op, runner.id, result);
      this.performedValue = result;
      return RUN_AHEAD_PERFORMED;
    }
    const result = runner.performExtension(effect);
    if (result === SUSPENDED) {
      this.record(op, runner.id, -1);
      return RUN_AHEAD_SUSPENDED;
    }
    this.record(op, runner.id, result);
    this.performedValue = result;
    return RUN_AHEAD_PERFORMED;
  }

  /**
   * Ends the run normally after the current dispatch (a model that never quiesces, like a kernel with
   * periodic housekeeping threads, says when its workload is done). The first reason given wins.
   */
  requestStop(reason: string): void {
    this.stopReason ??= reason;
  }

  /**
   * Fails the run with an invariant violation unless `condition` holds. A message closure is
   * allocated at every call, held or not: on hot paths write `if (!cond) sim.fail(check, message)`
   * (the scheduler's switch path allocated about 1.7 KB per switch in them).
   */
  assert(condition: boolean, check: string, message: string | (() => string)): void {
    if (!condition) this.fail(check, typeof message === "string" ? message : message());
  }

  /** Fails the run with an invariant violation. */
  fail(check: string, message: string): never {
    throw new InvariantViolation(
      check,
      message,
      this.nowNs,
      this.dispatches,
      this.current?.name ?? null,
      this.seed,
      this.formatRecent(),
    );
  }

  runnerList(): readonly Runner[] {
    return this.runners;
  }

  // ---- the run loop ----------------------------------------------------------------------------

  /** Runs until quiescence, `untilNs`, a failure or a budget; one call per simulation. */
  run(options: { untilNs?: number } = {}): RunResult {
    if (this.started) throw new Error("a Simulation runs once; build a new one");
    this.started = true;
    const untilNs = options.untilNs ?? Number.MAX_SAFE_INTEGER;
    assertTimeNs(untilNs, "run duration");
    this.untilNs = untilNs;
    const restore = guardDeterminism();
    let outcome: Outcome = "ok";
    let reason: string;
    let failure: Failure | null = null;
    try {
      if (this.setupOverflow !== null) throw this.setupOverflow;
      reason = this.loop(untilNs);
      if (reason.startsWith("deadlock")) {
        outcome = "deadlock";
        failure = this.makeFailure("deadlock", reason);
      }
    } catch (error) {
      if (error instanceof InvariantViolation) {
        outcome = "violation";
        reason = `invariant '${error.check}' violated`;
        failure = {
          check: error.check,
          message: error.detail,
          timeNs: error.timeNs,
          eventIndex: error.eventIndex,
          runner: error.runner,
          recent: error.recent,
        };
      } else if (error instanceof BudgetExceeded || error instanceof QueueLimitError) {
        outcome = "budget";
        reason = `budget exceeded: ${error.message}`;
        failure = this.makeFailure("budget", error.message);
      } else if (error instanceof DivergenceError) {
        outcome = "divergence";
        reason = error.message;
        failure = this.makeFailure("divergence", error.message);
      } else {
        throw error;
      }
    } finally {
      restore();
    }
    const checks = this.runEndChecks(outcome === "ok", failure);
    const failed = checks.find((c) => c.status === "fail");
    if (outcome === "ok" && failed !== undefined) {
      outcome = "violation";
      reason = `check '${failed.name}' failed`;
      failure = this.makeFailure(failed.name, failed.message ?? "");
    }
    return this.result(outcome, reason, failure, checks);
  }

  private loop(untilNs: number): string {
    const queue = this.queue;
    const ready = this.ready;
    for (;;) {
      // A stop takes effect after the dispatch that asked for it, a timed event's as a step's (a
      // stop asked for while firing used to let the remaining due events fire and, with no runner
      // ready, virtual time move on to the next event before the run ended).
      if (this.stopReason !== null) return this.stopReason;
      if (this.eventDueBy(this.nowNs)) {
        this.fireNext();
        continue;
      }
      if (ready.length > 0) {
        this.stepOne();
        continue;
      }
      this.dropStaleWakeups();
      if (queue.size === 0) return this.quiescence();
      const next = queue.peekTime();
      if (next > untilNs) {
        this.nowNs = untilNs;
        return `reached the run duration (${formatDuration(untilNs)})`;
      }
      if (next > this.limits.maxVirtualNs) {
        throw new BudgetExceeded(
          `virtual time would pass maxVirtualNs (${formatDuration(this.limits.maxVirtualNs)})`,
        );
      }
      this.nowNs = next;
      // The next pass would find no stop requested and this live event due: fire it.
      this.fireNext();
    }
  }

  /** Discards cancelled wakeups and dead timed events at the head, so they never move virtual time. */
  private dropStaleWakeups(): void {
    const queue = this.queue;
    while (queue.size > 0) {
      if (this.isLive(queue.peekItem(), queue.peekArg())) return;
      queue.pop();
    }
  }

  private isLive(item: TimedHandler | Runner, arg: number): boolean {
    if (item.kind === EventKind.Wakeup) return arg === (item as Runner).wakeToken;
    const handler = item as TimedHandler;
    return handler.isLive === undefined || handler.isLive(arg);
  }

  private quiescence(): string {
    const stuck = this.runners.filter((r) => r.state === RunnerState.Blocked && r.blockedMeansDeadlock);
    if (stuck.length === 0) return "all runners finished";
    const names = stuck.map((r) => r.name).join(", ");
    return `deadlock: nothing can run and no event is pending; blocked: ${names}`;
  }

  private fireNext(): void {
    const queue = this.queue;
    const handler = queue.pop();
    const arg = queue.poppedArg;
    if (handler.kind === EventKind.Wakeup) {
      // Runners are the only handlers of this kind (TimedHandler kinds come from allocate()).
      const runner = handler as Runner;
      if (arg !== runner.wakeToken) return; // a cancelled wakeup
      this.timedEvents++;
      if (runner.heldEffect !== null) {
        this.releaseHeldEffect(runner);
        // The loop's next pass, when it would step this runner alone: no stop requested, nothing
        // due, no other runner ready (the common end of a memory op's latency).
        if (
          this.ready.length === 1 &&
          runner.state === RunnerState.Ready &&
          this.stopReason === null &&
          !this.eventDueBy(this.nowNs)
        )
          this.stepOne();
        return;
      }
      // Recorded with the time waited, so a trace shows when the wait began.
      this.record(runner.waitKind, runner.id, this.nowNs - runner.waitStartNs);
      this.advanceTail(runner, runner.resumeValue);
      return;
    }
    const timed = handler as TimedHandler;
    if (timed.isLive !== undefined && !timed.isLive(arg)) return;
    this.timedEvents++;
    this.record(timed.kind, timed.id, arg);
    timed.fire(arg);
  }

  /**
   * A compute that held a visible effect ended: the effect becomes pending (the runner competes at
   * this instant like any ready one), or the runner asks for more time first. Not recorded: the
   * effect's own dispatch carries the time.
   */
  private releaseHeldEffect(runner: Runner): void {
    const moreNs = runner.heldEffectDue();
    if (moreNs > 0) {
      if (!Number.isSafeInteger(moreNs))
        throw new RangeError(`runner '${runner.name}': held effect asked for ${moreNs} ns more`);
      runner.steps++;
      this.stepCount++;
      this.resumeAt(runner, this.nowNs + moreNs + this.jitter(runner), 0, EventKind.ComputeDone);
      return;
    }
    runner.pending = runner.heldEffect;
    runner.heldEffect = null;
    runner.state = RunnerState.Ready;
    this.ready.push(runner);
  }

  /** Picks the next ready runner (a scheduling choice when several are ready) and steps it. */
  private stepOne(): void {
    const ready = this.ready;
    let runner: Runner;
    if (ready.length === 1) {
      runner = ready[0]!;
    } else {
      const current = this.current;
      const ids = this.candidateIds;
      ids.length = 0;
      const currentReady = current !== null && current.state === RunnerState.Ready;
      if (currentReady) ids.push(current.id);
      for (const r of ready) if (r !== current) ids.push(r.id);
      const pick = this.choice.schedule(ids, "sched");
      runner = this.runners[ids[pick]!]!;
    }
    this.countInstantStep();
    this.perform(runner);
  }

  private countInstantStep(): void {
    if (this.instantNs !== this.nowNs) {
      this.instantNs = this.nowNs;
      this.stepsThisInstant = 0;
    }
    if (++this.stepsThisInstant > this.limits.maxStepsPerInstant) {
      throw new BudgetExceeded(
        `${this.limits.maxStepsPerInstant} effects at one virtual instant (${formatDuration(this.nowNs)}): a spin that never yields time`,
      );
    }
  }

  /** Performs the runner's pending visible effect, then runs its guest code to the next effect. */
  private perform(runner: Runner): void {
    const effect = runner.pending!;
    runner.pending = null;
    this.removeReady(runner);
    this.current = runner;
    runner.steps++;
    this.stepCount++;
    const op = effect.op;
    if (op >= Op.Load && op <= Op.Fence) {
      const result = this.performMemory(runner, effect);
      this.record(op, runner.id, result);
      this.advanceTail(runner, result);
      return;
    }
    switch (op) {
      case Op.Yield:
        this.record(op, runner.id, 0);
        this.advanceTail(runner, 0);
        return;
      case Op.Block:
        this.record(Op.Block, runner.id, runner.permit ? 1 : 0);
        if (runner.permit) {
          runner.permit = false;
          this.advanceTail(runner, 0);
        } else {
          runner.state = RunnerState.Blocked;
        }
        return;
      case Op.Wake:
        this.record(Op.Wake, runner.id, this.wakeRunner(effect.target));
        this.advanceTail(runner, 0);
        return;
      default: {
        const extensionResult = runner.performExtension(effect);
        this.record(op, runner.id, extensionResult === SUSPENDED ? -1 : extensionResult);
        if (extensionResult === SUSPENDED) {
          runner.state = RunnerState.Blocked;
          return;
        }
        this.advanceTail(runner, extensionResult);
        return;
      }
    }
  }

  /** Performs a memory effect (load through fence) for `runner`; answers the value recorded. */
  private performMemory(runner: Runner, effect: Effect): number {
    const memory = this.memoryModel;
    const agent = runner.memoryAgent;
    switch (effect.op) {
      case Op.Load:
        return memory.load(agent, effect.cell!);
      case Op.Store:
        memory.store(agent, effect.cell!, effect.a);
        return effect.a; // recorded as the value written; the guest gets it back too
      case Op.CompareAndSwap:
        return memory.compareAndSwap(agent, effect.cell!, effect.a, effect.b);
      case Op.FetchAdd:
        return memory.fetchAdd(agent, effect.cell!, effect.a);
      case Op.Exchange:
        return memory.exchange(agent, effect.cell!, effect.a);
      default:
        memory.fence(agent);
        return 0;
    }
  }

  /** Wakes the target of a Wake effect; answers the target's id (recorded with the event). */
  private wakeRunner(target: unknown): number {
    if (!(target instanceof Runner) || target.id < 0 || this.runners[target.id] !== target) {
      throw new Error("wake: the target is not a runner of this simulation");
    }
    if (target.state === RunnerState.Blocked) {
      this.record(EventKind.Unblock, target.id, 0);
      this.advance(target, 0);
    } else if (target.state !== RunnerState.Done) {
      target.permit = true;
    }
    return target.id;
  }

  /** advance() as the last thing a dispatch does: the runner may run ahead (performNow). */
  private advanceTail(runner: Runner, result: number): void {
    this.tailRunner = runner;
    this.tailPrevious = this.current;
    this.performedAhead = false;
    this.advance(runner, result);
    this.tailRunner = null;
    // A step leaves its runner current (perform), and advance() puts back the one it found: after an
    // effect performed ahead the runner is current, as after the step the loop would have made.
    if (this.performedAhead) this.current = runner;
  }

  /**
   * Resumes guest code with `result`. Local effects are performed inline; the runner ends Ready
   * (holding a visible effect), Waiting, Blocked or Done.
   */
  private advance(runner: Runner, result: number): void {
    const previous = this.current;
    this.current = runner;
    const effect: Effect | null = runner.resume(result);
    this.current = previous;
    if (effect === ALREADY_WAITING) return;
    if (effect === ALREADY_BLOCKED) {
      runner.state = RunnerState.Blocked;
      return;
    }
    if (effect === null) {
      runner.state = RunnerState.Done;
      this.record(EventKind.Finish, runner.id, 0);
      return;
    }
    const op = effect.op;
    if (runner.heldEffect !== null && op !== Op.Compute)
      throw new Error(`runner '${runner.name}': a held effect needs a compute before it`);
    if (op === Op.Compute || op === Op.Sleep) {
      const ns = effect.a;
      if (!(Number.isSafeInteger(ns) && ns >= 0)) {
        throw new RangeError(
          `runner '${runner.name}': ${op === Op.Compute ? "compute" : "sleep"}(${ns}) needs whole ns >= 0`,
        );
      }
      runner.steps++;
      this.stepCount++;
      if (op === Op.Compute)
        this.resumeAt(runner, this.nowNs + ns + this.jitter(runner), 0, EventKind.ComputeDone);
      else this.resumeAt(runner, this.nowNs + ns, 0);
      return;
    }
    runner.pending = effect;
    runner.state = RunnerState.Ready;
    this.ready.push(runner);
  }

  /** The compute-jitter fault's stretch of `runner`'s compute starting now (told to the runner). */
  private jitter(runner: Runner): number {
    if (this.jitterProbability === 0 || this.jitterMaxNs === 0) return 0;
    if (!this.choice.chance(this.jitterProbability, "fault.jitter")) return 0;
    const ns = this.choice.between(1, this.jitterMaxNs, "fault.jitter.ns");
    runner.computeStretched(ns);
    return ns;
  }

  private removeReady(runner: Runner): void {
    const ready = this.ready;
    const last = ready.length - 1;
    if (ready[last] === runner) {
      ready.pop();
      return;
    }
    const index = ready.indexOf(runner);
    if (index < 0) throw new Error(`engine: runner '${runner.name}' was stepped but not ready`);
    // Shifted by hand: splice allocates the array of removed elements. The order is kept (it is the
    // order scheduling choices enumerate candidates in).
    for (let i = index; i < last; i++) ready[i] = ready[i + 1]!;
    ready.pop();
  }

  private record(kind: number, runner: number, value: number): void {
    if (this.dispatches >= this.maxEvents) {
      throw new BudgetExceeded(`more than maxEvents (${this.limits.maxEvents}) events`);
    }
    const index = this.dispatches++;
    const digest = this.digest;
    // Time enters as the delta since the previous dispatch: one word in all but rare cases.
    const deltaNs = this.nowNs - this.digestTimeNs;
    this.digestTimeNs = this.nowNs;
    if (deltaNs < 0x80000000) digest.word(deltaNs);
    else digest.safeInteger(deltaNs);
    digest.word((kind << 20) | runner);
    digest.word(value);
    this.recent.record(this.nowNs, kind, runner, value);
    this.onDispatch?.(index, this.nowNs, kind, runner, value);
  }

  // ---- results -----------------------------------------------------------------------------------

  private runEndChecks(runThem: boolean, failure: Failure | null): CheckResult[] {
    const results: CheckResult[] = [];
    for (const { name, check } of this.endChecks) {
      if (!runThem) {
        // An invariant registered as a check is the one that failed, if its name matches.
        if (failure !== null && failure.check === name)
          results.push({ name, status: "fail", message: failure.message });
        else results.push({ name, status: "not-run" });
        continue;
      }
      const message = check(this);
      results.push(message == null ? { name, status: "pass" } : { name, status: "fail", message });
    }
    return results;
  }

  private makeFailure(check: string, message: string): Failure {
    return {
      check,
      message,
      timeNs: this.nowNs,
      eventIndex: this.dispatches,
      runner: this.current?.name ?? null,
      recent: this.formatRecent(),
    };
  }

  /** The recent events as lines: `#index time kind runner value`. */
  formatRecent(): string[] {
    return this.recent.list().map((e) => {
      const runner =
        e.runner >= 0 && e.runner < this.runners.length ? this.runners[e.runner]!.name : `#${e.runner}`;
      return `#${e.index} ${formatDuration(e.timeNs)} ${this.kinds.name(e.kind)} ${runner} ${e.value}`;
    });
  }

  private result(
    outcome: Outcome,
    reason: string,
    failure: Failure | null,
    checks: CheckResult[],
  ): RunResult {
    return {
      outcome,
      reason,
      seed: this.seed,
      strategy: this.choice.strategy.name,
      digest: this.digest.hex(),
      virtualNs: this.nowNs,
      events: this.dispatches,
      timedEvents: this.timedEvents,
      steps: this.stepCount,
      choices: this.choice.count,
      nonZeroChoices: this.choice.nonZeroCount,
      checks,
      runners: this.runners.map((r) => ({
        id: r.id,
        name: r.name,
        state: RUNNER_STATE_NAMES[r.state],
        steps: r.steps,
      })),
      failure,
    };
  }
}
