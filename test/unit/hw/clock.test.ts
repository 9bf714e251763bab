// Goal: the TSC counts exactly, the pvclock scaling matches hand-computed and KVM-computed values bit
// for bit, the guest read protocol returns the host's time and retries across an update instead of
// returning a torn pair, and skewed TSCs that the guest trusts as stable do go backwards across CPUs.
// Method: literal vectors, and guest code reading records that the host rewrites at chosen instants.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pvclockTimeNs, pvclockTimeNsFast } from "../../../src/hw/clock.js";
import {
  kvmclockSystemTime,
  PVCLOCK,
  type PvclockReading,
  pvclockRead,
  pvclockReadOwn,
  pvclockScale,
  pvclockScaleDelta,
  readPhys,
  readWallClock,
  Tsc,
} from "../../../src/hw/index.js";
import { compute, type Guest, SequenceStrategy, Simulation } from "../../../src/sim/index.js";
import { context, zeroCostMachine } from "./helpers.js";

describe("TSC", () => {
  it("counts floor(t · hz) plus its offset, with drift in ppm, exactly", () => {
    expect(new Tsc(2_400_000_000).read(1_000_000_000)).toBe(2_400_000_000);
    expect(new Tsc(3_000_000_000, 500).read(1)).toBe(503);
    // 2.194917 GHz for 7 ns is 15.364419 cycles.
    expect(new Tsc(2_194_917_000).read(7)).toBe(15);
    expect(new Tsc(2_400_000_000, 0, 100).read(1_000_000_000)).toBe(2_400_240_000);
    expect(new Tsc(2_400_000_000, 0, -100).read(1_000_000_000)).toBe(2_399_760_000);
  });

  it("refuses nonsense frequencies and drifts", () => {
    expect(() => new Tsc(0)).toThrow(RangeError);
    expect(() => new Tsc(2_400_000_000, 0, 200_000)).toThrow(RangeError);
  });
});

describe("pvclock scaling", () => {
  it("finds KVM's (mul, shift) for real TSC frequencies", () => {
    // Expected pairs from KVM's kvm_get_time_scale(NSEC_PER_SEC, hz) evaluated by hand / script.
    const vectors: [number, number, number][] = [
      [1_000_000_000, 0x80000000, 1],
      [3_000_000_000, 0xaaaaaaaa, -1],
      [2_400_000_000, 0xd5555555, -1],
      [2_194_917_000, 0xe944273d, -1],
      [2_899_999_000, 0xb08d41c8, -1],
      [1_500_000_000, 0xaaaaaaaa, 0],
      [3_700_000_000, 0x8a60dd67, -1],
      [999_999_999, 0x80000002, 1],
      [4_000_000_000, 0x80000000, -1],
      [500_000_000, 0x80000000, 2],
    ];
    for (const [hz, mul, shift] of vectors) expect(pvclockScale(hz), `${hz} Hz`).toEqual({ mul, shift });
  });

  it("scales deltas as (delta shifted) × mul >> 32, exactly", () => {
    // mul = 1/2, shift = 1: ns = delta.
    expect(pvclockScaleDelta(12_345n, 0x80000000, 1)).toBe(12_345n);
    // 3 GHz, one second of cycles: 1.5e9 × 2863311530 / 2^32 = 999,999,999.77.
    expect(pvclockScaleDelta(3_000_000_000n, 0xaaaaaaaa, -1)).toBe(999_999_999n);
    // 2.4 GHz: 1.2e9 × 3579139413 / 2^32 = 999,999,999.91.
    expect(pvclockScaleDelta(2_400_000_000n, 0xd5555555, -1)).toBe(999_999_999n);
    // The 64×32-bit product kept exactly: 2^40 × (2^32 − 1) >> 32 = 2^40 − 2^8.
    expect(pvclockScaleDelta(1n << 40n, 0xffffffff, 0)).toBe((1n << 40n) - 256n);
    // Beyond double precision: (2^52 + 1)(2^32 − 1) >> 32 = 2^52 − 2^20.
    expect(pvclockScaleDelta((1n << 52n) + 1n, 0xffffffff, 0)).toBe((1n << 52n) - (1n << 20n));
    // A right shift drops low bits first; a left shift wraps at 64 bits like the u64 it is.
    expect(pvclockScaleDelta(3n, 0x80000000, -1)).toBe(0n);
    expect(pvclockScaleDelta((1n << 63n) + 5n, 0x80000000, 1)).toBe(5n);
  });
});

