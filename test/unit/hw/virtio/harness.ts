// Shared test fixtures for the virtio suites: a fake interrupt controller, an echo device that
// completes every chain after a chosen latency, a CPU-stall wrapper for guest code, and a host-side
// stepper for driver initialisation.

import {
  type BufferSegment,
  type DescriptorChain,
  features,
  GuestMemory,
  GuestProcess,
  HwOp,
  type InterruptSink,
  registerHwOps,
  VIRTIO_F_VERSION_1,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTIO_RING_F_INDIRECT_DESC,
  VirtioDevice,
  type VirtioTransportOptions,
  type VringDriver,
  type VringDriverOptions,
  virtioDriverOk,
  virtioNegotiate,
  virtioSetupQueue,
  wakeFromHost,
} from "../../../../src/hw/index.js";
import {
  type Cell,
  compute,
  type Effect,
  fence,
  type Guest,
  type Memory,
  type MemoryModel,
  Op,
  type Runner,
  type RunResult,
  SequenceStrategy,
  Simulation,
  type TimedHandler,
} from "../../../../src/sim/index.js";

/** Routes raised vectors to handlers and records every raise. */
export class FakeInterruptController implements InterruptSink {
  readonly raised: { cpu: number; vector: number }[] = [];
  private readonly handlers = new Map<number, (cpu: number) => void>();
  on(vector: number, handler: (cpu: number) => void): void {
    this.handlers.set(vector, handler);
  }
  raise(cpu: number, vector: number): void {
    this.raised.push({ cpu, vector });
    this.handlers.get(vector)?.(cpu);
  }
}

/** One queue; each chain is completed after 0..maxLatencyNs with its writable bytes set to 0xA5. */
export class EchoDevice extends VirtioDevice {
  private readonly pending = new Map<number, { generation: number; chain: DescriptorChain }>();
  private nextToken = 0;
  private readonly completion: TimedHandler;

  constructor(
    sim: Simulation,
    memory: GuestMemory,
    sink: InterruptSink,
    featureBits: bigint,
    queueSize: number,
    private readonly maxLatencyNs: number,
    transport: Partial<VirtioTransportOptions> = {},
  ) {
    super(sim, memory, sink, "echo", featureBits, [queueSize], transport);
    const kind = sim.kinds.allocate("echo.complete");
    this.completion = { kind, id: kind, fire: (token) => this.finish(token) };
  }

  protected onChain(_queueIndex: number, chain: DescriptorChain): void {
    const token = this.nextToken++;
    this.pending.set(token, { generation: this.generation, chain });
    const delayNs = this.sim.choice.between(0, this.maxLatencyNs, "echo.latency");
    this.sim.at(this.sim.now + delayNs, this.completion, token);
  }

  private finish(token: number): void {
    const entry = this.pending.get(token)!;
    this.pending.delete(token);
    if (entry.generation !== this.generation) return;
    for (const segment of entry.chain.segments) {
      if (segment.write) this.memory.fill(0xa5, segment.addr, segment.addr + segment.lenBytes);
    }
    this.complete(0, entry.chain.head, entry.chain.writableBytes);
  }
}

/**
 * Forwards `body`'s effects (with a fence before each block and at the end) and, after each visible one, stalls the CPU for 0..maxStallNs (a
 * choice): models instruction time and host preemption, so device events land between steps.
 */
export function* stalled<R>(sim: Simulation, maxStallNs: number, body: Guest<R>): Guest<R> {
  let input = 0;
  for (;;) {
    const next = body.next(input);
    if (next.done === true) {
      yield fence(); // a finishing thread's stores drain too
      return next.value;
    }
    // A CPU that parks a thread goes through locked operations: its store buffer drains.
    if (next.value.op === Op.Block) yield fence();
    input = yield next.value;
    const op = next.value.op;
    if (op !== Op.Compute && op !== Op.Sleep && maxStallNs > 0) {
      const stallNs = sim.choice.between(0, maxStallNs, "cpu.stall");
      if (stallNs > 0) yield compute(stallNs);
    }
  }
}

