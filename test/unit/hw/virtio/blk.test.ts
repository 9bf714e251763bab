// Goal: virtio-blk serves OSv-shaped requests (header, data, status byte) against the host disk:
// reads see writes, FLUSH makes them durable, bad requests get IOERR or UNSUPP, injected read
// errors surface. Method: one guest driver thread submits requests and sleeps in wait_for_queue.
import { describe, expect, it } from "vitest";
import {
  blkRequestSegments,
  createVirtioBlk,
  type GuestMemory,
  GuestProcess,
  type HostDiskOptions,
  physLoad,
  SECTOR_SIZE_BYTES,
  VIRTIO_BLK_S_IOERR,
  VIRTIO_BLK_S_OK,
  VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_T_FLUSH,
  VIRTIO_BLK_T_GET_ID,
  VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT,
  type VirtioBlkDevice,
  type VringDriver,
  virtioDriverOk,
  virtioNegotiate,
  virtioSetupQueue,
  wakeFromHost,
  writeBlkHeader,
} from "../../../../src/hw/index.js";
import { type Guest, Simulation } from "../../../../src/sim/index.js";
import { FakeInterruptController, newMachine, runInit } from "./harness.js";

interface BlkRig {
  sim: Simulation;
  memory: GuestMemory;
  device: VirtioBlkDevice;
  driver: VringDriver<number>;
  header: number;
  status: number;
  buffer: number;
}

function blkRig(sim: Simulation, disk: Partial<HostDiskOptions> = {}): BlkRig {
  const memory = newMachine(sim);
  const sink = new FakeInterruptController();
  const device = createVirtioBlk(sim, memory, sink, { queueSize: 16 }, { capacitySectors: 64, ...disk });
  runInit(virtioNegotiate(device, device.deviceFeatures));
  const driver = runInit(virtioSetupQueue<number>(sim, memory, device, 0));
  runInit(virtioDriverOk(device));
  const rig = {
    sim,
    memory,
    device,
    driver,
    header: memory.alloc(16, 16),
    status: memory.alloc(1, 1),
    buffer: memory.alloc(4 * SECTOR_SIZE_BYTES, 4096),
  };
  sink.on(device.queueVector(0), () => {
    driver.disableInterruptsFromIsr();
    const thread = sim.runnerList().find((r) => r.name === "blk-driver");
    if (thread !== undefined) wakeFromHost(sim, thread);
  });
  return rig;
}

/** Submits one request and waits for its completion; answers the status byte. */
function* request(rig: BlkRig, type: number, sector: number, sectors: number): Guest<number> {
  yield* writeBlkHeader(rig.header, rig.status, type, sector);
  const data = sectors === 0 ? [] : [{ addr: rig.buffer, lenBytes: sectors * SECTOR_SIZE_BYTES }];
  const sg = blkRequestSegments(rig.header, rig.status, type, data);
  expect(yield* rig.driver.addBuf(sg, sector)).toBe(true);
  yield* rig.driver.kick();
  yield* rig.driver.waitForQueue(() => rig.driver.usedRingNotEmpty());
  const used = yield* rig.driver.getBuf();
  expect(used?.cookie).toBe(sector);
  return yield physLoad(rig.status, 1);
}

function run(rig: BlkRig, body: () => Guest) {
  rig.sim.addRunner(new GuestProcess("blk-driver", rig.memory, body));
  return rig.sim.run();
}

describe("virtio-blk", () => {
  it("reads back what it wrote, and FLUSH makes it durable", () => {
    const rig = blkRig(new Simulation({ seed: 3 }), { writeBackProbability: 0 });
    const statuses: number[] = [];
    const result = run(rig, function* () {
      rig.memory.fill(0x5a, rig.buffer, rig.buffer + 2 * SECTOR_SIZE_BYTES);
      statuses.push(yield* request(rig, VIRTIO_BLK_T_OUT, 10, 2));
      expect(rig.device.disk.readDurable(10, 1)[0]).toBe(0);
      rig.memory.fill(0, rig.buffer, rig.buffer + 2 * SECTOR_SIZE_BYTES);
      statuses.push(yield* request(rig, VIRTIO_BLK_T_IN, 10, 2));
      expect(rig.memory.read(rig.buffer + SECTOR_SIZE_BYTES + 7, 1)).toBe(0x5a);
      statuses.push(yield* request(rig, VIRTIO_BLK_T_FLUSH, 0, 0));
    });
    expect(result.outcome).toBe("ok");
    expect(statuses).toEqual([VIRTIO_BLK_S_OK, VIRTIO_BLK_S_OK, VIRTIO_BLK_S_OK]);
    expect(rig.device.disk.readDurable(11, 1).every((b) => b === 0x5a)).toBe(true);
    expect(rig.device.blkStats.ok).toBe(3);
  });

  it("answers IOERR beyond the capacity, UNSUPP for unknown types, IOERR on injected read errors", () => {
    const rig = blkRig(new Simulation({ seed: 4 }), { readErrorProbability: 1 });
    const statuses: number[] = [];
    const result = run(rig, function* () {
      statuses.push(yield* request(rig, VIRTIO_BLK_T_OUT, 63, 2));
      statuses.push(yield* request(rig, VIRTIO_BLK_T_GET_ID, 0, 0));
      statuses.push(yield* request(rig, VIRTIO_BLK_T_IN, 0, 1));
    });
    expect(result.outcome).toBe("ok");
    expect(statuses).toEqual([VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_UNSUPP, VIRTIO_BLK_S_IOERR]);
    expect(rig.device.disk.stats.readErrors).toBe(1);
  });

  it("offers OSv's features and a config space with the disk's capacity", () => {
    const rig = blkRig(new Simulation());
    expect(rig.device.config.capacitySectors).toBe(64);
    expect(rig.device.config.blkSizeBytes).toBe(512);
    expect(rig.driver.options.eventIdx).toBe(true);
    expect(rig.driver.options.indirect).toBe(true);
  });
});
