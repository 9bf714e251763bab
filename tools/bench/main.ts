// Benchmark driver: `npm run bench -- NAME...` runs the named suites (all when none is named) and
// prints one `name value unit` line per measurement on stdout. Wall-clock reads are fine here: this
// measures the simulator, it is not part of it.

import { runHold, runStep } from "./engine.js";

type Suite = () => void;

/** Runs `run` (which answers how many units it did) `warmups` times, then answers the median rate of `trials` runs. */
function medianRate(run: (trial: number) => number, trials = 5, warmups = 2): number {
  for (let i = 0; i < warmups; i++) run(-1 - i);
  const rates: number[] = [];
  for (let trial = 0; trial < trials; trial++) {
    const start = process.hrtime.bigint();
    const units = run(trial);
    rates.push(units / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  rates.sort((a, b) => a - b);
  return Math.round(rates[Math.floor(trials / 2)]!);
}

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
};

const wanted = process.argv.slice(2);
for (const name of wanted.length === 0 ? Object.keys(suites) : wanted) {
  const suite = suites[name];
  if (suite === undefined) {
    console.error(`bench: unknown suite '${name}' (known: ${Object.keys(suites).join(", ")})`);
    process.exitCode = 2;
    break;
  }
  suite();
}
