// The library surface: what a user's own vitest suite imports.

export * from "./scenario/index.js";
export * from "./sim/index.js";
