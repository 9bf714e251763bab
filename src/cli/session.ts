// What several subcommands share: resolving a scenario argument (a file, or the built-in default)
// with command-line overrides applied to the YAML itself — so the resolved text stored in a trace
// replays with no flags — and running a scenario with an optional trace writer.

import { isMap, parseDocument } from "yaml";
import { type CpuRow, cpuTable } from "../hw/index.js";
import type { ThreadRow } from "../kernel/index.js";
import {
  buildScenario,
  DEFAULT_SCENARIO_NAME,
  DEFAULT_SCENARIO_YAML,
  loadScenarioFile,
  parseScenario,
  type Scenario,
  ScenarioError,
} from "../scenario/index.js";
import { type RunResult, type Strategy, TraceWriter } from "../sim/index.js";
import { UsageError } from "./io.js";
import { packageVersion } from "./version.js";

export interface ResolvedScenario {
  /** The file name, or DEFAULT_SCENARIO_NAME. */
  file: string;
  /** The scenario text after overrides (what a trace stores). */
  text: string;
  scenario: Scenario;
  overrides: string[];
}

export interface Overrides {
  seed?: number | undefined;
  duration?: string | undefined;
  set?: readonly string[] | undefined;
}

/** Applies `path=value` overrides (dotted paths, numeric array indices) to YAML text. */
function applyOverrides(
  text: string,
  file: string,
  overrides: Overrides,
): { text: string; applied: string[] } {
  const applied: string[] = [];
  const pairs: [string, string][] = [];
  if (overrides.seed !== undefined) pairs.push(["seed", String(overrides.seed)]);
  if (overrides.duration !== undefined) pairs.push(["duration", overrides.duration]);
  for (const assignment of overrides.set ?? []) {
    const eq = assignment.indexOf("=");
    if (eq <= 0) throw new UsageError(`--set takes path=value, got '${assignment}'`);
    pairs.push([assignment.slice(0, eq), assignment.slice(eq + 1)]);
  }
  if (pairs.length === 0) return { text, applied };
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || !isMap(doc.contents)) return { text, applied }; // the loader reports it
  for (const [path, raw] of pairs) {
    const keys = path.split(".").map((k) => (/^\d+$/.test(k) ? Number(k) : k));
    const value = parseDocument(raw).toJS() as unknown;
    try {
      doc.setIn(keys, value);
    } catch (error) {
      throw new UsageError(`${file}: cannot set '${path}': ${(error as Error).message}`);
    }
    applied.push(`${path}=${raw}`);
  }
  return { text: doc.toString(), applied };
}

/** Loads a scenario file (or the default) and applies overrides; errors are ScenarioError / UsageError. */
export function resolveScenario(file: string | undefined, overrides: Overrides = {}): ResolvedScenario {
  let original: string;
  const name = file ?? DEFAULT_SCENARIO_NAME;
  if (file === undefined) {
    original = DEFAULT_SCENARIO_YAML;
  } else {
    original = loadScenarioFile(file).text;
  }
  const { text, applied } = applyOverrides(original, name, overrides);
  try {
    return { file: name, text, scenario: parseScenario(text, name), overrides: applied };
  } catch (error) {
    if (error instanceof ScenarioError && applied.length > 0) {
      throw new ScenarioError(name, [
        ...error.problems.map((p) => ({ ...p, message: `${p.message} (after ${applied.join(", ")})` })),
      ]);
    }
    throw error;
  }
}

export interface ExecuteOptions {
  strategy?: Strategy;
  tracePath?: string | undefined;
  force?: boolean;
  keepChoiceLog?: boolean;
  strategyName?: string;
  /** SimulationOptions.runAhead (default true). */
  runAhead?: boolean;
}

export interface Execution {
  result: RunResult;
  wallMs: number;
  traceBytes: number;
  /** The choice values of the run, when kept. */
  choiceValues: number[] | null;
  /** OSv's /os/threads rows when the scenario ran the kernel, else null. */
  threads: ThreadRow[] | null;
  /** Each vCPU's totals when the scenario ran on a machine, else null. */
  cpus: CpuRow[] | null;
  metrics: Record<string, number>;
}

export function executeScenario(resolved: ResolvedScenario, options: ExecuteOptions = {}): Execution {
  const writer =
    options.tracePath === undefined
      ? null
      : TraceWriter.create(
          options.tracePath,
          {
            osvSimVersion: packageVersion(),
            nodeVersion: process.version,
            scenarioName: resolved.scenario.name,
            scenarioText: resolved.text,
            seed: resolved.scenario.seed,
            strategy: options.strategyName ?? options.strategy?.name ?? "random",
            overrides: resolved.overrides,
          },
          { force: options.force ?? false },
        );
  const simOptions = {
    ...(writer?.listeners() ?? {}),
    keepChoiceLog: options.keepChoiceLog ?? true,
    runAhead: options.runAhead ?? true,
  };
  const built = buildScenario(
    resolved.scenario,
    options.strategy === undefined
      ? { sim: simOptions }
      : { sim: { ...simOptions, strategy: options.strategy } },
  );
  writer?.bind(built.sim);
  const started = performance.now();
  let result: RunResult;
  try {
    result = built.run();
  } catch (error) {
    writer?.close();
    throw error;
  }
  const wallMs = performance.now() - started;
  writer?.finish(result);
  return {
    result,
    wallMs,
    traceBytes: writer?.bytesWritten ?? 0,
    choiceValues: built.sim.choice.log?.valueArray() ?? null,
    threads: built.kernel?.threadTable() ?? null,
    cpus: built.kernel === null ? null : cpuTable(built.kernel.machine, built.sim.now),
    metrics: built.metrics(),
  };
}

/** The flags that reproduce a run of `resolved` from the command line. */
export function reproduceCommand(resolved: ResolvedScenario): string {
  const file = resolved.file === DEFAULT_SCENARIO_NAME ? "" : ` ${resolved.file}`;
  const sets = resolved.overrides.filter((o) => !o.startsWith("seed=")).map((o) => ` --set '${o}'`);
  return `osv-sim run${file} --seed ${resolved.scenario.seed}${sets.join("")}`;
}
