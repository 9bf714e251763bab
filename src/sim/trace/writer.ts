// Streaming trace writer: listens to a simulation's dispatches, choices and runners, buffers one
// block of columns at a time, and writes each block (with the digest at its end) as soon as it is
// full, so memory does not grow with the run. The file is created exclusively unless forced.

import { closeSync, openSync, writeSync } from "node:fs";
import type { RunResult, Simulation, SimulationOptions } from "../engine.js";
import type { Runner } from "../runner.js";
import { ByteSink, Column, nameField, packedField } from "./block-encoder.js";
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

export class TraceWriter {
  private fd: number | null;
  private sim: Simulation | null = null;
  private readonly blockEvents: number;
  private readonly timeDelta = new Column();
  private readonly kinds = new Column();
  private readonly runners = new Column();
  private readonly values = new Column();
  private readonly choiceLabels = new Column();
  private readonly choiceValues = new Column();
  private readonly choicePositionDeltas = new Column();
  private readonly block = new ByteSink(1 << 16);
  private readonly record = new ByteSink(1 << 16);
  private readonly prefix = new ByteSink(16);
  private newLabels: string[] = [];
  private newRunners: { id: number; name: string }[] = [];
  private newKinds: { id: number; name: string }[] = [];
  /** Kinds already named in the trace (kinds are below 2048). */
  private readonly namedKinds = new Uint8Array(2048);
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
    if (this.namedKinds[kind] === 0) {
      this.namedKinds[kind] = 1;
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
    const block = this.block;
    block.clear();
    packedField(block, 1, this.timeDelta, false);
    packedField(block, 2, this.kinds, false);
    packedField(block, 3, this.runners, false);
    packedField(block, 4, this.values, true);
    packedField(block, 5, this.choiceLabels, false);
    packedField(block, 6, this.choiceValues, false);
    packedField(block, 7, this.choicePositionDeltas, false);
    for (const label of this.newLabels) block.string((8 << 3) | 2, label);
    for (const { id, name } of this.newRunners) nameField(block, 9, id, name);
    for (const { id, name } of this.newKinds) nameField(block, 10, id, name);
    block.varint(11 << 3);
    block.varint(this.events);
    block.varint(12 << 3);
    block.varint(this.choices);
    if (atEvent) block.string((13 << 3) | 2, this.sim!.digest.hex());
    // Record { block = 2 }, length-delimited in the file.
    const record = this.record;
    record.clear();
    record.varint((2 << 3) | 2);
    record.varint(block.length);
    record.append(block);
    this.writeLengthPrefix(record.length);
    this.write(record.bytes.subarray(0, record.length));
    for (const column of [this.timeDelta, this.kinds, this.runners, this.values]) column.clear();
    for (const column of [this.choiceLabels, this.choiceValues, this.choicePositionDeltas]) column.clear();
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
    this.writeLengthPrefix(body.length);
    this.write(body);
  }

  private writeLengthPrefix(length: number): void {
    this.prefix.clear();
    this.prefix.varint(length);
    this.write(this.prefix.bytes.subarray(0, this.prefix.length));
  }

  private write(bytes: Uint8Array): void {
    if (this.fd === null) throw new Error(`trace ${this.path} is already closed`);
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(this.fd, bytes, offset, bytes.length - offset);
    this.bytesWritten += bytes.length;
  }
}
