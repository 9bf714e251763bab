// `osv-sim trace info|dump|export TRACE`: the header and counts; one event per line with OSv-style
// tracepoint names; and an export to Chrome Trace Event JSON (one track per runner, instant events
// for wakeups, choices as annotations, and for a run on the OSv model one track per CPU showing which
// thread ran when, from a replay) that Perfetto opens.

import { createWriteStream, existsSync } from "node:fs";
import { Command } from "@commander-js/extra-typings";
import { formatDuration, type Simulation, TraceReader } from "../sim/index.js";
import { type CliIo, UsageError } from "./io.js";
import { replayTraceFile } from "./replay.js";

interface DecodedEvent {
  index: number;
  timeNs: number;
  kind: string;
  runner: string;
  runnerId: number;
  value: number;
}

interface DecodedChoice {
  index: number;
  /** Events dispatched before the choice. */
  position: number;
  label: string;
  value: number;
}

/** Streams a trace's events and choices in order, block by block. */
function walkTrace(
  path: string,
  onEvent: (event: DecodedEvent) => void,
  onChoice: (choice: DecodedChoice) => void = () => {},
): TraceReader {
  const reader = TraceReader.open(path);
  const labels: string[] = [];
  const kinds = new Map<number, string>();
  const runners = new Map<number, string>();
  let eventIndex = 0;
  let choiceIndex = 0;
  let position = 0;
  let timeNs = 0;
  for (let block = reader.nextBlock(); block !== null; block = reader.nextBlock()) {
    for (const label of block.newLabels) labels.push(label);
    for (const k of block.newKinds) kinds.set(k.id ?? 0, k.name ?? "");
    for (const r of block.newRunners) runners.set(r.id ?? 0, r.name ?? "");
    let c = 0;
    const blockStart = eventIndex;
    const emitChoicesUpTo = (events: number) => {
      while (c < block.choiceLabel.length && position + block.choicePositionDelta[c]! <= events) {
        position += block.choicePositionDelta[c]!;
        onChoice({
          index: choiceIndex++,
          position,
          label: labels[block.choiceLabel[c]!] ?? "?",
          value: block.choiceValue[c]!,
        });
        c++;
      }
    };
    for (let i = 0; i < block.kind.length; i++) {
      emitChoicesUpTo(blockStart + i);
      timeNs += block.timeDeltaNs[i]!;
      const runnerId = block.runner[i]!;
      onEvent({
        index: eventIndex++,
        timeNs,
        kind: kinds.get(block.kind[i]!) ?? `kind${block.kind[i]}`,
        runner: runners.get(runnerId) ?? `#${runnerId}`,
        runnerId,
        value: block.value[i]!,
      });
    }
    emitChoicesUpTo(Number.MAX_SAFE_INTEGER);
  }
  return reader;
}

/** OSv tracepoint names for the engine's event kinds, so trace.py-style readers feel at home. */
const TRACEPOINT: Readonly<Record<string, string>> = {
  wakeup: "sched_wake",
  unblock: "sched_wake",
  block: "sched_wait",
  finish: "thread_exit",
};

function infoCommand(io: CliIo) {
  return new Command("info")
    .argument("<trace>")
    .description("header and counts")
    .option("--json", "print JSON", false)
    .action((path, options) => {
      let events = 0;
      let choices = 0;
      let nonZero = 0;
      const runners = new Set<string>();
      const reader = walkTrace(
        path,
        (e) => {
          events++;
          runners.add(e.runner);
        },
        (c) => {
          choices++;
          if (c.value !== 0) nonZero++;
        },
      );
      const h = reader.header;
      const f = reader.footer!;
      const info = {
        format_version: h.formatVersion,
        osv_sim_version: h.osvSimVersion,
        node_version: h.nodeVersion,
        scenario: h.scenarioName,
        seed: h.seed,
        strategy: h.strategy,
        overrides: h.overrides,
        events,
        choices,
        non_zero_choices: nonZero,
        runners: [...runners],
        outcome: f.outcome,
        reason: f.reason,
        virtual_ns: f.virtualNs,
        digest: f.digest,
      };
      if (options.json) {
        io.out(`${JSON.stringify(info)}\n`);
        return;
      }
      io.out(
        [
          `trace     ${path}`,
          `format    ${info.format_version} (osv-sim ${info.osv_sim_version}, Node ${info.node_version})`,
          `scenario  ${info.scenario}, seed ${info.seed}, strategy ${info.strategy}${info.overrides.length > 0 ? `, overrides ${info.overrides.join(" ")}` : ""}`,
          `events    ${events} over ${formatDuration(info.virtual_ns)} of virtual time`,
          `choices   ${choices} (${nonZero} non-zero)`,
          `runners   ${info.runners.length}: ${info.runners.slice(0, 12).join(", ")}${info.runners.length > 12 ? ", …" : ""}`,
          `outcome   ${info.outcome}: ${info.reason}`,
          `digest    ${info.digest}`,
          "",
        ].join("\n"),
      );
    });
}

