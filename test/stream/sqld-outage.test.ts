/**
 * The stream worker against a libSQL server that freezes (SIGSTOP: connections open, nothing
 * answered) and later stops, while events keep coming: the worker stays up, its transactions fail
 * after `DATABASE_TIMEOUT_MS` and are retried, and once the server is back every stored minute and
 * hour equals the exact computation from the events — a transaction that timed out after it had
 * committed is not applied twice (the stage re-reads its stored offsets before the redelivery).
 */
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../../dev/net.ts";
import { type SqldServer, startSqld } from "../../dev/sqld.ts";
import { applyMigrations } from "../../platform/db/migrate.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { produceEvents, testKafka } from "../support/kafka.ts";
import type { ServiceProcess } from "../support/processes.ts";
import { startStreamWorker } from "../support/stream.ts";
import { expectedWindows, storedWindows, syntheticTraffic } from "../support/windows.ts";

const kafka = testKafka();
let worker: ServiceProcess | undefined;
let sqld: SqldServer | undefined;
afterEach(async () => {
  sqld?.resume();
  await worker?.stop("SIGKILL");
  await sqld?.dispose();
});

describe("stream worker on a libSQL server that stalls", () => {
  it("keeps running through a frozen and a stopped server and stores every window exactly once", async () => {
    sqld = await startSqld();
    const migrated = await openDatabase({ url: sqld.url });
    await applyMigrations(migrated.db);
    migrated.close();
    const { prefix, requests, events, expected } = await syntheticTraffic(kafka, {
      count: 12_000,
      startMs: Date.UTC(2026, 10, 22, 10, 58),
      partitions: 2,
      seed: 23,
      allowedLatenessMs: 120_000,
      thresholdsMs: [100, 250, 500, 1000],
    });
    const started = await startStreamWorker(prefix, {
      databaseUrl: sqld.url,
      env: { DATABASE_TIMEOUT_MS: "1000", STREAM_EVAL_INTERVAL_MS: "200" },
    });
    worker = started.worker;
    const server = sqld;
    const timeline: string[] = [];
    const t0 = performance.now();
    const note = (what: string) =>
      timeline.push(`${Math.round(performance.now() - t0)} ms: ${what}`);

    await produceEvents(kafka, requests, events, 0, 0.25);
    for (const [fault, from, to] of [
      ["frozen", 0.25, 0.6],
      ["stopped", 0.6, 1],
    ] as const) {
      note(`server ${fault}`);
      if (fault === "frozen") server.pause();
      else await server.stop();
      await produceEvents(kafka, requests, events, from, to);
      await new Promise((r) => setTimeout(r, 4000));
      // Still up while its database is away.
      expect((await fetch(`${worker.url}/health/live`)).status).toBe(200);
      note("worker alive");
      // The dispatcher's outbox poll fails at the deadline too (it was held until the server came
      // back, readiness saying 200): readiness names it.
      const ready = await fetch(`${worker.url}/health/ready`);
      const checks = (
        (await ready.json()) as {
          error?: { details?: { checks?: Record<string, { status: string }> } };
        }
      ).error?.details?.checks;
      expect(ready.status).toBe(503);
      expect(checks?.dispatch?.status).toBe("down");
      expect(worker.output()).toMatch(/polling the outbox failed/);
      note("readiness 503, dispatch down");
      if (fault === "frozen") server.resume();
      else await server.start();
      note("server back");
      await waitFor(
        `the windows of the events so far after the ${fault} server's return`,
        async () =>
          (await storedWindows(server.url)).total ===
          expectedWindows(
            events.map((p) => p.slice(0, Math.floor(p.length * to))),
            { allowedLatenessMs: 120_000, thresholdsMs: [100, 250, 500, 1000] },
          ).accepted,
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      note(`caught up after the ${fault} server's return`);
      await waitFor(
        `readiness after the ${fault} server's return`,
        async () => (await fetch(`${started.worker.url}/health/ready`)).status === 200,
        { timeoutMs: 10_000, intervalMs: 100 },
      );
      note("ready again");
    }
    const stored = await storedWindows(server.url);
    console.log(`stream worker on sqld:\n  ${timeline.join("\n  ")}`);
    expect(stored.total).toBe(expected.accepted);
    expect(stored.minutes).toEqual(expected.minutes);
    expect(stored.hours).toEqual(expected.hours);
    expect(worker.output()).not.toMatch(/"level":"fatal"/);
  });
});
