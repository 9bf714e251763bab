// The scheduler's fairness arithmetic ("runtime"), following osv-internals.md §2.4 and OSv's
// core/sched.cc (thread_runtime, exp_tau, fastlog2, taulog). Every value OSv keeps in a C float is
// rounded with Math.fround after every operation, so decisions match single precision. Deliberate
// differences: expf is Math.exp rounded to float (within one ulp of glibc's expf), and the fast log2
// is Paul Mineiro's approximation as OSv uses it, evaluated in float32 step by step.

export const TAU_NS = 200_000_000;
/** Hysteresis credit while running (§2.4: 5 ms; two equal hogs alternate ~2·thyst). */
export const THYST_NS = 5_000_000;
export const CONTEXT_SWITCH_PENALTY_NS = 10_000;
export const C_INITIAL = 2 ** -63;
export const C_MAX = 2 ** 63;
/** cinitial / cmax = 2^-126, the renormalization factor (a normal float32). */
export const RENORMALIZE_FACTOR = 2 ** -126;

export const PRIORITY_IDLE = Number.POSITIVE_INFINITY;
export const PRIORITY_DEFAULT = 1;
export const PRIORITY_INFINITY = Math.fround(1e-5);

const f = Math.fround;
const INV_TAU = f(1 / TAU_NS);
const LINEAR_LIMIT_NS = TAU_NS / 1000;

/** e^(t/tau) in float32; 1 + t/tau for |t| < tau/1000 (the error is O(x²)). */
export function expTau(timeNs: number): number {
  if (timeNs < LINEAR_LIMIT_NS && timeNs > -LINEAR_LIMIT_NS) return f(f(TAU_NS + timeNs) * INV_TAU);
  return f(Math.exp(f(f(timeNs) * INV_TAU)));
}

const bits = new DataView(new ArrayBuffer(4));

/** Mineiro's fast log2 in float32 (accurate to about 5 digits), as OSv's fastlog2. */
export function fastLog2(x: number): number {
  bits.setFloat32(0, x, true);
  const i = bits.getUint32(0, true);
  bits.setUint32(0, (i & 0x007fffff) | 0x3f000000, true);
  const mantissa = bits.getFloat32(0, true);
  let y = f(i); // the integer bits converted to float, as `float y = vx.i`
  y = f(y * f(1.1920928955078125e-7));
  return f(
    f(f(y - f(124.22551499)) - f(f(1.498030302) * mantissa)) -
      f(f(1.72587999) / f(f(0.3520887068) + mantissa)),
  );
}

/** tau·ln(x), overshooting by 1% on purpose (a thread that runs a bit long pays in runtime). */
// biome-ignore lint/suspicious/noApproximativeNumericConstant: OSv's own literal for ln 2, kept for fidelity
const TAU2 = f(f(TAU_NS * f(0.69314718)) * 1.01);
export function tauLog(x: number): number {
  return f(TAU2 * fastLog2(x));
}

/** Per-CPU normalizer state. */
export class CpuRuntime {
  c = C_INITIAL;
  renormalizeCount = 0;
}

/** What renormalization needs of the CPU's runqueue: every queued thread's runtime. */
export type RunqueueRuntimes = Iterable<ThreadRuntime>;

/** A thread's priority and CPU-local scaled runtime R'' (`_Rtt`). */
export class ThreadRuntime {
  /** -1 marks a runtime exported for migration (global form). */
  renormalizeCount = -1;
  rtt = 0;
  constructor(public priority: number) {
    if (!(priority > 0)) throw new RangeError(`priority must be > 0, got ${priority}`);
  }

  /** The local runtime the runqueue is ordered by. */
  get local(): number {
    return this.rtt;
  }

