// Goal: the command line's promises about scenarios and traces — round trips, byte-identical traces
// across processes, one-line errors with exit 2 for every kind of bad input, nothing overwritten
// without --force, and every shipped scenario valid. Method: spawn the built CLI on temp files.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { osvsim } from "../../src/sim/trace/protobuf.js";
import { osvSim, ROOT } from "./helpers.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "osv-sim-cli-"));
});

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

describe("run and replay", () => {
  it("a recorded run replays exactly, and a recorded failure replays to the same failure", () => {
    const ok = join(dir, "ok.trace");
    expect(osvSim(["run", "scenarios/examples/peterson.yaml", "--trace", ok]).code).toBe(0);
    const replay = osvSim(["replay", ok]);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/reproduced exactly/);

    const bad = join(dir, "deadlock.trace");
    expect(osvSim(["run", "scenarios/bugs/lock-order.yaml", "--trace", bad]).code).toBe(1);
    const again = JSON.parse(osvSim(["replay", bad, "--json"]).stdout);
    expect(again.reproduced).toBe(true);
    expect(again.outcome).toBe("deadlock");
  });

  it("the same scenario and seed give byte-identical traces in two processes", () => {
    const a = join(dir, "a.trace");
    const b = join(dir, "b.trace");
    osvSim(["run", "scenarios/examples/all-sections.yaml", "--seed", "11", "--trace", a]);
    osvSim(["run", "scenarios/examples/all-sections.yaml", "--seed", "11", "--trace", b]);
    expect(readFileSync(a).length).toBeGreaterThan(100);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    const c = join(dir, "c.trace");
    osvSim(["run", "scenarios/examples/all-sections.yaml", "--seed", "12", "--trace", c]);
    expect(readFileSync(a).equals(readFileSync(c))).toBe(false);
  });

  it("a replay whose recorded events were tampered with reports the first divergent event, exit 3", () => {
    const original = join(dir, "tamper.trace");
    osvSim(["run", "scenarios/examples/counter.yaml", "--trace", original]);
    const bytes = readFileSync(original);
    // Re-encode the first block with one event's value changed.
    const magic = 8;
    let offset = magic;
    const records: Uint8Array[] = [];
    while (offset < bytes.length) {
      let length = 0;
      let shift = 0;
      let byte: number;
      do {
        byte = bytes[offset++]!;
        length |= (byte & 0x7f) << shift;
        shift += 7;
      } while (byte & 0x80);
      records.push(bytes.subarray(offset, offset + length));
      offset += length;
    }
    const block = osvsim.trace.Record.decode(records[1]!);
    block.block!.value![10] = 999;
    const encoded = osvsim.trace.Record.encode(block).finish();
    const tampered = Buffer.concat([
      bytes.subarray(0, magic),
      Buffer.from(varint(records[0]!.length)),
      records[0]!,
      Buffer.from(varint(encoded.length)),
      encoded,
      ...records.slice(2).flatMap((r) => [Buffer.from(varint(r.length)), r]),
    ]);
    const path = join(dir, "tampered.trace");
    writeFileSync(path, tampered);
    const replay = osvSim(["replay", path]);
    expect(replay.code).toBe(3);
    expect(replay.stdout).toMatch(/DIVERGED at event #10 \(virtual time/);
    expect(replay.stdout).toMatch(/expected: .* 999 at/);
  });
});

describe("bad trace files", () => {
  let good: Buffer;
  beforeAll(() => {
    const path = join(dir, "good.trace");
    osvSim(["run", "--trace", path]);
    good = readFileSync(path);
  });

  const expectOneLine = (args: string[], pattern: RegExp) => {
    const run = osvSim(args);
    expect(run.code).toBe(2);
    const lines = run.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  };

  it("a truncated trace", () => {
    const path = join(dir, "truncated.trace");
    writeFileSync(path, good.subarray(0, good.length - 40));
    expectOneLine(["replay", path], /truncated/);
    expectOneLine(["trace", "info", path], /truncated/);
  });

  it("a trace cut after a whole record has no footer", () => {
    const path = join(dir, "nofooter.trace");
    const headerLength = good[8]! | ((good[9]! & 0x7f) << 7);
    const cut = good[8]! & 0x80 ? 10 + headerLength : 9 + good[8]!;
    writeFileSync(path, good.subarray(0, cut));
    expectOneLine(["replay", path], /truncated|no footer/);
  });

  it("garbage", () => {
    const path = join(dir, "garbage.trace");
    writeFileSync(path, Buffer.from("this is not a trace at all, just text\n"));
    expectOneLine(["replay", path], /not an osv-sim trace/);
    const corrupt = join(dir, "corrupt.trace");
    writeFileSync(
      corrupt,
      Buffer.concat([good.subarray(0, 8), Buffer.from([5, 0xff, 0xff, 0xff, 0xff, 0xff])]),
    );
    expectOneLine(["replay", corrupt], /corrupt trace/);
  });

  it("a trace from a newer format version", () => {
    const header = osvsim.trace.Record.encode({
      header: { formatVersion: 99, osvSimVersion: "9.9.9" },
    }).finish();
    const path = join(dir, "future.trace");
    writeFileSync(path, Buffer.concat([Buffer.from("OSVTRACE"), Buffer.from(varint(header.length)), header]));
    expectOneLine(["replay", path], /format version 99 is newer/);
  });

  it("a missing trace", () => {
    expectOneLine(["replay", join(dir, "nope.trace")], /no such trace file/);
  });
});

