/**
 * Vitest global setup of the integration suites: one real Apache Kafka broker per test run (the JVM
 * takes seconds to start, so never one per test). With KAFKA_BROKERS set, that cluster is used instead.
 * Tests isolate themselves with unique topic prefixes and consumer groups.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { createLogger } from "../../core/observability/logger.ts";
import { startKafkaBroker } from "../../dev/kafka/broker.ts";
import { logProcessWarnings } from "../../platform/lifecycle.ts";

declare module "vitest" {
  export interface ProvidedContext {
    kafkaBrokers: string[];
  }
}

export default async function setup(project: TestProject) {
  logProcessWarnings(createLogger({ service: "test-kafka", level: "warn" }));
  const external = process.env.KAFKA_BROKERS?.split(",").filter(Boolean);
  if (external?.length) {
    project.provide("kafkaBrokers", external);
    return;
  }
  const dataDir = mkdtempSync(join(tmpdir(), "gridpulse-test-kafka-"));
  const started = performance.now();
  const broker = await startKafkaBroker({
    dataDir,
    heapMb: 1024,
    logger: createLogger({ service: "test-kafka", level: "warn" }),
  });
  const t = broker.timings;
  console.log(
    `kafka broker for tests at ${broker.brokers.join(",")} ready in ${Math.round(performance.now() - started)} ms ` +
      `(classpath ${Math.round(t.classpathMs)} ms from ${t.classpathSource}, format ${Math.round(t.formatMs)} ms, start ${Math.round(t.startMs)} ms)`,
  );
  project.provide("kafkaBrokers", broker.brokers);
  return async () => {
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
