// `osv-sim validate SCENARIO...` checks scenario files without running them; `osv-sim schema`
// prints the JSON Schema editors use.

import { Command } from "@commander-js/extra-typings";
import { loadScenarioFile, ScenarioError, scenarioJsonSchema } from "../scenario/index.js";
import { type CliIo, ExitCode } from "./io.js";

export function validateCommand(io: CliIo) {
  return new Command("validate")
    .description("check scenario files (all problems, one line each as file:line:col)")
    .argument("<scenarios...>", "scenario YAML files")
    .action((files) => {
      let bad = 0;
      for (const file of files) {
        try {
          const { scenario } = loadScenarioFile(file);
          io.out(`${file}: ok (${scenario.name}: ${scenario.workloads.length} workload(s))\n`);
        } catch (error) {
          if (!(error instanceof ScenarioError)) throw error;
          io.err(`${error.message}\n`);
          bad++;
        }
      }
      process.exitCode = bad === 0 ? ExitCode.Ok : ExitCode.BadInput;
    });
}

export function schemaCommand(io: CliIo) {
  return new Command("schema").description("print the scenario JSON Schema").action(() => {
    io.out(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
  });
}
