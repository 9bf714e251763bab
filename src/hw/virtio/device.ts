// A virtio device's transport as host code (osv-internals §7.3: virtio.cc, virtio-pci-device.cc, msi.cc):
// status state machine with assertions on illegal orders, features, queue setup, notify, passes, per-queue
// MSI-X raises. Simplified: no PCI config space or MMIO; register accesses are calls behind a fence.

import {
  fence,
  type Guest,
  type Runner,
  RunnerState,
  type Simulation,
  type TimedHandler,
} from "../../sim/index.js";
import type { InterruptSink } from "../interrupts.js";
import type { GuestMemory } from "../memory.js";
import { type Doorbell, VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC, Vring } from "./ring.js";
import { type DescriptorChain, VringDevice } from "./ring-device.js";
import { VringDriver, type VringDriverOptions } from "./ring-driver.js";

export const VIRTIO_CONFIG_S_ACKNOWLEDGE = 1;
export const VIRTIO_CONFIG_S_DRIVER = 2;
export const VIRTIO_CONFIG_S_DRIVER_OK = 4;
export const VIRTIO_CONFIG_S_FEATURES_OK = 8;
export const VIRTIO_CONFIG_S_DEVICE_NEEDS_RESET = 64;
export const VIRTIO_CONFIG_S_FAILED = 128;
/** A modern (virtio 1.x) device; FEATURES_OK is then mandatory. */
export const VIRTIO_F_VERSION_1 = 32;

/** Most queues one device may have (the notify event packs the queue index into 6 bits). */
export const MAX_VIRTQUEUES = 64;

export const featureBit = (bit: number): bigint => 1n << BigInt(bit);
export const hasFeature = (features: bigint, bit: number): boolean => (features & featureBit(bit)) !== 0n;
export const features = (...bits: number[]): bigint => bits.reduce((f, bit) => f | featureBit(bit), 0n);

export interface VirtioTransportOptions {
  /** Kick to device thread (VM exit, ioeventfd, wakeup): shortest delay. */
  notifyLatencyNsMin: number;
  /** ... and longest; the choice source picks in between (0 = shortest). */
  notifyLatencyNsMax: number;
  /** Most chains one processing pass takes from a queue before yielding to other events. */
  maxChainsPerPass: number;
  /** MSI-X vector of queue 0; queue i raises vectorBase + i. */
  vectorBase: number;
  /** CPU that every queue's interrupt initially targets (set_affinity retargets it). */
  interruptCpu: number;
}

export const DEFAULT_VIRTIO_TRANSPORT_OPTIONS: Readonly<VirtioTransportOptions> = {
  notifyLatencyNsMin: 2_000,
  notifyLatencyNsMax: 10_000,
  maxChainsPerPass: 256,
  vectorBase: 0x40,
  interruptCpu: 0,
};

export interface VirtioDeviceStats {
  notifies: number;
  passes: number;
  chains: number;
  interrupts: number;
  interruptsSuppressed: number;
}

/** Resumes a guest thread from host code the way a Wake effect does (a permit if it is not parked). */
export function wakeFromHost(sim: Simulation, runner: Runner): void {
  if (runner.state === RunnerState.Blocked) sim.resumeNow(runner, 0);
  else if (runner.state !== RunnerState.Done) runner.permit = true;
}

export abstract class VirtioDevice implements Doorbell {
  readonly options: Readonly<VirtioTransportOptions>;
  readonly stats: VirtioDeviceStats = {
    notifies: 0,
    passes: 0,
    chains: 0,
    interrupts: 0,
    interruptsSuppressed: 0,
  };
  private statusBits = 0;
  private driverFeaturesWritten = false;
  private driverFeatures = 0n;
  /** The features both sides agreed on (valid from FEATURES_OK). */
  negotiated = 0n;
  /** Bumped by every reset: events of an earlier incarnation are ignored. */
  protected generation = 0;
  private readonly queues: (VringDevice | null)[];
  private readonly passScheduled: boolean[];
  private readonly interruptCpus: number[];
  private readonly notifyHandler: TimedHandler;

  constructor(
    protected readonly sim: Simulation,
    protected readonly memory: GuestMemory,
    private readonly sink: InterruptSink,
    readonly name: string,
    readonly deviceFeatures: bigint,
    /** Largest size of each queue; the driver probes until a size of 0. */
    readonly queueMaxSizes: readonly number[],
    options: Partial<VirtioTransportOptions> = {},
  ) {
    this.options = { ...DEFAULT_VIRTIO_TRANSPORT_OPTIONS, ...options };
    if (queueMaxSizes.length > MAX_VIRTQUEUES) throw new RangeError(`more than ${MAX_VIRTQUEUES} queues`);
    this.queues = queueMaxSizes.map(() => null);
    this.passScheduled = queueMaxSizes.map(() => false);
    this.interruptCpus = queueMaxSizes.map(() => this.options.interruptCpu);
    const kind = sim.kinds.allocate(`${name}.notify`);
    this.notifyHandler = { kind, id: kind, fire: (arg) => this.firePass(arg) };
  }

