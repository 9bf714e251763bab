// Streaming trace writer: listens to a simulation's dispatches, choices and runners, buffers one
// block of columns at a time, and writes each block (with the digest at its end) as soon as it is
// full, so memory does not grow with the run. The file is created exclusively unless forced.

import { closeSync, openSync, writeSync } from "node:fs";
import type { RunResult, Simulation, SimulationOptions } from "../engine.js";
import type { Runner } from "../runner.js";
import { DEFAULT_BLOCK_EVENTS, TRACE_FORMAT_VERSION, TRACE_MAGIC, TraceError } from "./format.js";
import { osvsim } from "./protobuf.js";

const { Record: TraceRecord } = osvsim.trace;

export interface TraceHeaderFields {
  osvSimVersion: string;
  nodeVersion: string;
  scenarioName: string;
  scenarioText: string;
  seed: number;
  strategy: string;
  overrides: string[];
}

function encodeVarint(n: number): Uint8Array {
  const bytes: number[] = [];
  while (n >= 0x80) {
    bytes.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return Uint8Array.from(bytes);
}

export class TraceWriter {
  private fd: number | null;
  private sim: Simulation | null = null;
  private readonly blockEvents: number;
  private timeDelta: number[] = [];
  private kinds: number[] = [];
  private runners: number[] = [];
  private values: number[] = [];
  private choiceLabels: number[] = [];
  private choiceValues: number[] = [];
  private choicePositionDeltas: number[] = [];
  private newLabels: string[] = [];
  private newRunners: { id: number; name: string }[] = [];
  private newKinds: { id: number; name: string }[] = [];
  private readonly namedKinds = new Set<number>();
  private labelsNamed = 0;
  private lastTimeNs = 0;
  private events = 0;
  private choices = 0;
  private lastChoicePosition = 0;
  /** Bytes written so far (header and blocks; the footer once finished). */
  bytesWritten = 0;
  headerBytes = 0;

  private constructor(
    fd: number,
    readonly path: string,
    header: TraceHeaderFields,
    blockEvents: number,
  ) {
    this.fd = fd;
    this.blockEvents = blockEvents;
    this.write(new TextEncoder().encode(TRACE_MAGIC));
    this.writeRecord({
      header: {
        formatVersion: TRACE_FORMAT_VERSION,
        osvSimVersion: header.osvSimVersion,
        nodeVersion: header.nodeVersion,
        scenarioName: header.scenarioName,
        scenarioText: header.scenarioText,
        seed: header.seed,
        strategy: header.strategy,
        blockEvents,
        overrides: header.overrides,
      },
    });
    this.headerBytes = this.bytesWritten;
  }

  /** Creates the file (refusing to replace an existing one unless `force`) and writes the header. */
  static create(
    path: string,
    header: TraceHeaderFields,
    options: { force?: boolean; blockEvents?: number } = {},
  ): TraceWriter {
    let fd: number;
    try {
      fd = openSync(path, options.force === true ? "w" : "wx");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EEXIST")
        throw new TraceError("exists", path, "already exists; pass --force to overwrite it");
      throw new TraceError("unreadable", path, `cannot create trace: ${(error as Error).message}`);
    }
    return new TraceWriter(fd, path, header, options.blockEvents ?? DEFAULT_BLOCK_EVENTS);
  }

  /** The listeners to pass to the Simulation constructor. */
  listeners(): Pick<SimulationOptions, "onDispatch" | "onChoice" | "onRunnerAdded"> {
    return {
      onDispatch: (_index, timeNs, kind, runner, value) => this.onDispatch(timeNs, kind, runner, value),
      onChoice: (_index, labelId, label, value) => this.onChoice(labelId, label, value),
      onRunnerAdded: (runner: Runner) => this.newRunners.push({ id: runner.id, name: runner.name }),
    };
  }

  /** Gives the writer the simulation whose digest and kind names it records. */
  bind(sim: Simulation): void {
    this.sim = sim;
  }

  private onDispatch(timeNs: number, kind: number, runner: number, value: number): void {
    if (!this.namedKinds.has(kind)) {
      this.namedKinds.add(kind);
      this.newKinds.push({ id: kind, name: this.sim!.kinds.name(kind) });
    }
    this.timeDelta.push(timeNs - this.lastTimeNs);
    this.lastTimeNs = timeNs;
    this.kinds.push(kind);
    this.runners.push(runner);
    this.values.push(value);
    this.events++;
    if (this.kinds.length >= this.blockEvents) this.flushBlock(true);
  }

  private onChoice(labelId: number, label: string, value: number): void {
    if (labelId === this.labelsNamed) {
      this.newLabels.push(label);
      this.labelsNamed++;
    }
    this.choiceLabels.push(labelId);
    this.choiceValues.push(value);
    this.choicePositionDeltas.push(this.events - this.lastChoicePosition);
    this.lastChoicePosition = this.events;
    this.choices++;
  }

  /**
   * Writes the buffered block. A full block (`atEvent`) carries the digest right after its last
   * event; the final block is written after the run, when later choices have moved the digest on,
   * so it carries none and the footer's final digest stands for it.
   */
  private flushBlock(atEvent: boolean): void {
    if (this.kinds.length === 0 && this.choiceLabels.length === 0 && this.newRunners.length === 0) return;
    this.writeRecord({
      block: {
        timeDeltaNs: this.timeDelta,
        kind: this.kinds,
        runner: this.runners,
        value: this.values,
        choiceLabel: this.choiceLabels,
        choiceValue: this.choiceValues,
        choicePositionDelta: this.choicePositionDeltas,
        newLabels: this.newLabels,
        newRunners: this.newRunners,
        newKinds: this.newKinds,
        eventsEnd: this.events,
        choicesEnd: this.choices,
        digest: atEvent ? this.sim!.digest.hex() : "",
      },
    });
    this.timeDelta = [];
    this.kinds = [];
    this.runners = [];
    this.values = [];
    this.choiceLabels = [];
    this.choiceValues = [];
    this.choicePositionDeltas = [];
    this.newLabels = [];
    this.newRunners = [];
    this.newKinds = [];
  }

  /** Writes the last block and the footer, and closes the file. */
  finish(result: RunResult): void {
    this.flushBlock(false);
    const failure = result.failure;
    this.writeRecord({
      footer: {
        outcome: result.outcome,
        reason: result.reason,
        digest: result.digest,
        events: result.events,
        choices: result.choices,
        nonZeroChoices: result.nonZeroChoices,
        virtualNs: result.virtualNs,
        failure:
          failure === null
            ? null
            : {
                check: failure.check,
                message: failure.message,
                timeNs: failure.timeNs,
                eventIndex: failure.eventIndex,
                runner: failure.runner ?? "",
                recent: failure.recent,
              },
        checks: result.checks.map((c) => ({ name: c.name, status: c.status, message: c.message ?? "" })),
      },
    });
    this.close();
  }

  /** Closes without a footer (the file then reads as truncated). */
  close(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }

  private writeRecord(record: osvsim.trace.Record.$Properties): void {
    const body = TraceRecord.encode(record).finish();
    this.write(encodeVarint(body.length));
    this.write(body);
  }

  private write(bytes: Uint8Array): void {
    if (this.fd === null) throw new Error(`trace ${this.path} is already closed`);
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(this.fd, bytes, offset, bytes.length - offset);
    this.bytesWritten += bytes.length;
  }
}
