// Goal: with pin, pin(t, cpu), unpin(t), migrate_disable, detach and real-time threads in the mix, the
// scheduler's invariants hold under fast-check-chosen interleavings on 2-4 CPUs: legal status
// transitions, a running thread never queued, a woken thread on exactly one runqueue, a thread (and
// a pinned one) switched in only on its home (pinned) CPU, timers firing where their thread lives, no
// freed thread touched — all asserted inside the model — and no lost wakeup (every hop, detached
// child, ping-pong hand-off and real-time round completes). Method: SequenceStrategy runs of a mixed
// scenario with interrupt injection (2100 schedules in all); the mutants are in thread-api-mutants.
// Each victim is pinned by one thread and woken by nobody else: a concurrent remote wake can race
// pin(t, cpu) in OSv itself (scenarios/bugs/pin-wake-double-queue.yaml).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { choiceSequences, loadScenario, runWithChoices } from "../../../src/index.js";

function mixText(cpus: number, variants: string[] = []): string {
  const last = cpus - 1;
  return `name: sched-api-mix
machine: { cpus: ${cpus} }
kernel: { variants: [${variants.join(", ")}] }
faults: [{ kind: interrupt-injection, probability: 0.05 }]
workloads:
  - program: pin-hop
    threads: 2
    pin: [0, 1]
    params: { hops: 2, work: 2us, alarm: 6us, victim: own, victim_work: 3us, victim_sleep: 3us }
  - program: thread-churn
    threads: 1
    pin: [${last}]
    params: { iterations: 2, work: 2us, child_cpu: 0, detach: true, detach_delay: 2us }
  - { program: ping-pong, threads: 2, pin: [0, ${last}], params: { rounds: 3 } }
  - program: rt-worker
    threads: 1
    pin: [${last}]
    params: { realtime: 1, rounds: 2, work: 2us, chunk: 1us, sleep: 2us }
`;
}

function holds(result: ReturnType<typeof runWithChoices>): void {
  expect(result.failure).toBeNull();
  expect(result.outcome).toBe("ok");
  expect(result.checks.map((c) => c.status)).toEqual(result.checks.map(() => "pass"));
}

/**
 * Hoppers that pin their own victims while an unpinner on the last CPU unpins them all: unpin(t)'s
 * helper chases a t its hopper moves. (One pinner per victim: several race in OSv itself, see
 * scenarios/bugs/pin-unpin-race.yaml.)
 */
function unpinText(cpus: number): string {
  return `name: sched-unpin-mix
machine: { cpus: ${cpus} }
faults: [{ kind: interrupt-injection, probability: 0.05 }]
workloads:
  - program: pin-hop
    threads: 2
    pin: [0, 1]
    params: { hops: 3, work: 2us, alarm: 0, victim: own, victim_work: 3us, victim_sleep: 3us, unpinner: true }
`;
}

describe("thread API under chosen interleavings", () => {
  for (const cpus of [2, 3]) {
    it(`on ${cpus} CPUs: pin(t) by hoppers and unpin(t) from another CPU end with every victim unpinned`, () => {
      const scenario = loadScenario("sched-unpin-mix.yaml", unpinText(cpus));
      fc.assert(
        fc.property(choiceSequences({ maxLength: 400 }), (values) => holds(runWithChoices(scenario, values))),
        { numRuns: 300 },
      );
    });
  }
  for (const cpus of [2, 3, 4]) {
    it(`on ${cpus} CPUs: pin, pin(t), detach and real-time threads keep every invariant`, () => {
      const scenario = loadScenario("sched-api-mix.yaml", mixText(cpus));
      fc.assert(
        fc.property(choiceSequences({ maxLength: 400 }), (values) => holds(runWithChoices(scenario, values))),
        { numRuns: 700 },
      );
    });
  }
});
