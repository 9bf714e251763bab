// The choice source: every nondeterministic decision in a run is one labelled call here. Values are
// encoded relative to a default so that 0 is always the simplest answer (keep running the current
// CPU, no fault, minimum delay); shrinking a choice sequence towards zeros therefore minimises
// preemptions, faults and delays. Strategies decide the values; the source validates them, logs
// (label, value) and mixes them into the run's digest.

import type { Digest } from "./digest.js";
import { Rng } from "./rng.js";

/** Largest n accepted by choose(): values are logged as unsigned 32-bit integers. */
export const MAX_CHOICE_BOUND = 4294967296;

/**
 * Decides values. `choose` gets n >= 2 and must answer in [0, n); `chance` answers 0 or 1.
 * `index` is the position of this choice in the run's log. A strategy that needs to know the
 * candidates of a scheduling decision (PCT priorities, DFS) implements `schedule`.
 */
export interface Strategy {
  readonly name: string;
  choose(n: number, label: string, index: number): number;
  chance(ratio: number, label: string, index: number): number;
  /** candidates[0] is the default (the current runner); answers an index into candidates. */
  schedule?(candidates: readonly number[], label: string, index: number): number;
}

/** A replay (or strategy) could not follow the recorded run: a verdict, exit code 3. */
export class DivergenceError extends Error {
  override name = "DivergenceError";
  constructor(
    readonly index: number,
    readonly expected: string,
    readonly actual: string,
    /** Whether `index` counts choices or dispatched events. */
    readonly record: "choice" | "event" = "choice",
  ) {
    super(`replay diverged at ${record} #${index}: expected ${expected}, got ${actual}`);
  }
}

/** Seeded random: uniform choices from seedrandom's xor4096; faults fire with their ratio. */
export class RandomStrategy implements Strategy {
  readonly name = "random";
  private readonly rng: Rng;
  constructor(readonly seed: number) {
    this.rng = new Rng(seed);
  }
  choose(n: number): number {
    return this.rng.below(n);
  }
  chance(ratio: number): number {
    return this.rng.chance(ratio) ? 1 : 0;
  }
}

/**
 * Sequence-driven: serves an integer array (as fast-check generates and shrinks it), reduced modulo
 * the bound; once exhausted it answers 0, so a truncated sequence still runs.
 */
export class SequenceStrategy implements Strategy {
  readonly name = "sequence";
  private position = 0;
  constructor(private readonly values: readonly number[]) {
    for (const v of values) {
      if (!Number.isSafeInteger(v) || v < 0)
        throw new RangeError(`sequence values must be non-negative integers, got ${v}`);
    }
  }
  private next(): number {
    return this.position < this.values.length ? this.values[this.position++]! : 0;
  }
  choose(n: number): number {
    return this.next() % n;
  }
  chance(): number {
    return this.next() % 2;
  }
  /** How many values were consumed (the rest of the array was never used). */
  get consumed(): number {
    return this.position;
  }
}

/**
 * Replay: serves a recorded (label, value) list. A label or range mismatch is a divergence naming
 * the index. When the record runs out, `strict` makes that a divergence; otherwise it answers 0.
 */
export class ReplayStrategy implements Strategy {
  readonly name = "replay";
  constructor(
    private readonly labels: readonly string[],
    private readonly values: readonly number[],
    private readonly strict = true,
  ) {
    if (labels.length !== values.length) throw new RangeError("replay needs as many labels as values");
  }
  private take(bound: number, label: string, index: number): number {
    if (index >= this.values.length) {
      if (this.strict) throw new DivergenceError(index, "end of recorded choices", `a '${label}' choice`);
      return 0;
    }
    const expectedLabel = this.labels[index]!;
    if (expectedLabel !== label) {
      throw new DivergenceError(index, `a '${expectedLabel}' choice`, `a '${label}' choice`);
    }
    const value = this.values[index]!;
    if (value >= bound) {
      throw new DivergenceError(index, `'${label}' = ${value}`, `'${label}' with only ${bound} options`);
    }
    return value;
  }
  choose(n: number, label: string, index: number): number {
    return this.take(n, label, index);
  }
  chance(_ratio: number, label: string, index: number): number {
    return this.take(2, label, index);
  }
  get length(): number {
    return this.values.length;
  }
}

/** Observes each choice as it is made (trace writers). */
export type ChoiceListener = (index: number, labelId: number, label: string, value: number) => void;

/** The ordered (label, value) log of a run, kept compactly; labels are interned to small ids. */
export class ChoiceLog {
  private labelIds = new Uint32Array(1024);
  private values = new Uint32Array(1024);
  private count = 0;
  readonly labelNames: string[] = [];

  get length(): number {
    return this.count;
  }

  append(labelId: number, value: number): void {
    if (this.count === this.values.length) {
      const labelIds = new Uint32Array(this.count * 2);
      labelIds.set(this.labelIds);
      const values = new Uint32Array(this.count * 2);
      values.set(this.values);
      this.labelIds = labelIds;
      this.values = values;
    }
    this.labelIds[this.count] = labelId;
    this.values[this.count] = value;
    this.count++;
  }

