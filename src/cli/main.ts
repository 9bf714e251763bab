#!/usr/bin/env node
// Entry point of the `osv-sim` binary.

import { processIo } from "./io.js";
import { runCli } from "./program.js";

// A reader that stops early (`osv-sim trace dump … | head`) closes the pipe: end quietly, as Unix tools do.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2), processIo);
