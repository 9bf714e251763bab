// Units in scenario files: durations (`5ms`) become integer nanoseconds and sizes (`512MiB`) integer
// bytes, each as a zod type that reports a one-line error for a bad unit and shows up in the JSON
// Schema as "a string with a unit, or a plain integer".

import { z } from "zod";
import { parseDuration } from "../sim/index.js";

const SIZE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  KB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
};

/** Parses `512MiB`, `4KiB`, `1GB` or a plain byte count; throws a one-line error otherwise. */
export function parseSize(text: string | number): number {
  if (typeof text === "number") {
    if (!Number.isSafeInteger(text) || text < 0)
      throw new RangeError(`invalid size ${text}: expected whole bytes`);
    return text;
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB)?\s*$/.exec(text);
  if (match === null) {
    throw new RangeError(
      `invalid size '${text}': expected a number with a unit (B, KiB, MiB, GiB, KB, MB, GB), e.g. 512MiB`,
    );
  }
  const bytes = Number(match[1]) * SIZE_UNITS[match[2] ?? "B"]!;
  if (!Number.isSafeInteger(bytes))
    throw new RangeError(`invalid size '${text}': not a whole number of bytes`);
  return bytes;
}

function unitType(what: string, example: string, parse: (v: string | number) => number) {
  return z
    .union([z.string(), z.number().int().nonnegative()])
    .transform((value, ctx) => {
      try {
        return parse(value);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    })
    .meta({ description: `${what}: a number with a unit such as ${example}, or a plain integer` });
}

/** A duration in a scenario: `250ns`, `100us`, `5ms`, `2s`, or integer nanoseconds. */
export const durationType = () => unitType("duration", "5ms", parseDuration);
/** A size in a scenario: `512MiB`, `4KiB`, or integer bytes. */
export const sizeType = () => unitType("size", "512MiB", parseSize);
