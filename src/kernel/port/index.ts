export { ProcessHost, type ThreadHost } from "./host.js";
export { type HeldLock, type KernelThread, ProcessWaitPort, type WaitPort } from "./wait.js";
