// Regenerates schema/scenario.schema.json from the zod schema (run after `npm run build`).
import { writeFileSync } from "node:fs";
import { scenarioJsonSchema } from "../dist/src/scenario/index.js";

writeFileSync("schema/scenario.schema.json", `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
