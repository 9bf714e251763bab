// Copies generated JavaScript (protobuf static code) next to tsc's output, since tsc compiles only
// TypeScript, and makes the CLI entry point executable (tsc writes a new file without the mode bit,
// so on a fresh checkout `npx osv-sim` would fail with "Permission denied"). Run by `npm run build`.
import { chmodSync, copyFileSync, mkdirSync, readdirSync } from "node:fs";

const from = "src/sim/trace/generated";
const to = "dist/src/sim/trace/generated";
mkdirSync(to, { recursive: true });
for (const file of readdirSync(from))
  if (file.endsWith(".js")) copyFileSync(`${from}/${file}`, `${to}/${file}`);

chmodSync("dist/src/cli/main.js", 0o755);
