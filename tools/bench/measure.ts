// Shared measuring helper of the benchmarks (wall-clock reads are fine here: tools, not the simulator).

/** Runs `run` (which answers how many units it did) `warmups` times, then answers the median rate of `trials` runs. */
export function medianRate(run: (trial: number) => number, trials = 5, warmups = 2): number {
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
