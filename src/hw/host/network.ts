// The host network behind virtio-net (osv-internals §7.4): a learning switch whose links have latency,
// jitter, loss, duplication, reordering and partitions, each fault a (probability, duration) pair decided
// by the choice source; peers attach as HostPeer. Simplified: no bandwidth model; frames are opaque bytes.

import type { Simulation, TimedHandler } from "../../sim/index.js";

/** A fault that, once it fires (probability per frame), stays in force for durationNs (0 = this frame). */
export interface LinkFault {
  probability: number;
  durationNs: number;
}

export interface HostLinkOptions {
  /** One-way latency of the link (sender's plus receiver's link make a path). */
  latencyNs: number;
  /** Extra delay in [0, jitterNs], a choice; jitter never reorders a path on its own. */
  jitterNs: number;
  loss: LinkFault;
  duplication: LinkFault;
  /** While in force, frames get an extra delay in [0, reorderWindowNs] and may overtake. */
  reordering: LinkFault;
  reorderWindowNs: number;
  /** While in force, nothing crosses this link in either direction. */
  partition: LinkFault;
}

const NO_FAULT: LinkFault = { probability: 0, durationNs: 0 };

export const DEFAULT_HOST_LINK_OPTIONS: Readonly<HostLinkOptions> = {
  latencyNs: 20_000,
  jitterNs: 5_000,
  loss: NO_FAULT,
  duplication: NO_FAULT,
  reordering: NO_FAULT,
  reorderWindowNs: 100_000,
  partition: NO_FAULT,
};

export interface HostNetworkOptions {
  /** Frames scheduled for delivery at once; more are dropped (counted as overflow). */
  maxFramesInFlight: number;
  /** Largest frame accepted (Ethernet with TSO-sized payloads). */
  maxFrameBytes: number;
  /** MAC addresses the switch remembers. */
  maxLearnedAddresses: number;
}

export const DEFAULT_HOST_NETWORK_OPTIONS: Readonly<HostNetworkOptions> = {
  maxFramesInFlight: 4096,
  maxFrameBytes: 65_550,
  maxLearnedAddresses: 1024,
};

/** Something attached to the network: receives the frames the switch forwards to its port. */
export interface HostPeer {
  readonly name: string;
  receive(frame: Uint8Array, fromPort: number): void;
}

export interface NetworkPort {
  readonly id: number;
  readonly peer: HostPeer;
  send(frame: Uint8Array): void;
}

export interface HostNetworkStats {
  sent: number;
  delivered: number;
  lost: number;
  partitioned: number;
  duplicated: number;
  reordered: number;
  overflow: number;
  malformed: number;
}

const ETHERNET_HEADER_BYTES = 14;
const FAULTS = ["loss", "duplication", "reordering", "partition"] as const;
type FaultName = (typeof FAULTS)[number];

interface Link {
  readonly options: HostLinkOptions;
  /** Until when each fault is in force (exclusive). */
  readonly until: Record<FaultName, number>;
}

/** Reads the 48-bit MAC address at `offset` as a number. */
export function macAt(frame: Uint8Array, offset: number): number {
  let mac = 0;
  for (let i = 0; i < 6; i++) mac = mac * 256 + frame[offset + i]!;
  return mac;
}

export class HostNetwork {
  readonly options: Readonly<HostNetworkOptions>;
  readonly stats: HostNetworkStats = {
    sent: 0,
    delivered: 0,
    lost: 0,
    partitioned: 0,
    duplicated: 0,
    reordered: 0,
    overflow: 0,
    malformed: 0,
  };
  private readonly ports: NetworkPort[] = [];
  private readonly links: Link[] = [];
  private readonly learned = new Map<number, number>();
  /** Last in-order delivery time per (from, to) path: jitter must not reorder a path. */
  private readonly pathLastNs = new Map<number, number>();
  private readonly inFlight = new Map<number, { to: number; from: number; frame: Uint8Array }>();
  private nextToken = 0;
  private readonly delivery: TimedHandler;

  constructor(
    private readonly sim: Simulation,
    options: Partial<HostNetworkOptions> = {},
  ) {
    this.options = { ...DEFAULT_HOST_NETWORK_OPTIONS, ...options };
    const kind = sim.kinds.allocate("net.deliver");
    this.delivery = { kind, id: kind, fire: (token) => this.deliver(token) };
  }

