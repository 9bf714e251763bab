// Runners are what the engine schedules: each steps one stream of guest effects at a time. The
// engine-only runtime uses Process (one generator, its own notional CPU); the hardware layer
// subclasses Runner for a vCPU that switches between thread contexts and takes interrupts between
// steps. The engine owns a runner's scheduling state; a subclass only produces and performs effects.

import { type Effect, type Guest, Op } from "./effects.js";
import { DONE, GuestStack } from "./stack.js";

export const RunnerState = {
  /** Created; its start is scheduled. */
  New: 0,
  /** Holds a pending visible effect and competes at scheduling points. */
  Ready: 1,
  /** Waiting for a timed wakeup (compute, sleep). */
  Waiting: 2,
  /** Parked until something resumes it. */
  Blocked: 3,
  Done: 4,
} as const;
export type RunnerStateValue = (typeof RunnerState)[keyof typeof RunnerState];

export const RUNNER_STATE_NAMES = ["new", "ready", "waiting", "blocked", "done"] as const;

/** Simulation.performNow's and computeNow's answers (see there). */
export const RUN_AHEAD_NO = 0;
export const RUN_AHEAD_WAITING = 1;
export const RUN_AHEAD_ENDED = 2;
export const RUN_AHEAD_PERFORMED = 3;
export const RUN_AHEAD_PENDING = 4;
export const RUN_AHEAD_SUSPENDED = 5;
/** What a runner answers after computeNow put it to wait (RUN_AHEAD_WAITING). */
export const ALREADY_WAITING: Effect = Object.freeze({ op: -3, cell: null, a: 0, b: 0, target: null });
/** What a runner answers after an extension op performed ahead suspended it (RUN_AHEAD_SUSPENDED). */
export const ALREADY_BLOCKED: Effect = Object.freeze({ op: -4, cell: null, a: 0, b: 0, target: null });

/** The engine as a runner sees it when it runs ahead (the Simulation; see its performNow). */
export interface RunAheadHost {
  performNow(runner: Runner, effect: Effect): number;
  computeNow(runner: Runner, ns: number): number;
  readonly performedResult: number;
}

/** Returned by performExtension when the runner leaves the ready set until resumed. */
export const SUSPENDED = Symbol("suspended");

export abstract class Runner {
  /** Runners' timed events all have the wakeup kind (EventKind.Wakeup). */
  readonly kind = 12;
  /** Assigned by the simulation when the runner is added. */
  id = -1;
  state: RunnerStateValue = RunnerState.New;
  /** The visible effect this runner will perform when next scheduled (state Ready). */
  pending: Effect | null = null;
  /** A wake that arrived while not blocked; the next Block consumes it. */
  permit = false;
  /** Identifies the one timed wakeup that is current; older ones are stale. */
  wakeToken = 0;
  /** Event kind of the current timed wakeup (EventKind.Wakeup or ComputeDone). */
  waitKind = 12;
  /** When the current timed wait began. */
  waitStartNs = 0;
  /** When the current timed wakeup is due. */
  wakeAtNs = 0;
  /** Value handed to the guest when the current timed wakeup fires. */
  resumeValue = 0;
  /** Effects performed (visible and local). */
  steps = 0;
  /** The agent number the memory model sees for this runner's accesses. */
  memoryAgent = 0;
  /**
   * A visible effect that becomes pending when the current compute ends (a memory op that pays its
   * latency first), so the two cost one dispatch, not two. Set by the runner as it answers the
   * compute; the engine drops it if the compute is cut short (cancelWait).
   */
  heldEffect: Effect | null = null;
  /** The simulation that runs this runner, set when it is added. */
  host: RunAheadHost | null = null;

  constructor(readonly name: string) {}

  /** Resumes guest code with the previous effect's result; answers its next effect, or null when done. */
  abstract resume(result: number): Effect | null;

  /** Performs an effect with op >= FIRST_EXTENSION_OP. */
  performExtension(effect: Effect): number | typeof SUSPENDED {
    throw new Error(`runner '${this.name}' has no handler for extension op ${effect.op}`);
  }

  /**
   * Called when a compute that holds `heldEffect` ends: answers more nanoseconds to compute before
   * the effect (0: it becomes pending now). Runners that set heldEffect override it.
   */
  heldEffectDue(): number {
    return 0;
  }

  /**
   * The compute-jitter fault stretched the compute this runner just started by `ns` (> 0): the
   * runner is busy that much longer. Runners that account their CPU time override it.
   */
  computeStretched(_ns: number): void {}

  /** Whether being blocked at quiescence means deadlock (a halted vCPU, for one, does not). */
  get blockedMeansDeadlock(): boolean {
    return true;
  }
}

/** A guest thread that owns its own notional CPU: the engine-only runtime. */
export class Process<R = unknown> extends Runner {
  private readonly stack: GuestStack;
  /** What the guest code returned, once done. */
  result: R | undefined;

  constructor(name: string, body: (self: Process<R>) => Guest<R>) {
    super(name);
    this.stack = new GuestStack(body(this));
  }

  /**
   * Runs the guest to its next effect. A memory op or a compute the engine can take here and now
   * (Simulation.performNow, computeNow: nothing else could happen first) is taken without leaving
   * this call, and the guest goes on with its result, as the loop would have resumed it.
   */
  resume(result: number): Effect | null {
    const host = this.host;
    let value = result;
    for (;;) {
      const next = this.stack.next(value);
      if (next === DONE) {
        this.result = this.stack.result as R;
        return null;
      }
      if (host === null) return next;
      const op = next.op;
      if (op === Op.Compute) {
        const done = host.computeNow(this, next.a);
        if (done === RUN_AHEAD_ENDED) {
          value = 0;
          continue;
        }
        return done === RUN_AHEAD_WAITING ? ALREADY_WAITING : next;
      }
      if (op >= Op.Load && op <= Op.Fence && host.performNow(this, next) === RUN_AHEAD_PERFORMED) {
        value = host.performedResult;
        continue;
      }
      return next;
    }
  }
}
