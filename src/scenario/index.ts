// Scenario layer surface: the format, loading with positioned errors, building runnable simulations.

export { type BuildOptions, type BuiltScenario, buildScenario, checkNames } from "./build.js";
export { DEFAULT_SCENARIO_NAME, DEFAULT_SCENARIO_YAML } from "./default.js";
export { buildCounterDemo, type CounterDemoOptions, DEFAULT_COUNTER_DEMO } from "./demo.js";
export {
  failureSignature,
  parseShard,
  type RunRecord,
  recordOf,
  runSeed,
  runSequence,
  SHRINK_EVENT_FACTOR,
  SHRINK_MIN_EVENTS,
  type Shard,
  type ShrunkFailure,
  shardRuns,
  shardSeed,
  shrinkEventCap,
  shrinkFailure,
  WHOLE,
} from "./fuzz.js";
export { didYouMean, loadScenarioFile, parseScenario, ScenarioError, type ScenarioProblem } from "./load.js";
export { spawnCounter } from "./programs/engine.js";
export {
  findProgram,
  KERNEL_CHECKS,
  type Program,
  type ProgramContext,
  programList,
  registerProgram,
  type WorkloadInstance,
} from "./registry.js";
export { type Scenario, scenarioJsonSchema, scenarioSchema, type WorkloadSpec } from "./schema.js";
export { type ChoiceSequenceOptions, choiceSequences, loadScenario, runWithChoices } from "./testing.js";
export { parseSize } from "./units.js";
