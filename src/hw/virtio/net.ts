// virtio-net as host code on a HostNetwork port (osv-internals §7.4, drivers/virtio-net.cc): rx queue 0,
// tx queue 1, a 12-byte header with MRG_RXBUF or VERSION_1 (else 10) and mergeable rx buffers.
// Simplified: no checksum/TSO offload (headers are zeroed and ignored), no control queue, no MQ (as OSv).

import type { Simulation, TimedHandler } from "../../sim/index.js";
import type { HostNetwork, HostPeer, NetworkPort } from "../host/network.js";
import type { InterruptSink } from "../interrupts.js";
import type { GuestMemory } from "../memory.js";
import {
  features,
  hasFeature,
  VIRTIO_CONFIG_S_DRIVER_OK,
  VIRTIO_F_VERSION_1,
  VirtioDevice,
  type VirtioTransportOptions,
} from "./device.js";
import { VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC } from "./ring.js";
import type { DescriptorChain } from "./ring-device.js";

export const VIRTIO_NET_F_CSUM = 0;
export const VIRTIO_NET_F_GUEST_CSUM = 1;
export const VIRTIO_NET_F_MAC = 5;
export const VIRTIO_NET_F_GUEST_TSO4 = 7;
export const VIRTIO_NET_F_GUEST_ECN = 9;
export const VIRTIO_NET_F_GUEST_UFO = 10;
export const VIRTIO_NET_F_HOST_TSO4 = 11;
export const VIRTIO_NET_F_HOST_ECN = 13;
export const VIRTIO_NET_F_MRG_RXBUF = 15;
export const VIRTIO_NET_F_STATUS = 16;

/** virtio_net_hdr without and with num_buffers. */
export const VIRTIO_NET_HDR_BYTES = 10;
export const VIRTIO_NET_HDR_MRG_RXBUF_BYTES = 12;
export const VIRTIO_NET_RX_QUEUE = 0;
export const VIRTIO_NET_TX_QUEUE = 1;
const NUM_BUFFERS_OFFSET = 10;

export interface VirtioNetOptions {
  /** The NIC's MAC address (48 bits), as the MAC feature's config field reports it. */
  mac: number;
  queueSize: number;
  /** Frames the host side holds while the guest has no rx buffers posted; more are dropped. */
  rxBacklogFrames: number;
  /** Time from taking a tx chain to the frame leaving on the link. */
  txLatencyNsMin: number;
  txLatencyNsMax: number;
  /** Offer MRG_RXBUF (OSv asks for it). */
  mergeableRxBuffers: boolean;
  transport: Partial<VirtioTransportOptions>;
}

export const DEFAULT_VIRTIO_NET_OPTIONS: Readonly<VirtioNetOptions> = {
  mac: 0x525400123456,
  queueSize: 256,
  rxBacklogFrames: 256,
  txLatencyNsMin: 1_000,
  txLatencyNsMax: 5_000,
  mergeableRxBuffers: true,
  transport: {},
};

export interface VirtioNetStats {
  rxFrames: number;
  rxBytes: number;
  rxDropped: number;
  txFrames: number;
  txBytes: number;
}

export class VirtioNetDevice extends VirtioDevice implements HostPeer {
  readonly netOptions: Readonly<VirtioNetOptions>;
  readonly netStats: VirtioNetStats = { rxFrames: 0, rxBytes: 0, rxDropped: 0, txFrames: 0, txBytes: 0 };
  /** Rx chains taken from queue 0, waiting for frames. */
  private readonly rxBuffers: DescriptorChain[] = [];
  private readonly backlog: Uint8Array[] = [];
  private readonly txPending = new Map<
    number,
    { generation: number; chain: DescriptorChain; frame: Uint8Array }
  >();
  private nextTxToken = 0;
  private txLastNs = 0;
  private readonly txDone: TimedHandler;
  port: NetworkPort | null = null;

  constructor(
    sim: Simulation,
    memory: GuestMemory,
    sink: InterruptSink,
    options: Partial<VirtioNetOptions> = {},
  ) {
    const o = { ...DEFAULT_VIRTIO_NET_OPTIONS, ...options };
    const offered = features(
      VIRTIO_F_VERSION_1,
      VIRTIO_RING_F_EVENT_IDX,
      VIRTIO_RING_F_INDIRECT_DESC,
      VIRTIO_NET_F_MAC,
      VIRTIO_NET_F_STATUS,
      ...(o.mergeableRxBuffers ? [VIRTIO_NET_F_MRG_RXBUF] : []),
    );
    super(sim, memory, sink, "virtio-net", offered, [o.queueSize, o.queueSize], o.transport);
    this.netOptions = o;
    const kind = sim.kinds.allocate("virtio-net.tx");
    this.txDone = { kind, id: kind, fire: (token) => this.finishTx(token) };
  }

  /** The header length the driver and device agreed on. */
  get headerBytes(): number {
    const modern = hasFeature(this.negotiated, VIRTIO_F_VERSION_1);
    return modern || this.hasNegotiated(VIRTIO_NET_F_MRG_RXBUF)
      ? VIRTIO_NET_HDR_MRG_RXBUF_BYTES
      : VIRTIO_NET_HDR_BYTES;
  }

