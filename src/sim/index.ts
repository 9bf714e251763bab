// The engine's public surface: other layers import only from here.

export { removeAt } from "./arrays.js";
export {
  ChoiceLog,
  ChoiceSource,
  DivergenceError,
  MAX_CHOICE_BOUND,
  RandomStrategy,
  ReplayStrategy,
  SequenceStrategy,
  type Strategy,
} from "./choice.js";
export { Digest } from "./digest.js";
export {
  block,
  type CellEquals,
  COMPUTE_DEFERRED,
  CORE_OP_NAMES,
  call,
  cas,
  cellEquals,
  compareAndSwap,
  compute,
  deferredCompute,
  type Effect,
  exchange,
  extension,
  FIRST_EXTENSION_OP,
  fence,
  fetchAdd,
  type Guest,
  invoke,
  load,
  loadEquals,
  Op,
  sleep,
  store,
  wake,
  yieldNow,
} from "./effects.js";
export {
  type CheckResult,
  DEFAULT_LIMITS,
  type DispatchListener,
  type Failure,
  InvariantViolation,
  type Limits,
  type Outcome,
  type RunnerSummary,
  type RunResult,
  Simulation,
  type SimulationOptions,
  type TimedHandler,
} from "./engine.js";
export { EventKind, KindRegistry, type RecentEvent } from "./events.js";
export { guardDeterminism, NondeterminismError } from "./guard.js";
export { Cell, CellValueError, type CellWatcher, Memory, type MemoryModel } from "./memory.js";
export {
  createEventQueue,
  type EventQueue,
  HeapJsQueue,
  type QueueKind,
  QueueLimitError,
  TypedHeapQueue,
} from "./queue.js";
export { Rng } from "./rng.js";
export {
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
  type RunnerStateValue,
  SUSPENDED,
} from "./runner.js";
export { type ShrinkAttempt, type ShrinkResult, shrinkChoices, simpler } from "./shrink.js";
export { DONE, GuestStack, MAX_CALL_DEPTH } from "./stack.js";
export {
  assertTimeNs,
  DurationError,
  formatDuration,
  type Nanoseconds,
  NS_PER_MS,
  NS_PER_S,
  NS_PER_US,
  parseDuration,
} from "./time.js";
export * from "./trace/index.js";
