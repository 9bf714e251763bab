// Thread status values and the only legal transitions between them, from OSv's transition table
// in include/osv/sched.hh as osv-internals.md §2.3 lists it. The scheduler model stores a status in a
// shared cell (so wake's compare-and-swap is an interleaving point) and checks every store against
// this table; an illegal transition is an invariant violation.

export const ThreadStatus = {
  Unstarted: 0,
  Prestarted: 1,
  Waiting: 2,
  SendingLock: 3,
  Running: 4,
  Queued: 5,
  Waking: 6,
  Terminating: 7,
  Terminated: 8,
} as const;
export type ThreadStatusValue = (typeof ThreadStatus)[keyof typeof ThreadStatus];

export const THREAD_STATUS_NAMES = [
  "unstarted",
  "prestarted",
  "waiting",
  "sending_lock",
  "running",
  "queued",
  "waking",
  "terminating",
  "terminated",
] as const;

const S = ThreadStatus;

/** [from, to, trigger] for every legal transition. */
export const LEGAL_TRANSITIONS: readonly [ThreadStatusValue, ThreadStatusValue, string][] = [
  [S.Unstarted, S.Waiting, "start() (then wake())"],
  [S.Unstarted, S.Prestarted, "start() before the scheduler is up"],
  [S.Prestarted, S.Unstarted, "start_early_threads()"],
  [S.Waiting, S.Waking, "wake() compare-and-swap"],
  [S.Waiting, S.Running, "stop_wait(): the predicate became true before switching out"],
  [S.Waiting, S.SendingLock, "wake_lock() (wait morphing)"],
  [S.SendingLock, S.Waking, "mutex unlock() hands the lock over"],
  [S.Running, S.Waiting, "prepare_wait()"],
  [S.Running, S.Queued, "preempted in reschedule"],
  [S.Running, S.Terminating, "complete()"],
  [S.Queued, S.Running, "picked by reschedule"],
  [S.Waking, S.Queued, "target CPU drains its incoming wakeups"],
  [S.Waking, S.Running, "woken while still current"],
  [S.Terminating, S.Terminated, "destroy() by the next thread on that CPU"],
  [S.Waiting, S.Terminated, "unsafe_stop() at shutdown"],
  // Not in sched.hh's table, but done by cpu::load_balance (§2.9): a queued thread is marked waking
  // and pushed onto the target CPU's wakeup queue ("we won't race with wake(), since we're not waiting").
  [S.Queued, S.Waking, "the load balancer migrates a queued thread"],
  // Not in the table either, but done by thread::wake_lock (core/sched.cc) when the thread already
  // waits on the mutex itself: send_lock_unless_already_waiting fails and the status is put back.
  [S.SendingLock, S.Waiting, "wake_lock() finds the thread already queued on the mutex"],
  // Also outside the table, done by thread::pin(t, cpu) (§2.10) on t's CPU with interrupts off: the
  // helper pretends a waking or queued thread is waiting again, moves it, and wakes it on the target.
  [S.Waking, S.Waiting, "pin(t, cpu) moves a waking thread, then wakes it again"],
  [S.Queued, S.Waiting, "pin(t, cpu) takes a queued thread off its runqueue, then wakes it"],
];

/** from * 16 + to -> 1 for a legal transition (a table: every status change is checked). */
const legal = new Uint8Array(256);
for (const [from, to] of LEGAL_TRANSITIONS) legal[from * 16 + to] = 1;

export function isLegalTransition(from: ThreadStatusValue, to: ThreadStatusValue): boolean {
  return from >= 0 && from < 16 && to >= 0 && to < 16 && legal[from * 16 + to] === 1;
}

/** Describes an illegal transition, or answers null for a legal one. */
export function checkTransition(from: number, to: number): string | null {
  if (isLegalTransition(from as ThreadStatusValue, to as ThreadStatusValue)) return null;
  return `illegal thread status transition ${THREAD_STATUS_NAMES[from] ?? from} -> ${THREAD_STATUS_NAMES[to] ?? to}`;
}
