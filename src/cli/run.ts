// `osv-sim run [scenario]`: runs a scenario file (or the built-in default) and reports outcome,
// seed, digest, checks and threads; on failure, what failed and the exact command reproducing it.

import { Command } from "@commander-js/extra-typings";
import { type CliIo, collect, exitCodeFor, parseNonNegativeInteger } from "./io.js";
import { formatTextReport, jsonReport } from "./report.js";
import { executeScenario, reproduceCommand, resolveScenario } from "./session.js";

export function runCommand(io: CliIo) {
  return new Command("run")
    .description("run a scenario (the built-in default when none is given) and report the outcome")
    .argument("[scenario]", "scenario YAML file")
    .option(
      "--seed <n>",
      "seed of the run's choice source (overrides the scenario's)",
      parseNonNegativeInteger("--seed"),
    )
    .option("--duration <d>", "virtual time to run, e.g. 5ms (overrides the scenario's)")
    .option(
      "--set <path=value>",
      "override a scenario field, e.g. workloads.0.threads=4 (repeatable)",
      collect,
      [],
    )
    .option("--trace <file>", "record the run to a trace file")
    .option("--force", "overwrite an existing trace file", false)
    .option("--json", "print one JSON object instead of the text report", false)
    .option(
      "--no-run-ahead",
      "dispatch every effect through the engine's loop (the same run, slower: for checking run-ahead)",
    )
    .action((file, options) => {
      const resolved = resolveScenario(file, {
        seed: options.seed,
        duration: options.duration,
        set: options.set,
      });
      const execution = executeScenario(resolved, {
        tracePath: options.trace,
        force: options.force,
        runAhead: options.runAhead,
      });
      const context = {
        title: `${resolved.scenario.name} (${resolved.file})`,
        wallMs: execution.wallMs,
        reproduce:
          options.trace === undefined ? reproduceCommand(resolved) : `osv-sim replay ${options.trace}`,
        threads: execution.threads,
        cpus: execution.cpus,
        metrics: execution.metrics,
      };
      const report = options.json
        ? `${JSON.stringify(jsonReport(execution.result, context))}\n`
        : formatTextReport(execution.result, context);
      io.out(report);
      if (options.trace !== undefined && !options.json)
        io.out(`  trace     ${options.trace} (${execution.traceBytes} bytes)\n`);
      process.exitCode = exitCodeFor(execution.result.outcome);
    });
}
