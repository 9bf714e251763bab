// Goal: the transport's status state machine accepts OSv's init order and turns illegal orders into
// invariant violations; feature negotiation, deferred kicks, resets and interrupt targeting behave
// as virtio 1.x says. Method: direct calls on an echo device, and short runs.
import { describe, expect, it } from "vitest";
import {
  features,
  GuestProcess,
  VIRTIO_CONFIG_S_ACKNOWLEDGE,
  VIRTIO_CONFIG_S_DRIVER,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_CONFIG_S_FEATURES_OK,
  VIRTIO_F_VERSION_1,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTIO_RING_F_INDIRECT_DESC,
  Vring,
  virtioDriverOk,
  virtioNegotiate,
  virtioSetupQueue,
} from "../../../../src/hw/index.js";
import { type Guest, InvariantViolation, Simulation } from "../../../../src/sim/index.js";
import { EchoDevice, FakeInterruptController, newMachine, runInit } from "./harness.js";

const OFFERED = features(VIRTIO_F_VERSION_1, VIRTIO_RING_F_EVENT_IDX);

function rig() {
  const sim = new Simulation({ seed: 1 });
  const memory = newMachine(sim);
  const sink = new FakeInterruptController();
  const device = new EchoDevice(sim, memory, sink, OFFERED, 8, 100);
  return { sim, memory, sink, device };
}

describe("virtio status and features", () => {
  it("negotiates the AND of both sides and sets FEATURES_OK then DRIVER_OK", () => {
    const { sim, memory, device } = rig();
    const agreed = runInit(virtioNegotiate(device, OFFERED | features(VIRTIO_RING_F_INDIRECT_DESC)));
    expect(agreed).toBe(OFFERED);
    expect(device.status).toBe(
      VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK,
    );
    const queue = runInit(virtioSetupQueue<number>(sim, memory, device, 0));
    expect(queue.options.eventIdx).toBe(true);
    expect(queue.options.indirect).toBe(false);
    runInit(virtioDriverOk(device));
    expect(device.status & VIRTIO_CONFIG_S_DRIVER_OK).toBe(VIRTIO_CONFIG_S_DRIVER_OK);
  });

  it("refuses FEATURES_OK for features it did not offer", () => {
    const { device } = rig();
    device.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE);
    device.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
    device.writeDriverFeatures(OFFERED | features(VIRTIO_RING_F_INDIRECT_DESC));
    device.setStatus(device.status | VIRTIO_CONFIG_S_FEATURES_OK);
    expect(device.status & VIRTIO_CONFIG_S_FEATURES_OK).toBe(0);
  });

  it.each([
    ["DRIVER before ACKNOWLEDGE", (d: EchoDevice) => d.setStatus(VIRTIO_CONFIG_S_DRIVER)],
    [
      "FEATURES_OK before the driver wrote features",
      (d: EchoDevice) => {
        d.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE);
        d.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
      },
    ],
    [
      "DRIVER_OK before FEATURES_OK on a modern device",
      (d: EchoDevice) => {
        d.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE);
        d.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
        d.writeDriverFeatures(OFFERED);
        d.setStatus(d.status | VIRTIO_CONFIG_S_DRIVER_OK);
      },
    ],
    [
      "clearing a status bit without a reset",
      (d: EchoDevice) => {
        d.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE);
        d.setStatus(VIRTIO_CONFIG_S_DRIVER);
      },
    ],
    ["features written before DRIVER", (d: EchoDevice) => d.writeDriverFeatures(OFFERED)],
  ])("asserts on %s", (_name, misuse) => {
    const { device } = rig();
    expect(() => misuse(device)).toThrow(InvariantViolation);
  });

  it("asserts when a queue is set up after DRIVER_OK", () => {
    const { sim, memory, device } = rig();
    runInit(virtioNegotiate(device, OFFERED));
    runInit(virtioSetupQueue<number>(sim, memory, device, 0));
    runInit(virtioDriverOk(device));
    expect(() => device.setupQueue(0, Vring.allocate(memory, 8))).toThrow(/virtio.status_order/);
  });

  it("probes queues until size 0, as OSv does", () => {
    const { device } = rig();
    expect(device.queueMaxSize(0)).toBe(8);
    expect(device.queueMaxSize(1)).toBe(0);
  });
});

describe("virtio transport at run time", () => {
  it("holds a kick made before DRIVER_OK until DRIVER_OK, then serves it", () => {
    const { sim, memory, device } = rig();
    runInit(virtioNegotiate(device, OFFERED));
    const queue = runInit(virtioSetupQueue<number>(sim, memory, device, 0));
    const buffer = memory.alloc(8, 8);
    let early = -1;
    sim.addRunner(
      new GuestProcess("driver", memory, function* (): Guest {
        yield* queue.addBuf([{ addr: buffer, lenBytes: 8, write: true }], 7);
        yield* queue.kick();
        early = device.stats.passes;
        yield* virtioDriverOk(device);
      }),
    );
    expect(sim.run().outcome).toBe("ok");
    expect(early).toBe(0);
    expect(device.stats.passes).toBe(1);
    expect(device.queue(0).completed).toBe(1);
    expect(memory.read(buffer, 1)).toBe(0xa5);
  });

  it("raises the queue's vector on the CPU its affinity names, and drops work on reset", () => {
    const { sim, memory, sink, device } = rig();
    runInit(virtioNegotiate(device, OFFERED));
    const queue = runInit(virtioSetupQueue<number>(sim, memory, device, 0));
    runInit(virtioDriverOk(device));
    device.setQueueAffinity(0, 3);
    const buffer = memory.alloc(8, 8);
    sim.addRunner(
      new GuestProcess("driver", memory, function* (): Guest {
        yield* queue.addBuf([{ addr: buffer, lenBytes: 8, write: true }], 1);
        yield* queue.kick();
      }),
    );
    expect(sim.run().outcome).toBe("ok");
    expect(sink.raised).toEqual([{ cpu: 3, vector: device.queueVector(0) }]);
    device.reset();
    expect(device.status).toBe(0);
    expect(() => device.queue(0)).toThrow(/not set up/);
  });

  it("is deterministic: the same seed gives the same digest", () => {
    const digest = () => {
      const { sim, memory, device } = rig();
      runInit(virtioNegotiate(device, OFFERED));
      const queue = runInit(virtioSetupQueue<number>(sim, memory, device, 0));
      runInit(virtioDriverOk(device));
      const buffer = memory.alloc(64, 8);
      sim.addRunner(
        new GuestProcess("driver", memory, function* (): Guest {
          for (let i = 0; i < 8; i++)
            yield* queue.addBuf([{ addr: buffer + 8 * i, lenBytes: 8, write: true }], i);
          yield* queue.kick();
        }),
      );
      return sim.run().digest;
    };
    expect(digest()).toBe(digest());
  });
});