describe("pvclock time in plain numbers", () => {
  it("equals the exact u64 computation whenever it answers, and answers in the common case", () => {
    const safe = (max: number) => fc.integer({ min: 0, max });
    fc.assert(
      fc.property(
        safe(Number.MAX_SAFE_INTEGER),
        safe(Number.MAX_SAFE_INTEGER),
        fc.integer({ min: 0x8000_0000, max: 0xffff_ffff }),
        fc.integer({ min: -32, max: 31 }),
        fc.oneof(safe(2 ** 40), safe(Number.MAX_SAFE_INTEGER)),
        (tscTimestamp, systemTime, mul, shift, ahead) => {
          // The TSC usually a little past the record's timestamp, sometimes anywhere.
          const tsc = Math.min(Number.MAX_SAFE_INTEGER, tscTimestamp + ahead);
          const fast = pvclockTimeNsFast(tscTimestamp, systemTime, mul, shift, tsc);
          const exact = pvclockTimeNs({ tscTimestamp, systemTime, mul, shift }, tsc);
          if (fast >= 0) expect(BigInt(fast)).toBe(exact);
          else expect(tsc < tscTimestamp || exact > BigInt(Number.MAX_SAFE_INTEGER) || shift > 0).toBe(true);
        },
      ),
      { numRuns: 5000 },
    );
    // Typical values: 2.4 GHz, a record 1 ms old, an hour of uptime.
    const args = [1_000_000_000, 3_600_000_000_000, 0xd5555555, -1, 1_002_400_000] as const;
    expect(pvclockTimeNsFast(...args)).toBe(
      Number(
        pvclockTimeNs({ tscTimestamp: args[0], systemTime: args[1], mul: args[2], shift: args[3] }, args[4]),
      ),
    );
    expect(pvclockTimeNsFast(...args)).toBe(3_600_000_000_000 + 999_999);
    // A TSC before the timestamp wraps in u64: left to the exact path.
    expect(pvclockTimeNsFast(10, 0, 0x80000000, 1, 9)).toBe(-1);
  });
});

