// `osv-sim fuzz SCENARIO`: runs many seeds (in worker threads with --jobs, or as shard i/n of a
// campaign), writes one JSON line per run, and saves each distinct failure — shrunk first — as a
// trace that is replayed once to make sure it reproduces. Exit 1 when anything failed.

import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { Command } from "@commander-js/extra-typings";
import {
  parseShard,
  type RunRecord,
  runSeed,
  type Shard,
  shardRuns,
  shardSeed,
  shrinkFailure,
  WHOLE,
} from "../scenario/index.js";
import { formatDuration, parseDuration, SequenceStrategy } from "../sim/index.js";
import type { WorkerTask } from "./fuzz-worker.js";
import { type CliIo, collect, ExitCode, parseNonNegativeInteger, UsageError } from "./io.js";
import { replayTraceFile } from "./replay.js";
import { executeScenario, type ResolvedScenario, resolveScenario } from "./session.js";

interface Campaign {
  resolved: ResolvedScenario;
  seedBase: number;
  shard: Shard;
  runs: number;
  jobs: number;
  deadlineMs: number | null;
}

type Report = (record: RunRecord, choices: number[] | null) => void;

function runInProcess(c: Campaign, report: Report): void {
  for (let position = 0; position < c.runs; position++) {
    if (c.deadlineMs !== null && Date.now() >= c.deadlineMs) break;
    const { record, choices } = runSeed(c.resolved.scenario, shardSeed(c.seedBase, c.shard, position));
    report(record, choices);
  }
}

async function runInWorkers(c: Campaign, report: Report): Promise<void> {
  const workerUrl = new URL("./fuzz-worker.js", import.meta.url);
  await Promise.all(
    Array.from({ length: c.jobs }, (_, worker) => {
      const task: WorkerTask = {
        text: c.resolved.text,
        file: c.resolved.file,
        seedBase: c.seedBase,
        shard: c.shard,
        shardRuns: c.runs,
        worker,
        workers: c.jobs,
        deadlineMs: c.deadlineMs,
      };
      return new Promise<void>((resolve, reject) => {
        const thread = new Worker(workerUrl, { workerData: task });
        thread.on("message", (message: "done" | { record: RunRecord; choices: number[] | null }) => {
          if (message === "done") resolve();
          else report(message.record, message.choices);
        });
        thread.on("error", reject);
        thread.on("exit", (code) =>
          code === 0 ? resolve() : reject(new Error(`fuzz worker ${worker} exited with ${code}`)),
        );
      });
    }),
  );
}

/** A file name under `dir` that does not exist yet (unless overwriting is allowed). */
function freshPath(dir: string, stem: string, extension: string, force: boolean): string {
  let path = join(dir, `${stem}${extension}`);
  for (let n = 2; !force && existsSync(path); n++) path = join(dir, `${stem}-${n}${extension}`);
  return path;
}

