// virtio-blk as host code over a HostDisk (osv-internals §7.5, drivers/virtio-blk.cc): header {type, ioprio,
// sector} + data + status byte; IN, OUT, FLUSH, DISCARD served, anything else UNSUPP. Simplified: OUT
// data is gathered when the chain is taken, IN data scattered at completion; no geometry or write-zeroes.

import type { Guest, Simulation } from "../../sim/index.js";
import {
  type DiskRequest,
  type DiskResult,
  HostDisk,
  type HostDiskOptions,
  SECTOR_SIZE_BYTES,
} from "../host/disk.js";
import type { InterruptSink } from "../interrupts.js";
import type { GuestMemory } from "../memory.js";
import { physStore } from "../memory.js";
import { features, VIRTIO_F_VERSION_1, VirtioDevice, type VirtioTransportOptions } from "./device.js";
import type { BufferSegment } from "./ring.js";
import { VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC } from "./ring.js";
import type { DescriptorChain } from "./ring-device.js";

export const VIRTIO_BLK_T_IN = 0;
export const VIRTIO_BLK_T_OUT = 1;
export const VIRTIO_BLK_T_FLUSH = 4;
export const VIRTIO_BLK_T_GET_ID = 8;
export const VIRTIO_BLK_T_DISCARD = 11;
export const VIRTIO_BLK_S_OK = 0;
export const VIRTIO_BLK_S_IOERR = 1;
export const VIRTIO_BLK_S_UNSUPP = 2;

export const VIRTIO_BLK_F_SIZE_MAX = 1;
export const VIRTIO_BLK_F_SEG_MAX = 2;
export const VIRTIO_BLK_F_GEOMETRY = 4;
export const VIRTIO_BLK_F_RO = 5;
export const VIRTIO_BLK_F_BLK_SIZE = 6;
/** Also called WCE: the device has a write cache and honours FLUSH. */
export const VIRTIO_BLK_F_FLUSH = 9;
export const VIRTIO_BLK_F_CONFIG_WCE = 11;
export const VIRTIO_BLK_F_MQ = 12;
export const VIRTIO_BLK_F_DISCARD = 13;

export const VIRTIO_BLK_HEADER_BYTES = 16;
/** A DISCARD segment: {sector u64, num_sectors u32, flags u32}. */
export const VIRTIO_BLK_DISCARD_SEGMENT_BYTES = 16;

export interface VirtioBlkOptions {
  /** Request queues (MQ); OSv picks queue = cpu mod queues. */
  queues: number;
  queueSize: number;
  /** Most data segments per request (config seg_max). */
  segMax: number;
  /** Offer VIRTIO_BLK_F_RO: writes answer IOERR. */
  readOnly: boolean;
  maxDiscardSectors: number;
  transport: Partial<VirtioTransportOptions>;
}

export const DEFAULT_VIRTIO_BLK_OPTIONS: Readonly<VirtioBlkOptions> = {
  queues: 1,
  queueSize: 128,
  segMax: 126,
  readOnly: false,
  maxDiscardSectors: 1 << 16,
  transport: {},
};

/** The device-specific configuration space a driver reads. */
export interface VirtioBlkConfig {
  readonly capacitySectors: number;
  readonly segMax: number;
  readonly blkSizeBytes: number;
  readonly numQueues: number;
  readonly maxDiscardSectors: number;
}

export interface VirtioBlkStats {
  requests: number;
  ok: number;
  ioErrors: number;
  unsupported: number;
}

export class VirtioBlkDevice extends VirtioDevice {
  readonly config: VirtioBlkConfig;
  readonly blkOptions: Readonly<VirtioBlkOptions>;
  readonly blkStats: VirtioBlkStats = { requests: 0, ok: 0, ioErrors: 0, unsupported: 0 };

  constructor(
    sim: Simulation,
    memory: GuestMemory,
    sink: InterruptSink,
    readonly disk: HostDisk,
    options: Partial<VirtioBlkOptions> = {},
  ) {
    const o = { ...DEFAULT_VIRTIO_BLK_OPTIONS, ...options };
    const offered = features(
      VIRTIO_F_VERSION_1,
      VIRTIO_RING_F_EVENT_IDX,
      VIRTIO_RING_F_INDIRECT_DESC,
      VIRTIO_BLK_F_SEG_MAX,
      VIRTIO_BLK_F_BLK_SIZE,
      VIRTIO_BLK_F_FLUSH,
      VIRTIO_BLK_F_DISCARD,
      ...(o.queues > 1 ? [VIRTIO_BLK_F_MQ] : []),
      ...(o.readOnly ? [VIRTIO_BLK_F_RO] : []),
    );
    super(sim, memory, sink, "virtio-blk", offered, Array(o.queues).fill(o.queueSize), o.transport);
    this.blkOptions = o;
    this.config = {
      capacitySectors: disk.capacitySectors,
      segMax: o.segMax,
      blkSizeBytes: SECTOR_SIZE_BYTES,
      numQueues: o.queues,
      maxDiscardSectors: o.maxDiscardSectors,
    };
  }