  /** Attaches `peer` through a link with `link` options; answers its port. */
  attach(peer: HostPeer, link: Partial<HostLinkOptions> = {}): NetworkPort {
    const id = this.ports.length;
    const options = { ...DEFAULT_HOST_LINK_OPTIONS, ...link };
    if (!(options.latencyNs >= 0 && options.jitterNs >= 0 && options.reorderWindowNs >= 0))
      throw new RangeError("link latencies must be >= 0");
    this.links.push({ options, until: { loss: 0, duplication: 0, reordering: 0, partition: 0 } });
    const port: NetworkPort = { id, peer, send: (frame) => this.send(id, frame) };
    this.ports.push(port);
    return port;
  }

  /** Injects a partition of `portId`'s link for durationNs from now. */
  partition(portId: number, durationNs: number): void {
    const link = this.links[portId]!;
    link.until.partition = Math.max(link.until.partition, this.sim.now + durationNs);
  }

  isPartitioned(portId: number): boolean {
    return this.sim.now < this.links[portId]!.until.partition;
  }

  get framesInFlight(): number {
    return this.inFlight.size;
  }

  /** A frame leaves `fromPort`: learn its source, pick the ports it goes to, and send it down each path. */
  send(fromPort: number, frame: Uint8Array): void {
    this.stats.sent++;
    if (frame.length < ETHERNET_HEADER_BYTES || frame.length > this.options.maxFrameBytes) {
      this.stats.malformed++;
      return;
    }
    const copy = frame.slice();
    const source = macAt(copy, 6);
    if (this.learned.has(source) || this.learned.size < this.options.maxLearnedAddresses)
      this.learned.set(source, fromPort);
    const destination = macAt(copy, 0);
    const known = (copy[0]! & 1) === 0 ? this.learned.get(destination) : undefined;
    if (known !== undefined) {
      if (known !== fromPort) this.forward(fromPort, known, copy);
      return;
    }
    for (const port of this.ports) if (port.id !== fromPort) this.forward(fromPort, port.id, copy);
  }

  /** Whether `fault` is in force on `link` for this frame (it may fire now). */
  private inForce(link: Link, fault: FaultName, label: string): boolean {
    if (this.sim.now < link.until[fault]) return true;
    const spec = link.options[fault];
    if (!this.sim.choice.chance(spec.probability, label)) return false;
    link.until[fault] = this.sim.now + spec.durationNs;
    return true;
  }

  private forward(from: number, to: number, frame: Uint8Array): void {
    const out = this.links[from]!;
    const into = this.links[to]!;
    const partitioned = this.inForce(out, "partition", "net.partition");
    if (partitioned || this.sim.now < into.until.partition) {
      this.stats.partitioned++;
      return;
    }
    if (this.inForce(out, "loss", "net.loss")) {
      this.stats.lost++;
      return;
    }
    const copies = this.inForce(out, "duplication", "net.duplicate") ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    const reordered = this.inForce(out, "reordering", "net.reorder");
    const jitterNs = out.options.jitterNs + into.options.jitterNs;
    let atNs = this.sim.now + out.options.latencyNs + into.options.latencyNs;
    atNs += this.sim.choice.between(0, jitterNs, "net.jitter");
    const path = from * 65536 + to;
    if (reordered) {
      this.stats.reordered++;
      atNs += this.sim.choice.between(0, out.options.reorderWindowNs, "net.reorder_delay");
    } else {
      atNs = Math.max(atNs, this.pathLastNs.get(path) ?? 0);
      this.pathLastNs.set(path, atNs);
    }
    for (let i = 0; i < copies; i++) this.schedule(atNs, from, to, frame);
  }

  private schedule(atNs: number, from: number, to: number, frame: Uint8Array): void {
    if (this.inFlight.size >= this.options.maxFramesInFlight) {
      this.stats.overflow++;
      return;
    }
    const token = this.nextToken++;
    this.inFlight.set(token, { to, from, frame });
    this.sim.at(atNs, this.delivery, token);
  }

  private deliver(token: number): void {
    const entry = this.inFlight.get(token)!;
    this.inFlight.delete(token);
    // A partition that began while the frame was on the wire drops it too.
    if (this.isPartitioned(entry.to) || this.isPartitioned(entry.from)) {
      this.stats.partitioned++;
      return;
    }
    this.stats.delivered++;
    this.ports[entry.to]!.peer.receive(entry.frame, entry.from);
  }
}
