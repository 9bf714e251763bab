// Shrinking a failing choice sequence, Hypothesis-style: candidates are tried in passes — cut to the
// choices actually consumed, delete spans, zero spans, lower single values — and a candidate is kept
// only when it fails with the same signature. Because every choice is encoded with 0 as the simplest
// answer and an exhausted sequence answers 0, smaller means fewer preemptions, faults and delays.

export interface ShrinkAttempt {
  /** Whether the candidate still fails with the original signature. */
  fails: boolean;
  /** The choices the run actually consumed (normalised values), used to replace the candidate. */
  consumed: readonly number[];
}

export interface ShrinkResult {
  values: number[];
  attempts: number;
  /** Whether the budget ran out before no pass could improve further. */
  budgetExhausted: boolean;
}

/** Shortlex order: fewer choices first, then fewer non-zero ones, then smaller values. */
export function simpler(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return a.length < b.length;
  const nonZero = (v: readonly number[]) => v.reduce((n, x) => n + (x === 0 ? 0 : 1), 0);
  const na = nonZero(a);
  const nb = nonZero(b);
  if (na !== nb) return na < nb;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

/** Drops trailing zeros: an exhausted sequence answers 0 anyway. */
function trimZeros(values: readonly number[]): number[] {
  let end = values.length;
  while (end > 0 && values[end - 1] === 0) end--;
  return values.slice(0, end);
}

export function shrinkChoices(
  initial: readonly number[],
  attempt: (values: readonly number[]) => ShrinkAttempt,
  budget: number,
): ShrinkResult {
  let best = trimZeros(initial);
  let attempts = 0;
  const tryCandidate = (candidate: number[]): boolean => {
    if (attempts >= budget) return false;
    attempts++;
    const outcome = attempt(candidate);
    if (!outcome.fails) return false;
    const normalised = trimZeros(outcome.consumed);
    const next = simpler(normalised, candidate) ? normalised : trimZeros(candidate);
    if (!simpler(next, best)) return false;
    best = next;
    return true;
  };
  // Cut the tail first: the shortest failing prefix, by bisection (a cut sequence answers 0 after it).
  let low = 0;
  let high = best.length;
  while (low < high && attempts < budget) {
    const mid = Math.floor((low + high) / 2);
    if (tryCandidate(best.slice(0, mid))) high = Math.min(mid, best.length);
    else low = mid + 1;
  }
  let improved = true;
  while (improved && attempts < budget) {
    improved = false;
    // Delete spans, large to small (halves first, as delta debugging does), from the end: later
    // choices depend on earlier ones.
    const sizes = [
      ...new Set([Math.floor(best.length / 2), Math.floor(best.length / 4), 64, 16, 8, 4, 2, 1]),
    ].filter((size) => size >= 1);
    for (const size of sizes) {
      for (let i = best.length - size; i >= 0; i--) {
        if (tryCandidate([...best.slice(0, i), ...best.slice(i + size)])) improved = true;
      }
    }
    // Zero spans.
    for (const size of [8, 4, 2, 1]) {
      for (let i = 0; i + size <= best.length; i++) {
        if (best.slice(i, i + size).every((v) => v === 0)) continue;
        const candidate = [...best];
        candidate.fill(0, i, i + size);
        if (tryCandidate(candidate)) improved = true;
      }
    }
    // Lower single values by binary search towards 0.
    for (let i = 0; i < best.length; i++) {
      let high = best[i]!;
      let low = 0;
      while (low < high && attempts < budget) {
        const mid = Math.floor((low + high) / 2);
        const candidate = [...best];
        candidate[i] = mid;
        if (tryCandidate(candidate)) {
          improved = true;
          high = best[i] ?? mid;
        } else {
          low = mid + 1;
        }
        if (i >= best.length) break;
      }
    }
  }
  return { values: best, attempts, budgetExhausted: attempts >= budget };
}
