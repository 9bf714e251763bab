// Goal: virtio-net moves Ethernet frames between guest rx/tx rings and the host network as OSv's
// driver expects: the agreed header size, mergeable rx buffers with num_buffers, drops when a frame
// cannot fit, order kept. Method: a guest rx thread and tx thread against an echo peer on the switch.
import { describe, expect, it } from "vitest";
import {
  createVirtioNet,
  features,
  type GuestMemory,
  GuestProcess,
  HostNetwork,
  type HostPeer,
  type NetworkPort,
  physLoad,
  VIRTIO_F_VERSION_1,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_F_MRG_RXBUF,
  VIRTIO_NET_RX_QUEUE,
  VIRTIO_NET_TX_QUEUE,
  VIRTIO_RING_F_EVENT_IDX,
  type VirtioNetDevice,
  type VirtioNetOptions,
  type VringDriver,
  virtioDriverOk,
  virtioNegotiate,
  virtioSetupQueue,
  wakeFromHost,
} from "../../../../src/hw/index.js";
import { type Guest, Simulation } from "../../../../src/sim/index.js";
import { FakeInterruptController, newMachine, runInit } from "./harness.js";

const GUEST_MAC = 0x525400000001;
const PEER_MAC = 0x525400000002;

function frame(to: number, from: number, seq: number, bytes: number): Uint8Array {
  const f = new Uint8Array(bytes);
  const view = new DataView(f.buffer);
  view.setUint16(0, Math.floor(to / 2 ** 32));
  view.setUint32(2, to % 2 ** 32);
  view.setUint16(6, Math.floor(from / 2 ** 32));
  view.setUint32(8, from % 2 ** 32);
  view.setUint16(12, 0x88b5);
  view.setUint16(14, seq);
  for (let i = 16; i < bytes; i++) f[i] = (seq + i) & 0xff;
  return f;
}

/** Answers every frame by sending it back with the MAC addresses swapped. */
class EchoPeer implements HostPeer {
  readonly name = "echo";
  port: NetworkPort | null = null;
  readonly seen: Uint8Array[] = [];
  receive(f: Uint8Array): void {
    this.seen.push(f);
    const back = f.slice();
    back.set(f.subarray(6, 12), 0);
    back.set(f.subarray(0, 6), 6);
    this.port!.send(back);
  }
}

interface NetRig {
  sim: Simulation;
  memory: GuestMemory;
  device: VirtioNetDevice;
  rx: VringDriver<number>;
  tx: VringDriver<number>;
  peer: EchoPeer;
  rxBuffers: number[];
  received: Uint8Array[];
}

function netRig(
  options: Partial<VirtioNetOptions>,
  rxBufferBytes: number,
  rxBufferCount: number,
  driverBits: bigint,
): NetRig {
  const sim = new Simulation({ seed: 11 });
  const memory = newMachine(sim, 1 << 22);
  const sink = new FakeInterruptController();
  const network = new HostNetwork(sim);
  const device = createVirtioNet(sim, memory, sink, network, { mac: GUEST_MAC, queueSize: 16, ...options });
  const peer = new EchoPeer();
  peer.port = network.attach(peer);
  runInit(virtioNegotiate(device, driverBits));
  const rx = runInit(virtioSetupQueue<number>(sim, memory, device, VIRTIO_NET_RX_QUEUE));
  const tx = runInit(virtioSetupQueue<number>(sim, memory, device, VIRTIO_NET_TX_QUEUE));
  const rxBuffers = Array.from({ length: rxBufferCount }, () => memory.alloc(rxBufferBytes, 64));
  const rig: NetRig = { sim, memory, device, rx, tx, peer, rxBuffers, received: [] };
  sink.on(device.queueVector(VIRTIO_NET_RX_QUEUE), () => {
    rx.disableInterruptsFromIsr();
    const thread = sim.runnerList().find((r) => r.name === "virtio-net-rx");
    if (thread !== undefined) wakeFromHost(sim, thread);
  });
  // OSv's tx vector only disables tx interrupts; completions are reclaimed by GC.
  sink.on(device.queueVector(VIRTIO_NET_TX_QUEUE), () => tx.disableInterruptsFromIsr());
  return rig;
}

