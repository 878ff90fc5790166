/**
 * `npm run bench:broker`: how long the local Kafka broker takes to come up — classpath resolution
 * (a Maven fetch on the first run, the cache afterwards), storage format, JVM start until metadata and
 * the group coordinator answer — and to stop. Runs `--runs N` starts on fresh data dirs and one restart
 * on existing data. For a cold first run: MAVEN_OPTS=-Dmaven.repo.local=/tmp/m2-cold XDG_CACHE_HOME=/tmp/c
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createLogger } from "../../core/observability/logger.ts";
import { logProcessWarnings } from "../../platform/lifecycle.ts";
import { startKafkaBroker } from "../kafka/broker.ts";

logProcessWarnings(createLogger({ service: "bench", level: "warn" }));
const { values } = parseArgs({ options: { runs: { type: "string", default: "3" } } });
const runs = Math.max(1, Number(values.runs) || 3);

const rows: Record<string, string | number>[] = [];
const ms = (x: number) => Math.round(x);
let lastDir = "";
for (let i = 0; i < runs; i++) {
  const dataDir = mkdtempSync(join(tmpdir(), "gridpulse-bench-broker-"));
  const started = performance.now();
  const broker = await startKafkaBroker({ dataDir });
  const readyMs = performance.now() - started;
  const stopStarted = performance.now();
  await broker.stop();
  const t = broker.timings;
  rows.push({
    run: `fresh ${i + 1}`,
    classpath: `${ms(t.classpathMs)} ms (${t.classpathSource})`,
    formatMs: ms(t.formatMs),
    jvmToReadyMs: ms(t.startMs),
    totalReadyMs: ms(readyMs),
    stopMs: ms(performance.now() - stopStarted),
  });
  if (lastDir) rmSync(lastDir, { recursive: true, force: true });
  lastDir = dataDir;
}
const started = performance.now();
const broker = await startKafkaBroker({ dataDir: lastDir });
const readyMs = performance.now() - started;
const stopStarted = performance.now();
await broker.stop();
rows.push({
  run: "restart (existing data)",
  classpath: `${ms(broker.timings.classpathMs)} ms (${broker.timings.classpathSource})`,
  formatMs: ms(broker.timings.formatMs),
  jvmToReadyMs: ms(broker.timings.startMs),
  totalReadyMs: ms(readyMs),
  stopMs: ms(performance.now() - stopStarted),
});
rmSync(lastDir, { recursive: true, force: true });
console.table(rows);
