// The newcomer against a long-running hog (osv-internals.md §2.4, §2.16): a hog computes alone for
// `head_start`, then creates a fresh thread on its CPU. The fresh thread's runtime starts at the
// CPU's current level while the hog's decayed runtime is far above it, so the fresh thread runs
// uninterrupted until the two meet: about tau·ln2 ≈ 139 ms, plus up to the 5 ms hysteresis (and a
// context-switch penalty), before the hog gets the CPU back. The newcomer measures its first stretch
// itself, as a guest would: from its start to the first gap between its compute chunks.

import { z } from "zod";
import { TAU_NS, THYST_NS } from "../../kernel/index.js";
import { formatDuration, type Guest } from "../../sim/index.js";
import { registerProgram } from "../registry.js";
import { durationType } from "../units.js";
import { cpuFor } from "./hosts.js";

registerProgram({
  name: "newcomer",
  usesKernel: () => true,
  description:
    "a hog runs alone for head_start, then creates a fresh thread next to it; the fresh thread measures how long it runs before the hog returns",
  params: z.strictObject({
    head_start: durationType().default(2_000_000_000).meta({ description: "the hog's time alone" }),
    chunk: durationType().default(100_000).meta({ description: "the fresh thread's compute per step" }),
    tolerance: z.number().min(0).max(1).default(0.1),
  }),
  checks: [
    {
      name: "newcomer-first-run",
      description:
        "the fresh thread's first stretch is tau·ln2 (+ up to the hysteresis) within the tolerance",
    },
  ],
  build(context) {
    const { params } = context;
    if (context.threads !== 1) throw new RangeError("newcomer runs one hog and its newcomer; set threads: 1");
    const kernel = context.osv();
    let firstStretchNs = -1;
    kernel.spawn(
      `w${context.index}.hog`,
      function* (api): Guest<void> {
        yield* api.compute(params.head_start);
        yield* api.create(`w${context.index}.fresh`, function* (inner): Guest<void> {
          const startNs = yield* inner.now();
          let lastNs = startNs;
          for (;;) {
            yield* inner.compute(params.chunk);
            const now = yield* inner.now();
            // Anything beyond a chunk plus a little (an interrupt, a switch) was the hog's turn.
            if (firstStretchNs < 0 && now - lastNs > params.chunk + 100_000)
              firstStretchNs = lastNs - startNs;
            lastNs = now;
          }
        });
        for (;;) yield* api.compute(1_000_000);
      },
      { priority: context.priority, ...cpuFor(context, 0) },
    );
    const lowNs = TAU_NS * Math.LN2;
    const highNs = lowNs + THYST_NS;
    return {
      endChecks: {
        "newcomer-first-run": () => {
          if (firstStretchNs < 0) return "the hog never got the CPU back (run longer)";
          if (
            firstStretchNs < lowNs * (1 - params.tolerance) ||
            firstStretchNs > highNs * (1 + params.tolerance)
          )
            return `first stretch ${formatDuration(firstStretchNs)}, expected ${formatDuration(Math.round(lowNs))} to ${formatDuration(Math.round(highNs))}`;
          return null;
        },
      },
      metrics: () => ({ first_stretch_ns: firstStretchNs }),
    };
  },
});
