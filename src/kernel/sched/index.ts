// The scheduler model's surface: runtime math, runqueue, thread states, timers, the clock, the Kernel
// and its ThreadHost.

export { CLOCK_MONOTONIC_CHECK, KernelClock, type KernelClockOptions } from "./clock.js";
export { kernelHost } from "./host.js";
export { type Queueable, Runqueue, runsBefore } from "./runqueue.js";
export {
  C_INITIAL,
  C_MAX,
  CONTEXT_SWITCH_PENALTY_NS,
  CpuRuntime,
  expTau,
  fastLog2,
  niceToPriority,
  PRIORITY_DEFAULT,
  PRIORITY_IDLE,
  PRIORITY_INFINITY,
  RENORMALIZE_FACTOR,
  type RunqueueRuntimes,
  TAU_NS,
  THYST_NS,
  ThreadRuntime,
  tauLog,
} from "./runtime.js";
export {
  DEFAULT_KERNEL_OPTIONS,
  DetachState,
  Kernel,
  type KernelOptions,
  KThread,
  PIN_RETRY_NS,
  SchedCpu,
  type ThreadApi,
  type ThreadAttr,
  type ThreadBody,
  type ThreadRow,
  TIMER_VECTOR,
  WAKEUP_IPI_VECTOR,
} from "./sched.js";
export {
  checkTransition,
  isLegalTransition,
  LEGAL_TRANSITIONS,
  THREAD_STATUS_NAMES,
  ThreadStatus,
  type ThreadStatusValue,
} from "./status.js";
export {
  leadingZeros63,
  MAX_TIMESTAMP_NS,
  TIMER_SET_BUCKETS,
  TIMER_SET_PAST_BUCKET,
  TIMER_SET_VARIANTS,
  TimerSet,
  type TimerSetEntry,
  type TimerSetVariant,
} from "./timer-set.js";
export { Timer, type TimerClient, TimerList, type TimerListHooks, TimerState } from "./timers.js";
