// The hardware layer's public surface.

export type { InterruptSink } from "./interrupts.js";
export {
  GuestMemory,
  GuestMemoryError,
  GuestProcess,
  HwOp,
  performPhysEffect,
  physLoad,
  physStore,
  readPhys,
  registerHwOps,
} from "./memory.js";

// virtio and host devices
export * from "./virtio/index.js";
