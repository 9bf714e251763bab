// Goal: queue_mpsc pops in push order and reuses its nodes; the single-consumer and capacity limits
// are verdicts. Method: scripted single-thread runs on the engine, reading cells and results.
import { describe, expect, it } from "vitest";
import { QueueMpsc } from "../../../../src/kernel/index.js";
import { type Guest, Simulation } from "../../../../src/sim/index.js";

function runOne<R>(build: (sim: Simulation) => () => Guest<R>) {
  const sim = new Simulation({ seed: 1 });
  const body = build(sim);
  const process = sim.spawn("t", () => body());
  const result = sim.run();
  return { result, value: process.result as R, sim };
}

describe("queue_mpsc", () => {
  it("pops items in push order across refills, then reports empty", () => {
    let queue: QueueMpsc<number> | undefined;
    const { result, value } = runOne((sim) => {
      const q = new QueueMpsc<number>(sim, "q");
      queue = q;
      return function* () {
        const out: (number | undefined)[] = [];
        yield* q.push(1);
        yield* q.push(2);
        out.push(yield* q.pop());
        yield* q.push(3);
        out.push(yield* q.pop(), yield* q.pop(), yield* q.pop());
        out.push((yield* q.empty()) ? 1 : 0);
        return out;
      };
    });
    expect(result.outcome).toBe("ok");
    expect(value).toEqual([1, 2, 3, undefined, 1]);
    expect(queue!.pushlist.value).toBe(0);
    expect(queue!.poplist.value).toBe(0);
    expect(queue!.size).toBe(0);
  });

  it("keeps poplist holding the rest of a refill, oldest first", () => {
    let queue: QueueMpsc<string> | undefined;
    const { value } = runOne((sim) => {
      const q = new QueueMpsc<string>(sim, "q");
      queue = q;
      return function* () {
        for (const s of ["a", "b", "c", "d"]) yield* q.push(s);
        const first = yield* q.pop();
        const queued: string[] = [];
        yield* q.find((v) => {
          queued.push(v);
          return false;
        });
        return { first, queued, hit: yield* q.find((v) => v === "c") };
      };
    });
    expect(value).toEqual({ first: "a", queued: ["b", "c", "d"], hit: true });
    expect(queue!.poplist.value).not.toBe(0);
    expect(queue!.pushlist.value).toBe(0);
  });

  it("reuses popped nodes, so the node table stays at the queue's high-water mark", () => {
    const { result, sim } = runOne((sim) => {
      const q = new QueueMpsc<number>(sim, "q", { capacity: 2 });
      return function* () {
        for (let i = 0; i < 50; i++) {
          yield* q.push(i);
          yield* q.push(i + 1);
          if ((yield* q.pop()) !== i) throw new Error("order");
          yield* q.pop();
        }
      };
    });
    expect(result.outcome).toBe("ok");
    // pushlist + poplist + 2 node cells.
    expect(sim.memory.cellCount).toBe(4);
  });

  it("exceeding the capacity is a named verdict", () => {
    const { result } = runOne((sim) => {
      const q = new QueueMpsc<number>(sim, "q", { capacity: 2 });
      return function* () {
        for (let i = 0; i < 3; i++) yield* q.push(i);
      };
    });
    expect(result.outcome).toBe("violation");
    expect(result.failure?.check).toBe("q-capacity");
  });

  it("two overlapping pops violate the single-consumer rule", () => {
    // Random schedules interleave the two pops sooner or later; seed 1..20 must include one.
    const outcomes = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const s = new Simulation({ seed });
      const queue = new QueueMpsc<number>(s, "q");
      for (let t = 0; t < 2; t++)
        s.spawn(`c${t}`, function* () {
          yield* queue.push(t);
          yield* queue.pop();
        });
      const r = s.run();
      outcomes.add(r.outcome === "ok" ? "ok" : (r.failure?.check ?? r.outcome));
    }
    expect(outcomes.has("queue-mpsc-single-consumer")).toBe(true);
  });
});