/** OSv's receiver: fill the ring, then wait, drain, reassemble num_buffers fragments, refill. */
function* receiver(rig: NetRig, bufferBytes: number, frames: number): Guest {
  const { rx, device } = rig;
  for (let i = 0; i < rig.rxBuffers.length; i++) {
    yield* rx.addBuf([{ addr: rig.rxBuffers[i]!, lenBytes: bufferBytes, write: true }], i);
  }
  yield* rx.kick();
  yield* virtioDriverOk(device);
  while (rig.received.length < frames) {
    yield* rx.waitForQueue(() => rx.usedRingNotEmpty());
    for (;;) {
      const first = yield* rx.getBuf();
      if (first === null) break;
      const parts = [rig.memory.readBytes(rig.rxBuffers[first.cookie]!, first.lenBytes)];
      const count = device.headerBytes === 12 ? yield physLoad(rig.rxBuffers[first.cookie]! + 10, 2) : 1;
      const cookies = [first.cookie];
      for (let k = 1; k < count; k++) {
        const more = yield* rx.getBuf();
        expect(more).not.toBeNull();
        parts.push(rig.memory.readBytes(rig.rxBuffers[more!.cookie]!, more!.lenBytes));
        cookies.push(more!.cookie);
      }
      const packet = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let offset = 0;
      for (const p of parts) {
        packet.set(p, offset);
        offset += p.length;
      }
      rig.received.push(packet.slice(device.headerBytes));
      for (const c of cookies)
        yield* rx.addBuf([{ addr: rig.rxBuffers[c]!, lenBytes: bufferBytes, write: true }], c);
      yield* rx.kick();
    }
  }
}

function* transmitter(rig: NetRig, frames: readonly Uint8Array[]): Guest {
  const headerBytes = rig.device.headerBytes;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    const buffer = rig.memory.alloc(headerBytes + f.length, 64);
    rig.memory.writeBytes(buffer + headerBytes, f);
    while (!(yield* rig.tx.addBuf([{ addr: buffer, lenBytes: headerBytes + f.length, write: false }], i))) {
      yield* rig.tx.getBufGc();
    }
    yield* rig.tx.kick();
  }
}

const OSV_FEATURES = features(
  VIRTIO_F_VERSION_1,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_F_MRG_RXBUF,
);

function runEcho(
  options: Partial<VirtioNetOptions>,
  bufferBytes: number,
  sizes: number[],
  bits = OSV_FEATURES,
) {
  const rig = netRig(options, bufferBytes, 8, bits);
  const frames = sizes.map((bytes, seq) => frame(PEER_MAC, GUEST_MAC, seq, bytes));
  rig.sim.addRunner(
    new GuestProcess("virtio-net-rx", rig.memory, () => receiver(rig, bufferBytes, frames.length)),
  );
  rig.sim.addRunner(new GuestProcess("virtio-net-tx", rig.memory, () => transmitter(rig, frames)));
  const result = rig.sim.run({ untilNs: 1_000_000_000 });
  return { rig, frames, result };
}

describe("virtio-net", () => {
  it("sends frames through the tx ring and receives the echoes in order, with a 12-byte header", () => {
    const { rig, frames, result } = runEcho({}, 2048, [60, 1514, 200, 64, 900]);
    expect(result.outcome).toBe("ok");
    expect(rig.device.headerBytes).toBe(12);
    expect(rig.peer.seen.map((f) => [...f])).toEqual(frames.map((f) => [...f]));
    expect(rig.received.map((f) => f[15])).toEqual([0, 1, 2, 3, 4]);
    expect(rig.received.map((f) => f.length)).toEqual([60, 1514, 200, 64, 900]);
    expect(rig.device.netStats.txFrames).toBe(5);
    expect(rig.device.netStats.rxFrames).toBe(5);
  });

  it("spreads a frame over several mergeable rx buffers and sets num_buffers", () => {
    const { rig, result } = runEcho({}, 128, [300, 100, 500]);
    expect(result.outcome).toBe("ok");
    expect(rig.received.map((f) => f.length)).toEqual([300, 100, 500]);
    expect(rig.received[2]![100]).toBe((2 + 100) & 0xff);
  });

  it("without MRG_RXBUF uses the 10-byte header and drops frames larger than one buffer", () => {
    const legacy = features(VIRTIO_RING_F_EVENT_IDX, VIRTIO_NET_F_MAC);
    const rig = netRig({ mergeableRxBuffers: false }, 128, 8, legacy);
    expect(rig.device.headerBytes).toBe(10);
    const frames = [
      frame(PEER_MAC, GUEST_MAC, 0, 100),
      frame(PEER_MAC, GUEST_MAC, 1, 400),
      frame(PEER_MAC, GUEST_MAC, 2, 80),
    ];
    rig.sim.addRunner(new GuestProcess("virtio-net-rx", rig.memory, () => receiver(rig, 128, 2)));
    rig.sim.addRunner(new GuestProcess("virtio-net-tx", rig.memory, () => transmitter(rig, frames)));
    expect(rig.sim.run({ untilNs: 1_000_000_000 }).outcome).toBe("ok");
    expect(rig.received.map((f) => f.length)).toEqual([100, 80]);
    expect(rig.device.netStats.rxDropped).toBe(1);
  });
});
