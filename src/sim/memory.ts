// Shared memory as the interleaving search sees it: word-sized cells holding safe integers (pointers
// are modelled as numeric addresses or ids). Every access from guest code is an effect that the
// engine performs at a scheduling point. The engine talks to a MemoryModel so that an x86-TSO model
// (per-CPU store buffers whose drain is a choice) can replace the sequentially consistent one here.

import type { Effect } from "./effects.js";

/**
 * Told when an agent takes a watched cell's line for writing (a store, or any atomic, which takes the
 * line exclusively even when a compare-and-swap fails). A vCPU spinning on the cell uses it to wait
 * out quiet polls without simulating each one (hw/cpu.ts, pollExchange).
 */
export interface CellWatcher {
  cellWritten(cell: Cell, agent: number): void;
}

export class Cell {
  /** The agent (CPU) that last wrote the cell, -1 before any write: a cache model charges transfers. */
  lastWriter = -1;
  /** At most one watcher at a time. */
  watcher: CellWatcher | null = null;
  /** The cell's load effect, made once (effects are read-only values): see effects.ts `load`. */
  loadEffect: Effect | null = null;
  constructor(
    readonly id: number,
    readonly name: string,
    /** The value in memory (what every CPU sees under SC; the globally visible value under TSO). */
    public value: number,
  ) {}
}

/** Thrown for a value that is not a safe integer: cells model machine words. */
export class CellValueError extends RangeError {
  override name = "CellValueError";
}

function checkWord(cell: Cell, value: number): number {
  if (!Number.isSafeInteger(value))
    throw new CellValueError(`cell '${cell.name}': ${value} is not a safe integer`);
  return value;
}

/**
 * The operations the engine performs for memory effects. `agent` identifies the CPU (or, in the
 * engine-only runtime, the process) issuing the access, which a weak-memory model needs.
 */
export interface MemoryModel {
  load(agent: number, cell: Cell): number;
  store(agent: number, cell: Cell, value: number): void;
  /** Compare-and-swap; answers the old value (success iff it equals `expected`). */
  compareAndSwap(agent: number, cell: Cell, expected: number, desired: number): number;
  fetchAdd(agent: number, cell: Cell, delta: number): number;
  exchange(agent: number, cell: Cell, value: number): number;
  fence(agent: number): void;
}

/** `agent` takes the cell's line for writing: it is the last writer, and a watcher is told. */
function takeLine(cell: Cell, agent: number): void {
  cell.lastWriter = agent;
  if (cell.watcher !== null) cell.watcher.cellWritten(cell, agent);
}

/** Cells plus the sequentially consistent model: every access acts on memory at once. */
export class Memory implements MemoryModel {
  private readonly cells: Cell[] = [];

  /** Allocates a named cell. Names are for reports; they need not be unique. */
  cell(name: string, initial = 0): Cell {
    const cell = new Cell(this.cells.length, name, 0);
    cell.value = checkWord(cell, initial);
    this.cells.push(cell);
    return cell;
  }

  /** Allocates `count` cells named `name[i]`. */
  array(name: string, count: number, initial = 0): Cell[] {
    const cells: Cell[] = [];
    for (let i = 0; i < count; i++) cells.push(this.cell(`${name}[${i}]`, initial));
    return cells;
  }

  get cellCount(): number {
    return this.cells.length;
  }

  load(_agent: number, cell: Cell): number {
    return cell.value;
  }
  store(agent: number, cell: Cell, value: number): void {
    cell.value = checkWord(cell, value);
    takeLine(cell, agent);
  }
  compareAndSwap(agent: number, cell: Cell, expected: number, desired: number): number {
    const old = cell.value;
    if (old === expected) cell.value = checkWord(cell, desired);
    takeLine(cell, agent); // a locked operation takes the line exclusively, success or not
    return old;
  }
  fetchAdd(agent: number, cell: Cell, delta: number): number {
    const old = cell.value;
    cell.value = checkWord(cell, old + delta);
    takeLine(cell, agent);
    return old;
  }
  exchange(agent: number, cell: Cell, value: number): number {
    const old = cell.value;
    cell.value = checkWord(cell, value);
    takeLine(cell, agent);
    return old;
  }
  fence(_agent: number): void {}
}
