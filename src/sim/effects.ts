// The effects a guest thread yields to the engine. Guest code is a `function*` generator typed
// `Guest<R>`; each `yield` hands over one effect and receives its result (a number) when the engine
// resumes it. Effects on shared state are interleaving points; local computation between yields is
// not. All effects share one object shape so the engine's dispatch stays monomorphic.

import type { Cell } from "./memory.js";

export const Op = {
  /** Spend CPU time (ns); local, not an interleaving point. */
  Compute: 1,
  /** Wait for virtual time to pass (ns) without using the CPU; local. */
  Sleep: 2,
  Load: 3,
  Store: 4,
  CompareAndSwap: 5,
  FetchAdd: 6,
  Exchange: 7,
  Fence: 8,
  /** Park until woken; a wake that came first is kept as a permit (no lost wakeup). */
  Block: 9,
  /** Unpark another runner (or leave it a permit). */
  Wake: 10,
  /** A bare scheduling point. */
  Yield: 11,
  /**
   * Runs the target generator as a call on the runner's explicit stack (see stack.ts). Local:
   * handled inside the runner, never dispatched. Use it through `yield* call(guest)`, or
   * `yield invoke(guest)` when the result is not needed.
   */
  Call: 16,
} as const;
export type CoreOp = (typeof Op)[keyof typeof Op];

/** Ops at or above this value belong to a runner's own extension (the hardware layer's CPU). */
export const FIRST_EXTENSION_OP = 64;

export interface Effect {
  readonly op: number;
  readonly cell: Cell | null;
  readonly a: number;
  readonly b: number;
  /** An object operand: the runner to wake, or an extension's payload. */
  readonly target: unknown;
}

/** Guest code: a generator yielding effects, resumed with each effect's numeric result. */
export type Guest<R = void> = Generator<Effect, R, number>;

function effect(op: number, cell: Cell | null, a: number, b: number, target: unknown): Effect {
  return { op, cell, a, b, target };
}

export const compute = (ns: number): Effect => effect(Op.Compute, null, ns, 0, null);
/** `b` of a deferred compute (see deferredCompute). */
export const COMPUTE_DEFERRED = 1;
/**
 * CPU time that may be paid with the runner's next visible effect instead of at once: the guest code
 * up to that effect runs first, at the current instant. Only for code that nothing outside the runner
 * can observe before that effect (no host-side calls, no reads of virtual time), such as a kernel's
 * bookkeeping between two memory ops with interrupts off. A runner that does not defer (Process, a
 * vCPU whose frame owes other time) pays it as a plain compute.
 */
export const deferredCompute = (ns: number): Effect => effect(Op.Compute, null, ns, COMPUTE_DEFERRED, null);
export const sleep = (ns: number): Effect => effect(Op.Sleep, null, ns, 0, null);
/** A load of `cell`; every load of a cell is the same effect object, made on first use. */
export const load = (cell: Cell): Effect => cell.loadEffect ?? newLoad(cell);
function newLoad(cell: Cell): Effect {
  cell.loadEffect = effect(Op.Load, cell, 0, 0, null);
  return cell.loadEffect;
}
export const store = (cell: Cell, value: number): Effect => effect(Op.Store, cell, value, 0, null);
/** Compare-and-swap; the result is the old value, so success is `old === expected`. */
export const compareAndSwap = (cell: Cell, expected: number, desired: number): Effect =>
  effect(Op.CompareAndSwap, cell, expected, desired, null);
export const fetchAdd = (cell: Cell, delta: number): Effect => effect(Op.FetchAdd, cell, delta, 0, null);
export const exchange = (cell: Cell, value: number): Effect => effect(Op.Exchange, cell, value, 0, null);
// Effects without operands are shared: effects are read-only values once made, so one object serves
// every yield (an allocation fewer per fence, block and yield).
const FENCE = effect(Op.Fence, null, 0, 0, null);
const BLOCK = effect(Op.Block, null, 0, 0, null);
const YIELD = effect(Op.Yield, null, 0, 0, null);
export const fence = (): Effect => FENCE;
export const block = (): Effect => BLOCK;
export const wake = (runner: object): Effect => effect(Op.Wake, null, 0, 0, runner);
export const yieldNow = (): Effect => YIELD;
/** An effect for a runner's extension handler (op >= FIRST_EXTENSION_OP). */
export const extension = (
  op: number,
  a = 0,
  b = 0,
  target: unknown = null,
  cell: Cell | null = null,
): Effect => {
  if (op < FIRST_EXTENSION_OP) throw new RangeError(`extension op ${op} is below ${FIRST_EXTENSION_OP}`);
  return effect(op, cell, a, b, target);
};

/**
 * `yield* call(guest)` runs `guest` and answers what it returns, like `yield* guest`, but the runner
 * resumes `guest` directly instead of through every caller's delegation (stack.ts): use it where a
 * call stays on the stack across many effects (a thread's entry point, the scheduler's paths).
 */
export function* call<T>(guest: Guest<T>): Guest<T> {
  return (yield effect(Op.Call, null, 0, 0, guest)) as unknown as T;
}

/**
 * `yield invoke(guest)` is `yield* call(guest)` for a call whose result is not needed: the effect
 * itself, with no wrapper generator (one allocation and one delegation level fewer).
 */
export const invoke = (guest: Guest<unknown>): Effect => effect(Op.Call, null, 0, 0, guest);

/**
 * A wait predicate: whether `cell` holds `value`. A shared generator function, so a waiter can pass
 * `() => loadEquals(cell, v)` instead of a fresh `function*` closure, which costs V8 microseconds per
 * creation (each generator closure gets its own prototype, so its generators all get new maps).
 */
export function* loadEquals(cell: Cell, value: number): Guest<boolean> {
  return (yield load(cell)) === value;
}

/**
 * A wait predicate `cell === value` that a waiter may recognize (it carries its cell and value) and
 * check with one load effect and no generator; called, it is `loadEquals(cell, value)`. Make it once
 * and pass it to every wait (a wait re-checks its predicate at every wakeup).
 */
export interface CellEquals {
  (): Guest<boolean>;
  readonly cell: Cell;
  readonly value: number;
}

export function cellEquals(cell: Cell, value: number): CellEquals {
  return Object.assign(() => loadEquals(cell, value), { cell, value });
}

/** Compare-and-swap that answers true on success, for guest code that only needs the verdict. */
export function* cas(cell: Cell, expected: number, desired: number): Guest<boolean> {
  return (yield compareAndSwap(cell, expected, desired)) === expected;
}

export const CORE_OP_NAMES: Readonly<Record<number, string>> = {
  [Op.Compute]: "compute",
  [Op.Sleep]: "sleep",
  [Op.Load]: "load",
  [Op.Store]: "store",
  [Op.CompareAndSwap]: "cas",
  [Op.FetchAdd]: "fetch_add",
  [Op.Exchange]: "exchange",
  [Op.Fence]: "fence",
  [Op.Block]: "block",
  [Op.Wake]: "wake",
  [Op.Yield]: "yield",
  [Op.Call]: "call",
};