describe("kvmclock reads", () => {
  it("a guest read gives the host's system time, rounded down", () => {
    const sim = new Simulation();
    const machine = zeroCostMachine(sim);
    let reading: PvclockReading | null = null;
    let wall: { sec: number; nsec: number } | null = null;
    machine.cpus[0]!.boot(
      context("reader", function* (): Guest<void> {
        yield compute(1_000_000);
        reading = yield* pvclockRead(machine.kvmclock.recordAddrs[0]!);
        wall = yield* readWallClock(machine.kvmclock.wallClockAddr);
      }),
    );
    expect(sim.run().outcome).toBe("ok");
    // 2.4e6 cycles since the record: (1.2e6 × 0xd5555555) >> 32 = 999,999 ns.
    expect(reading).toMatchObject({ timeNs: 1_000_000_000 + 999_999, flags: 1, attempts: 1 });
    expect(wall).toEqual({ sec: 1_767_225_600, nsec: 0 });
  });

  it("the one-step read of a CPU's own record answers as the seqlock read does, and waits out an update", () => {
    const sim = new Simulation();
    const machine = zeroCostMachine(sim, {
      cost: { loadNs: 10, rdtscNs: 20 },
      kvmclock: { updateWriteNs: 500, tscStableFlag: true },
    });
    const addr = machine.kvmclock.recordAddrs[0]!;
    // The host's update makes the version odd from 2,000 ns to 2,500 ns.
    machine.kvmclock.scheduleUpdate(0, 2_000);
    const pairs: { own: number; seqlock: number; flags: [number, number] }[] = [];
    let midUpdate = { timeNs: 0, atNs: 0 };
    machine.cpus[0]!.boot(
      context("reader", function* (): Guest<void> {
        yield compute(1_000);
        const own = yield* pvclockReadOwn(addr);
        // The seqlock read takes 8 steps of 10–20 ns; read the own record again at its end.
        const seqlock = yield* pvclockRead(addr);
        const ownAfter = yield* pvclockReadOwn(addr);
        pairs.push({ own: own.timeNs, seqlock: seqlock.timeNs, flags: [own.flags, seqlock.flags] });
        expect(ownAfter.timeNs).toBeGreaterThan(seqlock.timeNs);
        yield compute(1_100 - (sim.now - 1_000));
        // Now at 2,100 ns + costs: mid-update, so the read retries until the version is even.
        midUpdate = { timeNs: (yield* pvclockReadOwn(addr)).timeNs, atNs: sim.now };
      }),
    );
    expect(sim.run().outcome).toBe("ok");
    const [first] = pairs;
    // Both reads see the same record. The one-step read costs rdtsc + 7 loads = 90 ns, and the seqlock
    // read's rdtsc follows its version load (10 ns): 100 ns apart, give or take the scaling's rounding.
    expect(first!.seqlock - first!.own).toBeGreaterThanOrEqual(99);
    expect(first!.seqlock - first!.own).toBeLessThanOrEqual(100);
    expect(first!.flags).toEqual([1, 1]);
    expect(midUpdate.atNs).toBeGreaterThanOrEqual(2_500);
    expect(midUpdate.timeNs).toBeGreaterThanOrEqual(1_000_000_000 + 2_500);
  });

  it("refuses a one-step read of another CPU's record (only a CPU's own is never rewritten under it)", () => {
    const sim = new Simulation();
    const machine = zeroCostMachine(sim, { cpus: 2 });
    machine.cpus[0]!.boot(
      context("reader", function* (): Guest<void> {
        yield* pvclockReadOwn(machine.kvmclock.recordAddrs[1]!);
      }),
    );
    const result = sim.run();
    expect(result.outcome).toBe("violation");
    expect(result.failure?.check).toBe("kvmclock.own-record");
  });

  it("a read overlapping a host update retries and returns a consistent pair, where a naive read tears", () => {
    // Loads cost 10 ns, so a read spans time; the update (with a clock step, so old and new pairs
    // differ) lands between the reader's tsc_timestamp and system_time loads.
    const run = (naive: boolean) => {
      const sim = new Simulation({ strategy: new SequenceStrategy([1, 500_000, 0]) });
      const machine = zeroCostMachine(sim, {
        cost: { loadNs: 10 },
        kvmclock: { clockStepRatio: 0.5, clockStepNsMax: 1_000_000, updateWriteNs: 100 },
      });
      const addr = machine.kvmclock.recordAddrs[0]!;
      const memory = machine.memory;
      const pairs = new Set<string>();
      pairs.add(
        `${memory.read(addr + PVCLOCK.tscTimestamp, 8)}/${memory.read(addr + PVCLOCK.systemTime, 8)}`,
      );
      machine.kvmclock.onRecordWrite = (_cpu, tscTimestamp, systemTime) =>
        pairs.add(`${tscTimestamp}/${systemTime}`);
      machine.kvmclock.scheduleUpdate(0, 1_025);
      let seen = "";
      let attempts = 0;
      machine.cpus[0]!.boot(
        context("reader", function* (): Guest<void> {
          yield compute(1_000);
          if (naive) {
            const tscTimestamp = yield* readPhys(addr + PVCLOCK.tscTimestamp, 8);
            yield compute(20);
            const systemTime = yield* readPhys(addr + PVCLOCK.systemTime, 8);
            seen = `${tscTimestamp}/${systemTime}`;
          } else {
            const reading = yield* pvclockRead(addr);
            seen = `${reading.tscTimestamp}/${reading.systemTime}`;
            attempts = reading.attempts;
          }
        }),
      );
      expect(sim.run().outcome).toBe("ok");
      expect(machine.kvmclock.stats.steps).toBe(1);
      return { consistent: pairs.has(seen), attempts };
    };
    expect(run(true).consistent).toBe(false);
    const guarded = run(false);
    expect(guarded.consistent).toBe(true);
    expect(guarded.attempts).toBeGreaterThan(1);
  });

  it("the host rewrites records periodically, and a backward clock step shows through TSC_STABLE", () => {
    // Choices: the first update steps (1), by 1 + 400_000 ns, backwards (1).
    const sim = new Simulation({ strategy: new SequenceStrategy([1, 400_000, 1]) });
    const machine = zeroCostMachine(sim, {
      kvmclock: { updatePeriodNs: 10_000, clockStepRatio: 0.5, clockStepNsMax: 1_000_000 },
    });
    const last = sim.memory.cell("kvmclock.last");
    const times: number[] = [];
    machine.cpus[0]!.boot(
      context("reader", function* (): Guest<void> {
        for (let i = 0; i < 3; i++) {
          yield compute(8_000);
          times.push(
            yield* kvmclockSystemTime(machine.kvmclock.recordAddrs[0]!, last, machine.kvmclock.validFlags),
          );
        }
      }),
    );
    expect(sim.run({ untilNs: 35_000 }).outcome).toBe("ok");
    expect(machine.kvmclock.stats.updates).toBe(3);
    expect(machine.kvmclock.stats.steps).toBe(1);
    // Reads at 8 µs, 16 µs, 24 µs; the step at 10 µs moved the host clock back 400,001 ns.
    expect(times[0]).toBe(1_000_000_000 + 8_000 - 1);
    expect(times[1]).toBe(1_000_000_000 + 16_000 - 400_001 - 1);
    expect(times[1]!).toBeLessThan(times[0]!);
  });

  it("skewed TSCs trusted as stable go backwards across CPUs; the CAS on 'last' prevents it", () => {
    // CPU 0's TSC runs 2.4e6 cycles (1 ms) ahead; CPU 0 reads at 1 µs, then CPU 1 at 2 µs.
    const run = (stableBitAdvertised: boolean) => {
      const sim = new Simulation({ strategy: new SequenceStrategy([2_400_000, 0]) });
      const machine = zeroCostMachine(sim, {
        cpus: 2,
        tsc: { skewCyclesMax: 2_400_000 },
        kvmclock: { stableBitAdvertised },
      });
      const last = sim.memory.cell("kvmclock.last");
      const times: number[] = [];
      for (const cpu of machine.cpus) {
        cpu.boot(
          context(`reader${cpu.index}`, function* (): Guest<void> {
            yield compute(1_000 * (cpu.index + 1));
            const addr = machine.kvmclock.recordAddrs[cpu.index]!;
            times.push(yield* kvmclockSystemTime(addr, last, machine.kvmclock.validFlags));
          }),
        );
      }
      expect(sim.run().outcome).toBe("ok");
      expect(machine.tscs.map((t) => t.offset)).toEqual([2_400_000, 0]);
      return times;
    };
    const trusted = run(true);
    expect(trusted[1]!).toBeLessThan(trusted[0]!);
    const guarded = run(false);
    expect(guarded[1]!).toBeGreaterThanOrEqual(guarded[0]!);
  });
});
