// The host disk behind virtio-blk (osv-internals §7.5; §6's ZFS relies on its FLUSH): 512-byte sectors, a
// volatile write cache only FLUSH or a chosen write-back makes durable, power loss with torn writes, read
// errors, latency. Simplified: a request takes effect at its completion instant; no seek or queue model.

import type { Simulation, TimedHandler } from "../../sim/index.js";

export const SECTOR_SIZE_BYTES = 512;

export interface HostDiskOptions {
  /** Disk size in 512-byte sectors. */
  capacitySectors: number;
  /** Shortest and longest request service time (the choice source picks; 0 = shortest). */
  latencyNsMin: number;
  latencyNsMax: number;
  /** Per read request: it fails with an I/O error. */
  readErrorProbability: number;
  /** Per completed write: the cache writes some dirty sectors back on its own. */
  writeBackProbability: number;
  /** At power loss: one multi-sector write that is not yet durable lands partially. */
  tornWriteProbability: number;
  /** Dirty sectors the cache holds before it must write the oldest back. */
  maxCachedSectors: number;
  /** Requests in service at once. */
  maxInFlight: number;
}

export const DEFAULT_HOST_DISK_OPTIONS: Readonly<HostDiskOptions> = {
  capacitySectors: 2048,
  latencyNsMin: 20_000,
  latencyNsMax: 200_000,
  readErrorProbability: 0,
  writeBackProbability: 0.05,
  tornWriteProbability: 0,
  maxCachedSectors: 1024,
  maxInFlight: 256,
};

export type DiskRequest =
  | { readonly kind: "read"; readonly sector: number; readonly count: number }
  | { readonly kind: "write"; readonly sector: number; readonly data: Uint8Array }
  | { readonly kind: "flush" }
  | { readonly kind: "discard"; readonly sector: number; readonly count: number };

export interface DiskResult {
  readonly ok: boolean;
  /** The sectors read (reads only). */
  readonly data: Uint8Array | null;
}

/** What a power loss did: the sectors of the torn write, if one was torn. */
export interface PowerLossReport {
  readonly droppedSectors: number;
  readonly lostRequests: number;
  readonly torn: { readonly sector: number; readonly count: number } | null;
}

export interface HostDiskStats {
  reads: number;
  writes: number;
  flushes: number;
  readErrors: number;
  writeBacks: number;
  powerLosses: number;
}

interface InFlight {
  readonly request: DiskRequest;
  readonly done: (result: DiskResult) => void;
}

export class HostDisk {
  readonly options: Readonly<HostDiskOptions>;
  readonly stats: HostDiskStats = {
    reads: 0,
    writes: 0,
    flushes: 0,
    readErrors: 0,
    writeBacks: 0,
    powerLosses: 0,
  };
  private readonly durable: Uint8Array;
  /** Dirty sectors, oldest first (a rewrite moves a sector to the end). */
  private readonly cache = new Map<number, Uint8Array>();
  private readonly inFlight = new Map<number, InFlight>();
  /** Completed writes not yet fully durable, the torn-write candidates (bounded by the cache). */
  private readonly unstableWrites: { sector: number; data: Uint8Array; slices: Uint8Array[] }[] = [];
  private nextToken = 0;
  private readonly completion: TimedHandler;

  constructor(
    private readonly sim: Simulation,
    options: Partial<HostDiskOptions> = {},
    name = "disk",
  ) {
    this.options = { ...DEFAULT_HOST_DISK_OPTIONS, ...options };
    const o = this.options;
    if (!(Number.isInteger(o.capacitySectors) && o.capacitySectors > 0 && o.capacitySectors <= 1 << 22))
      throw new RangeError(`disk capacity must be 1..2^22 sectors, got ${o.capacitySectors}`);
    if (!(o.latencyNsMin >= 0 && o.latencyNsMin <= o.latencyNsMax))
      throw new RangeError("disk latency range");
    this.durable = new Uint8Array(o.capacitySectors * SECTOR_SIZE_BYTES);
    const kind = sim.kinds.allocate(`${name}.complete`);
    this.completion = { kind, id: kind, fire: (token) => this.finish(token) };
  }

  get capacitySectors(): number {
    return this.options.capacitySectors;
  }
  get dirtySectors(): number {
    return this.cache.size;
  }
  get inFlightRequests(): number {
    return this.inFlight.size;
  }

  /** Whether [sector, sector + count) lies on the disk. */
  inRange(sector: number, count: number): boolean {
    return Number.isInteger(sector) && sector >= 0 && count >= 0 && sector + count <= this.capacitySectors;
  }

  /** Starts a request; `done` runs at its completion instant (never, if power is lost first). */
  submit(request: DiskRequest, done: (result: DiskResult) => void): void {
    this.checkRequest(request);
    this.sim.assert(
      this.inFlight.size < this.options.maxInFlight,
      "disk.queue_depth",
      () => `more than ${this.options.maxInFlight} disk requests in flight`,
    );
    const token = this.nextToken++;
    this.inFlight.set(token, { request, done });
    const o = this.options;
    const delayNs = this.sim.choice.between(o.latencyNsMin, o.latencyNsMax, "disk.latency");
    this.sim.at(this.sim.now + delayNs, this.completion, token);
  }

  private checkRequest(request: DiskRequest): void {
    if (request.kind === "flush") return;
    const count = request.kind === "write" ? request.data.length / SECTOR_SIZE_BYTES : request.count;
    if (!(Number.isInteger(count) && count > 0 && this.inRange(request.sector, count)))
      throw new RangeError(`disk ${request.kind} of ${count} sectors at ${request.sector} is invalid`);
  }

