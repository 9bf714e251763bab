// Property tests take their fast-check seed from FC_SEED (to reproduce a CI failure) or draw a fresh
// one, and print it either way so every run can be repeated.

import fc from "fast-check";

const fromEnv = process.env["FC_SEED"];
const seed = fromEnv !== undefined && fromEnv !== "" ? Number(fromEnv) : (Math.random() * 0x7fffffff) | 0;
if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer, got '${fromEnv}'`);
fc.configureGlobal({ seed });
console.log(`fast-check seed ${seed} (rerun with FC_SEED=${seed})`);
