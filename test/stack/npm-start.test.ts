/**
 * `npm start` end to end, as a user runs it: with no Kafka configured it migrates the embedded
 * database, provisions a real local broker and its topics, brings up the API and the stream worker
 * and prints their URLs; the load generator's events are all counted by the worker; Ctrl-C (SIGINT)
 * stops everything with exit code 0 and leaves no process and no listening port behind. On this first
 * start the reference stock is empty, so the launcher seeds one: a fresh assessment's benchmark answers
 * with statistics right away.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { topicName } from "../../core/events/topics.ts";
import type { StackState } from "../../dev/config.ts";
import { freePort, isPortOpen, waitFor } from "../../dev/net.ts";
import { sampleValue, scrape } from "../support/metrics.ts";
import { repoRoot, startService } from "../support/processes.ts";

const dataDir = mkdtempSync(join(tmpdir(), "gridpulse-stack-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it("starts the whole stack, counts load-generator traffic and stops cleanly on Ctrl-C", async () => {
  const [apiPort, streamPort, kafkaPort, metricsPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const env = {
    GRIDPULSE_DATA_DIR: dataDir,
    STREAM_PORT: String(streamPort),
    API_METRICS_PORT: String(metricsPort),
    KAFKA_LOCAL_PORT: String(kafkaPort),
    KAFKA_BROKERS: "",
    KAFKA_TOPIC_PREFIX: "",
    DATABASE_URL: "",
    GRIDPULSE_SEED_HOMES: "4000",
  };
  const started = performance.now();
  const stack = await startService("dev/start.ts", env, { port: apiPort, readyTimeoutMs: 150_000 });
  await waitFor("the ready banner", async () => stack.output().includes("gridpulse is ready"), {
    timeoutMs: 60_000,
  });
  const readyMs = performance.now() - started;
  console.log(`npm start: both services ready ${Math.round(readyMs)} ms after launch`);

  expect(stack.output()).toContain(`http://127.0.0.1:${apiPort}`);
  expect(stack.output()).toContain(`http://127.0.0.1:${streamPort}/metrics`);
  expect(existsSync(join(dataDir, "gridpulse.db"))).toBe(true);
  const state = JSON.parse(readFileSync(join(dataDir, "local-stack.json"), "utf8")) as StackState;
  expect(state.brokers).toEqual([`127.0.0.1:${kafkaPort}`]);
  expect((await fetch(`${state.apiUrl}/health/ready`)).status).toBe(200);
  expect((await fetch(`${state.streamUrl}/health/ready`)).status).toBe(200);
  expect(stack.output()).toContain("reference stock seeded");

  // Benchmarks answer out of the box: a new tenant's first assessment compares with the seeded stock.
  const tenant = spawnSync(
    process.execPath,
    ["dev/tenant-create.ts", "--name", "Fresh", "--json"],
    {
      cwd: repoRoot,
      env: { ...process.env, GRIDPULSE_DATA_DIR: dataDir, DATABASE_URL: "" },
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  expect(tenant.status, tenant.stderr).toBe(0);
  const { apiKey } = JSON.parse(tenant.stdout.trim()) as { apiKey: string };
  const auth = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
  const created = await fetch(`${state.apiUrl}/v1/assessments`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({
      location: { prefecture: "Thessaloniki" },
      buildingType: "apartment",
      constructionYear: 1978,
      heatedFloorAreaM2: 85,
      storeys: 1,
      systems: { heating: { type: "oil_boiler" } },
    }),
  });
  expect(created.status, await created.clone().text()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const bench = await fetch(`${state.apiUrl}/v1/assessments/${id}/benchmark`, { headers: auth });
  expect(bench.status).toBe(200);
  const benchmark = (await bench.json()) as { statistics: { homes: number } | null };
  expect(benchmark.statistics?.homes).toBeGreaterThanOrEqual(30);

  const brokerPid = Number(readFileSync(join(dataDir, "kafka", "broker.pid"), "utf8"));
  expect(existsSync(`/proc/${brokerPid}`)).toBe(true);

  // The load generator finds the running stack through the data dir.
  const loadgen = spawnSync(
    process.execPath,
    ["dev/loadgen.ts", "--rate", "2000", "--duration", "3", "--seed", "1"],
    {
      cwd: repoRoot,
      env: { ...process.env, GRIDPULSE_DATA_DIR: dataDir, KAFKA_BROKERS: "" },
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  expect(loadgen.status, loadgen.stderr).toBe(0);
  expect(loadgen.stderr).toMatch(/sent [\d,]+ events/);
  const summary = JSON.parse(loadgen.stdout.trim().split("\n").at(-1) as string) as {
    sent: number;
    failed: number;
  };
  expect(summary.failed).toBe(0);
  expect(summary.sent).toBeGreaterThan(4000);

  // The worker counts the generated events plus the API's own telemetry (its health probes): all
  // that the API delivered, nothing it did not record. (A batch the broker wrote but then answered
  // with a non-retriable error under load is counted by the API as dropped_rejected, yet counted
  // by the worker: the bounds hold, equality need not.) Stage 1 commits once per commit interval and
  // the API keeps delivering probe telemetry, so the newest events may always be held uncommitted
  // (gridpulse_stream_events_accumulated): first every delivered event must have reached the worker,
  // then everything delivered up to that moment must be committed.
  const topic = topicName("", "requests");
  let processed = 0;
  let held = 0;
  let apiDelivered = 0;
  let apiRecorded = 0;
  let apiOutcomes = "";
  // The worker first, then the API: what the API recorded is read after what the worker counted.
  const sample = async () => {
    const streamMetrics = await scrape(state.streamUrl);
    processed = sampleValue(streamMetrics, "gridpulse_stream_events_processed_total", { topic });
    held = sampleValue(streamMetrics, "gridpulse_stream_events_accumulated", { topic });
    const apiMetrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    apiDelivered = sampleValue(apiMetrics, "gridpulse_api_telemetry_events_total", {
      outcome: "delivered",
    });
    apiRecorded = sampleValue(apiMetrics, "gridpulse_api_telemetry_recorded_total", {});
    apiOutcomes = apiMetrics
      .split("\n")
      .filter((l) => l.startsWith("gridpulse_api_telemetry_events_total"))
      .join("; ");
  };
  const explain = (error: Error) => {
    throw new Error(
      `${error.message}: processed ${processed} (held uncommitted ${held}), sent ${summary.sent}, api delivered ${apiDelivered} of ${apiRecorded} recorded (${apiOutcomes})`,
    );
  };
  let target = 0;
  await waitFor(
    "the worker to receive every generated event and every API telemetry event",
    async () => {
      await sample();
      target = summary.sent + apiDelivered;
      return apiDelivered > 0 && processed + held >= target;
    },
    { timeoutMs: 30_000 },
  ).catch(explain);
  await waitFor(
    "the worker to commit them",
    async () => {
      await sample();
      return processed >= target;
    },
    { timeoutMs: 30_000 },
  ).catch(explain);
  expect(processed).toBeLessThanOrEqual(summary.sent + apiRecorded);

  const code = await stack.stop("SIGINT");
  expect(code, stack.output().slice(-3000)).toBe(0);
  expect(stack.output()).toContain("gridpulse stopped");
  await waitFor("the broker JVM to exit", async () => !existsSync(`/proc/${brokerPid}`), {
    timeoutMs: 5000,
  });
  // The controller listens next to the client port when that one is free, else elsewhere.
  const { controllerPort } = JSON.parse(
    readFileSync(join(dataDir, "kafka", "ports.json"), "utf8"),
  ) as { controllerPort: number };
  for (const port of [apiPort, streamPort, kafkaPort, controllerPort, metricsPort]) {
    expect(await isPortOpen(port), `port ${port} still open`).toBe(false);
  }
  expect(existsSync(join(dataDir, "local-stack.json"))).toBe(false);
  // The suite's 120 s would cut a slow start short with no output; the start's own 150 s deadline
  // fails first and prints the launcher's log (which step it was on).
}, 300_000);
