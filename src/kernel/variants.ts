// Named historical-bug variants of the kernel model (osv-internals.md §10) and planted mutants, all
// off by default. A scenario switches them on with `kernel.variants`; each has a scenario under
// scenarios/bugs/ on which the search finds the violation, while the correct model holds.

export const KERNEL_VARIANTS = {
  "cf4c46c4-join-hang":
    "complete() marks the thread terminated and then wakes the joiner with preemption enabled: a preemption in between leaves the joiner asleep forever",
  "e60ebaf3-queued-runtime":
    "a thread woken while still current is enqueued instead of set running, so reschedule changes the runtime of a queued thread",
  "cec13e02-idle-nan":
    "hysteresis_run_start does not force the idle thread's runtime to +inf, so inf + inf·(c_new − c_old) with c_new < c_old is NaN",
  "11-terminating-overwrite":
    "a new thread does not destroy the CPU's pending terminating_thread, and complete() overwrites it: that thread is never destroyed and its joiner hangs",
  "e9f0cf29-balancer-overcount":
    "the load balancer counts itself: it migrates when the loads are really equal, leaving a CPU idle",
  "869-clock-backwards-smp-boot":
    "the first CPU to set up its kvmclock publishes _smp_init and boot_systemtime (before e63c8876): a CPU whose pvclock record is not yet registered reads system_time 0, so its uptime goes below 0 after having read 0, and its timer_set aborts",
  "0a4b84bd-stale-wakeup":
    "handle_incoming_wakeups queues a thread found in its wakeup queues even when the thread's home is now another CPU (a stale entry left by pin(t, cpu)), so it is queued on two CPUs",
  "178-reschedule-wrong-cpu":
    "schedule() reads the current CPU before disabling interrupts: a preemption and a migration in between run the old CPU's reschedule on the new one",
  "rcu-early-callbacks":
    "a mutant, not a historical bug: the RCU grace period ends when all CPUs but one have reached the new generation (an off-by-one), so callbacks can run while a reader on the missing CPU still holds the old object",
} as const;

export type KernelVariant = keyof typeof KERNEL_VARIANTS;

export function isKernelVariant(name: string): name is KernelVariant {
  return Object.hasOwn(KERNEL_VARIANTS, name);
}
