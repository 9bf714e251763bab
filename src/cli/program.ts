// The `osv-sim` program factory: tests build it with their own IO; main.ts runs it on process argv.

import { Command, CommanderError } from "@commander-js/extra-typings";
import { ScenarioError } from "../scenario/index.js";
import { TraceError } from "../sim/index.js";
import { fuzzCommand } from "./fuzz.js";
import { type CliIo, ExitCode, UsageError } from "./io.js";
import { regressCommand } from "./regress.js";
import { replayCommand } from "./replay.js";
import { runCommand } from "./run.js";
import { shrinkCommand } from "./shrink.js";
import { traceCommand } from "./trace.js";
import { schemaCommand, validateCommand } from "./validate.js";
import { packageVersion } from "./version.js";

export function createProgram(io: CliIo): Command {
  const program = new Command("osv-sim")
    .description("Deterministic discrete-event simulator of the OSv unikernel")
    .version(packageVersion(), "-V, --version")
    .option("--debug", "print stack traces for errors", false)
    .showHelpAfterError("(run osv-sim --help for usage)")
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();
  for (const command of [
    runCommand(io),
    replayCommand(io),
    fuzzCommand(io),
    shrinkCommand(io),
    regressCommand(io),
    traceCommand(io),
    validateCommand(io),
    schemaCommand(io),
  ]) {
    command.copyInheritedSettings(program);
    program.addCommand(command, { isDefault: command.name() === "run" });
  }
  return program;
}

/** Runs the program and answers the exit code; errors become one line on stderr. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = createProgram(io);
  const debug = argv.includes("--debug");
  process.exitCode = 0;
  try {
    await program.parseAsync([...argv], { from: "user" });
    return Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its message; help and version exit 0.
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.BadInput;
    }
    if (error instanceof UsageError || error instanceof TraceError) {
      io.err(`osv-sim: ${error.message}\n`);
      return ExitCode.BadInput;
    }
    if (error instanceof ScenarioError) {
      io.err(`${error.message}\n`);
      return ExitCode.BadInput;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.err(`osv-sim: internal error: ${message}\n`);
    if (debug && error instanceof Error && error.stack !== undefined) io.err(`${error.stack}\n`);
    return ExitCode.Internal;
  }
}
