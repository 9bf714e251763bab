// Goal: the local APIC timer fires once at its deadline, re-programming replaces it, 0 and the mask
// stop it, and IPIs arrive after a latency the choice source picks within bounds. Method: guest code
// on a zero-cost machine programs the APIC and handlers log when they run.
import { describe, expect, it } from "vitest";
import { MAX_TIMER_COUNT_NS, sendIpi, sti, stiHlt } from "../../../src/hw/index.js";
import { compute, type Guest, SequenceStrategy, Simulation } from "../../../src/sim/index.js";
import { context, zeroCostMachine } from "./helpers.js";

const TIMER_VECTOR = 0x30;

/** One CPU whose thread runs `program` then idles; answers the timer interrupt times. */
function runTimer(program: (apic: ReturnType<typeof zeroCostMachine>["apics"][0]) => Guest<void>) {
  const sim = new Simulation();
  const machine = zeroCostMachine(sim);
  const apic = machine.apics[0]!;
  const fires: number[] = [];
  machine.cpus[0]!.setInterruptHandler(TIMER_VECTOR, () => {
    fires.push(sim.now);
    apic.eoi();
    return undefined;
  });
  apic.writeLvtTimer(TIMER_VECTOR, false);
  machine.cpus[0]!.boot(
    context("thread", function* (): Guest<void> {
      yield* program(apic);
      for (;;) yield stiHlt();
    }),
  );
  const result = sim.run();
  return { result, fires, stats: apic.stats };
}

describe("APIC timer", () => {
  it("fires exactly once at the programmed deadline", () => {
    const { result, fires, stats } = runTimer(function* (apic) {
      yield compute(100);
      apic.writeInitialCount(1000);
      expect(apic.currentCountNs).toBe(1000);
      yield compute(400);
      expect(apic.currentCountNs).toBe(600);
    });
    expect(result.outcome).toBe("ok");
    expect(fires).toEqual([1100]);
    expect(stats.timerInterrupts).toBe(1);
  });

  it("re-programming replaces the armed expiry; the old event is stale", () => {
    const { fires, stats } = runTimer(function* (apic) {
      apic.writeInitialCount(1000);
      yield compute(500);
      apic.writeInitialCount(1000);
      yield compute(200);
      apic.writeInitialCount(100);
    });
    expect(fires).toEqual([800]);
    // The engine drops the two replaced expiries unseen (TimedHandler.isLive), so none reach the APIC.
    expect(stats.staleTimerEvents).toBe(0);
  });

  it("writing 0 cancels; a masked timer expires without an interrupt", () => {
    const { fires, stats } = runTimer(function* (apic) {
      apic.writeInitialCount(1000);
      yield compute(10);
      apic.writeInitialCount(0);
      expect(apic.currentCountNs).toBe(0);
      apic.writeLvtTimer(TIMER_VECTOR, true);
      apic.writeInitialCount(50);
      yield compute(100);
      // Unmasking before the expiry lets it through: the mask is read when the count reaches 0.
      apic.writeInitialCount(50);
      yield compute(10);
      apic.writeLvtTimer(TIMER_VECTOR, false);
    });
    expect(fires).toEqual([160]);
    expect(stats.maskedExpiries).toBe(1);
    expect(stats.timerInterrupts).toBe(1);
  });

  it("refuses counts the 32-bit register cannot hold", () => {
    const sim = new Simulation();
    const apic = zeroCostMachine(sim).apics[0]!;
    expect(() => apic.writeInitialCount(MAX_TIMER_COUNT_NS + 1)).toThrow(RangeError);
    expect(() => apic.writeInitialCount(-1)).toThrow(RangeError);
    expect(() => apic.writeLvtTimer(0x10, false)).toThrow(RangeError);
  });

  it("charges the register write to the guest code that makes it", () => {
    const sim = new Simulation();
    const machine = zeroCostMachine(sim, { cost: { apicTimerWriteNs: 300 } });
    let after = -1;
    machine.cpus[0]!.boot(
      context("thread", function* (): Guest<void> {
        machine.apics[0]!.writeInitialCount(0);
        yield compute(0);
        after = sim.now;
      }),
    );
    sim.run();
    expect(after).toBe(300);
  });
});

describe("IPIs", () => {
  function pingOnce(latencyChoice: number) {
    const sim = new Simulation({ strategy: new SequenceStrategy([latencyChoice]) });
    const machine = zeroCostMachine(sim, { cpus: 2, apic: { ipiLatencyNsMin: 800, ipiLatencyNsMax: 1200 } });
    let arrived = -1;
    machine.cpus[1]!.setInterruptHandler(0x50, () => {
      arrived = sim.now;
      machine.apics[1]!.eoi();
      return undefined;
    });
    machine.cpus[1]!.boot(
      context("idle1", function* (): Guest<void> {
        for (;;) yield stiHlt();
      }),
    );
    machine.cpus[0]!.boot(
      context("sender", function* (): Guest<void> {
        yield compute(100);
        yield sendIpi(1, 0x50);
      }),
    );
    const result = sim.run();
    return { result, arrived, machine };
  }

  it("arrive after the latency the choice source picks: 0 is the minimum", () => {
    expect(pingOnce(0).arrived).toBe(900);
    expect(pingOnce(400).arrived).toBe(1300);
    expect(pingOnce(150).arrived).toBe(1050);
    const { result, machine } = pingOnce(0);
    expect(result.outcome).toBe("ok");
    expect(machine.apics[0]!.stats.ipisSent).toBe(1);
    expect(machine.cpus[1]!.stats.interruptsTaken[0x50]).toBe(1);
  });

  it("a sent IPI is an event in the stream, and sending costs the sender", () => {
    const sim = new Simulation();
    const machine = zeroCostMachine(sim, { cpus: 2, cost: { ipiSendNs: 250 } });
    const kinds: string[] = [];
    let after = -1;
    machine.cpus[1]!.setInterruptHandler(0x50, () => undefined);
    machine.cpus[0]!.boot(
      context("sender", function* (): Guest<void> {
        yield sti();
        yield sendIpi(1, 0x50);
        yield compute(0);
        after = sim.now;
      }),
    );
    sim.run();
    for (const line of sim.formatRecent()) kinds.push(line.split(" ")[2]!);
    expect(kinds).toContain("send_ipi");
    expect(kinds).toContain("ipi");
    expect(after).toBe(250);
  });
});