function dumpCommand(io: CliIo) {
  return new Command("dump")
    .argument("<trace>")
    .description("one event per line: index, time, runner, tracepoint, value; choices interleaved")
    .option("--no-choices", "leave out the choice lines")
    .action((path, options) => {
      const lines: string[] = [];
      const flush = () => {
        if (lines.length > 0) io.out(`${lines.join("\n")}\n`);
        lines.length = 0;
      };
      walkTrace(
        path,
        (e) => {
          const name = TRACEPOINT[e.kind] ?? e.kind;
          lines.push(
            `${String(e.index).padStart(8)} ${formatDuration(e.timeNs).padStart(12)} ${e.runner.padEnd(14)} ${name} ${e.value}`,
          );
          if (lines.length >= 4096) flush();
        },
        (c) => {
          if (options.choices)
            lines.push(`${"".padStart(8)} ${"".padStart(12)} ${"choice".padEnd(14)} ${c.label}=${c.value}`);
        },
      );
      flush();
    });
}

function exportCommand(io: CliIo) {
  return new Command("export")
    .argument("<trace>")
    .description("convert to another format (chrome: Chrome Trace Event JSON for Perfetto)")
    .option("--format <format>", "chrome", "chrome")
    .option("--out <file>", "output file (default: stdout)")
    .option("--force", "overwrite the output file", false)
    .action((path, options) => {
      if (options.format !== "chrome")
        throw new UsageError(`unknown export format '${options.format}' (known: chrome)`);
      if (options.out !== undefined && existsSync(options.out) && !options.force) {
        throw new UsageError(`${options.out} already exists; pass --force to overwrite it`);
      }
      const chunks: string[] = [];
      const sink = options.out === undefined ? null : createWriteStream(options.out);
      const emit = (text: string) => {
        if (sink === null) chunks.push(text);
        else sink.write(text);
      };
      exportChrome(path, emit, io);
      if (sink === null) io.out(chunks.join(""));
      else sink.end();
    });
}

/** One switch of an OSv CPU to a thread, seen while replaying the trace. */
interface SwitchRecord {
  timeNs: number;
  cpu: number;
  thread: string;
  threadId: number;
}

/**
 * The OSv scheduler's switches in a trace's run, by replaying it (the trace records switch_to, not
 * the thread switched to). Null, with a warning on stderr, when the run has no kernel or the replay
 * does not reproduce the trace (the tracks would not show the recorded run).
 */
function replaySwitches(path: string, io: CliIo): { switches: SwitchRecord[]; endNs: number } | null {
  const switches: SwitchRecord[] = [];
  // The replayed simulation, when it runs the kernel (a holder: the callback sets it).
  const replayed: { sim: Simulation | null } = { sim: null };
  const outcome = replayTraceFile(path, (built) => {
    if (built.kernel === null) return;
    const sim = built.sim;
    replayed.sim = sim;
    built.kernel.switchObservers.push((cpu, _from, to) =>
      switches.push({ timeNs: sim.now, cpu: cpu.index, thread: to.name, threadId: to.id }),
    );
  });
  if (replayed.sim === null) return null;
  if (!outcome.reproduced) {
    io.err(
      `osv-sim trace export: replaying ${path} did not reproduce it (${outcome.reason}); the per-CPU thread tracks are left out\n`,
    );
    return null;
  }
  return { switches, endNs: replayed.sim.now };
}