  get postedRxBuffers(): number {
    return this.rxBuffers.length;
  }

  protected override onReset(): void {
    this.rxBuffers.length = 0;
    this.backlog.length = 0;
  }

  protected onChain(queueIndex: number, chain: DescriptorChain): void {
    if (queueIndex === VIRTIO_NET_RX_QUEUE) {
      this.sim.assert(chain.readableBytes === 0, "virtio_net.rx", "an rx buffer with device-readable parts");
      this.rxBuffers.push(chain);
      this.drainBacklog();
      return;
    }
    this.transmit(chain);
  }

  // ---- receive ------------------------------------------------------------------------------------

  /** A frame from the switch. */
  receive(frame: Uint8Array): void {
    if (
      (this.status & VIRTIO_CONFIG_S_DRIVER_OK) === 0 ||
      this.backlog.length >= this.netOptions.rxBacklogFrames
    ) {
      this.netStats.rxDropped++;
      return;
    }
    this.backlog.push(frame);
    this.drainBacklog();
  }

  private drainBacklog(): void {
    while (this.backlog.length > 0) {
      const frame = this.backlog[0]!;
      const verdict = this.deliver(frame);
      if (verdict === "wait") return;
      this.backlog.shift();
      if (verdict === "dropped") this.netStats.rxDropped++;
    }
  }

  /** Writes header + frame into posted buffers (several with MRG_RXBUF) and completes them. */
  private deliver(frame: Uint8Array): "delivered" | "dropped" | "wait" {
    const packet = new Uint8Array(this.headerBytes + frame.length);
    packet.set(frame, this.headerBytes);
    const mergeable = this.hasNegotiated(VIRTIO_NET_F_MRG_RXBUF);
    let buffers = 0;
    let room = 0;
    while (room < packet.length) {
      const chain = this.rxBuffers[buffers];
      // A frame the whole ring could not hold would block the backlog forever.
      if (chain === undefined)
        return buffers >= this.queue(VIRTIO_NET_RX_QUEUE).vring.num ? "dropped" : "wait";
      room += chain.writableBytes;
      buffers++;
      if (!mergeable) break;
    }
    if (room < packet.length) return "dropped"; // too big for one buffer without MRG_RXBUF
    if (mergeable) {
      packet[NUM_BUFFERS_OFFSET] = buffers & 0xff; // num_buffers, a little-endian u16
      packet[NUM_BUFFERS_OFFSET + 1] = buffers >> 8;
    }
    let offset = 0;
    for (const chain of this.rxBuffers.splice(0, buffers)) {
      const start = offset;
      for (const segment of chain.segments) {
        const part = packet.subarray(offset, Math.min(packet.length, offset + segment.lenBytes));
        this.memory.writeBytes(segment.addr, part);
        offset += part.length;
      }
      this.complete(VIRTIO_NET_RX_QUEUE, chain.head, offset - start);
    }
    this.netStats.rxFrames++;
    this.netStats.rxBytes += frame.length;
    return "delivered";
  }

  // ---- transmit -----------------------------------------------------------------------------------

  private transmit(chain: DescriptorChain): void {
    this.sim.assert(chain.writableBytes === 0, "virtio_net.tx", "a tx chain with device-writable parts");
    const packet = new Uint8Array(chain.readableBytes);
    let offset = 0;
    for (const segment of chain.segments) {
      packet.set(this.memory.readBytes(segment.addr, segment.lenBytes), offset);
      offset += segment.lenBytes;
    }
    this.sim.assert(packet.length >= this.headerBytes, "virtio_net.tx", "a tx chain shorter than its header");
    const frame = packet.slice(this.headerBytes);
    const token = this.nextTxToken++;
    this.txPending.set(token, { generation: this.generation, chain, frame });
    const o = this.netOptions;
    const delayNs = this.sim.choice.between(o.txLatencyNsMin, o.txLatencyNsMax, "virtio_net.tx_latency");
    // A NIC transmits in ring order: latency varies, order does not.
    this.txLastNs = Math.max(this.sim.now + delayNs, this.txLastNs);
    this.sim.at(this.txLastNs, this.txDone, token);
  }

  private finishTx(token: number): void {
    const entry = this.txPending.get(token)!;
    this.txPending.delete(token);
    if (entry.generation !== this.generation) return;
    this.netStats.txFrames++;
    this.netStats.txBytes += entry.frame.length;
    this.port?.send(entry.frame);
    this.complete(VIRTIO_NET_TX_QUEUE, entry.chain.head, 0);
  }
}

/** Builds a virtio-net device and plugs it into `network` through a link with the network's defaults. */
export function createVirtioNet(
  sim: Simulation,
  memory: GuestMemory,
  sink: InterruptSink,
  network: HostNetwork,
  options: Partial<VirtioNetOptions> = {},
  link: Parameters<HostNetwork["attach"]>[1] = {},
): VirtioNetDevice {
  const device = new VirtioNetDevice(sim, memory, sink, options);
  device.port = network.attach(device, link);
  return device;
}
