// Runtime determinism guard: while a simulation runs, the wall clock, Math.random and the real
// timers throw, so a leak in model code fails loudly instead of making runs irreproducible. The
// static half of the rule is a test that scans src/ for these APIs.

export class NondeterminismError extends Error {
  override name = "NondeterminismError";
}

type Restore = () => void;

let depth = 0;
let restoreAll: Restore[] = [];

function poison(target: object, key: string, what: string): Restore {
  const descriptor = Object.getOwnPropertyDescriptor(target, key);
  if (descriptor !== undefined && descriptor.configurable === false) return () => {};
  const thrower = () => {
    throw new NondeterminismError(
      `${what} was called inside a simulation; use the choice source or virtual time`,
    );
  };
  // An inherited method (performance.now lives on Performance.prototype) is shadowed by an own
  // property, which restoring deletes again.
  Object.defineProperty(target, key, {
    configurable: true,
    enumerable: descriptor?.enumerable ?? false,
    value: thrower,
    writable: true,
  });
  return () => {
    if (descriptor === undefined) Reflect.deleteProperty(target, key);
    else Object.defineProperty(target, key, descriptor);
  };
}

function poisonDate(): Restore {
  const RealDate = globalThis.Date;
  const GuardedDate = function (this: unknown, ...args: unknown[]) {
    if (args.length === 0) {
      throw new NondeterminismError("new Date() was called inside a simulation; use virtual time");
    }
    return Reflect.construct(RealDate, args, new.target ?? RealDate);
  } as unknown as DateConstructor;
  Object.setPrototypeOf(GuardedDate, RealDate);
  (GuardedDate as { prototype: Date }).prototype = RealDate.prototype;
  (GuardedDate as { now: () => number }).now = () => {
    throw new NondeterminismError("Date.now was called inside a simulation; use virtual time");
  };
  globalThis.Date = GuardedDate;
  return () => {
    globalThis.Date = RealDate;
  };
}

/** Poisons nondeterministic globals until the returned function is called; nests. */
export function guardDeterminism(): Restore {
  if (depth++ === 0) {
    const g = globalThis as Record<string, unknown>;
    restoreAll = [
      poison(Math, "random", "Math.random"),
      poisonDate(),
      poison(g["performance"] as object, "now", "performance.now"),
      poison(process, "hrtime", "process.hrtime"),
      poison(globalThis, "setTimeout", "setTimeout"),
      poison(globalThis, "setInterval", "setInterval"),
      poison(globalThis, "setImmediate", "setImmediate"),
      poison(globalThis, "queueMicrotask", "queueMicrotask"),
    ];
  }
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    if (--depth === 0) {
      for (const restore of restoreAll.reverse()) restore();
      restoreAll = [];
    }
  };
}
