// Goal: whatever the interrupt arrival times, the vCPU takes interrupts only while IF=1, never nests
// a vector under one of equal or higher class, and conserves the thread's CPU time: the thread ends at
// exactly its own compute plus, per interrupt taken, entry + handler work + exit. Method: fast-check
// generates a thread of compute segments (some under cli), handlers per priority class (some re-enable
// interrupts), and raise times; guest code tracks IF in a shadow variable and asserts on entry.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cli, sti, stiHlt } from "../../../src/hw/index.js";
import { compute, type Guest, Simulation } from "../../../src/sim/index.js";
import { context, zeroCostMachine } from "../../unit/hw/helpers.js";

const VECTORS = [0x35, 0x45, 0x55, 0x65] as const;

const scenario = fc.record({
  segments: fc.array(fc.record({ computeNs: fc.integer({ min: 1, max: 3000 }), underCli: fc.boolean() }), {
    minLength: 1,
    maxLength: 15,
  }),
  handlers: fc.tuple(
    ...VECTORS.map(() => fc.record({ workNs: fc.nat({ max: 500 }), reenable: fc.boolean() })),
  ),
  raises: fc.array(
    fc.record({ at: fc.double({ min: 0, max: 0.999, noNaN: true }), which: fc.nat({ max: 3 }) }),
    {
      maxLength: 25,
    },
  ),
  entryNs: fc.nat({ max: 200 }),
  exitNs: fc.nat({ max: 200 }),
});

describe("vCPU interrupts under random arrival times", () => {
  it("IF and priority respected, thread time conserved", () => {
    fc.assert(
      fc.property(scenario, ({ segments, handlers, raises, entryNs, exitNs }) => {
        const sim = new Simulation();
        const machine = zeroCostMachine(sim, {
          cost: { interruptEntryNs: entryNs, interruptExitNs: exitNs },
        });
        const cpu = machine.cpus[0]!;
        // Guest-maintained IF shadow, and the classes currently in service (innermost last).
        let shadowIf = true;
        const inService: number[] = [];
        let threadEndNs = -1;
        VECTORS.forEach((vector, i) => {
          const { workNs, reenable } = handlers[i]!;
          cpu.setInterruptHandler(vector, function* (): Guest<void> {
            expect(shadowIf).toBe(true); // the interrupted code had IF=1
            expect(inService.every((outer) => outer >> 4 < vector >> 4)).toBe(true);
            const saved = shadowIf;
            shadowIf = false;
            inService.push(vector);
            if (reenable) {
              shadowIf = true;
              yield sti();
            }
            yield compute(workNs);
            yield cli();
            shadowIf = false;
            inService.pop();
            machine.apics[0]!.eoi();
            shadowIf = saved;
          });
        });
        const totalComputeNs = segments.reduce((sum, s) => sum + s.computeNs, 0);
        cpu.boot(
          context("thread", function* (): Guest<void> {
            for (const { computeNs, underCli } of segments) {
              if (underCli) {
                yield cli();
                shadowIf = false;
              }
              yield compute(computeNs);
              if (underCli) {
                shadowIf = true;
                yield sti();
              }
            }
            threadEndNs = sim.now;
            for (;;) yield stiHlt();
          }),
        );
        const kind = sim.kinds.allocate("test_raise");
        for (const { at, which } of raises) {
          const vector = VECTORS[which]!;
          sim.at(Math.floor(at * totalComputeNs), {
            kind,
            id: 0,
            fire: () => machine.interrupts.raise(0, vector),
          });
        }
        expect(sim.run().outcome).toBe("ok");
        const taken = VECTORS.map((v) => cpu.stats.interruptsTaken[v]!);
        expect(taken.reduce((a, b) => a + b, 0) + cpu.stats.coalescedRaises).toBe(raises.length);
        const interruptNs = VECTORS.reduce(
          (sum, _v, i) => sum + taken[i]! * (entryNs + handlers[i]!.workNs + exitNs),
          0,
        );
        expect(threadEndNs).toBe(totalComputeNs + interruptNs);
      }),
      { numRuns: 400 },
    );
  });
});
