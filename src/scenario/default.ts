// The built-in default scenario that `osv-sim run` runs when given no file: small, passing, and
// showing what a run reports. It grows as the hardware and kernel models land.

export const DEFAULT_SCENARIO_NAME = "<built-in default>";

export const DEFAULT_SCENARIO_YAML = `name: default
description: >
  Three threads increment a shared counter with fetch_add while two others take
  Peterson's lock; every shared-memory access is an interleaving point chosen by
  the seeded choice source. Try 'osv-sim fuzz scenarios/bugs/racy-counter.yaml'
  to watch a lost update being found, shrunk and saved as a replayable trace.
seed: 1
workloads:
  - program: counter
    threads: 3
    params: { increments: 4, racy: false, work: 100ns }
  - program: peterson
    threads: 2
    params: { rounds: 3 }
faults:
  - kind: compute-jitter
    probability: 0.25
    max: 50ns
`;