/**
 * Chrome Trace Event JSON: each runner is a thread track ("tid"), shown "running" from each wakeup
 * until it sleeps, blocks or finishes (a wakeup's value is the time it waited, so a sleep's start is
 * known), with nested "compute" slices; effects, wakeups and non-zero choices are instant events.
 * A run on the OSv model also gets one track per CPU (process "OSv CPUs") with a slice for each
 * stretch a thread ran there, from a replay of the trace. Times are microseconds with nanosecond
 * fractions.
 */
function exportChrome(path: string, emit: (text: string) => void, io: CliIo): void {
  let first = true;
  const push = (event: object) => {
    emit(`${first ? "" : ",\n"}${JSON.stringify(event)}`);
    first = false;
  };
  emit('{"displayTimeUnit":"ns","traceEvents":[\n');
  const sched = replaySwitches(path, io);
  if (sched !== null) emitCpuTracks(sched.switches, sched.endNs, push);
  const named = new Set<number>();
  const runningSince = new Map<number, number>();
  const us = (ns: number) => ns / 1000;
  const close = (tid: number, endNs: number) => {
    const since = runningSince.get(tid);
    if (since === undefined) return;
    push({ name: "running", ph: "X", pid: 1, tid, ts: us(since), dur: us(endNs - since) });
    runningSince.delete(tid);
  };
  let lastTimeNs = 0;
  walkTrace(
    path,
    (e) => {
      lastTimeNs = e.timeNs;
      const tid = e.runnerId;
      if (!named.has(tid)) {
        named.add(tid);
        push({ name: "thread_name", ph: "M", pid: 1, tid, args: { name: e.runner } });
      }
      switch (e.kind) {
        case "wakeup":
          close(tid, e.timeNs - e.value);
          runningSince.set(tid, e.timeNs);
          push({ name: "sched_wake", ph: "i", s: "t", pid: 1, tid, ts: us(e.timeNs) });
          break;
        case "unblock":
          runningSince.set(tid, e.timeNs);
          push({ name: "sched_wake", ph: "i", s: "t", pid: 1, tid, ts: us(e.timeNs) });
          break;
        case "block":
          if (e.value === 0) close(tid, e.timeNs);
          push({ name: "sched_wait", ph: "i", s: "t", pid: 1, tid, ts: us(e.timeNs) });
          break;
        case "finish":
          close(tid, e.timeNs);
          break;
        case "compute_done":
          push({ name: "compute", ph: "X", pid: 1, tid, ts: us(e.timeNs - e.value), dur: us(e.value) });
          break;
        default:
          push({ name: e.kind, ph: "i", s: "t", pid: 1, tid, ts: us(e.timeNs), args: { value: e.value } });
      }
    },
    (c) => {
      if (c.value !== 0)
        push({ name: `choice ${c.label}=${c.value}`, ph: "i", s: "g", pid: 1, tid: 0, ts: us(lastTimeNs) });
    },
  );
  for (const tid of [...runningSince.keys()]) close(tid, lastTimeNs);
  emit("\n]}\n");
}

/** One track per OSv CPU: a slice per stretch a thread ran there, named after the thread. */
function emitCpuTracks(
  switches: readonly SwitchRecord[],
  endNs: number,
  push: (event: object) => void,
): void {
  const pid = 2;
  push({ name: "process_name", ph: "M", pid, args: { name: "OSv CPUs" } });
  const running = new Map<number, SwitchRecord>();
  const slice = (from: SwitchRecord, untilNs: number) =>
    push({
      name: from.thread,
      ph: "X",
      pid,
      tid: from.cpu,
      ts: from.timeNs / 1000,
      dur: (untilNs - from.timeNs) / 1000,
      args: { thread: from.threadId },
    });
  for (const s of switches) {
    const before = running.get(s.cpu);
    if (before === undefined)
      push({ name: "thread_name", ph: "M", pid, tid: s.cpu, args: { name: `cpu${s.cpu}` } });
    else slice(before, s.timeNs);
    running.set(s.cpu, s);
  }
  for (const last of running.values()) slice(last, endNs);
}

export function traceCommand(io: CliIo) {
  const command = new Command("trace").description("inspect a trace file: info, dump, export");
  for (const sub of [infoCommand(io), dumpCommand(io), exportCommand(io)]) command.addCommand(sub);
  return command;
}
