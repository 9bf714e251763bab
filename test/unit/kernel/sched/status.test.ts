// Goal: the status table admits exactly OSv's transitions (§2.3). Method: check every pair.
import { describe, expect, it } from "vitest";
import {
  checkTransition,
  LEGAL_TRANSITIONS,
  THREAD_STATUS_NAMES,
  ThreadStatus,
} from "../../../../src/kernel/sched/index.js";

describe("thread status transitions", () => {
  it("allows exactly the 15 transitions of OSv's table plus those of the load balancer, wake_lock and pin(t, cpu)", () => {
    let allowed = 0;
    for (let from = 0; from < THREAD_STATUS_NAMES.length; from++) {
      for (let to = 0; to < THREAD_STATUS_NAMES.length; to++)
        if (checkTransition(from, to) === null) allowed++;
    }
    expect(allowed).toBe(LEGAL_TRANSITIONS.length);
    expect(allowed).toBe(19);
  });

  it("rejects waking a running thread and reviving a terminated one, with a readable message", () => {
    expect(checkTransition(ThreadStatus.Running, ThreadStatus.Waking)).toBe(
      "illegal thread status transition running -> waking",
    );
    expect(checkTransition(ThreadStatus.Terminated, ThreadStatus.Running)).not.toBeNull();
    expect(checkTransition(ThreadStatus.Queued, ThreadStatus.Running)).toBeNull();
  });
});
