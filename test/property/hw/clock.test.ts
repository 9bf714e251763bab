// Goal: kvmclock reads are monotonic where OSv relies on it: per CPU with TSC_STABLE, and globally
// through the CAS on 'last' when TSC_STABLE is withheld and the TSCs are skewed; and no read ever
// returns a pair of fields the host did not write together. Method: several vCPUs read concurrently
// while the host rewrites the records periodically; fast-check chooses the gaps, the update period,
// and (through SequenceStrategy) the schedule and the skews, and shrinks any failure.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildMachine,
  GuestMemory,
  kvmclockSystemTime,
  type Machine,
  type MachineBuildOptions,
  PVCLOCK,
  pvclockRead,
  Tsc,
} from "../../../src/hw/index.js";
import { type Cell, compute, type Guest, SequenceStrategy, Simulation } from "../../../src/sim/index.js";
import { context } from "../../unit/hw/helpers.js";

const readerGaps = fc.array(fc.array(fc.nat({ max: 2000 }), { minLength: 1, maxLength: 12 }), {
  minLength: 2,
  maxLength: 4,
});
const schedule = fc.array(fc.nat({ max: 5_000_000 }), { maxLength: 200 });
const updates = fc.record({
  updatePeriodNs: fc.integer({ min: 200, max: 5000 }),
  updateWriteNs: fc.integer({ min: 1, max: 150 }),
});

interface Read {
  cpu: number;
  value: number;
  /** Positions in the one total order in which guest code runs. */
  start: number;
  end: number;
}

/** Builds a machine whose CPUs run `read` after each gap; answers the reads and the host's pairs. */
function runReaders(
  gaps: number[][],
  values: number[],
  options: MachineBuildOptions,
  read: (addr: number, machine: Machine) => Guest<{ value: number; pair: string }>,
) {
  const sim = new Simulation({ strategy: new SequenceStrategy(values) });
  const machine = buildMachine(sim, {
    cpus: gaps.length,
    memoryBytes: 64 * 1024,
    interruptsEnabledAtStart: true,
    ...options,
  });
  const pairs = machine.cpus.map((cpu) => {
    const addr = machine.kvmclock.recordAddrs[cpu.index]!;
    return new Set([
      `${machine.memory.read(addr + PVCLOCK.tscTimestamp, 8)}/${machine.memory.read(addr + PVCLOCK.systemTime, 8)}`,
    ]);
  });
  machine.kvmclock.onRecordWrite = (cpu, ts, sys) => pairs[cpu]!.add(`${ts}/${sys}`);
  const reads: Read[] = [];
  let order = 0;
  let torn = 0;
  for (const cpu of machine.cpus) {
    cpu.boot(
      context(`reader${cpu.index}`, function* (): Guest<void> {
        for (const gapNs of gaps[cpu.index]!) {
          yield compute(gapNs);
          const start = order++;
          const { value, pair } = yield* read(machine.kvmclock.recordAddrs[cpu.index]!, machine);
          if (!pairs[cpu.index]!.has(pair)) torn++;
          reads.push({ cpu: cpu.index, value, start, end: order++ });
        }
      }),
    );
  }
  const untilNs = gaps.flat().reduce((a, b) => a + b, 0) + 200_000;
  const result = sim.run({ untilNs });
  expect(result.outcome).toBe("ok");
  expect(reads.length).toBe(gaps.flat().length);
  return { reads, torn, machine };
}

describe("kvmclock under concurrent reads and host updates", () => {
  it("with TSC_STABLE each CPU's reads never go backwards, and no read is torn", () => {
    fc.assert(
      fc.property(readerGaps, schedule, updates, (gaps, values, kvmclock) => {
        const { reads, torn } = runReaders(gaps, values, { kvmclock }, function* (addr) {
          const reading = yield* pvclockRead(addr);
          return { value: reading.timeNs, pair: `${reading.tscTimestamp}/${reading.systemTime}` };
        });
        expect(torn).toBe(0);
        for (let cpu = 0; cpu < gaps.length; cpu++) {
          const mine = reads.filter((r) => r.cpu === cpu).map((r) => r.value);
          for (let i = 1; i < mine.length; i++) expect(mine[i]!).toBeGreaterThanOrEqual(mine[i - 1]!);
        }
      }),
      { numRuns: 80 },
    );
  });

  it("without TSC_STABLE and with skewed TSCs, the CAS on 'last' keeps reads globally monotonic", () => {
    fc.assert(
      fc.property(readerGaps, schedule, updates, (gaps, values, kvmclock) => {
        let last: Cell | null = null;
        const { reads, machine } = runReaders(
          gaps,
          values,
          {
            tsc: { skewCyclesMax: 5_000_000 },
            kvmclock: { ...kvmclock, withholdStableRatio: 1 },
          },
          function* (addr, m) {
            last ??= m.sim.memory.cell("kvmclock.last");
            const value = yield* kvmclockSystemTime(addr, last, m.kvmclock.validFlags);
            return { value, pair: "" };
          },
        );
        expect(machine.kvmclock.stats.withheldStable).toBeGreaterThan(0);
        // Real-time order: a read that ended before another began never shows a later time.
        for (const earlier of reads) {
          for (const later of reads) {
            if (earlier.end < later.start) expect(later.value).toBeGreaterThanOrEqual(earlier.value);
          }
        }
      }),
      { numRuns: 80 },
    );
  });
});

describe("exact integer paths", () => {
  it("Tsc.read's Number path equals offset + floor(t · hz · (1e6 + drift) / 1e15) in BigInt", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constant(2_400_000_000),
          fc.constant(1_000_000_000),
          fc.integer({ min: 1_000_000, max: 10_000_000_000 }),
        ),
        fc.oneof(fc.constant(0), fc.integer({ min: -100_000, max: 100_000 })),
        fc.nat({ max: 2 ** 40 }),
        fc.oneof(fc.nat({ max: 2_000_000_000 }), fc.nat({ max: 2 ** 52 })),
        (hz, drift, offset, nowNs) => {
          const exact =
            BigInt(offset) +
            (BigInt(nowNs) * BigInt(hz) * (1_000_000n + BigInt(drift))) / 1_000_000_000_000_000n;
          const tsc = new Tsc(hz, offset, drift);
          if (exact > BigInt(Number.MAX_SAFE_INTEGER)) expect(() => tsc.read(nowNs)).toThrow(RangeError);
          else expect(tsc.read(nowNs)).toBe(Number(exact));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it("GuestMemory's u64 fields round-trip every safe integer and refuse wider ones", () => {
    const memory = new GuestMemory(64);
    fc.assert(
      fc.property(fc.oneof(fc.nat({ max: 2 ** 32 + 5 }), fc.maxSafeNat()), (value) => {
        memory.write(8, 8, value);
        expect(memory.read(8, 8)).toBe(value);
        expect(memory.read(8, 4)).toBe(value % 2 ** 32);
        expect(memory.read(12, 4)).toBe(Math.floor(value / 2 ** 32));
      }),
      { numRuns: 2000 },
    );
    memory.write(16, 4, 0xffffffff);
    memory.write(20, 4, 0x200000);
    expect(() => memory.read(16, 8)).toThrow(/beyond a safe integer/);
  });
});
