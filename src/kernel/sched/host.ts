// OSv threads as a ThreadHost (see port/host.ts): each guest body runs as a kernel thread created at
// boot, placed by the caller (CPU, pinning, priority per slot), waiting and waking through the
// scheduler's own wait/wake protocol (§2.7).

import type { Guest } from "../../sim/index.js";
import type { KernelThread, ThreadHost } from "../port/index.js";
import type { Kernel, ThreadAttr } from "./sched.js";

export function kernelHost(kernel: Kernel, place: (slot: number) => ThreadAttr): ThreadHost {
  return {
    port: kernel,
    spawn(name: string, body: () => Guest<unknown>, slot: number): KernelThread {
      return kernel.spawn(name, () => body(), place(slot));
    },
  };
}
