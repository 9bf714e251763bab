// `osv-sim replay TRACE`: re-runs the scenario stored in a trace with its recorded choices, checking
// every event and every block digest. Exit 0 when reproduced exactly (printing the recorded outcome),
// 3 with the first divergent record when not, 2 when the trace cannot be read.

import { Command } from "@commander-js/extra-typings";
import { type BuiltScenario, buildScenario, parseScenario } from "../scenario/index.js";
import { formatDuration, TraceReader, TraceReplay } from "../sim/index.js";
import { type CliIo, ExitCode } from "./io.js";
import { packageVersion } from "./version.js";

export interface ReplayOutcome {
  reproduced: boolean;
  /** The recorded outcome (from the footer). */
  recordedOutcome: string;
  outcome: string;
  reason: string;
  divergence: { record: string; index: number; timeNs: number; expected: string; actual: string } | null;
  digest: string;
  events: number;
  choices: number;
  warnings: string[];
}

/**
 * Replays a trace file and says whether the run was reproduced. Throws TraceError for bad files.
 * `observe` sees the rebuilt scenario before it runs (to attach observers, as `trace export` does).
 */
export function replayTraceFile(path: string, observe?: (built: BuiltScenario) => void): ReplayOutcome {
  const reader = TraceReader.open(path);
  try {
    const header = reader.header;
    const warnings: string[] = [];
    if (header.osvSimVersion !== packageVersion()) {
      warnings.push(`recorded by osv-sim ${header.osvSimVersion}, replaying with ${packageVersion()}`);
    }
    if (header.nodeVersion !== process.version)
      warnings.push(`recorded on Node ${header.nodeVersion}, replaying on ${process.version}`);
    const scenario = parseScenario(header.scenarioText, `${path} (embedded scenario)`);
    const replay = new TraceReplay(reader);
    const built = buildScenario(scenario, {
      sim: { strategy: replay.strategy(), keepChoiceLog: false, ...replay.listeners() },
    });
    replay.bind(built.sim);
    observe?.(built);
    const result = built.run();
    let divergence: ReplayOutcome["divergence"] = null;
    if (result.outcome === "divergence") {
      const f = result.failure!;
      const detail = /^replay diverged at (choice|event) #(\d+): expected (.*), got (.*)$/.exec(f.message);
      divergence = {
        record: detail?.[1] ?? "record",
        index: Number(detail?.[2] ?? f.eventIndex),
        timeNs: f.timeNs,
        expected: detail?.[3] ?? "",
        actual: detail?.[4] ?? f.message,
      };
    }
    const mismatch = divergence === null ? replay.finish(result) : null;
    const footer = reader.footer;
    return {
      reproduced: divergence === null && mismatch === null,
      recordedOutcome: footer?.outcome ?? "unknown",
      outcome: result.outcome,
      reason: divergence !== null ? result.reason : (mismatch ?? footer?.reason ?? result.reason),
      divergence,
      digest: result.digest,
      events: result.events,
      choices: result.choices,
      warnings,
    };
  } finally {
    reader.close();
  }
}

export function replayCommand(io: CliIo) {
  return new Command("replay")
    .description("re-run a recorded trace and verify that it reproduces exactly")
    .argument("<trace>", "trace file written by run --trace, fuzz or shrink")
    .option("--json", "print one JSON object", false)
    .action((path, options) => {
      const outcome = replayTraceFile(path);
      if (options.json) {
        io.out(`${JSON.stringify(outcome)}\n`);
      } else if (outcome.reproduced) {
        io.out(
          `replay ${path}: reproduced exactly (${outcome.events} events, ${outcome.choices} choices, digest ${outcome.digest})\n`,
        );
        io.out(`  recorded outcome: ${outcome.recordedOutcome}: ${outcome.reason}\n`);
      } else if (outcome.divergence !== null) {
        const d = outcome.divergence;
        io.out(
          `replay ${path}: DIVERGED at ${d.record} #${d.index} (virtual time ${formatDuration(d.timeNs)})\n`,
        );
        io.out(`  expected: ${d.expected}\n  actual:   ${d.actual}\n`);
      } else {
        io.out(`replay ${path}: DIVERGED: ${outcome.reason}\n`);
      }
      for (const warning of outcome.warnings) io.err(`osv-sim: warning: ${warning}\n`);
      process.exitCode = outcome.reproduced ? ExitCode.Ok : ExitCode.Diverged;
    });
}
