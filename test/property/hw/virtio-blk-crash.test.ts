// Goal: the durability contract ZFS relies on holds end to end through virtio-blk: once the guest sees
// a FLUSH complete, every write it saw complete before submitting that FLUSH survives a power loss at
// any later moment. Method: a guest driver thread issues fast-check-chosen OUT/FLUSH requests one at a
// time; power fails at a chosen instant; sector contents are compared with the acknowledgements.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  blkRequestSegments,
  createVirtioBlk,
  GuestProcess,
  physLoad,
  SECTOR_SIZE_BYTES,
  VIRTIO_BLK_S_OK,
  VIRTIO_BLK_T_FLUSH,
  VIRTIO_BLK_T_OUT,
  virtioDriverOk,
  virtioNegotiate,
  virtioSetupQueue,
  wakeFromHost,
  writeBlkHeader,
} from "../../../src/hw/index.js";
import { type Guest, SequenceStrategy, Simulation, type TimedHandler } from "../../../src/sim/index.js";
import { FakeInterruptController, newMachine, runInit } from "../../unit/hw/virtio/harness.js";

const SECTORS = 8;
type Op = { write: { sector: number; count: number } } | { flush: true };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    write: fc.record({ sector: fc.nat({ max: SECTORS - 1 }), count: fc.integer({ min: 1, max: 3 }) }),
  }),
  fc.constant({ flush: true as const }),
);

function crash(ops: readonly Op[], powerAtNs: number, values: readonly number[]) {
  const sim = new Simulation({ strategy: new SequenceStrategy(values) });
  const memory = newMachine(sim);
  const sink = new FakeInterruptController();
  const device = createVirtioBlk(
    sim,
    memory,
    sink,
    { queueSize: 8 },
    {
      capacitySectors: SECTORS,
      latencyNsMin: 1_000,
      latencyNsMax: 50_000,
      writeBackProbability: 0.3,
      tornWriteProbability: 0.3,
    },
  );
  runInit(virtioNegotiate(device, device.deviceFeatures));
  const queue = runInit(virtioSetupQueue<number>(sim, memory, device, 0));
  runInit(virtioDriverOk(device));
  const header = memory.alloc(16, 16);
  const status = memory.alloc(1, 1);
  const data = memory.alloc(3 * SECTOR_SIZE_BYTES, 512);
  const acked = new Array<number>(SECTORS).fill(0);
  const floor = new Array<number>(SECTORS).fill(0);
  let powered = true;
  let torn: { sector: number; count: number } | null = null;
  const thread = sim.addRunner(
    new GuestProcess("virtio-blk", memory, function* (): Guest {
      for (let i = 0; i < ops.length && powered; i++) {
        const op = ops[i]!;
        const snapshot = [...acked];
        const count = "write" in op ? Math.min(op.write.count, SECTORS - op.write.sector) : 0;
        const type = "write" in op ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_FLUSH;
        memory.fill(i + 1, data, data + count * SECTOR_SIZE_BYTES);
        yield* writeBlkHeader(header, status, type, "write" in op ? op.write.sector : 0);
        const buffers = count === 0 ? [] : [{ addr: data, lenBytes: count * SECTOR_SIZE_BYTES }];
        yield* queue.addBuf(blkRequestSegments(header, status, type, buffers), i);
        yield* queue.kick();
        yield* queue.waitForQueue(function* () {
          return !powered || (yield* queue.usedRingNotEmpty());
        });
        if (!powered) return;
        yield* queue.getBuf();
        expect(yield physLoad(status, 1)).toBe(VIRTIO_BLK_S_OK);
        if ("write" in op) for (let k = 0; k < count; k++) acked[op.write.sector + k] = i + 1;
        else for (let s = 0; s < SECTORS; s++) floor[s] = snapshot[s]!;
      }
    }),
  );
  sink.on(device.queueVector(0), () => {
    queue.disableInterruptsFromIsr();
    wakeFromHost(sim, thread);
  });
  const power: TimedHandler = {
    kind: sim.kinds.allocate("power_loss"),
    id: 0,
    fire: () => {
      powered = false;
      torn = device.disk.powerLoss().torn;
      wakeFromHost(sim, thread);
    },
  };
  sim.at(powerAtNs, power, 0);
  expect(sim.run().outcome).toBe("ok");
  const stale: string[] = [];
  for (let s = 0; s < SECTORS; s++) {
    const t = torn as { sector: number; count: number } | null;
    if (t !== null && s >= t.sector && s < t.sector + t.count) continue;
    const bytes = device.disk.readDurable(s, 1);
    const id = bytes[0]!;
    if (!bytes.every((b) => b === id) || id < floor[s]!)
      stale.push(`sector ${s}: ${id} < flushed ${floor[s]}`);
  }
  return { stale, flushedSomething: floor.some((v) => v > 0) };
}

describe("virtio-blk durability across power loss", () => {
  it("keeps every write acknowledged before an acknowledged FLUSH", () => {
    let flushed = 0;
    fc.assert(
      fc.property(
        fc.array(opArb, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 1_500_000 }),
        fc.array(fc.nat({ max: 1 << 20 }), { maxLength: 300, size: "max" }),
        (ops, powerAtNs, values) => {
          const run = crash(ops, powerAtNs, values);
          expect(run.stale).toEqual([]);
          if (run.flushedSomething) flushed++;
        },
      ),
      { numRuns: 300 },
    );
    expect(flushed).toBeGreaterThan(30);
  });
});