describe("bad scenarios", () => {
  const scenario = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it("malformed YAML gives file:line:col and exit 2", () => {
    const path = scenario("malformed.yaml", "name: x\nworkloads: [\n  - program: counter\n");
    const run = osvSim(["run", path]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+:\\d+: YAML`));
  });

  it("an unknown key gives file:line:col with a did-you-mean", () => {
    const path = scenario("unknown.yaml", "name: x\nworkloads:\n  - program: counter\n    thraeds: 2\n");
    const run = osvSim(["validate", path]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      `${path}:4:5: unknown key 'thraeds' in 'workloads.0' (did you mean 'threads'?)`,
    );
  });

  it("a bad unit gives file:line:col", () => {
    const path = scenario("unit.yaml", "name: x\nduration: 5 fortnights\nworkloads:\n  - program: counter\n");
    const run = osvSim(["run", path]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toMatch(/unit\.yaml:2:11: 'duration': invalid duration '5 fortnights'/);
  });

  it("reports every problem at once, one line each", () => {
    const path = scenario("many.yaml", "name: x\nsed: 1\nworkloads:\n  - program: countr\nchecks: [3]\n");
    const run = osvSim(["validate", path]);
    expect(run.code).toBe(2);
    const lines = run.stderr.trim().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(line).toMatch(/many\.yaml:\d+:\d+: /);
  });

  it("a missing scenario file is exit 2 with one line", () => {
    const run = osvSim(["run", join(dir, "absent.yaml")]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toMatch(/absent\.yaml:1:1: cannot read scenario: no such file/);
  });
});

describe("nothing is overwritten without --force", () => {
  it("keeps an existing trace, then replaces it with --force", () => {
    const path = join(dir, "keep.trace");
    writeFileSync(path, "precious");
    const run = osvSim(["run", "--trace", path]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/already exists; pass --force/);
    expect(readFileSync(path, "utf8")).toBe("precious");
    expect(osvSim(["run", "--trace", path, "--force"]).code).toBe(0);
    expect(readFileSync(path).subarray(0, 8).toString()).toBe("OSVTRACE");
  });

  it("keeps an existing export file", () => {
    const trace = join(dir, "exp.trace");
    osvSim(["run", "--trace", trace]);
    const out = join(dir, "exp.json");
    writeFileSync(out, "precious");
    expect(osvSim(["trace", "export", trace, "--out", out]).code).toBe(2);
    expect(readFileSync(out, "utf8")).toBe("precious");
  });
});

describe("shipped scenarios", () => {
  it("the committed JSON Schema is current", () => {
    const run = osvSim(["schema"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(
      JSON.parse(readFileSync(join(ROOT, "schema/scenario.schema.json"), "utf8")),
    );
  });
});

describe("trace inspection", () => {
  it("info, dump and a Chrome export that parses", () => {
    const trace = join(dir, "inspect.trace");
    osvSim(["run", "scenarios/examples/counter.yaml", "--trace", trace]);
    const info = JSON.parse(osvSim(["trace", "info", trace, "--json"]).stdout);
    expect(info.scenario).toBe("counter");
    expect(info.events).toBeGreaterThan(10);
    const dump = osvSim(["trace", "dump", trace]).stdout.trimEnd().split("\n");
    expect(dump.filter((l) => /sched_wake/.test(l)).length).toBeGreaterThan(0);
    expect(dump.filter((l) => /^\s+\d+ /.test(l))).toHaveLength(info.events);
    const chrome = JSON.parse(osvSim(["trace", "export", trace, "--format", "chrome"]).stdout);
    const names = new Set(chrome.traceEvents.map((e: { name: string }) => e.name));
    expect(names.has("thread_name")).toBe(true);
    expect(names.has("running")).toBe(true);
    expect(names.has("compute")).toBe(true);
    // Engine-only processes: no OSv CPU tracks.
    expect(chrome.traceEvents.some((e: { pid: number }) => e.pid === 2)).toBe(false);
  });

  it("a Chrome export of a run on the OSv model has a track per CPU with a slice per switch", () => {
    const trace = join(dir, "sched.trace");
    osvSim([
      "run",
      "scenarios/sched/ctxsw.yaml",
      "--set",
      "workloads.0.params.rounds=40",
      "--set",
      "workloads.1.params.rounds=40",
      "--trace",
      trace,
    ]);
    const switches = osvSim(["trace", "dump", trace])
      .stdout.split("\n")
      .filter((l) => / switch_to /.test(l));
    expect(switches.length).toBeGreaterThan(200);
    const run = osvSim(["trace", "export", trace]);
    expect(run.stderr).toBe("");
    const events = JSON.parse(run.stdout).traceEvents as {
      name: string;
      ph: string;
      pid: number;
      tid: number;
      ts: number;
      dur: number;
    }[];
    const tracks = events.filter((e) => e.pid === 2 && e.name === "thread_name").map((e) => e.tid);
    expect(tracks.sort()).toEqual([0, 1, 2]);
    const slices = events.filter((e) => e.pid === 2 && e.ph === "X");
    // One slice per switch (replayed: the trace does not name the thread switched to).
    expect(slices).toHaveLength(switches.length);
    expect(new Set(slices.map((e) => e.name))).toEqual(
      new Set(
        ["w0.ping0", "w0.ping1", "w1.ping0", "w1.ping1", "idle0", "idle1", "idle2"].concat(
          slices.some((e) => e.name.startsWith("balancer")) ? ["balancer0", "balancer1", "balancer2"] : [],
        ),
      ),
    );
    // On each CPU the slices follow one another without overlap.
    for (const cpu of [0, 1, 2]) {
      const mine = slices.filter((e) => e.tid === cpu);
      for (let i = 1; i < mine.length; i++)
        expect(mine[i]!.ts).toBeCloseTo(mine[i - 1]!.ts + mine[i - 1]!.dur, 9);
    }
  });
});