  // ---- status and features (the driver's register accesses) -----------------------------------

  get status(): number {
    return this.statusBits;
  }

  reset(): void {
    this.statusBits = 0;
    this.driverFeaturesWritten = false;
    this.driverFeatures = 0n;
    this.negotiated = 0n;
    this.generation++;
    this.queues.fill(null);
    this.passScheduled.fill(false);
    this.onReset();
  }

  /** Writes the status register; bits only accumulate until a reset (writing 0). */
  setStatus(value: number): void {
    if (value === 0) {
      this.reset();
      return;
    }
    const old = this.statusBits;
    this.sim.assert(
      (value & old) === old,
      "virtio.status_order",
      () => `status ${old} → ${value} drops bits`,
    );
    const added = value & ~old;
    const has = (bit: number) => (value & bit) !== 0;
    const order = (bit: number, needs: boolean, what: string) =>
      this.sim.assert(!(added & bit) || needs, "virtio.status_order", () => `${this.name}: ${what}`);
    order(VIRTIO_CONFIG_S_DRIVER, has(VIRTIO_CONFIG_S_ACKNOWLEDGE), "DRIVER before ACKNOWLEDGE");
    order(VIRTIO_CONFIG_S_FEATURES_OK, has(VIRTIO_CONFIG_S_DRIVER), "FEATURES_OK before DRIVER");
    order(VIRTIO_CONFIG_S_FEATURES_OK, this.driverFeaturesWritten, "FEATURES_OK before driver features");
    const modern = hasFeature(this.driverFeatures, VIRTIO_F_VERSION_1);
    order(VIRTIO_CONFIG_S_DRIVER_OK, has(VIRTIO_CONFIG_S_DRIVER), "DRIVER_OK before DRIVER");
    order(
      VIRTIO_CONFIG_S_DRIVER_OK,
      !modern || has(VIRTIO_CONFIG_S_FEATURES_OK),
      "DRIVER_OK before FEATURES_OK",
    );
    let accepted = value;
    if (added & VIRTIO_CONFIG_S_FEATURES_OK) {
      // A device refuses a feature set it did not offer: FEATURES_OK does not stick.
      if ((this.driverFeatures & ~this.deviceFeatures) !== 0n) accepted &= ~VIRTIO_CONFIG_S_FEATURES_OK;
      else this.negotiated = this.driverFeatures;
    }
    this.statusBits = accepted;
    if (added & VIRTIO_CONFIG_S_DRIVER_OK) this.start();
  }

  writeDriverFeatures(wanted: bigint): void {
    const s = this.statusBits;
    this.sim.assert(
      (s & VIRTIO_CONFIG_S_DRIVER) !== 0 && (s & VIRTIO_CONFIG_S_FEATURES_OK) === 0,
      "virtio.status_order",
      () => `${this.name}: features written in status ${s}`,
    );
    this.driverFeatures = wanted;
    this.driverFeaturesWritten = true;
    if (!hasFeature(wanted, VIRTIO_F_VERSION_1)) this.negotiated = wanted & this.deviceFeatures;
  }

  hasNegotiated(bit: number): boolean {
    return hasFeature(this.negotiated, bit);
  }

  queueMaxSize(index: number): number {
    return this.queueMaxSizes[index] ?? 0;
  }

  /** Programs queue `index` to use `vring`; allowed after feature negotiation, before DRIVER_OK. */
  setupQueue(index: number, vring: Vring): VringDevice {
    const s = this.statusBits;
    const negotiatedYet = (s & VIRTIO_CONFIG_S_FEATURES_OK) !== 0 || this.driverFeaturesWritten;
    this.sim.assert(
      negotiatedYet && (s & VIRTIO_CONFIG_S_DRIVER_OK) === 0,
      "virtio.status_order",
      () => `${this.name}: queue ${index} set up in status ${s}`,
    );
    const max = this.queueMaxSize(index);
    if (!(vring.num <= max)) throw new RangeError(`${this.name}: queue ${index} holds at most ${max}`);
    const queue = new VringDevice(
      this.sim,
      this.memory,
      vring,
      index,
      this.hasNegotiated(VIRTIO_RING_F_EVENT_IDX),
      this.hasNegotiated(VIRTIO_RING_F_INDIRECT_DESC),
    );
    queue.enableNotifications();
    this.queues[index] = queue;
    return queue;
  }

  queue(index: number): VringDevice {
    const queue = this.queues[index];
    if (queue === undefined || queue === null) throw new Error(`${this.name}: queue ${index} is not set up`);
    return queue;
  }

