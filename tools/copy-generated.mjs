// Copies generated JavaScript (protobuf static code) next to tsc's output, since tsc compiles only
// TypeScript. Run by `npm run build`.
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";

const from = "src/sim/trace/generated";
const to = "dist/src/sim/trace/generated";
mkdirSync(to, { recursive: true });
for (const file of readdirSync(from))
  if (file.endsWith(".js")) copyFileSync(`${from}/${file}`, `${to}/${file}`);
