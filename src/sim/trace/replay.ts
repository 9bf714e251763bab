// Verified replay: serves a trace's recorded choices to a new run (as its strategy) and compares
// every event the run dispatches, and the digest at each block end, with what was recorded. The
// first difference is a DivergenceError naming the event or choice index, the virtual time, and
// what was expected and what happened. Blocks are pulled from the reader lazily and dropped once
// both the choice and the event cursor have passed them, so memory stays flat.

import { DivergenceError, type Strategy } from "../choice.js";
import type { RunResult, Simulation, SimulationOptions } from "../engine.js";
import { formatDuration } from "../time.js";
import type { TraceBlock, TraceFooter, TraceReader } from "./reader.js";

interface LoadedBlock {
  block: TraceBlock;
  /** Absolute event index and time of the block's first event. */
  firstEvent: number;
  firstTimeNs: number;
}

export class TraceReplay {
  private readonly blocks: LoadedBlock[] = [];
  private readonly labels: string[] = [];
  private readonly kindNames = new Map<number, string>();
  private readonly runnerNames = new Map<number, string>();
  private choiceBlock = 0;
  private choiceOffset = 0;
  private eventBlock = 0;
  private eventOffset = 0;
  private eventTimeNs = 0;
  private nextFirstEvent = 0;
  private nextFirstTimeNs = 0;
  private exhausted = false;
  private sim: Simulation | null = null;
  /** Events and choices compared so far. */
  eventsVerified = 0;
  choicesServed = 0;

  constructor(private readonly reader: TraceReader) {}

  /** The strategy that serves the recorded choices. */
  strategy(): Strategy {
    const take = (bound: number, label: string, index: number) => this.takeChoice(bound, label, index);
    return {
      name: "replay",
      choose: (n, label, index) => take(n, label, index),
      chance: (_ratio, label, index) => take(2, label, index),
    };
  }

  listeners(): Pick<SimulationOptions, "onDispatch"> {
    return {
      onDispatch: (index, timeNs, kind, runner, value) =>
        this.verifyEvent(index, timeNs, kind, runner, value),
    };
  }

  bind(sim: Simulation): void {
    this.sim = sim;
  }

  /** Loads blocks until block `i` exists; false when the trace has no more. */
  private ensure(i: number): boolean {
    while (this.blocks.length <= i) {
      if (this.exhausted) return false;
      const block = this.reader.nextBlock();
      if (block === null) {
        this.exhausted = true;
        return false;
      }
      for (const label of block.newLabels) this.labels.push(label);
      for (const { id, name } of block.newKinds) this.kindNames.set(id ?? 0, name ?? "");
      for (const { id, name } of block.newRunners) this.runnerNames.set(id ?? 0, name ?? "");
      this.blocks.push({ block, firstEvent: this.nextFirstEvent, firstTimeNs: this.nextFirstTimeNs });
      this.nextFirstEvent += block.kind.length;
      for (const delta of block.timeDeltaNs) this.nextFirstTimeNs += delta;
    }
    return true;
  }

  private takeChoice(bound: number, label: string, index: number): number {
    for (;;) {
      if (!this.ensure(this.choiceBlock)) {
        throw new DivergenceError(index, "the end of the recorded choices", `a '${label}' choice`);
      }
      const block = this.blocks[this.choiceBlock]!.block;
      if (this.choiceOffset < block.choiceLabel.length) break;
      this.choiceBlock++;
      this.choiceOffset = 0;
      this.dropPassedBlocks();
    }
    const block = this.blocks[this.choiceBlock]!.block;
    const expected = this.labels[block.choiceLabel[this.choiceOffset]!] ?? "?";
    const value = block.choiceValue[this.choiceOffset]!;
    this.choiceOffset++;
    if (expected !== label) throw new DivergenceError(index, `a '${expected}' choice`, `a '${label}' choice`);
    if (value >= bound)
      throw new DivergenceError(index, `'${label}' = ${value}`, `'${label}' with only ${bound} options`);
    this.choicesServed++;
    return value;
  }

  private describe(timeNs: number, kind: number, runner: number, value: number): string {
    const kindName = this.sim?.kinds.name(kind) ?? this.kindNames.get(kind) ?? `kind${kind}`;
    const runnerName = this.sim?.runnerList()[runner]?.name ?? this.runnerNames.get(runner) ?? `#${runner}`;
    return `${kindName} ${runnerName} ${value} at ${formatDuration(timeNs)}`;
  }

  private verifyEvent(index: number, timeNs: number, kind: number, runner: number, value: number): void {
    for (;;) {
      if (!this.ensure(this.eventBlock)) {
        throw new DivergenceError(
          index,
          "the end of the recorded events",
          this.describe(timeNs, kind, runner, value),
          "event",
        );
      }
      const loaded = this.blocks[this.eventBlock]!;
      if (this.eventOffset < loaded.block.kind.length) break;
      this.eventBlock++;
      this.eventOffset = 0;
      this.dropPassedBlocks();
    }
    const loaded = this.blocks[this.eventBlock]!;
    const block = loaded.block;
    const i = this.eventOffset;
    if (i === 0) this.eventTimeNs = loaded.firstTimeNs;
    const expectedTime = this.eventTimeNs + block.timeDeltaNs[i]!;
    const expected = [expectedTime, block.kind[i]!, block.runner[i]!, block.value[i]!] as const;
    if (expected[0] !== timeNs || expected[1] !== kind || expected[2] !== runner || expected[3] !== value) {
      throw new DivergenceError(
        index,
        this.describe(expected[0], expected[1], expected[2], expected[3]),
        this.describe(timeNs, kind, runner, value),
        "event",
      );
    }
    this.eventTimeNs = expectedTime;
    this.eventOffset++;
    this.eventsVerified++;
    if (this.eventOffset === block.kind.length && block.digest !== "" && this.sim !== null) {
      // The recorded digest was taken right after this block's last event.
      const actual = this.sim.digest.hex();
      if (actual !== block.digest) {
        throw new DivergenceError(
          index,
          `digest ${block.digest} after event #${index}`,
          `digest ${actual}`,
          "event",
        );
      }
    }
  }

  private dropPassedBlocks(): void {
    const passed = Math.min(this.choiceBlock, this.eventBlock);
    if (passed > 0) {
      this.blocks.splice(0, passed);
      this.choiceBlock -= passed;
      this.eventBlock -= passed;
    }
  }

  /**
   * After the run: answers null when it reproduced the recording exactly, or a one-line reason. A
   * run that diverged during replay already ended with outcome "divergence".
   */
  finish(result: RunResult): string | null {
    // Drain remaining blocks so the footer is read.
    while (this.ensure(this.blocks.length)) {}
    const footer: TraceFooter | null = this.reader.footer;
    if (footer === null) return "the trace has no footer";
    if (result.events !== footer.events) {
      return `the replay dispatched ${result.events} events, the recording ${footer.events}`;
    }
    if (result.choices !== footer.choices)
      return `the replay made ${result.choices} choices, the recording ${footer.choices}`;
    if (result.digest !== footer.digest)
      return `final digest ${result.digest} differs from the recorded ${footer.digest}`;
    if (result.outcome !== footer.outcome)
      return `outcome ${result.outcome} differs from the recorded ${footer.outcome}`;
    return null;
  }
}
