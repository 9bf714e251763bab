// Benchmark driver: `npm run bench -- NAME...` runs the named suites (all when none is named) and
// prints one `name value unit` line per measurement on stdout. Wall-clock reads are fine here: this
// measures the simulator, it is not part of it.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runHold, runStep } from "./engine.js";
import { measureIpiPerSec } from "./hw-cpu.js";
import { measureVirtioRoundTrips } from "./hw-virtio.js";
import { medianRate } from "./measure.js";
import { ctxswSwitchesPerWallSec, hogsWallSecPerVirtualSec } from "./sched.js";
import { printSyncBench } from "./sync.js";
import { timedRun, traceSize } from "./trace.js";

type Suite = () => void;

function ensure(result: { outcome: string; reason: string }, expected: string): void {
  if (result.outcome !== expected) throw new Error(`benchmark run ended ${result.outcome}: ${result.reason}`);
}

const suites: Record<string, Suite> = {
  engine() {
    const hold = medianRate((trial) => {
      const result = runHold({ threads: 1000, events: 3_000_000, seed: 100 + trial });
      ensure(result, "budget");
      return result.timedEvents;
    });
    console.log(`engine.hold events_per_sec ${hold}`);
    const step = medianRate((trial) => {
      const result = runStep({ effects: 3_000_000, seed: 100 + trial });
      ensure(result, "budget");
      return result.steps;
    });
    console.log(`engine.step effects_per_sec ${step}`);
  },
  sched() {
    console.log(`sched.ctxsw.switches_per_wall_sec ${ctxswSwitchesPerWallSec()} switches_per_sec`);
    console.log(`sched.hogs.wall_sec_per_virtual_sec ${hogsWallSecPerVirtualSec().toFixed(4)} ratio`);
  },
  sync() {
    printSyncBench();
  },
  hw() {
    console.log(`hw.virtio.round_trips_per_sec ${measureVirtioRoundTrips()} round_trips_per_sec`);
    console.log(`hw.ipi.per_sec ${measureIpiPerSec()} ipis_per_sec`);
  },
  trace() {
    const size = traceSize(undefined);
    console.log(
      `trace.bytes_per_event ${((size.totalBytes - size.headerBytes) / size.events).toFixed(2)} bytes`,
    );
    console.log(`trace.default_total_bytes ${size.totalBytes} bytes`);
    console.log(`trace.default_events ${size.events} events`);
    const hold = traceSize("scenarios/examples/hold.yaml");
    console.log(
      `trace.hold_bytes_per_event ${((hold.totalBytes - hold.headerBytes) / hold.events).toFixed(2)} bytes`,
    );
    const dir = mkdtempSync(join(tmpdir(), "osv-sim-bench-"));
    try {
      const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
      const without: number[] = [];
      const withTrace: number[] = [];
      // 10 ms of the hold scenario: about 2 million events and as many choices per run.
      const longer = ["duration=10ms", "limits.max_events=100000000"];
      for (let trial = 0; trial < 7; trial++) {
        without.push(timedRun("scenarios/examples/hold.yaml", false, dir, trial, longer));
        withTrace.push(timedRun("scenarios/examples/hold.yaml", true, dir, trial, longer));
      }
      console.log(`trace.record_overhead_ratio ${(median(withTrace) / median(without)).toFixed(3)} ratio`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  /** Runs hold for 1e8 events (about 20 s) and prints RSS early and at the end: it must stay flat. */
  "engine-memory"() {
    const samples: number[] = [];
    const result = runHold({
      threads: 1000,
      events: 100_000_000,
      seed: 7,
      sample: { everyEvents: 10_000_000, callback: () => samples.push(process.memoryUsage().rss) },
    });
    ensure(result, "budget");
    const mib = (bytes: number) => (bytes / 1048576).toFixed(1);
    console.log(`engine.hold_1e8.events ${result.events} events`);
    console.log(`engine.hold_1e8.rss_at_10M ${mib(samples[1]!)} MiB`);
    console.log(`engine.hold_1e8.rss_at_end ${mib(samples.at(-1)!)} MiB`);
    console.log(`engine.hold_1e8.rss_max ${mib(Math.max(...samples))} MiB`);
  },
};

const wanted = process.argv.slice(2);
const defaults = Object.keys(suites).filter((name) => !name.endsWith("-memory"));
for (const name of wanted.length === 0 ? defaults : wanted) {
  const suite = suites[name];
  if (suite === undefined) {
    console.error(`bench: unknown suite '${name}' (known: ${Object.keys(suites).join(", ")})`);
    process.exitCode = 2;
    break;
  }
  suite();
}
