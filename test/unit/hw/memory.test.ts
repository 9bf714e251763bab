// Goal: guest memory reads and writes little-endian fields exactly, refuses bad accesses, and guest
// code reaches it through effects. Method: direct calls, and a GuestProcess run on the engine.
import { describe, expect, it } from "vitest";
import {
  GuestMemory,
  GuestMemoryError,
  GuestProcess,
  physLoad,
  physStore,
  registerHwOps,
} from "../../../src/hw/index.js";
import { type Guest, Simulation } from "../../../src/sim/index.js";

describe("GuestMemory", () => {
  it("is zero everywhere, holds what is written anywhere in it, and refuses what lies outside", () => {
    const size = 256 * 1024 * 1024;
    const memory = new GuestMemory(size);
    expect(memory.read(size - 8, 8)).toBe(0);
    memory.write(size - 8, 8, 2 ** 53 - 1);
    memory.write(3, 1, 7);
    expect(memory.read(size - 8, 8)).toBe(2 ** 53 - 1);
    expect(memory.read(3, 1)).toBe(7);
    memory.fill(0xab, 100_000, 100_004);
    expect(memory.read(100_000, 4)).toBe(0xabababab);
    expect(memory.readBytes(99_999, 2)).toEqual(new Uint8Array([0, 0xab]));
    expect(() => memory.read(size - 4, 8)).toThrow(/outside/);
    expect(() => memory.fill(1, size - 1, size + 1)).toThrow(/outside/);
  });

  it("stores little-endian fields of each width", () => {
    const memory = new GuestMemory(64);
    memory.write(0, 2, 0x1234);
    expect([...memory.readBytes(0, 2)]).toEqual([0x34, 0x12]);
    memory.write(8, 8, 2 ** 40 + 5);
    expect(memory.read(8, 8)).toBe(2 ** 40 + 5);
    memory.write(16, 4, 0xffffffff);
    expect(memory.read(16, 4)).toBe(0xffffffff);
    expect(memory.read(16, 2)).toBe(0xffff);
  });

  it("refuses out-of-range accesses and values that do not fit", () => {
    const memory = new GuestMemory(16);
    expect(() => memory.read(15, 2)).toThrow(GuestMemoryError);
    expect(() => memory.write(0, 1, 256)).toThrow(/does not fit/);
    expect(() => memory.write(0, 2, -1)).toThrow(/does not fit/);
  });

  it("allocates aligned, non-overlapping regions", () => {
    const memory = new GuestMemory(8192);
    const a = memory.alloc(10, 16);
    const b = memory.alloc(100, 4096);
    expect(a % 16).toBe(0);
    expect(b % 4096).toBe(0);
    expect(b).toBeGreaterThanOrEqual(a + 10);
    expect(() => memory.alloc(10_000)).toThrow(GuestMemoryError);
  });

  it("is reached from guest code by physLoad and physStore effects", () => {
    const sim = new Simulation();
    registerHwOps(sim);
    const memory = new GuestMemory(64);
    let seen = -1;
    sim.addRunner(
      new GuestProcess("driver", memory, function* (): Guest {
        yield physStore(4, 4, 0xdeadbeef);
        seen = yield physLoad(4, 4);
      }),
    );
    const result = sim.run();
    expect(result.outcome).toBe("ok");
    expect(seen).toBe(0xdeadbeef);
    expect(memory.read(4, 2)).toBe(0xbeef);
  });
});
