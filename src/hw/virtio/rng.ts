// virtio-rng as host code (osv-internals §7.6, drivers/virtio-rng.cc): the device fills a posted writable
// buffer with bytes from the choice source and completes it. Simplified: one 32-bit choice ("rng.word")
// per 4 bytes, so shrinking drives the bytes to zero; no entropy starvation.

import type { Simulation, TimedHandler } from "../../sim/index.js";
import type { InterruptSink } from "../interrupts.js";
import type { GuestMemory } from "../memory.js";
import { features, VIRTIO_F_VERSION_1, VirtioDevice, type VirtioTransportOptions } from "./device.js";
import { VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC } from "./ring.js";
import type { DescriptorChain } from "./ring-device.js";

export interface VirtioRngOptions {
  queueSize: number;
  /** Time to produce the bytes of one request: shortest and longest. */
  latencyNsMin: number;
  latencyNsMax: number;
  /** Most bytes answered per request (the rest of the buffer is left untouched). */
  maxBytesPerRequest: number;
  transport: Partial<VirtioTransportOptions>;
}

export const DEFAULT_VIRTIO_RNG_OPTIONS: Readonly<VirtioRngOptions> = {
  queueSize: 64,
  latencyNsMin: 1_000,
  latencyNsMax: 20_000,
  maxBytesPerRequest: 4096,
  transport: {},
};

export class VirtioRngDevice extends VirtioDevice {
  readonly rngOptions: Readonly<VirtioRngOptions>;
  bytesProduced = 0;
  private readonly pending = new Map<number, { generation: number; chain: DescriptorChain }>();
  private nextToken = 0;
  private readonly fill: TimedHandler;

  constructor(
    sim: Simulation,
    memory: GuestMemory,
    sink: InterruptSink,
    options: Partial<VirtioRngOptions> = {},
  ) {
    const o = { ...DEFAULT_VIRTIO_RNG_OPTIONS, ...options };
    const offered = features(VIRTIO_F_VERSION_1, VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC);
    super(sim, memory, sink, "virtio-rng", offered, [o.queueSize], o.transport);
    this.rngOptions = o;
    const kind = sim.kinds.allocate("virtio-rng.fill");
    this.fill = { kind, id: kind, fire: (token) => this.finish(token) };
  }

  protected onChain(_queueIndex: number, chain: DescriptorChain): void {
    this.sim.assert(chain.readableBytes === 0, "virtio_rng.request", "an entropy buffer with readable parts");
    const token = this.nextToken++;
    this.pending.set(token, { generation: this.generation, chain });
    const o = this.rngOptions;
    const delayNs = this.sim.choice.between(o.latencyNsMin, o.latencyNsMax, "virtio_rng.latency");
    this.sim.at(this.sim.now + delayNs, this.fill, token);
  }

  private finish(token: number): void {
    const { generation, chain } = this.pending.get(token)!;
    this.pending.delete(token);
    if (generation !== this.generation) return;
    let budget = Math.min(chain.writableBytes, this.rngOptions.maxBytesPerRequest);
    const total = budget;
    for (const segment of chain.segments) {
      const length = Math.min(segment.lenBytes, budget);
      this.memory.writeBytes(segment.addr, this.randomBytes(length));
      budget -= length;
      if (budget === 0) break;
    }
    this.bytesProduced += total;
    this.complete(0, chain.head, total);
  }

  private randomBytes(length: number): Uint8Array {
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      const word = this.sim.choice.choose(2 ** 32, "rng.word");
      for (let k = 0; k < 4 && i + k < length; k++) bytes[i + k] = (word >>> (8 * k)) & 0xff;
    }
    return bytes;
  }
}

/** Builds a virtio-rng device attached to memory and interrupts. */
export function createVirtioRng(
  sim: Simulation,
  memory: GuestMemory,
  sink: InterruptSink,
  options: Partial<VirtioRngOptions> = {},
): VirtioRngDevice {
  return new VirtioRngDevice(sim, memory, sink, options);
}