  private finish(token: number): void {
    const entry = this.inFlight.get(token);
    if (entry === undefined) return; // dropped by a power loss
    this.inFlight.delete(token);
    entry.done(this.perform(entry.request));
  }

  private perform(request: DiskRequest): DiskResult {
    switch (request.kind) {
      case "read": {
        this.stats.reads++;
        if (this.sim.choice.chance(this.options.readErrorProbability, "disk.read_error")) {
          this.stats.readErrors++;
          return { ok: false, data: null };
        }
        return { ok: true, data: this.readNow(request.sector, request.count) };
      }
      case "write":
        this.stats.writes++;
        this.writeToCache(request.sector, request.data);
        this.maybeWriteBack();
        return { ok: true, data: null };
      case "discard":
        this.writeToCache(request.sector, new Uint8Array(request.count * SECTOR_SIZE_BYTES));
        return { ok: true, data: null };
      case "flush":
        this.stats.flushes++;
        this.flushNow();
        return { ok: true, data: null };
    }
  }

  /** The sectors as a reader sees them now: the cache over the durable medium. */
  readNow(sector: number, count: number): Uint8Array {
    const out = new Uint8Array(count * SECTOR_SIZE_BYTES);
    for (let i = 0; i < count; i++) {
      const cached = this.cache.get(sector + i);
      const offset = (sector + i) * SECTOR_SIZE_BYTES;
      out.set(cached ?? this.durable.subarray(offset, offset + SECTOR_SIZE_BYTES), i * SECTOR_SIZE_BYTES);
    }
    return out;
  }

  /** The durable medium only (what survives a power loss). */
  readDurable(sector: number, count: number): Uint8Array {
    return this.durable.slice(sector * SECTOR_SIZE_BYTES, (sector + count) * SECTOR_SIZE_BYTES);
  }

  private writeToCache(sector: number, data: Uint8Array): void {
    const count = data.length / SECTOR_SIZE_BYTES;
    const slices: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const slice = data.slice(i * SECTOR_SIZE_BYTES, (i + 1) * SECTOR_SIZE_BYTES);
      slices.push(slice);
      this.cache.delete(sector + i);
      this.cache.set(sector + i, slice);
    }
    if (count > 1) this.unstableWrites.push({ sector, data: data.slice(), slices });
    while (this.cache.size > this.options.maxCachedSectors) this.writeBack(this.cache.keys().next().value!);
    this.trimUnstable();
  }

  private writeBack(sector: number): void {
    const data = this.cache.get(sector)!;
    this.durable.set(data, sector * SECTOR_SIZE_BYTES);
    this.cache.delete(sector);
    this.stats.writeBacks++;
  }

  /** The cache may write dirty sectors back on its own, in any order. */
  private maybeWriteBack(): void {
    if (this.cache.size === 0 || !this.sim.choice.chance(this.options.writeBackProbability, "disk.writeback"))
      return;
    const howMany = this.sim.choice.between(1, this.cache.size, "disk.writeback_count");
    const dirty = [...this.cache.keys()];
    for (let i = 0; i < howMany; i++) {
      const pick = this.sim.choice.choose(dirty.length, "disk.writeback_sector");
      this.writeBack(dirty[pick]!);
      dirty[pick] = dirty[dirty.length - 1]!;
      dirty.pop();
    }
    this.trimUnstable();
  }

  private flushNow(): void {
    for (const sector of [...this.cache.keys()]) this.writeBack(sector);
    this.unstableWrites.length = 0;
  }

  /** Forgets multi-sector writes none of whose sectors still holds their data in the cache (a bound). */
  private trimUnstable(): void {
    const still = this.unstableWrites.filter((w) =>
      w.slices.some((slice, k) => this.cache.get(w.sector + k) === slice),
    );
    this.unstableWrites.length = 0;
    this.unstableWrites.push(...still);
  }

  /**
   * Power fails now: in-flight requests never complete, the cache is lost, and (a fault) one
   * multi-sector write that was not yet durable may land partially, down to a byte within a sector.
   */
  powerLoss(): PowerLossReport {
    this.stats.powerLosses++;
    const candidates: { sector: number; data: Uint8Array }[] = [...this.unstableWrites];
    for (const { request } of this.inFlight.values()) {
      if (request.kind === "write" && request.data.length > SECTOR_SIZE_BYTES) candidates.push(request);
    }
    let torn: PowerLossReport["torn"] = null;
    if (
      candidates.length > 0 &&
      this.sim.choice.chance(this.options.tornWriteProbability, "disk.torn_write")
    ) {
      const victim = candidates[this.sim.choice.choose(candidates.length, "disk.torn_write_which")]!;
      this.tear(victim.sector, victim.data);
      torn = { sector: victim.sector, count: victim.data.length / SECTOR_SIZE_BYTES };
    }
    const report = { droppedSectors: this.cache.size, lostRequests: this.inFlight.size, torn };
    this.cache.clear();
    this.inFlight.clear();
    this.unstableWrites.length = 0;
    return report;
  }

  /** A prefix of the write reaches the medium, cut at a chosen byte. */
  private tear(sector: number, data: Uint8Array): void {
    const cutBytes = this.sim.choice.between(1, data.length - 1, "disk.torn_write_cut");
    this.durable.set(data.subarray(0, cutBytes), sector * SECTOR_SIZE_BYTES);
  }
}
