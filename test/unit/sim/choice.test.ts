// Goal: the choice source validates, logs and digests every decision, and each strategy answers as
// specified (random is seeded and reproducible, sequence is modulo-then-zero, replay detects divergence).
import { describe, expect, it } from "vitest";
import {
  ChoiceSource,
  Digest,
  DivergenceError,
  RandomStrategy,
  ReplayStrategy,
  Rng,
  SequenceStrategy,
} from "../../../src/sim/index.js";

describe("RandomStrategy", () => {
  it("gives the same values for the same seed and different ones for another", () => {
    const draw = (seed: number) => {
      const source = new ChoiceSource(new RandomStrategy(seed));
      return Array.from({ length: 50 }, () => source.choose(1000, "x"));
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it("stays in range and covers the range", () => {
    const rng = new Rng(3);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = rng.below(7);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(7);
      seen.add(v);
    }
    expect(seen.size).toBe(7);
  });

  it("fires chance() at roughly its ratio", () => {
    const source = new ChoiceSource(new RandomStrategy(11));
    let fired = 0;
    for (let i = 0; i < 10_000; i++) if (source.chance(0.1, "fault")) fired++;
    expect(fired).toBeGreaterThan(850);
    expect(fired).toBeLessThan(1150);
  });
});

describe("ChoiceSource", () => {
  it("logs (label, value) in order and counts non-zero choices", () => {
    const source = new ChoiceSource(new SequenceStrategy([1, 0, 5, 3]));
    expect(source.choose(2, "sched")).toBe(1);
    expect(source.between(10, 20, "delay")).toBe(10);
    expect(source.chance(0.5, "drop")).toBe(true);
    expect(source.choose(4, "sched")).toBe(3);
    expect(source.log!.labels()).toEqual(["sched", "delay", "drop", "sched"]);
    expect(source.log!.valueArray()).toEqual([1, 0, 1, 3]);
    expect(source.count).toBe(4);
    expect(source.nonZeroCount).toBe(3);
  });

  it("consumes no choice for forced answers", () => {
    const source = new ChoiceSource(new SequenceStrategy([1, 1, 1]));
    expect(source.choose(1, "only")).toBe(0);
    expect(source.chance(0, "never")).toBe(false);
    expect(source.chance(1, "always")).toBe(true);
    expect(source.between(5, 5, "fixed")).toBe(5);
    expect(source.count).toBe(0);
  });

  it("rejects bad bounds and bad strategy answers", () => {
    const source = new ChoiceSource(new SequenceStrategy([]));
    expect(() => source.choose(0, "x")).toThrow(RangeError);
    expect(() => source.choose(2.5, "x")).toThrow(RangeError);
    expect(() => source.chance(1.5, "x")).toThrow(RangeError);
    expect(() => source.between(3, 2, "x")).toThrow(RangeError);
    const liar = new ChoiceSource({ name: "liar", choose: () => 9, chance: () => 0 });
    expect(() => liar.choose(3, "x")).toThrow(/answered 9/);
  });

  it("mixes every choice into the digest", () => {
    const digestOf = (values: number[]) => {
      const digest = new Digest();
      const source = new ChoiceSource(new SequenceStrategy(values), { digest });
      for (let i = 0; i < values.length; i++) source.choose(4, "c");
      return digest.hex();
    };
    expect(digestOf([1, 2, 3])).toBe(digestOf([1, 2, 3]));
    expect(digestOf([1, 2, 3])).not.toBe(digestOf([1, 3, 2]));
  });
});

describe("SequenceStrategy", () => {
  it("reduces modulo the bound and answers 0 once exhausted", () => {
    const strategy = new SequenceStrategy([7, 4]);
    const source = new ChoiceSource(strategy);
    expect(source.choose(3, "a")).toBe(1);
    expect(source.chance(0.5, "b")).toBe(false);
    expect(source.choose(3, "a")).toBe(0);
    expect(source.choose(3, "a")).toBe(0);
    expect(strategy.consumed).toBe(2);
  });
});

describe("ReplayStrategy", () => {
  it("reproduces a recorded run exactly", () => {
    const original = new ChoiceSource(new RandomStrategy(99));
    for (let i = 0; i < 20; i++) original.choose(5, i % 2 === 0 ? "even" : "odd");
    const log = original.log!;
    const replay = new ChoiceSource(new ReplayStrategy(log.labels(), log.valueArray()));
    for (let i = 0; i < 20; i++) replay.choose(5, i % 2 === 0 ? "even" : "odd");
    expect(replay.log!.valueArray()).toEqual(log.valueArray());
  });

  it("names the index of a label mismatch", () => {
    const replay = new ChoiceSource(new ReplayStrategy(["a", "b"], [0, 1]));
    replay.choose(2, "a");
    const error = (() => {
      try {
        replay.choose(2, "c");
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(DivergenceError);
    expect((error as DivergenceError).index).toBe(1);
    expect((error as DivergenceError).message).toMatch(/choice #1: expected a 'b' choice, got a 'c' choice/);
  });

  it("treats an out-of-range value and running past the end as divergence when strict", () => {
    expect(() => new ChoiceSource(new ReplayStrategy(["a"], [3])).choose(2, "a")).toThrow(DivergenceError);
    const strict = new ChoiceSource(new ReplayStrategy([], []));
    expect(() => strict.choose(2, "a")).toThrow(/end of recorded choices/);
    const lenient = new ChoiceSource(new ReplayStrategy([], [], false));
    expect(lenient.choose(2, "a")).toBe(0);
  });
});
