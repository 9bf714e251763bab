export { type KernelThread, ProcessWaitPort, type WaitPort } from "./wait.js";