  /** Account `timeNs` (>= 0) of running on `cpu`; may renormalize the CPU and its queue. */
  ranFor(cpu: CpuRuntime, timeNs: number, runqueue: RunqueueRuntimes): void {
    if (!(this.priority > 0)) throw new Error("ran_for: priority must be > 0");
    if (!(timeNs >= 0)) throw new Error(`ran_for: negative interval ${timeNs}`);
    if (this.rtt === 0) this.renormalizeCount = cpu.renormalizeCount;
    const cold = cpu.c;
    const cnew = f(cold * expTau(timeNs));
    // A huge interval overflows float32: OSv ignores the whole period.
    if (cnew === Number.POSITIVE_INFINITY) return;
    cpu.c = cnew;
    this.rtt = f(this.rtt + f(this.priority * f(cnew - cold)));
    if (this.renormalizeCount === -1)
      throw new Error("ran_for on an exported runtime (missing update_after_sleep)");
    if (cnew < C_MAX) return;
    cpu.renormalizeCount = cpu.renormalizeCount + 1 > 0x7fffffff ? 0 : cpu.renormalizeCount + 1;
    this.rtt = f(this.rtt * RENORMALIZE_FACTOR);
    this.renormalizeCount = cpu.renormalizeCount;
    for (const queued of runqueue) {
      if (queued.renormalizeCount >= 0) {
        queued.rtt = f(queued.rtt * RENORMALIZE_FACTOR);
        queued.renormalizeCount++;
      }
    }
    cpu.c = f(cpu.c * RENORMALIZE_FACTOR);
  }

  private shift(cpu: CpuRuntime, factor: number, infiniteStaysInfinite: boolean): void {
    if (this.rtt === 0) this.renormalizeCount = cpu.renormalizeCount;
    const cold = cpu.c;
    const cnew = f(cold * factor);
    cpu.c = cnew;
    if (infiniteStaysInfinite && this.priority === Number.POSITIVE_INFINITY)
      this.rtt = Number.POSITIVE_INFINITY;
    else this.rtt = f(this.rtt + f(this.priority * f(cnew - cold)));
  }

  /**
   * ran_for(-thyst) when switched in: the 5 ms credit. `idleInfinityFix` false is the variant
   * before cec13e02, where the idle thread's +inf runtime became NaN here.
   */
  hysteresisRunStart(cpu: CpuRuntime, idleInfinityFix = true): void {
    this.shift(cpu, HYSTERESIS_DIV, idleInfinityFix);
  }
  /** ran_for(+thyst) when switched out: the credit returned. */
  hysteresisRunStop(cpu: CpuRuntime): void {
    this.shift(cpu, HYSTERESIS_MUL, false);
  }
  /** ran_for(10 µs) charged to a thread that preempts a runnable one. */
  addContextSwitchPenalty(cpu: CpuRuntime): void {
    const cold = cpu.c;
    const cnew = f(cold * PENALTY_MUL);
    cpu.c = cnew;
    this.rtt = f(this.rtt + f(this.priority * f(cnew - cold)));
  }

  /** Nanoseconds until running continuously brings R'' to `target`; -1 when never or too long. */
  timeUntil(cpu: CpuRuntime, target: number): number {
    if (this.priority === Number.POSITIVE_INFINITY || target === Number.POSITIVE_INFINITY) return -1;
    const ret = tauLog(f(1 + f(f(f(target - this.rtt) / this.priority) / cpu.c)));
    if (!(ret <= 9.223372036854776e18)) return -1;
    return Math.trunc(ret);
  }

  /** Before migrating: convert R'' to its global form (divide by this CPU's c), unless it already is. */
  exportRuntime(cpu: CpuRuntime): void {
    // A thread moved again before any CPU imported its runtime (pin of a thread still waking after
    // a migration) keeps the global form it has.
    if (this.renormalizeCount === -1) return;
    this.rtt = f(this.rtt / cpu.c);
    this.renormalizeCount = -1;
  }

  /** On enqueue after a wake or migration: catch up on missed renormalizations. */
  updateAfterSleep(cpu: CpuRuntime): void {
    const count = cpu.renormalizeCount;
    if (this.renormalizeCount === count) return;
    if (this.renormalizeCount === -1) this.rtt = f(this.rtt * cpu.c);
    else if (this.renormalizeCount + 1 === count) this.rtt = f(this.rtt * RENORMALIZE_FACTOR);
    else if (this.rtt !== Number.POSITIVE_INFINITY) this.rtt = 0;
    this.renormalizeCount = count;
  }
}

const HYSTERESIS_MUL = expTau(THYST_NS);
const HYSTERESIS_DIV = expTau(-THYST_NS);
const PENALTY_MUL = expTau(CONTEXT_SWITCH_PENALTY_NS);

/** POSIX nice (-20..19) to an OSv priority: e^(nice·ln(86)/20) (runtime.cc setpriority). */
export function niceToPriority(nice: number): number {
  return f(Math.exp((nice * Math.log(86)) / 20));
}
