// The OSv kernel model's public surface.

export * from "./sched/index.js";
