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
}

/** Arbitrary choice sequences for the sequence strategy. */
export function choiceSequences(options: ChoiceSequenceOptions = {}): fc.Arbitrary<number[]> {
  // size "max": fast-check's default size caps generated arrays near 10 elements whatever maxLength
  // says, which would steer only a run's first few choices.
  return fc.array(fc.nat({ max: options.maxValue ?? 7 }), {
    maxLength: options.maxLength ?? 200,
    size: "max",
  });
}

/** Runs `scenario` with its choices taken from `values` (the default 0 once they run out). */
export function runWithChoices(scenario: Scenario, values: readonly number[]): RunResult {
  return runSequence(scenario, values).result;
}

/** Loads a scenario from a file path, or from YAML text when `text` is given. */
export function loadScenario(path: string, text?: string): Scenario {
  return text === undefined ? loadScenarioFile(path).scenario : parseScenario(text, path);
}
