// Goal: the machine builder turns a plain options object into CPUs, APICs, TSCs and kvmclock records
// laid out as documented, refuses bad options by name, attaches devices in order, and runs
// deterministically. Method: build machines on fresh simulations and inspect or run them.
import { describe, expect, it } from "vitest";
import {
  buildMachine,
  DEFAULT_MACHINE_OPTIONS,
  type Machine,
  PVCLOCK,
  PVCLOCK_TSC_STABLE_BIT,
  sendIpi,
  stiHlt,
} from "../../../src/hw/index.js";
import { compute, type Guest, Simulation } from "../../../src/sim/index.js";
import { context } from "./helpers.js";

describe("buildMachine", () => {
  it("builds the documented defaults: one parked CPU, its pvclock record, 2.4 GHz TSC", () => {
    const sim = new Simulation();
    const machine = buildMachine(sim);
    expect(machine.cpus.length).toBe(DEFAULT_MACHINE_OPTIONS.cpus);
    expect(machine.memory.sizeBytes).toBe(16 * 1024 * 1024);
    expect(machine.tscs[0]!.hz).toBe(2_400_000_000);
    expect(machine.cpus[0]!.interruptsEnabled).toBe(false);
    const addr = machine.kvmclock.recordAddrs[0]!;
    expect(machine.memory.read(addr + PVCLOCK.flags, 1)).toBe(PVCLOCK_TSC_STABLE_BIT);
    expect(machine.memory.read(addr + PVCLOCK.tscToSystemMul, 4)).toBe(0xd5555555);
    expect(machine.memory.read(addr + PVCLOCK.tscShift, 1)).toBe(0xff); // -1 as an s8
    // A never-booted CPU is parked, which is not a deadlock.
    const result = sim.run();
    expect(result.outcome).toBe("ok");
    expect(result.reason).toBe("all runners finished");
  });

  it("gives every CPU its own 64-byte-aligned record", () => {
    const machine = buildMachine(new Simulation(), { cpus: 8, memoryBytes: 65536 });
    const addrs = machine.kvmclock.recordAddrs;
    expect(new Set(addrs).size).toBe(8);
    for (const addr of addrs) expect(addr % 64).toBe(0);
    expect(machine.apics.map((a) => a.cpu.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("refuses bad options, naming the field", () => {
    const build = (options: Parameters<typeof buildMachine>[1]) => () =>
      buildMachine(new Simulation(), options);
    expect(build({ cpus: 0 })).toThrow(/cpus/);
    expect(build({ cpus: 65 })).toThrow(/cpus/);
    expect(build({ cost: { loadNs: -1 } })).toThrow(/loadNs/);
    expect(build({ cost: { bogusNs: 1 } as never })).toThrow(/bogusNs/);
    expect(build({ apic: { ipiLatencyNsMin: 10, ipiLatencyNsMax: 5 } })).toThrow(/IPI latency/);
    expect(build({ kvmclock: { withholdStableRatio: 2 } })).toThrow(/withholdStableRatio/);
    expect(build({ tsc: { hz: 5 } })).toThrow(/TSC frequency/);
  });

  it("attaches devices from factories in order, after the CPUs exist", () => {
    const seen: string[] = [];
    const machine = buildMachine(new Simulation(), { cpus: 2 }, [
      (m: Machine) => {
        seen.push(`net:${m.cpus.length}`);
        return "net";
      },
      () => {
        seen.push("blk");
        return "blk";
      },
    ]);
    expect(seen).toEqual(["net:2", "blk"]);
    expect(machine.devices).toEqual(["net", "blk"]);
  });

  it("runs deterministically: same seed, same digest; IPI latencies follow the seed", () => {
    const run = (seed: number) => {
      const sim = new Simulation({ seed });
      const machine = buildMachine(sim, { cpus: 2, memoryBytes: 4096, interruptsEnabledAtStart: true });
      for (const cpu of machine.cpus) {
        const other = 1 - cpu.index;
        cpu.setInterruptHandler(0x50, () => {
          machine.apics[cpu.index]!.eoi();
          return undefined;
        });
        cpu.boot(
          context(`ping${cpu.index}`, function* (): Guest<void> {
            for (let i = 0; i < 20; i++) {
              yield compute(100);
              yield sendIpi(other, 0x50);
            }
            for (;;) yield stiHlt();
          }),
        );
      }
      return sim.run();
    };
    const a = run(7);
    expect(a.outcome).toBe("ok");
    expect(run(7).digest).toBe(a.digest);
    expect(run(8).digest).not.toBe(a.digest);
  });
});
