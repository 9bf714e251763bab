// Spawns the built `osv-sim` binary the way a user would and collects its output and exit code.

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const BIN = fileURLToPath(new URL("../../dist/src/cli/main.js", import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function osvSim(args: readonly string[], options: { cwd?: string } = {}): CliRun {
  const child = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: "utf8",
    env: { ...process.env, CI: "true" },
    timeout: 60_000,
  });
  if (child.error !== undefined) throw child.error;
  return { code: child.status ?? -1, stdout: child.stdout, stderr: child.stderr };
}