  /** MSI-X retargeting (set_affinity_and_wake): later interrupts of `index` go to `cpu`. */
  setQueueAffinity(index: number, cpu: number): void {
    this.interruptCpus[index] = cpu;
  }

  queueVector(index: number): number {
    return this.options.vectorBase + index;
  }

  // ---- notify and processing -------------------------------------------------------------------

  /** The notify register: schedules a processing pass after the notify latency. */
  notify(queueIndex: number): void {
    this.queue(queueIndex);
    this.stats.notifies++;
    // A kick before DRIVER_OK is remembered; start() runs the pass.
    if ((this.statusBits & VIRTIO_CONFIG_S_DRIVER_OK) === 0) return;
    this.schedulePass(queueIndex);
  }

  private schedulePass(queueIndex: number): void {
    if (this.passScheduled[queueIndex]) return;
    this.passScheduled[queueIndex] = true;
    this.queue(queueIndex).suppressNotifications();
    const o = this.options;
    const delayNs = this.sim.choice.between(
      o.notifyLatencyNsMin,
      o.notifyLatencyNsMax,
      "virtio.notify_latency",
    );
    this.sim.at(this.sim.now + delayNs, this.notifyHandler, this.generation * MAX_VIRTQUEUES + queueIndex);
  }

  private start(): void {
    this.queues.forEach((queue, index) => {
      if (queue !== null && queue.availableCount() > 0) this.schedulePass(index);
    });
    this.onDriverOk();
  }

  private firePass(arg: number): void {
    const queueIndex = arg % MAX_VIRTQUEUES;
    if ((arg - queueIndex) / MAX_VIRTQUEUES !== this.generation) return; // before a reset
    this.passScheduled[queueIndex] = false;
    this.stats.passes++;
    const queue = this.queue(queueIndex);
    for (let taken = 0; ; ) {
      const chain = queue.popAvail();
      if (chain === null) {
        // Ask for kicks again, then look once more: an addition in between would be missed.
        queue.enableNotifications();
        if (queue.availableCount() === 0) return;
        continue;
      }
      this.stats.chains++;
      this.onChain(queueIndex, chain);
      if (++taken >= this.options.maxChainsPerPass && queue.availableCount() > 0) {
        this.schedulePass(queueIndex);
        return;
      }
    }
  }

  /** Publishes a used entry and raises the queue's interrupt if the driver asked for one. */
  protected complete(queueIndex: number, head: number, lenBytes: number): void {
    if (this.queue(queueIndex).pushUsed(head, lenBytes)) {
      this.stats.interrupts++;
      this.sink.raise(this.interruptCpus[queueIndex]!, this.queueVector(queueIndex));
    } else {
      this.stats.interruptsSuppressed++;
    }
  }

  /** A chain was taken from queue `queueIndex`; the device must complete it eventually. */
  protected abstract onChain(queueIndex: number, chain: DescriptorChain): void;
  protected onReset(): void {}
  protected onDriverOk(): void {}
}

// ---- driver-side initialisation (guest code) -----------------------------------------------------

/**
 * OSv's virtio init: reset → ACKNOWLEDGE → DRIVER → features AND → FEATURES_OK (re-read and
 * check) for modern devices. Answers the negotiated features. DRIVER_OK comes after queue setup.
 */
export function* virtioNegotiate(device: VirtioDevice, driverFeatures: bigint): Guest<bigint> {
  yield fence();
  device.setStatus(0);
  yield fence();
  device.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE);
  yield fence();
  device.setStatus(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
  yield fence();
  const agreed = device.deviceFeatures & driverFeatures;
  device.writeDriverFeatures(agreed);
  if (hasFeature(agreed, VIRTIO_F_VERSION_1)) {
    yield fence();
    device.setStatus(device.status | VIRTIO_CONFIG_S_FEATURES_OK);
    yield fence();
    if ((device.status & VIRTIO_CONFIG_S_FEATURES_OK) === 0)
      throw new Error(`${device.name}: the device refused the features`);
  }
  return agreed;
}

/** Allocates queue `index` in guest memory, programs the device, and answers the driver half. */
export function* virtioSetupQueue<T>(
  sim: Simulation,
  memory: GuestMemory,
  device: VirtioDevice,
  index: number,
  options: Partial<VringDriverOptions> = {},
  size = device.queueMaxSize(index),
): Guest<VringDriver<T>> {
  yield fence();
  const vring = Vring.allocate(memory, size);
  device.setupQueue(index, vring);
  return new VringDriver<T>(sim, memory, vring, index, device, {
    indirect: device.hasNegotiated(VIRTIO_RING_F_INDIRECT_DESC),
    eventIdx: device.hasNegotiated(VIRTIO_RING_F_EVENT_IDX),
    ...options,
  });
}

export function* virtioDriverOk(device: VirtioDevice): Guest {
  yield fence();
  device.setStatus(device.status | VIRTIO_CONFIG_S_DRIVER_OK);
}
