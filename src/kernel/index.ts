// The OSv kernel model's public surface.

export * from "./lockfree/index.js";
export * from "./port/index.js";
export { EAGAIN, EBUSY, EINVAL, EPERM, Pthread } from "./posix/index.js";
export * from "./rcu/index.js";
export * from "./sched/index.js";
export * from "./sync/index.js";
export { isKernelVariant, KERNEL_VARIANTS, type KernelVariant } from "./variants.js";
