/**
 * Crash consistency of the whole topology: events stream into the broker while stage 1 and stage 2 run
 * as separate processes that are killed with SIGKILL at random moments, ten times each, and restarted.
 * Afterwards every stored minute and hour (counts, threshold counts, histograms), the late-event count
 * in the DLQ and the SLO error budgets must equal the exact computation from the events — the result
 * of a run without kills. GRIDPULSE_CRASH_EVENTS sets the number of events (default 1,000,000).
 */

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import type { RequestEventInput } from "../../core/events/request-event.ts";
import { deadLetterTopic, topicName } from "../../core/events/topics.ts";
import { countWindows } from "../../core/latency/window-queries.ts";
import { createRng } from "../../core/random/rng.ts";
import { sloDefinitionSchema } from "../../core/slo/definition.ts";
import { computeSloStatus, sloCountWindows, type WindowCounts } from "../../core/slo/status.ts";
import { waitFor } from "../../dev/net.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { eventProducer } from "../../platform/kafka.ts";
import {
  brokers,
  countMessagesExactly,
  createTopics,
  testKafka,
  uniquePrefix,
} from "../support/kafka.ts";
import { type ServiceProcess, startService } from "../support/processes.ts";
import { expectedWindows, storedWindows, syntheticEvents } from "../support/windows.ts";

const total = Number(process.env.GRIDPULSE_CRASH_EVENTS ?? 1_000_000);
const kills = 10;
const kafka = testKafka();
const processes: ServiceProcess[] = [];
afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop("SIGKILL")));
});

it(`${total.toLocaleString("en")} events, ${kills} SIGKILLs of each stage: exactly the result of a run without kills`, async () => {
  const started = performance.now();
  const prefix = uniquePrefix();
  await createTopics(kafka, prefix, 3);
  const requests = topicName(prefix, "requests");
  const databaseUrl = `file:${join(mkdtempSync(join(tmpdir(), "gridpulse-crash-")), "crash.db")}`;
  const allowedLatenessMs = 120_000;
  const thresholdsMs = [100, 250, 500, 1000];
  const now = Date.UTC(2026, 10, 22, 12, 30);
  const events = syntheticEvents(total, {
    startMs: now - total,
    partitions: 3,
    seed: 2026,
    services: 5,
  });
  const expected = expectedWindows(events, { allowedLatenessMs, thresholdsMs });

  const env = (stages: string) => ({
    KAFKA_BROKERS: brokers().join(","),
    KAFKA_TOPIC_PREFIX: prefix,
    STREAM_CONSUMER_GROUP: `crash-${prefix}`,
    STREAM_STAGES: stages,
    DATABASE_URL: databaseUrl,
    STREAM_SESSION_TIMEOUT_MS: "1500",
    STREAM_MAX_WAIT_MS: "100",
    STREAM_ALLOWED_LATENESS_MS: String(allowedLatenessMs),
    STREAM_LATENCY_THRESHOLDS_MS: thresholdsMs.join(","),
    LOG_LEVEL: "warn",
  });
  const start = async (stages: "aggregate" | "evaluate") => {
    const proc = await startService("stream/main.ts", env(stages), {
      portVar: "STREAM_PORT",
      readyPath: "/health/live",
    });
    processes.push(proc);
    return proc;
  };

  // Produce in the background, in slices, so both stages are busy while they are being killed.
  const producer = eventProducer(kafka);
  await producer.connect();
  const producing = (async () => {
    const slices = 40;
    for (let s = 0; s < slices; s++) {
      // Spread production over the kill phase (about a second a slice).
      if (s > 0) await new Promise((r) => setTimeout(r, 800));
      for (const [partition, list] of events.entries()) {
        const slice = list.slice(
          Math.floor((list.length * s) / slices),
          Math.floor((list.length * (s + 1)) / slices),
        );
        for (let i = 0; i < slice.length; i += 2000) {
          await producer.send({
            topic: requests,
            messages: slice.slice(i, i + 2000).map((e: RequestEventInput) => ({
              partition,
              key: e.service,
              value: JSON.stringify(e),
            })),
          });
        }
      }
    }
  })();

  let aggregate = await start("aggregate");
  let evaluate = await start("evaluate");
  const rng = createRng(7);
  const progressAtKills: number[] = [];
  for (let k = 0; k < kills; k++) {
    await new Promise((r) => setTimeout(r, 300 + rng() * 1500));
    await aggregate.stop("SIGKILL");
    aggregate = await start("aggregate");
    await new Promise((r) => setTimeout(r, 300 + rng() * 1500));
    progressAtKills.push((await storedWindows(databaseUrl)).total);
    await evaluate.stop("SIGKILL");
    evaluate = await start("evaluate");
  }
  // The kills landed while work was in progress, not on idle processes: before stage 2 had stored
  // everything (at least 4 of them: production ends part-way through the kill phase) (a kill before its first commit, on a slow machine, is still mid-work), and a good
  // share of them after it had stored some.
  expect(progressAtKills.filter((n) => n < expected.accepted).length).toBeGreaterThanOrEqual(4);
  expect(
    progressAtKills.filter((n) => n > 0 && n < expected.accepted).length,
  ).toBeGreaterThanOrEqual(3);
  await producing;
  await producer.disconnect();
  const killsDoneS = (performance.now() - started) / 1000;

  let last = 0;
  await waitFor(
    "the window state to hold every accepted event",
    async () => {
      last = (await storedWindows(databaseUrl)).total;
      return last >= expected.accepted;
    },
    { timeoutMs: 300_000, intervalMs: 1000 },
  ).catch((e: Error) => {
    throw new Error(`${e.message}: ${last} of ${expected.accepted}`);
  });
  // Give a duplicate, if any, the chance to show up before comparing.
  await new Promise((r) => setTimeout(r, 2000));
  const stored = await storedWindows(databaseUrl);
  expect(stored.total).toBe(expected.accepted);
  expect(stored.minutes).toEqual(expected.minutes);
  expect(stored.hours).toEqual(expected.hours);
  expect(await countMessagesExactly(kafka, deadLetterTopic(requests), expected.late)).toBe(
    expected.late,
  );

  // Error budgets of an SLO per service, from the stored buckets and from the events directly.
  const { db, close } = await openDatabase({ url: databaseUrl });
  try {
    for (const service of new Set(events.flat().map((e) => e.service))) {
      const slo = sloDefinitionSchema.parse({
        name: service,
        service,
        sli: { kind: "latency", thresholdMs: 250 },
        objective: 0.99,
        window: { kind: "rolling", days: 30 },
      });
      const windows = sloCountWindows(slo, now);
      const fromStore = computeSloStatus(
        slo,
        now,
        await countWindows(db, { service, routes: [], thresholdMs: 250 }, windows),
      );
      const exact = new Map<string, WindowCounts>();
      for (const w of windows) {
        let t = 0;
        let g = 0;
        for (const [key, win] of w.granularity === "minute" ? expected.minutes : expected.hours) {
          const [svc, , startMs] = key.split("|");
          if (svc === service && Number(startMs) >= w.fromMs && Number(startMs) < w.toMs) {
            t += win.total;
            g += win.goodWithin["250"] as number;
          }
        }
        exact.set(w.key, { total: t, good: g });
      }
      expect(fromStore.budget).toEqual(computeSloStatus(slo, now, exact).budget);
    }
  } finally {
    close();
  }
  console.log(
    `crash consistency: ${total} events, ${kills} kills per stage, ${expected.late} late; stored at stage-2 kills: ${progressAtKills.join(", ")}; kill phase ${killsDoneS.toFixed(1)} s, total ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}, 900_000);
