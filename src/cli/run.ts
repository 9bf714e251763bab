// `osv-sim run`: runs the built-in engine demo (until scenario files land) and reports the outcome,
// seed and digest, with the exact command that reproduces a failure.

import { Command } from "@commander-js/extra-typings";
import { buildCounterDemo, DEFAULT_COUNTER_DEMO } from "../scenario/index.js";
import { type CliIo, exitCodeFor, parseNonNegativeInteger } from "./io.js";
import { formatTextReport, jsonReport } from "./report.js";

export const DEFAULT_SEED = 1;

export function runCommand(io: CliIo): Command {
  return new Command("run")
    .description("run the built-in demo: threads incrementing a shared counter, checked at the end")
    .option("--seed <n>", "seed of the run's choice source", parseNonNegativeInteger("--seed"), DEFAULT_SEED)
    .option(
      "--threads <n>",
      "number of threads",
      parseNonNegativeInteger("--threads"),
      DEFAULT_COUNTER_DEMO.threads,
    )
    .option(
      "--increments <n>",
      "increments per thread",
      parseNonNegativeInteger("--increments"),
      DEFAULT_COUNTER_DEMO.increments,
    )
    .option("--racy", "increment with load-add-store instead of fetch_add (updates can be lost)", false)
    .option("--json", "print one JSON object instead of the text report", false)
    .action((options) => {
      const demo = {
        threads: Math.max(1, options.threads),
        increments: options.increments,
        racy: options.racy,
      };
      const sim = buildCounterDemo(demo, { seed: options.seed });
      const started = performance.now();
      const result = sim.run();
      const wallMs = performance.now() - started;
      const flags = `--seed ${options.seed} --threads ${demo.threads} --increments ${demo.increments}${demo.racy ? " --racy" : ""}`;
      const context = {
        title: `built-in demo 'counter' (${demo.threads} threads x ${demo.increments} increments, ${demo.racy ? "racy load+store" : "fetch_add"})`,
        wallMs,
        reproduce: `osv-sim run ${flags}`,
      };
      if (options.json) io.out(`${JSON.stringify(jsonReport(result, context))}\n`);
      else io.out(formatTextReport(result, context));
      process.exitCode = exitCodeFor(result.outcome);
    });
}