/** Runs guest code that only fences (driver initialisation) to completion outside a run. */
export function runInit<R>(body: Guest<R>): R {
  let input = 0;
  for (let i = 0; i < 10_000; i++) {
    const next = body.next(input);
    if (next.done === true) return next.value;
    const effect: Effect = next.value;
    if (effect.op !== Op.Fence) throw new Error(`runInit: unexpected effect op ${effect.op}`);
    input = 0;
  }
  throw new Error("runInit: initialisation did not finish");
}

export function newMachine(sim: Simulation, sizeBytes = 1 << 20): GuestMemory {
  registerHwOps(sim);
  return new GuestMemory(sizeBytes);
}

export interface RingScenario {
  /** Choice values (SequenceStrategy); exhausted means all defaults. */
  values: readonly number[];
  queueSize: number;
  /** Segments of each buffer, in order; the first is device-readable, the rest writable. */
  buffers: readonly number[];
  eventIdx: boolean;
  indirect: boolean;
  /** Kick after every this many additions (and after the last). */
  kickEvery: number;
  maxStallNs: number;
  maxDeviceLatencyNs: number;
  /** Kick to device pass: 0..this (default 500). */
  maxNotifyLatencyNs?: number;
  driver?: Partial<VringDriverOptions>;
  /** Guest-physical stores go through per-thread store buffers (x86-TSO). */
  tso?: boolean;
}

export interface RingRun {
  result: RunResult;
  received: number[];
  driver: VringDriver<number>;
  device: EchoDevice;
  sink: FakeInterruptController;
}

/**
 * A submitter thread posts every buffer (add_buf_wait + kick); a completion thread sleeps in
 * wait_for_queue and drains the used ring, like OSv's virtio-blk. The ISR disables the queue's
 * interrupts and wakes the completion thread.
 */
export function runRingScenario(s: RingScenario): RingRun {
  const sim = new Simulation({ strategy: new SequenceStrategy(s.values), limits: { maxEvents: 2_000_000 } });
  const memory = newMachine(sim, 1 << 16);
  const sink = new FakeInterruptController();
  const bits = features(
    VIRTIO_F_VERSION_1,
    ...(s.eventIdx ? [VIRTIO_RING_F_EVENT_IDX] : []),
    ...(s.indirect ? [VIRTIO_RING_F_INDIRECT_DESC] : []),
  );
  const device = new EchoDevice(sim, memory, sink, bits, s.queueSize, s.maxDeviceLatencyNs, {
    notifyLatencyNsMin: 0,
    notifyLatencyNsMax: s.maxNotifyLatencyNs ?? 500,
  });
  runInit(virtioNegotiate(device, bits));
  const driver = runInit(virtioSetupQueue<number>(sim, memory, device, 0, { maxSegments: 8, ...s.driver }));
  runInit(virtioDriverOk(device));
  const data = memory.alloc(64 * s.buffers.length, 64);
  const received: number[] = [];
  const buffers = new PhysStoreBuffers(sim.memory, memory);
  if (s.tso === true) sim.setMemoryModel(buffers);
  const thread = (name: string, body: (self: Runner) => Guest) =>
    s.tso === true
      ? new TsoGuestProcess(name, sim, memory, buffers, body)
      : new GuestProcess(name, memory, body);
  const completer = sim.addRunner(
    thread("virtio-completion", function* (): Guest {
      yield* stalled(sim, s.maxStallNs, completionLoop(driver, received, s.buffers.length));
    }),
  );
  sink.on(device.queueVector(0), () => {
    buffers.drain(completer.memoryAgent); // interrupt entry drains the store buffer
    driver.disableInterruptsFromIsr();
    wakeFromHost(sim, completer);
  });
  sim.addRunner(
    thread("submitter", function* (self): Guest {
      yield* stalled(sim, s.maxStallNs, submitLoop(driver, s, data, self));
    }),
  );
  const result = sim.run({ untilNs: 10_000_000_000 });
  return { result, received, driver, device, sink };
}

function* completionLoop(driver: VringDriver<number>, received: number[], total: number): Guest {
  while (received.length < total) {
    yield* driver.waitForQueue(() => driver.usedRingNotEmpty());
    for (;;) {
      const used = yield* driver.getBufElem();
      if (used === null) break;
      yield* driver.getBufFinalize();
      received.push(used.cookie);
    }
    yield* driver.wakeWaiter();
  }
}

