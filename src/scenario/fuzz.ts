// Fuzz campaigns over a scenario: which seeds a campaign (or one shard of it) runs, one seeded run
// reduced to a result record, the failure signature that tells distinct bugs apart, and shrinking
// a failing run's choice sequence while keeping that signature. The CLI adds worker threads,
// progress, and files; a library user can drive the same pieces from a test.

import { type RunResult, SequenceStrategy, shrinkChoices } from "../sim/index.js";
import { buildScenario, DEFAULT_SCENARIO_MAX_EVENTS } from "./build.js";
import type { Scenario } from "./schema.js";

export interface Shard {
  index: number;
  count: number;
}

export const WHOLE: Shard = { index: 0, count: 1 };

/** Parses `i/n` (0 <= i < n). */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || !(count >= 1 && index < count))
    throw new RangeError(`--shard takes i/n with 0 <= i < n, got '${text}'`);
  return { index, count };
}

/**
 * The k-th seed of a shard's slice of the campaign: the campaign's seeds are seedBase + k for
 * k = 0, 1, 2, …; shard i of n takes those with k ≡ i (mod n), so shards together cover the
 * campaign exactly once.
 */
export function shardSeed(seedBase: number, shard: Shard, position: number): number {
  return seedBase + shard.index + position * shard.count;
}

/** How many of a campaign's `runs` seeds fall to `shard`. */
export function shardRuns(runs: number, shard: Shard): number {
  return Math.max(0, Math.ceil((runs - shard.index) / shard.count));
}

/** What tells two failures apart: the verdict and the check that failed. Null for a passing run. */
export function failureSignature(result: RunResult): string | null {
  if (result.outcome === "ok") return null;
  return `${result.outcome}:${result.failure?.check ?? result.outcome}`;
}

export interface RunRecord {
  seed: number;
  outcome: string;
  signature: string | null;
  reason: string;
  digest: string;
  events: number;
  choices: number;
  non_zero_choices: number;
  virtual_ns: number;
}

export function recordOf(seed: number, result: RunResult): RunRecord {
  return {
    seed,
    outcome: result.outcome,
    signature: failureSignature(result),
    reason: result.reason,
    digest: result.digest,
    events: result.events,
    choices: result.choices,
    non_zero_choices: result.nonZeroChoices,
    virtual_ns: result.virtualNs,
  };
}

/** Runs a scenario with `seed`; answers its record and, when it failed, the choice values. */
export function runSeed(scenario: Scenario, seed: number): { record: RunRecord; choices: number[] | null } {
  const built = buildScenario(scenario, { seed });
  const result = built.run();
  const record = recordOf(seed, result);
  return { record, choices: record.signature === null ? null : built.sim.choice.log!.valueArray() };
}

/** Runs a scenario on a fixed choice sequence (what shrinking and shrunk traces use). */
export function runSequence(
  scenario: Scenario,
  values: readonly number[],
): { result: RunResult; consumed: number[] } {
  const built = buildScenario(scenario, { sim: { strategy: new SequenceStrategy(values) } });
  const result = built.run();
  return { result, consumed: built.sim.choice.log!.valueArray() };
}

export interface ShrunkFailure {
  values: number[];
  attempts: number;
  budgetExhausted: boolean;
  result: RunResult;
}

/**
 * A candidate may run this many times the failing run's events (and at least SHRINK_MIN_EVENTS)
 * before it is cut off and counted as not failing. A candidate can wander into a much longer run
 * (a livelock the scenario's own limit ends only after millions of events); rejecting it only
 * shrinks less, never wrongly.
 */
export const SHRINK_EVENT_FACTOR = 4;
export const SHRINK_MIN_EVENTS = 100_000;

/**
 * The event limit for shrink candidates of a failure whose run took `failingEvents` events (a
 * budget failure keeps the scenario's own limit: shrinkFailure does not call this for one).
 */
export function shrinkEventCap(scenario: Scenario, failingEvents: number): number {
  const limit = scenario.limits.max_events ?? DEFAULT_SCENARIO_MAX_EVENTS;
  return Math.min(limit, Math.max(SHRINK_MIN_EVENTS, SHRINK_EVENT_FACTOR * failingEvents));
}

/** Shrinks a failing choice sequence, keeping `signature`. */
export function shrinkFailure(
  scenario: Scenario,
  values: readonly number[],
  signature: string,
  budget: number,
): ShrunkFailure {
  let candidates = scenario;
  if (!signature.startsWith("budget")) {
    const cap = shrinkEventCap(scenario, runSequence(scenario, values).result.events);
    candidates = { ...scenario, limits: { ...scenario.limits, max_events: cap } };
  }
  const shrunk = shrinkChoices(
    values,
    (candidate) => {
      const { result, consumed } = runSequence(candidates, candidate);
      return { fails: failureSignature(result) === signature, consumed };
    },
    budget,
  );
  const { result } = runSequence(scenario, shrunk.values);
  if (failureSignature(result) !== signature) {
    throw new Error(
      `shrinking lost the failure '${signature}' (got ${failureSignature(result) ?? "ok"}): the run is not deterministic`,
    );
  }
  return { ...shrunk, result };
}
