// Goal: the split ring's layout, wire format and driver/device protocol behave as virtio 1.x and
// OSv's vring do. Method: hand-built simulations with the echo device, inspecting guest memory and
// the counters on both sides.
import { describe, expect, it } from "vitest";
import {
  FORCED_KICK_THRESHOLD,
  features,
  GuestProcess,
  VIRTIO_F_VERSION_1,
  VIRTIO_PCI_VRING_ALIGN,
  VIRTIO_RING_F_EVENT_IDX,
  Vring,
  virtioNegotiate,
  virtioSetupQueue,
  vringLayout,
  vringNeedEvent,
} from "../../../../src/hw/index.js";
import { type Guest, Simulation } from "../../../../src/sim/index.js";
import { EchoDevice, FakeInterruptController, newMachine, runInit, runRingScenario } from "./harness.js";

const base = {
  values: [] as number[],
  queueSize: 8,
  eventIdx: false,
  indirect: false,
  kickEvery: 1,
  maxStallNs: 0,
  maxDeviceLatencyNs: 1000,
};

describe("split ring layout", () => {
  it("places the used ring on the next 4096-byte boundary, as OSv does", () => {
    const layout = vringLayout(256);
    expect(VIRTIO_PCI_VRING_ALIGN).toBe(4096);
    expect(layout.availOffset).toBe(4096);
    expect(layout.usedEventOffset).toBe(4096 + 4 + 512);
    expect(layout.usedOffset).toBe(8192);
    expect(layout.availEventOffset).toBe(8192 + 4 + 8 * 256);
    expect(layout.totalSizeBytes).toBe(8192 + 6 + 8 * 256);
  });

  it("refuses sizes that are not powers of two or exceed 32768", () => {
    expect(() => vringLayout(3)).toThrow(RangeError);
    expect(() => vringLayout(65536)).toThrow(RangeError);
    expect(() => vringLayout(0)).toThrow(RangeError);
  });

  it("computes field addresses from the base", () => {
    const ring = new Vring(0x10000, 4);
    expect(ring.desc(3)).toBe(0x10000 + 48);
    expect(ring.availRing(2)).toBe(0x10000 + 64 + 4 + 4);
    expect(ring.usedElem(1)).toBe(0x10000 + 4096 + 4 + 8);
  });
});

describe("vring_need_event", () => {
  it("asks for an event exactly when the event index was crossed, modulo 2^16", () => {
    expect(vringNeedEvent(5, 6, 5)).toBe(true);
    expect(vringNeedEvent(5, 5, 4)).toBe(false);
    expect(vringNeedEvent(3, 10, 4)).toBe(false);
    expect(vringNeedEvent(4, 10, 4)).toBe(true);
    expect(vringNeedEvent(0xffff, 1, 0xfffe)).toBe(true);
    expect(vringNeedEvent(1, 1, 1)).toBe(false);
  });
});

describe("driver and device over one ring", () => {
  it("completes every buffer once, with descriptors conserved", () => {
    const run = runRingScenario({ ...base, buffers: [1, 2, 3, 1, 2, 3, 1, 2, 3, 1] });
    expect(run.result.outcome).toBe("ok");
    expect([...run.received].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(run.driver.freeDescriptors + run.driver.inFlightDescriptors).toBe(8);
    expect(run.device.queue(0).completed).toBe(10);
    expect(run.sink.raised.length).toBeGreaterThan(0);
  });

  it("writes completions into device-writable segments and reports their length", () => {
    const run = runRingScenario({ ...base, buffers: [3] });
    expect(run.result.outcome).toBe("ok");
    expect(run.received).toEqual([0]);
    expect(run.driver.stats.completed).toBe(1);
  });

  it("with event index, suppresses kicks while the device has a pass pending", () => {
    const run = runRingScenario({ ...base, eventIdx: true, buffers: Array(30).fill(1), kickEvery: 1 });
    expect(run.result.outcome).toBe("ok");
    expect(run.received.length).toBe(30);
    expect(run.driver.stats.kicksSuppressed).toBeGreaterThan(0);
    expect(run.device.stats.notifies).toBe(run.driver.stats.kicks);
  });

  it("uses indirect descriptors when negotiated and the ring runs low", () => {
    const run = runRingScenario({ ...base, indirect: true, queueSize: 4, buffers: Array(12).fill(3) });
    expect(run.result.outcome).toBe("ok");
    expect(run.received.length).toBe(12);
    expect(run.driver.stats.indirectAdded).toBeGreaterThan(0);
  });

  it("forces a kick after 32767 additions without one, even when avail_event says not to", () => {
    const kicked = (additions: number) => {
      const sim = new Simulation();
      const memory = newMachine(sim, 1 << 21);
      const bits = features(VIRTIO_F_VERSION_1, VIRTIO_RING_F_EVENT_IDX);
      const device = new EchoDevice(sim, memory, new FakeInterruptController(), bits, 32768, 0);
      runInit(virtioNegotiate(device, bits));
      const queue = runInit(virtioSetupQueue<number>(sim, memory, device, 0));
      const buffer = memory.alloc(8, 8);
      let answer = false;
      sim.addRunner(
        new GuestProcess("driver", memory, function* (): Guest {
          for (let i = 0; i < additions; i++)
            yield* queue.addBuf([{ addr: buffer, lenBytes: 8, write: true }], i);
          // avail_event = avail.idx: vring_need_event answers "no kick" for any count below 2^16.
          memory.write(queue.vring.availEvent, 2, additions);
          answer = yield* queue.kick();
        }),
      );
      expect(sim.run().outcome).toBe("ok");
      return answer;
    };
    expect(FORCED_KICK_THRESHOLD).toBe(32767);
    expect(kicked(32766)).toBe(false);
    expect(kicked(32767)).toBe(true);
  });
});
