// Goal: the host disk's crash semantics — after a power loss at any moment, every sector holds its
// last flushed value or a value written later, and anything else only inside a torn write. Method:
// fast-check generates request streams, power-loss instants and choice sequences (latencies,
// write-backs, tears); an independent model tracks flushed and pending values per sector.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HostDisk, SECTOR_SIZE_BYTES } from "../../../src/hw/index.js";
import { SequenceStrategy, Simulation, type TimedHandler } from "../../../src/sim/index.js";

const SECTORS = 8;

type Op = { kind: "write"; sector: number; count: number } | { kind: "flush" } | { kind: "gap"; ns: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("write" as const),
    sector: fc.nat({ max: SECTORS - 1 }),
    count: fc.integer({ min: 1, max: 4 }),
  }),
  fc.constant({ kind: "flush" as const }),
  fc.record({ kind: fc.constant("gap" as const), ns: fc.integer({ min: 1, max: 3000 }) }),
);

interface CrashRun {
  lost: boolean;
  torn: boolean;
  violations: string[];
}

/** The value id a sector holds: every byte equal to the id of the write that produced it (0 = never written). */
function sectorId(bytes: Uint8Array): number | "mixed" {
  const first = bytes[0]!;
  return bytes.every((b) => b === first) ? first : "mixed";
}

function crashRun(
  ops: readonly Op[],
  powerAtNs: number,
  values: readonly number[],
  tornProbability: number,
): CrashRun {
  const sim = new Simulation({ strategy: new SequenceStrategy(values) });
  const disk = new HostDisk(sim, {
    capacitySectors: SECTORS,
    latencyNsMin: 0,
    latencyNsMax: 2000,
    writeBackProbability: 0.3,
    tornWriteProbability: tornProbability,
  });
  const lastCompleted = new Array<number>(SECTORS).fill(0);
  const flushed = new Array<number>(SECTORS).fill(0);
  const pending = Array.from({ length: SECTORS }, () => new Set<number>());
  const inFlight = new Map<number, { sector: number; count: number }>();
  let nextId = 1;
  let powered = true;
  let report: ReturnType<HostDisk["powerLoss"]> | null = null;
  const issue = (op: Op) => {
    if (op.kind === "flush") {
      disk.submit({ kind: "flush" }, () => {
        for (let s = 0; s < SECTORS; s++) {
          flushed[s] = lastCompleted[s]!;
          pending[s]!.clear();
        }
        for (const [id, w] of inFlight) for (let i = 0; i < w.count; i++) pending[w.sector + i]!.add(id);
      });
      return;
    }
    if (op.kind !== "write") return;
    const count = Math.min(op.count, SECTORS - op.sector);
    const id = nextId++;
    inFlight.set(id, { sector: op.sector, count });
    for (let i = 0; i < count; i++) pending[op.sector + i]!.add(id);
    disk.submit(
      { kind: "write", sector: op.sector, data: new Uint8Array(count * SECTOR_SIZE_BYTES).fill(id) },
      () => {
        inFlight.delete(id);
        for (let i = 0; i < count; i++) lastCompleted[op.sector + i] = id;
      },
    );
  };
  let index = 0;
  const clientKind = sim.kinds.allocate("client");
  const client: TimedHandler = {
    kind: clientKind,
    id: 0,
    fire: () => {
      while (powered && index < ops.length) {
        const op = ops[index++]!;
        if (op.kind === "gap") {
          sim.at(sim.now + op.ns, client, 0);
          return;
        }
        issue(op);
      }
    },
  };
  const power: TimedHandler = {
    kind: sim.kinds.allocate("power"),
    id: 0,
    fire: () => {
      powered = false;
      report = disk.powerLoss();
    },
  };
  sim.at(0, client, 0);
  sim.at(powerAtNs, power, 0);
  expect(sim.run().outcome).toBe("ok");
  const torn = (report as ReturnType<HostDisk["powerLoss"]> | null)?.torn ?? null;
  const violations: string[] = [];
  let lost = false;
  for (let s = 0; s < SECTORS; s++) {
    const id = sectorId(disk.readDurable(s, 1));
    if (id !== lastCompleted[s]) lost = true;
    if (torn !== null && s >= torn.sector && s < torn.sector + torn.count) continue;
    if (id !== flushed[s] && !(typeof id === "number" && pending[s]!.has(id)))
      violations.push(`sector ${s} holds ${id}; flushed ${flushed[s]}, later writes [${[...pending[s]!]}]`);
  }
  return { lost, torn: torn !== null, violations };
}

describe("host disk power loss", () => {
  it("leaves each sector at its last flushed value or a later write; more only inside a torn write", () => {
    let lostRuns = 0;
    let tornRuns = 0;
    fc.assert(
      fc.property(
        fc.array(opArb, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 40_000 }),
        fc.array(fc.nat({ max: 1000 }), { maxLength: 200, size: "max" }),
        fc.constantFrom(0, 0.5),
        (ops, powerAtNs, values, torn) => {
          const run = crashRun(ops, powerAtNs, values, torn);
          expect(run.violations).toEqual([]);
          if (run.lost) lostRuns++;
          if (run.torn) tornRuns++;
        },
      ),
      { numRuns: 500 },
    );
    // The property is not vacuous: unflushed data was lost, and torn writes happened.
    expect(lostRuns).toBeGreaterThan(10);
    expect(tornRuns).toBeGreaterThan(5);
  });

  it("a flushed write survives, an unflushed one without write-back does not", () => {
    const sim = new Simulation();
    const disk = new HostDisk(sim, { capacitySectors: 4, writeBackProbability: 0 });
    const one = new Uint8Array(SECTOR_SIZE_BYTES).fill(1);
    const two = new Uint8Array(SECTOR_SIZE_BYTES).fill(2);
    let phase = 0;
    disk.submit({ kind: "write", sector: 0, data: one }, () => {
      disk.submit({ kind: "flush" }, () => {
        disk.submit({ kind: "write", sector: 1, data: two }, () => {
          phase = 1;
          expect([...disk.readNow(1, 1)].every((b) => b === 2)).toBe(true);
          const report = disk.powerLoss();
          expect(report.droppedSectors).toBe(1);
        });
      });
    });
    expect(sim.run().outcome).toBe("ok");
    expect(phase).toBe(1);
    expect(disk.readDurable(0, 1).every((b) => b === 1)).toBe(true);
    expect(disk.readDurable(1, 1).every((b) => b === 0)).toBe(true);
    expect(disk.readNow(1, 1).every((b) => b === 0)).toBe(true);
  });
});