const slug = (text: string) =>
  text
    .replace(/[^A-Za-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .toLowerCase();

export function fuzzCommand(io: CliIo) {
  return new Command("fuzz")
    .description(
      "run many seeds of a scenario; save each distinct failure as a shrunk, replay-verified trace",
    )
    .argument("<scenario>", "scenario YAML file")
    .option(
      "--runs <n>",
      "seeds to run (default: the scenario's explore.runs)",
      parseNonNegativeInteger("--runs"),
    )
    .option("--time <d>", "run seeds until this much wall time has passed: 120 (seconds) or 2m")
    .option("--jobs <k>", "worker threads", parseNonNegativeInteger("--jobs"), 1)
    .option("--shard <i/n>", "run only shard i of n of the campaign's seeds")
    .option(
      "--seed-base <s>",
      "first seed of the campaign (default: the scenario's seed)",
      parseNonNegativeInteger("--seed-base"),
    )
    .option("--out <dir>", "directory for results and failure traces", "fuzz-out")
    .option("--set <path=value>", "override a scenario field (repeatable)", collect, [])
    .option("--force", "overwrite existing files in --out", false)
    .option("--json", "print the summary as one JSON object", false)
    .action(async (file, options) => {
      const resolved = resolveScenario(file, { set: options.set });
      const shard = options.shard === undefined ? WHOLE : parseShardOption(options.shard);
      if (options.runs !== undefined && options.time !== undefined)
        throw new UsageError("give --runs or --time, not both");
      const timeNs = options.time === undefined ? null : parseDurationOption(options.time);
      const totalRuns =
        options.runs ?? (timeNs === null ? resolved.scenario.explore.runs : Number.POSITIVE_INFINITY);
      const campaign: Campaign = {
        resolved,
        seedBase: options.seedBase ?? resolved.scenario.seed,
        shard,
        runs: Number.isFinite(totalRuns) ? shardRuns(totalRuns, shard) : totalRuns,
        jobs: Math.max(1, options.jobs),
        deadlineMs: timeNs === null ? null : Date.now() + timeNs / 1e6,
      };
      mkdirSync(options.out, { recursive: true });
      const started = Date.now();
      const records: RunRecord[] = [];
      const firstFailure = new Map<string, { seed: number; choices: number[] }>();
      let lastProgress = 0;
      const report: Report = (record, choices) => {
        records.push(record);
        const known = firstFailure.get(record.signature ?? "");
        if (
          record.signature !== null &&
          choices !== null &&
          (known === undefined || record.seed < known.seed)
        ) {
          firstFailure.set(record.signature, { seed: record.seed, choices });
        }
        if (io.interactive && !options.json && Date.now() - lastProgress > 100) {
          lastProgress = Date.now();
          const failed = records.filter((r) => r.signature !== null).length;
          io.err(
            `\rfuzz ${resolved.scenario.name}: ${records.length}${Number.isFinite(campaign.runs) ? `/${campaign.runs}` : ""} runs, ${failed} failed`,
          );
        }
      };
      if (campaign.jobs === 1) runInProcess(campaign, report);
      else await runInWorkers(campaign, report);
      if (io.interactive && !options.json) io.err("\r\u001b[K");
      records.sort((a, b) => a.seed - b.seed);
      const shardTag = shard.count === 1 ? "" : `-shard${shard.index}of${shard.count}`;
      const resultsPath = freshPath(options.out, `results${shardTag}`, ".jsonl", options.force);
      writeFileSync(resultsPath, records.map((r) => `${JSON.stringify(r)}\n`).join(""));
      const failures = [...firstFailure.entries()]
        .sort((a, b) => a[1].seed - b[1].seed)
        .map(([signature, first]) => {
          const shrunk = shrinkFailure(
            resolved.scenario,
            first.choices,
            signature,
            resolved.scenario.explore.shrink_budget,
          );
          const tracePath = freshPath(
            options.out,
            `${slug(resolved.scenario.name)}-${slug(signature)}`,
            ".trace",
            options.force,
          );
          executeScenario(resolved, {
            strategy: new SequenceStrategy(shrunk.values),
            strategyName: "sequence",
            tracePath,
            force: options.force,
          });
          const replay = replayTraceFile(tracePath);
          return {
            signature,
            first_seed: first.seed,
            runs_failed: records.filter((r) => r.signature === signature).length,
            message: shrunk.result.failure?.message ?? shrunk.result.reason,
            original_choices: first.choices.length,
            shrunk_choices: shrunk.values.length,
            shrunk_non_zero_choices: shrunk.values.filter((v) => v !== 0).length,
            shrunk_virtual_ns: shrunk.result.virtualNs,
            shrink_attempts: shrunk.attempts,
            trace: tracePath,
            replay_reproduced: replay.reproduced && replay.recordedOutcome === shrunk.result.outcome,
          };
        });
      const summary = {
        scenario: resolved.scenario.name,
        shard: `${shard.index}/${shard.count}`,
        seed_base: campaign.seedBase,
        runs: records.length,
        failed_runs: records.filter((r) => r.signature !== null).length,
        distinct_failures: failures.length,
        wall_ms: Date.now() - started,
        results: resultsPath,
        failures,
      };
      if (options.json) io.out(`${JSON.stringify(summary)}\n`);
      else io.out(formatSummary(summary));
      process.exitCode = failures.length === 0 ? ExitCode.Ok : ExitCode.CheckFailed;
    });
}

function parseShardOption(text: string): Shard {
  try {
    return parseShard(text);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Wall time: a bare number is seconds (`--time 120`), otherwise a duration with a unit (`2m`). */
function parseDurationOption(text: string): number {
  try {
    if (/^\d+(\.\d+)?$/.test(text.trim())) return Math.round(Number(text) * 1e9);
    return parseDuration(text);
  } catch (error) {
    throw new UsageError(`--time: ${(error as Error).message}`);
  }
}

function formatSummary(s: {
  scenario: string;
  shard: string;
  seed_base: number;
  runs: number;
  failed_runs: number;
  distinct_failures: number;
  wall_ms: number;
  results: string;
  failures: {
    signature: string;
    first_seed: number;
    runs_failed: number;
    message: string;
    original_choices: number;
    shrunk_choices: number;
    shrunk_non_zero_choices: number;
    shrunk_virtual_ns: number;
    shrink_attempts: number;
    trace: string;
    replay_reproduced: boolean;
  }[];
}): string {
  const lines = [
    `fuzz ${s.scenario}: ${s.runs} runs (shard ${s.shard}, seeds from ${s.seed_base}) in ${(s.wall_ms / 1000).toFixed(1)}s`,
    `  failed runs ${s.failed_runs}, distinct failures ${s.distinct_failures}`,
    `  results    ${s.results}`,
  ];
  for (const f of s.failures) {
    lines.push(`  FAIL ${f.signature}: ${f.message}`);
    lines.push(`       first at seed ${f.first_seed}; ${f.runs_failed} run(s) failed this way`);
    lines.push(
      `       shrunk ${f.original_choices} -> ${f.shrunk_choices} choices (${f.shrunk_non_zero_choices} non-zero), ` +
        `${formatDuration(f.shrunk_virtual_ns)} virtual, ${f.shrink_attempts} attempts`,
    );
    lines.push(
      `       trace ${f.trace} (replay ${f.replay_reproduced ? "reproduces it" : "DOES NOT reproduce it"})`,
    );
    lines.push(`       reproduce: osv-sim replay ${f.trace}`);
  }
  return `${lines.join("\n")}\n`;
}
