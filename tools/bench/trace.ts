// Trace benchmarks: bytes per event of a recorded run, and the cost of recording (wall time of a
// run with a trace over the same run without).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { executeScenario, resolveScenario } from "../../src/cli/session.js";

export interface TraceSize {
  events: number;
  totalBytes: number;
  headerBytes: number;
}

/** Records `file` (or the default scenario) and answers its size. */
export function traceSize(file: string | undefined): TraceSize {
  const dir = mkdtempSync(join(tmpdir(), "osv-sim-bench-"));
  try {
    const path = join(dir, "run.trace");
    const resolved = resolveScenario(file);
    const execution = executeScenario(resolved, { tracePath: path });
    const headerOnly = join(dir, "header.trace");
    // The header's size: a trace of the same scenario cut off before any event.
    const header = executeScenario(resolveScenario(file, { set: ["limits.max_events=1"] }), {
      tracePath: headerOnly,
    });
    return {
      events: execution.result.events,
      totalBytes: execution.traceBytes,
      headerBytes: header.traceBytes - 64,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Wall ms of one run of `file`, with or without recording a trace. */
export function timedRun(
  file: string,
  withTrace: boolean,
  dir: string,
  trial: number,
  set: string[] = [],
): number {
  const resolved = resolveScenario(file, { set });
  const execution = executeScenario(
    resolved,
    withTrace ? { tracePath: join(dir, `t${trial}.trace`), keepChoiceLog: false } : { keepChoiceLog: false },
  );
  return execution.wallMs;
}
