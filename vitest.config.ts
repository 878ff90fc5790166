import { defineConfig } from "vitest/config";

// Two projects: fast unit tests beside the code, and integration suites in test/ that start real
// components (one Kafka broker per run through the global setup, sqld and child processes per file).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["{core,platform,api,stream,dev}/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/setup/kafka-broker.ts"],
          setupFiles: ["test/setup/process-warnings.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          maxWorkers: 2,
        },
      },
    ],
  },
});
