// `osv-sim shrink TRACE`: minimises a failing trace's choice sequence (delete spans, zero values,
// lower values), keeping the same failure signature, and writes the result as a new trace.

import { Command } from "@commander-js/extra-typings";
import { parseScenario, shrinkFailure } from "../scenario/index.js";
import { formatDuration, SequenceStrategy, TraceReader } from "../sim/index.js";
import { type CliIo, ExitCode, parseNonNegativeInteger, UsageError } from "./io.js";
import { replayTraceFile } from "./replay.js";
import { executeScenario } from "./session.js";

/** All recorded choice values of a trace, and its footer. */
function readChoices(path: string) {
  const reader = TraceReader.open(path);
  const values: number[] = [];
  try {
    for (let block = reader.nextBlock(); block !== null; block = reader.nextBlock()) {
      for (const v of block.choiceValue) values.push(v);
    }
    return { header: reader.header, footer: reader.footer!, values };
  } finally {
    reader.close();
  }
}

export function shrinkCommand(io: CliIo) {
  return new Command("shrink")
    .description("minimise a failing trace's choices, keeping its failure signature")
    .argument("<trace>", "a trace whose run failed")
    .option("--out <file>", "where to write the shrunk trace (default: TRACE with .shrunk.trace)")
    .option("--budget <n>", "re-runs the shrinker may spend", parseNonNegativeInteger("--budget"))
    .option("--force", "overwrite the output file", false)
    .action((path, options) => {
      const { header, footer, values } = readChoices(path);
      if (footer.outcome === "ok")
        throw new UsageError(`${path}: the recorded run passed; there is no failure to shrink`);
      const signature = `${footer.outcome}:${footer.failure?.check || footer.outcome}`;
      const scenario = parseScenario(header.scenarioText, `${path} (embedded scenario)`);
      const budget = options.budget ?? scenario.explore.shrink_budget;
      const shrunk = shrinkFailure(scenario, values, signature, budget);
      const out = options.out ?? path.replace(/(\.trace)?$/, ".shrunk.trace");
      const resolved = { file: path, text: header.scenarioText, scenario, overrides: [...header.overrides] };
      executeScenario(resolved, {
        strategy: new SequenceStrategy(shrunk.values),
        strategyName: "sequence",
        tracePath: out,
        force: options.force,
      });
      const replay = replayTraceFile(out);
      io.out(
        [
          `shrink ${path}: ${signature}`,
          `  choices   ${values.length} -> ${shrunk.values.length} (${shrunk.values.filter((v) => v !== 0).length} non-zero)`,
          `  virtual   ${formatDuration(footer.virtualNs)} -> ${formatDuration(shrunk.result.virtualNs)}`,
          `  attempts  ${shrunk.attempts}${shrunk.budgetExhausted ? " (budget exhausted)" : ""}`,
          `  failure   ${shrunk.result.failure?.message ?? shrunk.result.reason}`,
          `  trace     ${out} (replay ${replay.reproduced ? "reproduces it" : "DOES NOT reproduce it"})`,
          "",
        ].join("\n"),
      );
      process.exitCode = replay.reproduced ? ExitCode.Ok : ExitCode.Diverged;
    });
}
