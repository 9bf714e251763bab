// Scheduler benchmarks: simulated context switches per wall second (ping-pong across 2 CPUs) and
// wall seconds per virtual second for 8 hogs on 4 CPUs.

import { buildScenario, parseScenario } from "../../src/scenario/index.js";

function timed(yaml: string): { wallSec: number; switches: number; virtualNs: number } {
  const built = buildScenario(parseScenario(yaml, "bench.yaml"), { sim: { keepChoiceLog: false } });
  const start = process.hrtime.bigint();
  const result = built.run();
  const wallSec = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.outcome !== "ok") throw new Error(`bench run ended ${result.outcome}: ${result.reason}`);
  const switches = built.kernel!.threads.reduce((sum, t) => sum + t.stats.switches, 0);
  return { wallSec, switches, virtualNs: result.virtualNs };
}

export function ctxswSwitchesPerWallSec(): number {
  const yaml = `name: bench-ctxsw
machine: { cpus: 2 }
limits: { max_events: 100000000 }
workloads: [{ program: ping-pong, threads: 2, pin: [0, 1], params: { rounds: 50000 } }]`;
  timed(yaml.replace("50000", "5000"));
  const runs = [timed(yaml), timed(yaml), timed(yaml)]
    .map((r) => r.switches / r.wallSec)
    .sort((a, b) => a - b);
  return Math.round(runs[1]!);
}

export function hogsWallSecPerVirtualSec(): number {
  const yaml = `name: bench-hogs
machine: { cpus: 4 }
duration: 10s
limits: { max_events: 100000000 }
workloads: [{ program: cpu-hog, threads: 8, pin: [0, 1, 2, 3], params: { chunk: 1ms } }]`;
  const r = timed(yaml);
  return r.wallSec / (r.virtualNs / 1e9);
}