  protected onChain(queueIndex: number, chain: DescriptorChain): void {
    this.blkStats.requests++;
    const segments = chain.segments;
    const header = segments[0]!;
    const status = segments[segments.length - 1]!;
    this.sim.assert(
      segments.length >= 2 && !header.write && header.lenBytes >= VIRTIO_BLK_HEADER_BYTES,
      "virtio_blk.request",
      "a request needs a readable 16-byte header first",
    );
    this.sim.assert(status.write && status.lenBytes >= 1, "virtio_blk.request", "no writable status byte");
    const type = this.memory.read(header.addr, 4);
    const sector = this.memory.read(header.addr + 8, 8);
    const data = segments.slice(1, -1);
    const request = this.diskRequest(type, sector, data);
    const generation = this.generation;
    const finish = (code: number, written: number) => {
      if (generation !== this.generation) return; // the driver reset the device meanwhile
      this.memory.write(status.addr, 1, code);
      this.count(code);
      this.complete(queueIndex, chain.head, written + 1);
    };
    if (typeof request === "number") {
      finish(request, 0);
      return;
    }
    this.disk.submit(request, (result) => finish(...this.scatter(request, result, data)));
  }

  /** Builds the disk request, or answers a status code at once for requests that cannot run. */
  private diskRequest(type: number, sector: number, data: readonly BufferSegment[]): DiskRequest | number {
    const bytes = data.reduce((sum, s) => sum + s.lenBytes, 0);
    const count = bytes / SECTOR_SIZE_BYTES;
    const sane = data.length <= this.config.segMax && Number.isInteger(count);
    switch (type) {
      case VIRTIO_BLK_T_IN:
        if (!sane || count === 0 || data.some((s) => !s.write) || !this.disk.inRange(sector, count))
          return VIRTIO_BLK_S_IOERR;
        return { kind: "read", sector, count };
      case VIRTIO_BLK_T_OUT:
        if (this.blkOptions.readOnly) return VIRTIO_BLK_S_IOERR;
        if (!sane || count === 0 || data.some((s) => s.write) || !this.disk.inRange(sector, count))
          return VIRTIO_BLK_S_IOERR;
        return { kind: "write", sector, data: this.gather(data, bytes) };
      case VIRTIO_BLK_T_FLUSH:
        return { kind: "flush" };
      case VIRTIO_BLK_T_DISCARD:
        return this.discardRequest(data);
      default:
        return VIRTIO_BLK_S_UNSUPP;
    }
  }

  private discardRequest(data: readonly BufferSegment[]): DiskRequest | number {
    const segment = data[0];
    if (data.length !== 1 || segment === undefined || segment.write) return VIRTIO_BLK_S_IOERR;
    if (segment.lenBytes !== VIRTIO_BLK_DISCARD_SEGMENT_BYTES) return VIRTIO_BLK_S_UNSUPP;
    const sector = this.memory.read(segment.addr, 8);
    const count = this.memory.read(segment.addr + 8, 4);
    if (count === 0 || count > this.config.maxDiscardSectors || !this.disk.inRange(sector, count))
      return VIRTIO_BLK_S_IOERR;
    return { kind: "discard", sector, count };
  }

  private gather(data: readonly BufferSegment[], bytes: number): Uint8Array {
    const out = new Uint8Array(bytes);
    let offset = 0;
    for (const segment of data) {
      out.set(this.memory.readBytes(segment.addr, segment.lenBytes), offset);
      offset += segment.lenBytes;
    }
    return out;
  }

  /** Writes read data into the guest's buffers; answers (status, bytes written). */
  private scatter(
    request: DiskRequest,
    result: DiskResult,
    data: readonly BufferSegment[],
  ): [number, number] {
    if (!result.ok) return [VIRTIO_BLK_S_IOERR, 0];
    if (request.kind !== "read" || result.data === null) return [VIRTIO_BLK_S_OK, 0];
    let offset = 0;
    for (const segment of data) {
      this.memory.writeBytes(segment.addr, result.data.subarray(offset, offset + segment.lenBytes));
      offset += segment.lenBytes;
    }
    return [VIRTIO_BLK_S_OK, offset];
  }

  private count(code: number): void {
    if (code === VIRTIO_BLK_S_OK) this.blkStats.ok++;
    else if (code === VIRTIO_BLK_S_IOERR) this.blkStats.ioErrors++;
    else this.blkStats.unsupported++;
  }
}

/** Builds a virtio-blk device on a new host disk (or the one given), attached to memory and interrupts. */
export function createVirtioBlk(
  sim: Simulation,
  memory: GuestMemory,
  sink: InterruptSink,
  options: Partial<VirtioBlkOptions> = {},
  disk: HostDisk | Partial<HostDiskOptions> = {},
): VirtioBlkDevice {
  const hostDisk = disk instanceof HostDisk ? disk : new HostDisk(sim, disk);
  return new VirtioBlkDevice(sim, memory, sink, hostDisk, options);
}

// ---- driver side (guest code) ---------------------------------------------------------------------

/** Writes a request header {type, ioprio = 0, sector} at `headerAddr` and primes the status byte. */
export function* writeBlkHeader(headerAddr: number, statusAddr: number, type: number, sector: number): Guest {
  yield physStore(headerAddr, 4, type);
  yield physStore(headerAddr + 4, 4, 0);
  yield physStore(headerAddr + 8, 8, sector);
  yield physStore(statusAddr, 1, 0xff);
}

/** The sg list of a request: header, data (writable for IN), status. */
export function blkRequestSegments(
  headerAddr: number,
  statusAddr: number,
  type: number,
  data: readonly { addr: number; lenBytes: number }[],
): BufferSegment[] {
  return [
    { addr: headerAddr, lenBytes: VIRTIO_BLK_HEADER_BYTES, write: false },
    ...data.map((d) => ({ addr: d.addr, lenBytes: d.lenBytes, write: type === VIRTIO_BLK_T_IN })),
    { addr: statusAddr, lenBytes: 1, write: true },
  ];
}
