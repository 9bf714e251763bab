// Goal: over random programs of timer arm / re-arm / cancel / mask / unmask and IPI sends, the APIC
// timer interrupts exactly when a reference model of the one-shot timer says, and every IPI arrives
// within its latency bounds. Method: fast-check generates the program and the bounds; guest code on
// CPU 0 runs it on a zero-cost machine while CPU 1 idles in sti;hlt and logs arrivals.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sendIpi, stiHlt } from "../../../src/hw/index.js";
import { compute, type Guest, RandomStrategy, Simulation } from "../../../src/sim/index.js";
import { context, zeroCostMachine } from "../../unit/hw/helpers.js";

type ApicStep =
  | { kind: "arm"; countNs: number }
  | { kind: "cancel" }
  | { kind: "mask" }
  | { kind: "unmask" }
  | { kind: "ipi" };

// Op times are even and timer counts odd, so an expiry never coincides with an op (no tie to define).
const stepArb: fc.Arbitrary<{ gapNs: number; step: ApicStep }> = fc.record({
  gapNs: fc.nat({ max: 1500 }).map((n) => 2 * n),
  step: fc.oneof(
    {
      weight: 4,
      arbitrary: fc.nat({ max: 1500 }).map((n) => ({ kind: "arm" as const, countNs: 2 * n + 1 })),
    },
    { weight: 1, arbitrary: fc.constant({ kind: "cancel" as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: "mask" as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: "unmask" as const }) },
    { weight: 2, arbitrary: fc.constant({ kind: "ipi" as const }) },
  ),
});

/** The one-shot timer as the x86 manual describes it: the mask is read when the count hits 0. */
function expectedFires(program: readonly { gapNs: number; step: ApicStep }[]): number[] {
  const fires: number[] = [];
  let nowNs = 0;
  let deadline = -1;
  let masked = false;
  for (const { gapNs, step } of program) {
    nowNs += gapNs;
    if (deadline >= 0 && deadline < nowNs) {
      if (!masked) fires.push(deadline);
      deadline = -1;
    }
    if (step.kind === "arm") deadline = nowNs + step.countNs;
    else if (step.kind === "cancel") deadline = -1;
    else if (step.kind === "mask") masked = true;
    else if (step.kind === "unmask") masked = false;
  }
  if (deadline >= 0 && !masked) fires.push(deadline);
  return fires;
}

describe("APIC against a reference model", () => {
  it("timer interrupts match the model; IPIs arrive within [min, max] of their send", () => {
    fc.assert(
      fc.property(
        fc.array(stepArb, { maxLength: 40 }),
        fc.nat({ max: 5000 }),
        fc.nat({ max: 5000 }),
        fc.nat(),
        (program, minNs, spreadNs, seed) => {
          const sim = new Simulation({ strategy: new RandomStrategy(seed) });
          const machine = zeroCostMachine(sim, {
            cpus: 2,
            apic: { ipiLatencyNsMin: minNs, ipiLatencyNsMax: minNs + spreadNs },
          });
          const [apic0, apic1] = [machine.apics[0]!, machine.apics[1]!];
          const fires: number[] = [];
          const sends: number[] = [];
          const arrivals: { vector: number; atNs: number }[] = [];
          machine.cpus[0]!.setInterruptHandler(0x30, () => {
            fires.push(sim.now);
            apic0.eoi();
            return undefined;
          });
          for (let vector = 0x40; vector < 0x40 + 40; vector++) {
            machine.cpus[1]!.setInterruptHandler(vector, () => {
              arrivals.push({ vector, atNs: sim.now });
              apic1.eoi();
              return undefined;
            });
          }
          apic0.writeLvtTimer(0x30, false);
          machine.cpus[1]!.boot(
            context("idle1", function* (): Guest<void> {
              for (;;) yield stiHlt();
            }),
          );
          machine.cpus[0]!.boot(
            context("program", function* (): Guest<void> {
              for (const { gapNs, step } of program) {
                yield compute(gapNs);
                if (step.kind === "arm") apic0.writeInitialCount(step.countNs);
                else if (step.kind === "cancel") apic0.writeInitialCount(0);
                else if (step.kind === "mask") apic0.writeLvtTimer(0x30, true);
                else if (step.kind === "unmask") apic0.writeLvtTimer(0x30, false);
                else {
                  sends.push(sim.now);
                  yield sendIpi(1, 0x40 + sends.length - 1);
                }
              }
              for (;;) yield stiHlt();
            }),
          );
          expect(sim.run().outcome).toBe("ok");
          expect(fires).toEqual(expectedFires(program));
          expect(apic0.stats.timerInterrupts).toBe(fires.length);
          expect(arrivals.length).toBe(sends.length);
          for (const { vector, atNs } of arrivals) {
            const latencyNs = atNs - sends[vector - 0x40]!;
            expect(latencyNs).toBeGreaterThanOrEqual(minNs);
            expect(latencyNs).toBeLessThanOrEqual(minNs + spreadNs);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("the reference model is not trivially satisfied: a mask at the wrong time changes the answer", () => {
    const armed = [{ gapNs: 0, step: { kind: "arm" as const, countNs: 101 } }];
    expect(expectedFires(armed)).toEqual([101]);
    expect(expectedFires([...armed, { gapNs: 100, step: { kind: "mask" as const } }])).toEqual([]);
    expect(expectedFires([...armed, { gapNs: 102, step: { kind: "mask" as const } }])).toEqual([101]);
  });
});
