// Formats a run's result for people (aligned text) and for machines (one JSON object).

import type { CpuRow } from "../hw/index.js";
import type { ThreadRow } from "../kernel/index.js";
import { formatDuration, type RunResult } from "../sim/index.js";

export interface ReportContext {
  /** What was run, e.g. "built-in demo 'counter'". */
  title: string;
  wallMs: number;
  /** The command line that reproduces this run exactly. */
  reproduce: string;
  /** OSv's /os/threads rows, when the kernel ran. */
  threads?: ThreadRow[] | null;
  /** Each vCPU's totals, when the run had a machine. */
  cpus?: CpuRow[] | null;
  metrics?: Record<string, number>;
}

const MAX_THREAD_ROWS = 24;

function threadLines(result: RunResult, context: ReportContext): string[] {
  const lines: string[] = [];
  if (context.threads != null) {
    lines.push("  threads   id name                    cpu    cpu_ms switches preempt migr  prio  rt status");
    for (const t of context.threads.slice(0, MAX_THREAD_ROWS)) {
      lines.push(
        `    ${String(t.id).padStart(9)} ${t.name.padEnd(22).slice(0, 22)} ${String(t.cpu).padStart(4)} ${t.cpu_ms.toFixed(3).padStart(9)} ${String(t.switches).padStart(8)} ${String(t.preemptions).padStart(7)} ${String(t.migrations).padStart(4)} ${String(t.priority).padStart(5)} ${String(t.realtime).padStart(3)} ${t.status}`,
      );
    }
  } else {
    lines.push("  runners   id name                   state    steps");
    for (const r of result.runners.slice(0, MAX_THREAD_ROWS)) {
      lines.push(
        `    ${String(r.id).padStart(9)} ${r.name.padEnd(22).slice(0, 22)} ${r.state.padEnd(8)} ${r.steps}`,
      );
    }
  }
  const shown = context.threads?.length ?? result.runners.length;
  if (shown > MAX_THREAD_ROWS) lines.push(`    … ${shown - MAX_THREAD_ROWS} more (--json lists all)`);
  return lines;
}

function cpuLines(cpus: readonly CpuRow[]): string[] {
  const lines = ["  cpus      id   busy_ms halted_ms switches interrupts     steps"];
  for (const c of cpus.slice(0, MAX_THREAD_ROWS)) {
    lines.push(
      `    ${String(c.id).padStart(9)} ${c.busy_ms.toFixed(3).padStart(9)} ${c.halted_ms.toFixed(3).padStart(9)} ${String(c.switches).padStart(8)} ${String(c.interrupts).padStart(10)} ${String(c.steps).padStart(9)}`,
    );
  }
  if (cpus.length > MAX_THREAD_ROWS)
    lines.push(`    … ${cpus.length - MAX_THREAD_ROWS} more (--json lists all)`);
  return lines;
}

export function formatTextReport(result: RunResult, context: ReportContext): string {
  const lines: string[] = [];
  const verdict = result.outcome === "ok" ? "ok" : result.outcome.toUpperCase();
  lines.push(`osv-sim run: ${context.title}`);
  lines.push(`  outcome   ${verdict}: ${result.reason}`);
  lines.push(`  seed      ${result.seed}  (strategy ${result.strategy})`);
  lines.push(`  digest    ${result.digest}`);
  lines.push(`  virtual   ${formatDuration(result.virtualNs)}`);
  lines.push(
    `  events    ${result.events} (${result.timedEvents} timed, ${result.steps} steps), ` +
      `${result.choices} choices (${result.nonZeroChoices} non-zero)`,
  );
  lines.push(`  wall      ${context.wallMs.toFixed(1)} ms`);
  if (result.checks.length > 0) {
    lines.push("  checks");
    for (const check of result.checks) {
      const detail = check.message === undefined ? "" : `: ${check.message}`;
      lines.push(`    ${check.status.padEnd(7)} ${check.name}${detail}`);
    }
  }
  lines.push(...threadLines(result, context));
  if (context.cpus != null) lines.push(...cpuLines(context.cpus));
  if (context.metrics !== undefined && Object.keys(context.metrics).length > 0) {
    lines.push(
      `  metrics   ${Object.entries(context.metrics)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ")}`,
    );
  }
  if (result.failure !== null) {
    const f = result.failure;
    lines.push(`  failure   ${f.check}: ${f.message}`);
    lines.push(
      `            at ${formatDuration(f.timeNs)}, event #${f.eventIndex}${f.runner === null ? "" : `, runner ${f.runner}`}`,
    );
    if (f.recent.length > 0) {
      lines.push("  last events");
      for (const line of f.recent.slice(-12)) lines.push(`    ${line}`);
    }
    lines.push(`  reproduce ${context.reproduce}`);
  }
  return `${lines.join("\n")}\n`;
}

export function jsonReport(result: RunResult, context: ReportContext): Record<string, unknown> {
  return {
    title: context.title,
    outcome: result.outcome,
    reason: result.reason,
    seed: result.seed,
    strategy: result.strategy,
    digest: result.digest,
    stats: {
      events: result.events,
      timed_events: result.timedEvents,
      steps: result.steps,
      choices: result.choices,
      non_zero_choices: result.nonZeroChoices,
      virtual_ns: result.virtualNs,
      wall_ms: Number(context.wallMs.toFixed(3)),
    },
    checks: result.checks,
    threads: context.threads ?? result.runners,
    cpus: context.cpus ?? null,
    metrics: context.metrics ?? {},
    failure: result.failure,
    reproduce: context.reproduce,
  };
}