  label(index: number): string {
    return this.labelNames[this.labelIds[index]!]!;
  }
  value(index: number): number {
    return this.values[index]!;
  }
  /** Copies of the labels and values, e.g. to build a ReplayStrategy. */
  labels(): string[] {
    return Array.from(this.labelIds.subarray(0, this.count), (id) => this.labelNames[id]!);
  }
  valueArray(): number[] {
    return Array.from(this.values.subarray(0, this.count));
  }
  /** Number of choices whose value is not the default 0. */
  nonZeroCount(): number {
    let n = 0;
    for (let i = 0; i < this.count; i++) if (this.values[i] !== 0) n++;
    return n;
  }
}

export interface ChoiceSourceOptions {
  /** Keep the whole (label, value) log in memory (default true); off for very long runs. */
  keepLog?: boolean;
  digest?: Digest;
  listener?: ChoiceListener;
}

/** The run's single choice source. */
export class ChoiceSource {
  readonly log: ChoiceLog | null;
  private readonly labelIds = new Map<string, number>();
  private readonly labelNames: string[];
  private readonly digest: Digest | null;
  private readonly listener: ChoiceListener | null;
  private index = 0;
  private nonZero = 0;
  private lastLabel = "";
  private lastLabelId = 0;

  constructor(
    readonly strategy: Strategy,
    options: ChoiceSourceOptions = {},
  ) {
    this.log = options.keepLog === false ? null : new ChoiceLog();
    this.labelNames = this.log === null ? [] : this.log.labelNames;
    this.digest = options.digest ?? null;
    this.listener = options.listener ?? null;
  }

  /** How many choices have been made. */
  get count(): number {
    return this.index;
  }
  /** How many of them were not the default 0. */
  get nonZeroCount(): number {
    return this.nonZero;
  }

  /** A value in [0, n): 0 is the default. n = 1 answers 0 without consuming a choice. */
  choose(n: number, label: string): number {
    if (n === 1) return 0;
    if (!(Number.isInteger(n) && n >= 2 && n <= MAX_CHOICE_BOUND)) {
      throw new RangeError(`choose(${n}, '${label}'): n must be an integer in [1, 2^32]`);
    }
    const value = this.strategy.choose(n, label, this.index);
    if (!(Number.isInteger(value) && value >= 0 && value < n)) {
      throw new RangeError(`strategy ${this.strategy.name} answered ${value} for choose(${n}, '${label}')`);
    }
    this.record(label, value);
    return value;
  }

  /** True when a fault or event with probability `ratio` fires; 0 and 1 consume no choice. */
  chance(ratio: number, label: string): boolean {
    if (!(ratio >= 0 && ratio <= 1))
      throw new RangeError(`chance(${ratio}, '${label}'): ratio must be in [0, 1]`);
    if (ratio === 0) return false;
    if (ratio === 1) return true;
    const value = this.strategy.chance(ratio, label, this.index);
    if (value !== 0 && value !== 1) {
      throw new RangeError(`strategy ${this.strategy.name} answered ${value} for chance('${label}')`);
    }
    this.record(label, value);
    return value === 1;
  }

  /** An integer in [lo, hi]; the default (0) is lo, e.g. the minimum delay. */
  between(lo: number, hi: number, label: string): number {
    if (!(Number.isSafeInteger(lo) && Number.isSafeInteger(hi) && lo <= hi)) {
      throw new RangeError(`between(${lo}, ${hi}, '${label}'): needs integers lo <= hi`);
    }
    return lo + this.choose(hi - lo + 1, label);
  }

  /**
   * A scheduling decision among runners (ids), candidates[0] being the default. Strategies that
   * keep per-runner state (PCT) see the ids; the others see only how many there are.
   */
  schedule(candidates: readonly number[], label: string): number {
    const n = candidates.length;
    if (n === 1) return 0;
    const strategy = this.strategy;
    const value =
      strategy.schedule !== undefined
        ? strategy.schedule(candidates, label, this.index)
        : strategy.choose(n, label, this.index);
    if (!(Number.isInteger(value) && value >= 0 && value < n)) {
      throw new RangeError(`strategy ${strategy.name} answered ${value} for a schedule among ${n}`);
    }
    this.record(label, value);
    return value;
  }

  private record(label: string, value: number): void {
    let id = label === this.lastLabel ? this.lastLabelId : this.labelIds.get(label);
    if (id === undefined) {
      id = this.labelIds.size;
      this.labelIds.set(label, id);
      this.labelNames.push(label);
    }
    this.lastLabel = label;
    this.lastLabelId = id;
    if (value !== 0) this.nonZero++;
    this.log?.append(id, value);
    if (this.digest !== null) {
      this.digest.word(id);
      this.digest.word(value);
    }
    this.listener?.(this.index, id, label, value);
    this.index++;
  }
}
