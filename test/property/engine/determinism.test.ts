// Goal: a run is a pure function of (program, seed): the same seed gives the same digest and choice
// log — also in a separate Node process — and different seeds give different schedules. Method:
// fast-check draws seeds and demo shapes; a child process runs the built library for comparison.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildCounterDemo, type CounterDemoOptions } from "../../../src/index.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));

function fingerprint(options: CounterDemoOptions, seed: number) {
  const sim = buildCounterDemo(options, { seed });
  const result = sim.run();
  return {
    digest: result.digest,
    labels: sim.choice.log!.labels(),
    values: sim.choice.log!.valueArray(),
    outcome: result.outcome,
  };
}

const demo = fc.record({
  threads: fc.integer({ min: 1, max: 4 }),
  increments: fc.integer({ min: 0, max: 6 }),
  racy: fc.boolean(),
});

describe("determinism", () => {
  it("the same seed gives the same digest and choice log", () => {
    fc.assert(
      fc.property(demo, fc.nat(), (options, seed) => {
        expect(fingerprint(options, seed)).toEqual(fingerprint(options, seed));
      }),
      { numRuns: 200 },
    );
  });

  it("a separate Node process computes the same digest and choice log", () => {
    const cases = [
      { options: { threads: 3, increments: 4, racy: true }, seed: 5 },
      { options: { threads: 2, increments: 6, racy: false }, seed: 123456789 },
    ];
    const script = `
      const { buildCounterDemo } = await import(${JSON.stringify(`${root}dist/src/index.js`)});
      const cases = JSON.parse(process.argv[1]);
      const out = cases.map(({ options, seed }) => {
        const sim = buildCounterDemo(options, { seed });
        const result = sim.run();
        return { digest: result.digest, labels: sim.choice.log.labels(), values: sim.choice.log.valueArray(), outcome: result.outcome };
      });
      console.log(JSON.stringify(out));
    `;
    const stdout = execFileSync(
      process.execPath,
      ["--input-type=module", "-e", script, JSON.stringify(cases)],
      {
        encoding: "utf8",
      },
    );
    const fromChild = JSON.parse(stdout) as unknown[];
    expect(fromChild).toEqual(cases.map(({ options, seed }) => fingerprint(options, seed)));
  });

  it("different seeds give different digests on the racy demo", () => {
    const digests = new Map<string, number>();
    for (let seed = 0; seed < 100; seed++) {
      const { digest } = fingerprint({ threads: 3, increments: 4, racy: true }, seed);
      expect(
        digests.get(digest),
        `seeds ${digests.get(digest)} and ${seed} share digest ${digest}`,
      ).toBeUndefined();
      digests.set(digest, seed);
    }
  });
});
