// Shared test fixtures for the virtio suites: a fake interrupt controller, an echo device that
// completes every chain after a chosen latency, a CPU-stall wrapper for guest code, and a host-side
// stepper for driver initialisation.

import {
  type BufferSegment,
  type DescriptorChain,
  features,
  GuestMemory,
  GuestProcess,
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
  compute,
  type Effect,
  type Guest,
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
      if (segment.write) this.memory.bytes.fill(0xa5, segment.addr, segment.addr + segment.lenBytes);
    }
    this.complete(0, entry.chain.head, entry.chain.writableBytes);
  }
}

/**
 * Forwards `body`'s effects and, after each visible one, stalls the CPU for 0..maxStallNs (a
 * choice): models instruction time and host preemption, so device events land between steps.
 */
export function* stalled<R>(sim: Simulation, maxStallNs: number, body: Guest<R>): Guest<R> {
  let input = 0;
  for (;;) {
    const next = body.next(input);
    if (next.done === true) return next.value;
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
  driver?: Partial<VringDriverOptions>;
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
    notifyLatencyNsMax: 500,
  });
  runInit(virtioNegotiate(device, bits));
  const driver = runInit(virtioSetupQueue<number>(sim, memory, device, 0, { maxSegments: 8, ...s.driver }));
  runInit(virtioDriverOk(device));
  const data = memory.alloc(64 * s.buffers.length, 64);
  const received: number[] = [];
  const completer = sim.addRunner(
    new GuestProcess("virtio-completion", memory, function* (): Guest {
      yield* stalled(sim, s.maxStallNs, completionLoop(driver, received, s.buffers.length));
    }),
  );
  sink.on(device.queueVector(0), () => {
    driver.disableInterruptsFromIsr();
    wakeFromHost(sim, completer);
  });
  sim.addRunner(
    new GuestProcess("submitter", memory, function* (self): Guest {
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
