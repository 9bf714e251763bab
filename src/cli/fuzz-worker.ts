// Worker thread of `osv-sim fuzz --jobs K`: runs every K-th seed of its shard and posts one message
// per run (with the choice values of failing runs), then "done".

import { parentPort, workerData } from "node:worker_threads";
import { parseScenario, runSeed, type Shard, shardSeed } from "../scenario/index.js";

export interface WorkerTask {
  text: string;
  file: string;
  seedBase: number;
  shard: Shard;
  /** Seeds in the shard (Infinity with a time budget). */
  shardRuns: number;
  worker: number;
  workers: number;
  /** Wall-clock deadline (ms since the epoch), or null. */
  deadlineMs: number | null;
}

const task = workerData as WorkerTask;
const scenario = parseScenario(task.text, task.file);
for (let position = task.worker; position < task.shardRuns; position += task.workers) {
  if (task.deadlineMs !== null && Date.now() >= task.deadlineMs) break;
  const { record, choices } = runSeed(scenario, shardSeed(task.seedBase, task.shard, position));
  parentPort!.postMessage({ record, choices });
}
parentPort!.postMessage("done");
