// Shared pieces of the command line: output streams (injectable for tests), exit codes as DESIGN.md
// defines them, and the one-line error type every subcommand throws for bad input.

export const ExitCode = {
  Ok: 0,
  CheckFailed: 1,
  BadInput: 2,
  Diverged: 3,
  Internal: 70,
} as const;

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is an interactive terminal (progress display), false in CI and tests. */
  readonly interactive: boolean;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  interactive: process.stderr.isTTY === true && process.env["CI"] === undefined,
};

/** Bad input (usage, scenario, trace): one line on stderr and exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The exit code for a run's outcome. */
export function exitCodeFor(outcome: string): number {
  switch (outcome) {
    case "ok":
      return ExitCode.Ok;
    case "divergence":
      return ExitCode.Diverged;
    default:
      return ExitCode.CheckFailed;
  }
}

/** Parses a non-negative safe integer option such as a seed. */
export function parseNonNegativeInteger(name: string): (text: string) => number {
  return (text: string) => {
    if (!/^\d+$/.test(text.trim()))
      throw new UsageError(`${name} must be a non-negative integer, got '${text}'`);
    const value = Number(text);
    if (!Number.isSafeInteger(value)) throw new UsageError(`${name} is too large: ${text}`);
    return value;
  };
}

/** Commander accumulator for repeatable options. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
