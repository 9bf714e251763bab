// Virtual time: an integer count of nanoseconds held in a JS number and asserted to be a safe
// integer (about 104 days). Durations parse from and format to short unit strings such as
// `250ns`, `100us`, `5ms`, `2s`, so scenarios and reports read the way people write them.

export type Nanoseconds = number;

export const NS_PER_US = 1_000;
export const NS_PER_MS = 1_000_000;
export const NS_PER_S = 1_000_000_000;

const UNIT_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: NS_PER_US,
  µs: NS_PER_US,
  ms: NS_PER_MS,
  s: NS_PER_S,
  m: 60 * NS_PER_S,
  h: 3600 * NS_PER_S,
};

/** Thrown for a malformed duration string; the message is one line meant for a user. */
export class DurationError extends Error {
  override name = "DurationError";
}

/** Asserts that `ns` is a non-negative safe integer and returns it. */
export function assertTimeNs(ns: number, what = "virtual time"): Nanoseconds {
  if (!Number.isSafeInteger(ns))
    throw new RangeError(`${what} must be a safe integer of nanoseconds, got ${ns}`);
  if (ns < 0) throw new RangeError(`${what} must not be negative, got ${ns}`);
  return ns;
}

const DURATION_RE = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|h)\s*$/;

/**
 * Parses a duration such as `250ns`, `1.5ms` or `2s` into integer nanoseconds. A bare number is
 * taken as nanoseconds. Fractions must resolve to a whole number of nanoseconds.
 */
export function parseDuration(text: string | number): Nanoseconds {
  if (typeof text === "number") return assertTimeNs(text, "duration");
  const bare = /^\s*\d+\s*$/.test(text);
  if (bare) return assertTimeNs(Number(text), "duration");
  const match = DURATION_RE.exec(text);
  if (match === null) {
    throw new DurationError(
      `invalid duration '${text}': expected a number followed by a unit (ns, us, ms, s, m, h), e.g. 5ms`,
    );
  }
  const unitNs = UNIT_NS[match[2]!]!;
  const digits = match[1]!;
  // Multiply in integer arithmetic where possible so `0.1s` is exactly 100000000 ns.
  const [whole, fraction = ""] = digits.split(".");
  const scale = 10 ** fraction.length;
  const numerator = Number(whole) * scale + Number(fraction === "" ? "0" : fraction);
  const ns = (numerator * unitNs) / scale;
  if (!Number.isInteger(ns))
    throw new DurationError(`invalid duration '${text}': not a whole number of nanoseconds`);
  if (!Number.isSafeInteger(ns))
    throw new DurationError(`invalid duration '${text}': too large for virtual time`);
  return ns;
}

/** Formats nanoseconds with the largest unit that keeps the value readable (at most 3 decimals). */
export function formatDuration(ns: Nanoseconds): string {
  if (ns === 0) return "0s";
  const sign = ns < 0 ? "-" : "";
  const abs = Math.abs(ns);
  const pick = (unitNs: number, unit: string): string => {
    const value = abs / unitNs;
    const text = Number.isInteger(value)
      ? String(value)
      : value.toFixed(3).replace(/0+$/, "").replace(/\.$/, "");
    return `${sign}${text}${unit}`;
  };
  if (abs >= NS_PER_S) return pick(NS_PER_S, "s");
  if (abs >= NS_PER_MS) return pick(NS_PER_MS, "ms");
  if (abs >= NS_PER_US) return pick(NS_PER_US, "us");
  return `${sign}${abs}ns`;
}
