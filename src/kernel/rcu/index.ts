// RCU (osv-internals.md §4; core/rcu.cc, include/osv/rcu.hh, include/osv/rcu-list.hh) on the
// scheduler model.

export { ALL_RCU_CHECKS, RcuChecker, type RcuChecks } from "./checks.js";
export { RCU_DEFER_QUEUE_SIZE, type RcuCallback, RcuDeferQueue } from "./defer-queue.js";
export { RcuObjects } from "./objects.js";
export {
  DEFAULT_RCU_OPTIONS,
  MAX_DEFER_FULL_ROUNDS,
  Rcu,
  type RcuOptions,
  type RcuStats,
  RcuThread,
  rcuOf,
} from "./rcu.js";
export { RcuList, type RcuListNode } from "./rcu-list.js";
export { RcuPtr } from "./rcu-ptr.js";
