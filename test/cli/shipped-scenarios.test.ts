// Every shipped scenario validates and names the schema; every scenario under scenarios/sched/ and
// scenarios/sync/ (the kernel's acceptance scenarios) passes its checks on its own seed, in process.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildScenario, loadScenarioFile } from "../../src/scenario/index.js";
import { ROOT } from "./helpers.js";

function yamlFiles(dir: string): string[] {
  return readdirSync(join(ROOT, "scenarios", dir))
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => join("scenarios", dir, f));
}

const SCHEMA_LINE = "# yaml-language-server: $schema=../../schema/scenario.schema.json";

describe("shipped scenarios", () => {
  const all = ["examples", "bugs", "sched", "sync"].flatMap(yamlFiles);

  it("all load and name the schema on their first line", () => {
    expect(all.length).toBeGreaterThan(40);
    for (const file of all) {
      expect(() => loadScenarioFile(join(ROOT, file)), file).not.toThrow();
      expect(readFileSync(join(ROOT, file), "utf8").split("\n")[0], file).toBe(SCHEMA_LINE);
    }
  });

  for (const file of [...yamlFiles("sched"), ...yamlFiles("sync")]) {
    it(`${file} passes its checks`, () => {
      const { scenario } = loadScenarioFile(join(ROOT, file));
      const result = buildScenario(scenario).run();
      const failed = result.checks.filter((c) => c.status !== "pass").map((c) => `${c.name}: ${c.message}`);
      expect({ outcome: result.outcome, failed }, `${file}: ${result.reason}`).toEqual({
        outcome: "ok",
        failed: [],
      });
      expect(result.checks.length, `${file} runs no check`).toBeGreaterThan(0);
    }, 60_000);
  }

  it("misc-loadbalance with three hogs shares the CPUs on other seeds too", () => {
    // On identical simulated CPUs the two balancers phase-lock; without the scenario's timing noise
    // about half of all seeds moved nothing after the first 100 ms (each hog then got 50% or 100%).
    const { scenario } = loadScenarioFile(join(ROOT, "scenarios/sched/loadbalance-3hogs.yaml"));
    const failing: string[] = [];
    for (let seed = 1; seed <= 8; seed++) {
      const result = buildScenario(scenario, { seed }).run();
      const failed = result.checks.filter((c) => c.status !== "pass");
      if (result.outcome !== "ok" || failed.length > 0) failing.push(`seed ${seed}: ${result.reason}`);
    }
    expect(failing).toEqual([]);
  }, 120_000);
});
