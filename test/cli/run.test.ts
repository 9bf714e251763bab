// Goal: the `osv-sim` binary behaves as the README promises — run with no arguments, --json, --help,
// --version, exit codes, and one-line errors. Method: spawn the built CLI and read its output.
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BIN, osvSim, ROOT } from "./helpers.js";

describe("osv-sim run", () => {
  it("runs the built-in demo with no arguments and prints outcome, seed and digest", () => {
    const run = osvSim([]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/outcome\s+ok/);
    expect(run.stdout).toMatch(/seed\s+1\b/);
    expect(run.stdout).toMatch(/digest\s+[0-9a-f]{16}/);
    expect(run.stderr).toBe("");
  });

  it("prints one JSON object with --json, identical digests for the same seed", () => {
    const a = JSON.parse(osvSim(["run", "--seed", "9", "--json"]).stdout);
    const b = JSON.parse(osvSim(["run", "--seed", "9", "--json"]).stdout);
    expect(a.outcome).toBe("ok");
    expect(a.seed).toBe(9);
    expect(a.digest).toMatch(/^[0-9a-f]{16}$/);
    expect(a.digest).toBe(b.digest);
    expect(a.stats.events).toBeGreaterThan(0);
    expect(a.stats.virtual_ns).toBeGreaterThan(0);
    expect(a.checks).toContainEqual({ name: "counter-total#0", status: "pass" });
    expect(a.threads).toHaveLength(5);
  });

  it("--no-run-ahead gives the same run: outcome, digest, events and threads", () => {
    const on = JSON.parse(osvSim(["run", "scenarios/sched/ctxsw.yaml", "--json"]).stdout);
    const off = JSON.parse(osvSim(["run", "scenarios/sched/ctxsw.yaml", "--json", "--no-run-ahead"]).stdout);
    expect(on.outcome).toBe("ok");
    expect(off.digest).toBe(on.digest);
    expect(off.stats.events).toBe(on.stats.events);
    expect(off.threads).toEqual(on.threads);
    expect(off.cpus).toEqual(on.cpus);
  });

  it("lists each vCPU's busy and halted time, trimmed at the run's end (text and JSON)", () => {
    // Two hogs on one CPU, cut at 95 ms inside a slice: the CPU was busy all the time, not longer.
    const json = JSON.parse(
      osvSim(["run", "scenarios/sched/timeslice.yaml", "--duration", "95ms", "--json"]).stdout,
    );
    const cpus = json.cpus as { id: number; busy_ms: number; halted_ms: number; switches: number }[];
    expect(cpus.map((c) => c.id)).toEqual([0]);
    expect(json.stats.virtual_ns).toBe(95_000_000);
    expect(cpus[0]!.busy_ms).toBe(95);
    expect(cpus[0]!.halted_ms).toBe(0);
    expect(cpus[0]!.switches).toBeGreaterThan(5);
    // Ping-pong apart: every CPU's busy and halted time add up to at most the run's virtual time.
    const pp = JSON.parse(osvSim(["run", "scenarios/sched/ctxsw.yaml", "--json"]).stdout);
    for (const c of pp.cpus as { busy_ms: number; halted_ms: number }[]) {
      expect(c.busy_ms).toBeGreaterThan(0);
      expect(c.busy_ms + c.halted_ms).toBeLessThanOrEqual(pp.stats.virtual_ns / 1e6 + 1e-9);
    }
    const text = osvSim(["run", "scenarios/sched/timeslice.yaml", "--duration", "95ms"]).stdout;
    expect(text).toMatch(/^ {2}cpus {6}id {3}busy_ms halted_ms switches interrupts {5}steps$/m);
    expect(text).toMatch(/^ +0 +95\.000 +0\.000 /m);
  });

  it("reports pin(t)'s unlink of a thread from a runqueue it is not on as a violation, not a crash", () => {
    const run = osvSim(["run", "scenarios/bugs/pin-unpin-race.yaml", "--seed", "4", "--json"]);
    expect(run.code).toBe(1);
    const json = JSON.parse(run.stdout);
    expect(json.outcome).toBe("violation");
    expect(json.failure.check).toBe("sched.runqueue-unlink");
  });

  it("lists each kernel thread's real-time priority in the thread table (text and JSON)", () => {
    const json = JSON.parse(osvSim(["run", "scenarios/sched/realtime.yaml", "--json"]).stdout);
    const rows = json.threads as { name: string; realtime: number }[];
    const rt = rows.filter((t) => t.realtime > 0);
    expect(rt.length).toBeGreaterThan(0);
    expect(rt.every((t) => t.name.includes("rt"))).toBe(true);
    expect(rows.some((t) => t.realtime === 0)).toBe(true);
    const text = osvSim(["run", "scenarios/sched/realtime.yaml"]).stdout;
    expect(text).toMatch(/prio\s+rt status/);
    expect(text).toMatch(new RegExp(`${rt[0]!.name}\\s.*\\s${rt[0]!.realtime} \\w+$`, "m"));
  });

  it("reports a lost update with exit 1 and a command that reproduces it", () => {
    let failing: { seed: number; stdout: string } | null = null;
    for (let seed = 0; seed < 20 && failing === null; seed++) {
      const run = osvSim(["run", "scenarios/bugs/racy-counter.yaml", "--seed", String(seed)]);
      if (run.code === 1) failing = { seed, stdout: run.stdout };
      else expect(run.code).toBe(0);
    }
    expect(failing).not.toBeNull();
    const { seed, stdout } = failing!;
    expect(stdout).toMatch(/update was lost/);
    const reproduce = /reproduce\s+osv-sim (.*)/.exec(stdout)![1]!.split(" ");
    expect(reproduce).toContain(String(seed));
    const again = osvSim(reproduce);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain(/digest\s+([0-9a-f]{16})/.exec(stdout)![1]);
  });

  it("rejects a bad seed with one line and exit 2", () => {
    const run = osvSim(["run", "--seed", "banana"]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split("\n")[0]).toMatch(/--seed must be a non-negative integer/);
    expect(run.stdout).toBe("");
  });

  it("the built entry point is executable and `npx osv-sim` runs it (the README's quick start)", () => {
    expect(statSync(BIN).mode & 0o111, "dist/src/cli/main.js lacks the executable bit").not.toBe(0);
    const npx = spawnSync("npx", ["--no-install", "osv-sim", "--version"], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, CI: "true" },
      timeout: 60_000,
    });
    expect({ code: npx.status, stderr: npx.stderr }).toEqual({ code: 0, stderr: "" });
    expect(npx.stdout).toMatch(/\d+\.\d+\.\d+/);
  });

  it("answers --help and --version with exit 0, an unknown command with exit 2", () => {
    const help = osvSim(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: osv-sim/);
    const version = osvSim(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(osvSim(["frobnicate"]).code).toBe(2);
  });
});
