// `osv-sim regress [DIR]`: replays every kept trace (DIR/*.trace, default traces/) and checks it
// against its expected outcome (DIR/NAME.expect.json: {"outcome": …, "check": …}). A trace that no
// longer replays exactly (the model changed) is re-run on its recorded choices leniently: if the
// run still ends as expected it passes as "stale" (refresh it with --update); otherwise it fails.

import { existsSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { Command } from "@commander-js/extra-typings";
import { failureSignature, parseScenario, runSequence, ScenarioError } from "../scenario/index.js";
import { SequenceStrategy, TraceError, TraceReader } from "../sim/index.js";
import { type CliIo, ExitCode, UsageError } from "./io.js";
import { replayTraceFile } from "./replay.js";
import { executeScenario } from "./session.js";

interface Expectation {
  outcome: string;
  check?: string;
}

function readExpectation(path: string): Expectation {
  const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<Expectation>;
  if (typeof parsed.outcome !== "string") throw new UsageError(`${path}: needs a string "outcome"`);
  return parsed as Expectation;
}

function matches(expected: Expectation, outcome: string, check: string | null): boolean {
  return outcome === expected.outcome && (expected.check === undefined || expected.check === check);
}

/** Re-runs a stale trace's scenario on its recorded choice values; answers the new outcome. */
function lenientRerun(path: string) {
  const reader = TraceReader.open(path);
  const values: number[] = [];
  try {
    for (let block = reader.nextBlock(); block !== null; block = reader.nextBlock())
      values.push(...block.choiceValue);
  } finally {
    reader.close();
  }
  const text = reader.header.scenarioText;
  const scenario = parseScenario(text, `${path} (embedded scenario)`);
  const { result } = runSequence(scenario, values);
  return { result, values, text, scenario, overrides: [...reader.header.overrides] };
}

export function regressCommand(io: CliIo) {
  return new Command("regress")
    .description("replay the kept traces and check each against its expected outcome")
    .argument("[dir]", "directory of .trace files with .expect.json beside them", "traces")
    .option("--update", "re-record stale traces that still end as expected", false)
    .action((dir, options) => {
      if (!existsSync(dir)) throw new UsageError(`${dir}: no such directory`);
      const traces = readdirSync(dir)
        .filter((f) => f.endsWith(".trace"))
        .sort();
      let passed = 0;
      let failed = 0;
      for (const name of traces) {
        const path = join(dir, name);
        const expectPath = path.replace(/\.trace$/, ".expect.json");
        if (!existsSync(expectPath)) {
          io.out(`FAIL ${name}: no ${expectPath.split("/").pop()} beside it\n`);
          failed++;
          continue;
        }
        const expected = readExpectation(expectPath);
        let replay: ReturnType<typeof replayTraceFile>;
        try {
          replay = replayTraceFile(path);
        } catch (error) {
          // A trace this version cannot read or whose scenario no longer validates fails on its own.
          if (!(error instanceof ScenarioError || error instanceof TraceError)) throw error;
          io.out(`FAIL ${name}: ${error.message.split("\n")[0]}\n`);
          failed++;
          continue;
        }
        if (replay.reproduced) {
          const reader = TraceReader.open(path);
          while (reader.nextBlock() !== null) {}
          const check = reader.footer?.failure?.check || null;
          const ok = matches(expected, replay.recordedOutcome, check);
          io.out(
            `${ok ? "PASS" : "FAIL"} ${name}: ${replay.recordedOutcome}${check === null ? "" : ` (${check})`}, reproduced exactly\n`,
          );
          if (ok) passed++;
          else failed++;
          continue;
        }
        const rerun = lenientRerun(path);
        const signature = failureSignature(rerun.result);
        const check = rerun.result.failure?.check ?? null;
        const ok = matches(expected, rerun.result.outcome, check);
        if (ok && options.update) {
          const tmp = `${path}.new`;
          executeScenario(
            { file: path, text: rerun.text, scenario: rerun.scenario, overrides: rerun.overrides },
            {
              strategy: new SequenceStrategy(rerun.values),
              strategyName: "sequence",
              tracePath: tmp,
              force: true,
            },
          );
          renameSync(tmp, path);
        }
        const how = ok
          ? options.update
            ? "stale, re-recorded"
            : "stale (still ends as expected; refresh with --update)"
          : "diverged";
        io.out(
          `${ok ? "PASS" : "FAIL"} ${name}: ${signature ?? "ok"} — ${how}${replay.divergence === null ? "" : ` [first difference at ${replay.divergence.record} #${replay.divergence.index}]`}\n`,
        );
        if (ok) passed++;
        else failed++;
      }
      io.out(`regress: ${passed} passed, ${failed} failed\n`);
      process.exitCode = failed === 0 ? ExitCode.Ok : ExitCode.CheckFailed;
    });
}
