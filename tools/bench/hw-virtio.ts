// Benchmark of the virtio ring path: one guest driver thread does add_buf + kick, the device
// completes the chain after a chosen latency and raises the queue interrupt, the ISR wakes the
// thread, which takes the buffer with get_buf — repeated. Measures hw.virtio.round_trips_per_sec
// (round trips per wall-clock second). Wall-clock reads are fine here: this measures the simulator.

import {
  type DescriptorChain,
  features,
  GuestMemory,
  GuestProcess,
  type InterruptSink,
  registerHwOps,
  VIRTIO_F_VERSION_1,
  VIRTIO_RING_F_EVENT_IDX,
  VirtioDevice,
  virtioDriverOk,
  virtioNegotiate,
  virtioSetupQueue,
  wakeFromHost,
} from "../../src/hw/index.js";
import {
  type Effect,
  type Guest,
  Op,
  type RunResult,
  Simulation,
  type TimedHandler,
} from "../../src/sim/index.js";

/** Completes each chain after 1..2 µs (a choice), writing nothing. */
class NullDevice extends VirtioDevice {
  private readonly heads: number[] = [];
  private readonly done: TimedHandler;
  constructor(sim: Simulation, memory: GuestMemory, sink: InterruptSink) {
    super(sim, memory, sink, "bench", features(VIRTIO_F_VERSION_1, VIRTIO_RING_F_EVENT_IDX), [256], {
      notifyLatencyNsMin: 1_000,
      notifyLatencyNsMax: 2_000,
    });
    const kind = sim.kinds.allocate("bench.complete");
    this.done = { kind, id: kind, fire: () => this.complete(0, this.heads.shift()!, 0) };
  }
  protected onChain(_queueIndex: number, chain: DescriptorChain): void {
    this.heads.push(chain.head);
    this.sim.at(this.sim.now + this.sim.choice.between(1_000, 2_000, "bench.latency"), this.done, 0);
  }
}

/** Drives initialisation code that only fences. */
function runInit<R>(body: Guest<R>): R {
  for (;;) {
    const next = body.next(0);
    if (next.done === true) return next.value;
    const effect: Effect = next.value;
    if (effect.op !== Op.Fence) throw new Error(`bench init: unexpected effect ${effect.op}`);
  }
}

/** Runs `roundTrips` add → kick → complete → interrupt → get_buf cycles; answers the run result. */
export function runVirtioRoundTrips(roundTrips: number, seed: number): RunResult {
  const sim = new Simulation({ seed, keepChoiceLog: false });
  registerHwOps(sim);
  const memory = new GuestMemory(1 << 20);
  let thread: GuestProcess | null = null;
  const sink: InterruptSink = {
    raise: () => {
      queue.disableInterruptsFromIsr();
      if (thread !== null) wakeFromHost(sim, thread);
    },
  };
  const device = new NullDevice(sim, memory, sink);
  runInit(virtioNegotiate(device, device.deviceFeatures));
  const queue = runInit(virtioSetupQueue<number>(sim, memory, device, 0));
  runInit(virtioDriverOk(device));
  const buffer = memory.alloc(64, 64);
  thread = sim.addRunner(
    new GuestProcess("driver", memory, function* (): Guest {
      for (let i = 0; i < roundTrips; i++) {
        yield* queue.addBuf([{ addr: buffer, lenBytes: 64, write: true }], i);
        yield* queue.kick();
        yield* queue.waitForQueue(() => queue.usedRingNotEmpty());
        if ((yield* queue.getBuf()) === null) throw new Error("bench: woken without a completion");
      }
    }),
  );
  return sim.run();
}

/** Median over `trials` runs of round trips per wall second (after `warmups` runs). */
export function measureVirtioRoundTrips(roundTrips = 50_000, trials = 5, warmups = 2): number {
  for (let i = 0; i < warmups; i++) runVirtioRoundTrips(roundTrips, 1000 + i);
  const rates: number[] = [];
  for (let trial = 0; trial < trials; trial++) {
    const start = process.hrtime.bigint();
    const result = runVirtioRoundTrips(roundTrips, trial);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (result.outcome !== "ok") throw new Error(`bench run ended ${result.outcome}: ${result.reason}`);
    rates.push(roundTrips / seconds);
  }
  rates.sort((a, b) => a - b);
  return Math.round(rates[Math.floor(trials / 2)]!);
}
