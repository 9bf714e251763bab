// For a user's own property tests: a fast-check arbitrary of choice sequences (shrinking towards
// zeros, so towards fewer preemptions, faults and delays) and a one-call run of a scenario on one.

import fc from "fast-check";
import type { RunResult } from "../sim/index.js";
import { runSequence } from "./fuzz.js";
import { loadScenarioFile, parseScenario } from "./load.js";
import type { Scenario } from "./schema.js";

export interface ChoiceSequenceOptions {
  /** Longest sequence (later choices answer 0). Default 200. */
  maxLength?: number;
  /** Largest value; choices reduce it modulo their bound. Default 7. */
  maxValue?: number;
  /**
   * Share of values drawn from 1..maxValue, in (0, 1]; the rest are 0. Default 1: every value is
   * drawn from 0..maxValue, so a yes/no choice (an injected interrupt, a jitter; odd values say yes)
   * says yes about half the time and the start of a run is perturbed at nearly every step. A small
   * density (say 0.2) perturbs a few steps and leaves the rest on the default schedule, as PCT's few
   * change points do; races that need threads to meet at normal speed are reached far more often that
   * way. Densities below 1 are taken in whole percent (0.01 to 0.99).
   */
  density?: number;
}

/** Arbitrary choice sequences for the sequence strategy. */
export function choiceSequences(options: ChoiceSequenceOptions = {}): fc.Arbitrary<number[]> {
  // size "max": fast-check's default size caps generated arrays near 10 elements whatever maxLength
  // says, which would steer only a run's first few choices.
  const density = options.density ?? 1;
  if (!(density > 0 && density <= 1)) throw new RangeError(`density must be in (0, 1], got ${density}`);
  const maxValue = options.maxValue ?? 7;
  const value = fc.nat({ max: maxValue });
  // Weights are whole numbers: density d is d·100 parts values from 1..maxValue to (1 − d)·100 zeros.
  // Zeros first, so that fast-check shrinks towards them.
  const nonZero = Math.min(99, Math.max(1, Math.round(density * 100)));
  const values =
    density === 1
      ? value
      : fc.oneof(
          { weight: 100 - nonZero, arbitrary: fc.constant(0) },
          { weight: nonZero, arbitrary: fc.integer({ min: Math.min(1, maxValue), max: maxValue }) },
        );
  return fc.array(values, { maxLength: options.maxLength ?? 200, size: "max" });
}

/** Runs `scenario` with its choices taken from `values` (the default 0 once they run out). */
export function runWithChoices(scenario: Scenario, values: readonly number[]): RunResult {
  return runSequence(scenario, values).result;
}

/** Loads a scenario from a file path, or from YAML text when `text` is given. */
export function loadScenario(path: string, text?: string): Scenario {
  return text === undefined ? loadScenarioFile(path).scenario : parseScenario(text, path);
}