function* submitLoop(driver: VringDriver<number>, s: RingScenario, data: number, self: Runner): Guest {
  for (let i = 0; i < s.buffers.length; i++) {
    const sg: BufferSegment[] = [];
    for (let k = 0; k < s.buffers[i]!; k++)
      sg.push({ addr: data + 64 * i + 8 * k, lenBytes: 8, write: k > 0 });
    yield* driver.addBufWait(sg, i, self);
    if ((i + 1) % s.kickEvery === 0 || i === s.buffers.length - 1) yield* driver.kick();
  }
}

// ---- a store-buffer (x86-TSO) model of guest-physical stores, for tests only ----------------------

interface BufferedStore {
  addr: number;
  width: 1 | 2 | 4 | 8;
  value: number;
}

/**
 * Per-agent FIFO store buffers over GuestMemory: a physStore is buffered, a physLoad sees the agent's
 * own newest buffered store first, fences and locked cell operations drain. Cells stay SC. This is
 * what the engine's x86-TSO mode would need to add for guest memory.
 */
export class PhysStoreBuffers implements MemoryModel {
  private readonly buffers = new Map<number, BufferedStore[]>();
  constructor(
    private readonly sc: Memory,
    private readonly guest: GuestMemory,
  ) {}
  buffer(agent: number): BufferedStore[] {
    let buffer = this.buffers.get(agent);
    if (buffer === undefined) {
      buffer = [];
      this.buffers.set(agent, buffer);
    }
    return buffer;
  }
  /** Writes the oldest stores to memory until `keep` remain. */
  drain(agent: number, keep = 0): void {
    const buffer = this.buffer(agent);
    while (buffer.length > keep) {
      const store = buffer.shift()!;
      this.guest.write(store.addr, store.width, store.value);
    }
  }
  load(agent: number, cell: Cell): number {
    return this.sc.load(agent, cell);
  }
  store(agent: number, cell: Cell, value: number): void {
    this.sc.store(agent, cell, value);
  }
  compareAndSwap(agent: number, cell: Cell, expected: number, desired: number): number {
    this.drain(agent);
    return this.sc.compareAndSwap(agent, cell, expected, desired);
  }
  fetchAdd(agent: number, cell: Cell, delta: number): number {
    this.drain(agent);
    return this.sc.fetchAdd(agent, cell, delta);
  }
  exchange(agent: number, cell: Cell, value: number): number {
    this.drain(agent);
    return this.sc.exchange(agent, cell, value);
  }
  fence(agent: number): void {
    this.drain(agent);
  }
}

/** A guest thread whose physStores go through a store buffer; how many stay buffered is a choice. */
export class TsoGuestProcess<R = unknown> extends GuestProcess<R> {
  constructor(
    name: string,
    private readonly sim: Simulation,
    private readonly guest: GuestMemory,
    private readonly buffers: PhysStoreBuffers,
    body: (self: GuestProcess<R>) => Guest<R>,
  ) {
    super(name, guest, body);
  }

  override performExtension(effect: Effect): number {
    const buffer = this.buffers.buffer(this.memoryAgent);
    let result: number;
    if (effect.op === HwOp.PhysStore) {
      buffer.push({ addr: effect.a, width: effect.target as 1 | 2 | 4 | 8, value: effect.b });
      result = effect.b;
    } else if (effect.op === HwOp.PhysLoad) {
      result = this.forward(buffer, effect.a, effect.b as 1 | 2 | 4 | 8);
    } else {
      return super.performExtension(effect);
    }
    // 0 (the default) drains everything: sequential consistency.
    this.buffers.drain(this.memoryAgent, this.sim.choice.between(0, buffer.length, "tso.keep"));
    return result;
  }

  private forward(buffer: BufferedStore[], addr: number, width: 1 | 2 | 4 | 8): number {
    for (let i = buffer.length - 1; i >= 0; i--) {
      const store = buffer[i]!;
      if (store.addr === addr && store.width === width) return store.value;
      if (store.addr < addr + width && addr < store.addr + store.width) {
        this.buffers.drain(this.memoryAgent); // a partial overlap: keep it simple and exact
        break;
      }
    }
    return this.guest.read(addr, width);
  }
}
