// Goal: fuzz campaigns find a planted race, save a shrunk trace that replays to the same failure, and
// shard deterministically; shrink and regress work on saved traces. Method: spawn the built CLI.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { osvSim } from "./helpers.js";

const seedsOf = (resultsPath: string) =>
  readFileSync(resultsPath, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line).seed as number);

describe("osv-sim fuzz", () => {
  it("finds the planted race, shrinks it, and the saved trace replays to the same failure", () => {
    const out = mkdtempSync(join(tmpdir(), "osv-sim-fuzz-"));
    const run = osvSim(["fuzz", "scenarios/bugs/racy-counter.yaml", "--runs", "100", "--out", out, "--json"]);
    expect(run.code).toBe(1);
    const summary = JSON.parse(run.stdout);
    expect(summary.runs).toBe(100);
    expect(summary.distinct_failures).toBe(1);
    const failure = summary.failures[0];
    expect(failure.signature).toBe("violation:counter-total");
    expect(failure.shrunk_non_zero_choices).toBeGreaterThanOrEqual(1);
    expect(failure.shrunk_non_zero_choices).toBeLessThanOrEqual(2);
    expect(failure.shrunk_choices).toBeLessThanOrEqual(failure.original_choices);
    expect(failure.replay_reproduced).toBe(true);
    const replay = JSON.parse(osvSim(["replay", failure.trace, "--json"]).stdout);
    expect(replay.reproduced).toBe(true);
    expect(replay.outcome).toBe("violation");
  });

  it("two shards together cover exactly the seeds of the unsharded campaign", () => {
    const out = mkdtempSync(join(tmpdir(), "osv-sim-shard-"));
    const args = ["fuzz", "scenarios/examples/counter.yaml", "--runs", "37", "--seed-base", "1000", "--json"];
    const whole = JSON.parse(osvSim([...args, "--out", join(out, "whole")]).stdout);
    const a = JSON.parse(osvSim([...args, "--shard", "0/2", "--out", join(out, "a")]).stdout);
    const b = JSON.parse(osvSim([...args, "--shard", "1/2", "--jobs", "2", "--out", join(out, "b")]).stdout);
    expect(a.runs + b.runs).toBe(37);
    const merged = [...seedsOf(a.results), ...seedsOf(b.results)].sort((x, y) => x - y);
    expect(merged).toEqual(seedsOf(whole.results));
    expect(new Set(merged).size).toBe(37);
    expect(merged[0]).toBe(1000);
    // Results merge: the same seed gives the same record whichever shard or worker ran it.
    const byDigest = (path: string) =>
      readFileSync(path, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
    const wholeRecords = new Map(byDigest(whole.results).map((r) => [r.seed, r.digest]));
    for (const r of [...byDigest(a.results), ...byDigest(b.results)])
      expect(r.digest).toBe(wholeRecords.get(r.seed));
  });

  it("--time without a unit means seconds of wall time", () => {
    const out = mkdtempSync(join(tmpdir(), "osv-sim-time-"));
    const run = osvSim(["fuzz", "scenarios/examples/counter.yaml", "--time", "1", "--out", out, "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).runs).toBeGreaterThan(0);
  });

  it("rejects a bad shard with exit 2", () => {
    const run = osvSim(["fuzz", "scenarios/examples/counter.yaml", "--shard", "2/2"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--shard takes i\/n/);
  });
});

describe("osv-sim shrink and regress", () => {
  it("shrink keeps the failure signature and never grows the trace's choices", () => {
    const out = mkdtempSync(join(tmpdir(), "osv-sim-shrink-"));
    let trace: string | null = null;
    for (let seed = 1; seed < 40 && trace === null; seed++) {
      const path = join(out, `s${seed}.trace`);
      if (
        osvSim(["run", "scenarios/bugs/peterson-no-turn.yaml", "--seed", String(seed), "--trace", path])
          .code === 1
      )
        trace = path;
    }
    expect(trace).not.toBeNull();
    const before = JSON.parse(osvSim(["trace", "info", trace!, "--json"]).stdout);
    const run = osvSim(["shrink", trace!, "--out", join(out, "small.trace")]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/violation:mutual-exclusion/);
    const after = JSON.parse(osvSim(["trace", "info", join(out, "small.trace"), "--json"]).stdout);
    expect(after.outcome).toBe("violation");
    expect(after.non_zero_choices).toBeLessThanOrEqual(before.non_zero_choices);
  });

  it("regress passes on the kept traces and prints the closing count", () => {
    const run = osvSim(["regress"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/regress: \d+ passed, 0 failed/);
  });
});
