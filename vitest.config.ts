import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      {
        test: {
          name: "property",
          include: ["test/property/**/*.test.ts"],
          setupFiles: ["test/property/setup.ts"],
          testTimeout: 120_000,
        },
      },
      { test: { name: "cli", include: ["test/cli/**/*.test.ts"], testTimeout: 60_000 } },
    ],
  },
});
