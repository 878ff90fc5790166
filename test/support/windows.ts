/**
 * Expected window state computed directly from the events a test produced (independently of the
 * stream code: a plain loop over each partition's events in order), and the stored state read back,
 * in one comparable form.
 */

import type { Kafka } from "kafkajs";
import { requestHours, requestMinutes } from "../../core/db/schema/index.ts";
import type { RequestEventInput } from "../../core/events/request-event.ts";
import { topicName } from "../../core/events/topics.ts";
import { decodeHistogram, newLatencyHistogram } from "../../core/latency/histogram.ts";
import { openDatabase } from "../../platform/db/open.ts";
import { createTopics, uniquePrefix } from "./kafka.ts";

export interface WindowSummary {
  total: number;
  good: number;
  goodWithin: Record<string, number>;
  /** Histogram fingerprint: count and the values at a ladder of percentiles (µs). */
  histogram: string;
}

export type WindowMap = Map<string, WindowSummary>;

const ladder = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100];

/** Histogram fingerprint (see WindowSummary). */
export function fingerprint(h: ReturnType<typeof newLatencyHistogram>): string {
  return `${h.totalCount}|${ladder.map((p) => h.getValueAtPercentile(p)).join(",")}`;
}

const epochMs = (ts: number | string) => (typeof ts === "number" ? ts : Date.parse(ts));

export function expectedWindows(
  partitions: RequestEventInput[][],
  options: { allowedLatenessMs: number; thresholdsMs: number[] },
): { minutes: WindowMap; hours: WindowMap; late: number; accepted: number } {
  const acc = {
    minute: new Map<
      string,
      { total: number; good: number; within: number[]; h: ReturnType<typeof newLatencyHistogram> }
    >(),
    hour: new Map(),
  };
  let late = 0;
  let accepted = 0;
  for (const events of partitions) {
    let maxTs: number | null = null;
    for (const e of events) {
      const ts = epochMs(e.ts);
      if (maxTs !== null && ts < maxTs - options.allowedLatenessMs) {
        late++;
        continue;
      }
      if (maxTs === null || ts > maxTs) maxTs = ts;
      accepted++;
      for (const [kind, step] of [
        ["minute", 60_000],
        ["hour", 3_600_000],
      ] as const) {
        const key = `${e.service}|${e.route}|${ts - (ts % step)}`;
        const map = acc[kind];
        let w = map.get(key);
        if (!w) {
          w = {
            total: 0,
            good: 0,
            within: options.thresholdsMs.map(() => 0),
            h: newLatencyHistogram(),
          };
          map.set(key, w);
        }
        w.total++;
        if (e.status < 500) w.good++;
        options.thresholdsMs.forEach((t, i) => {
          if (e.durationMs <= t) w.within[i]++;
        });
        w.h.recordValue(Math.round(e.durationMs * 1000));
      }
    }
  }
  const toSummary = (
    map: Map<
      string,
      { total: number; good: number; within: number[]; h: ReturnType<typeof newLatencyHistogram> }
    >,
  ) =>
    new Map(
      [...map].map(([k, w]) => [
        k,
        {
          total: w.total,
          good: w.good,
          goodWithin: Object.fromEntries(
            options.thresholdsMs.map((t, i) => [String(t), w.within[i] as number]),
          ),
          histogram: fingerprint(w.h),
        },
      ]),
    );
  return { minutes: toSummary(acc.minute), hours: toSummary(acc.hour), late, accepted };
}

export async function storedWindows(
  databaseUrl: string,
): Promise<{ minutes: WindowMap; hours: WindowMap; total: number }> {
  const { db, close } = await openDatabase({ url: databaseUrl });
  try {
    const read = async (table: typeof requestMinutes) => {
      const rows = await db.select().from(table).all();
      return new Map(
        rows.map((r) => [
          `${r.service}|${r.route}|${r.bucketStartMs}`,
          {
            total: r.total,
            good: r.good,
            goodWithin: r.goodWithin,
            histogram: fingerprint(decodeHistogram(r.histogram)),
          },
        ]),
      );
    };
    const minutes = await read(requestMinutes);
    const hours = await read(requestHours as unknown as typeof requestMinutes);
    const total = [...minutes.values()].reduce((s, w) => s + w.total, 0);
    return { minutes, hours, total };
  } finally {
    close();
  }
}

/** Events with increasing timestamps (1 ms apart from `startMs`), a little disorder and a few late ones. */
export function syntheticEvents(
  count: number,
  options: { startMs: number; partitions: number; seed: number; services?: number },
) {
  let s = options.seed >>> 0;
  const rnd = () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
  const services = Array.from({ length: options.services ?? 4 }, (_, i) => `svc-${i}`);
  const routes = ["/v1/a", "/v1/b/:id", "/v1/c"];
  const byPartition: RequestEventInput[][] = Array.from({ length: options.partitions }, () => []);
  for (let i = 0; i < count; i++) {
    const serviceIndex = Math.floor(rnd() * services.length);
    let ts = options.startMs + i;
    const roll = rnd();
    if (roll < 0.01)
      ts -= Math.floor(rnd() * 60_000); // out of order, within the lateness bound
    else if (roll < 0.0105) ts -= 600_000; // far behind: late
    const event: RequestEventInput = {
      id: `e${i}`,
      ts,
      service: services[serviceIndex] as string,
      route: routes[Math.floor(rnd() * routes.length)] as string,
      method: "GET",
      status: rnd() < 0.02 ? 503 : 200,
      durationMs: Math.round(Math.exp(2 + rnd() * 3) * 1000) / 1000,
    };
    byPartition[serviceIndex % options.partitions]?.push(event);
  }
  return byPartition;
}

/**
 * A topic namespace of its own (`partitions` partitions) and `syntheticEvents` for its requests topic,
 * not produced yet, with the windows they must give and how many there are.
 */
export async function syntheticTraffic(
  kafka: Kafka,
  options: {
    count: number;
    startMs: number;
    partitions: number;
    seed: number;
    services?: number;
    allowedLatenessMs: number;
    thresholdsMs: number[];
  },
) {
  const prefix = uniquePrefix();
  await createTopics(kafka, prefix, options.partitions);
  const events = syntheticEvents(options.count, options);
  return {
    prefix,
    requests: topicName(prefix, "requests"),
    events,
    expected: expectedWindows(events, options),
    produced: events.reduce((n, list) => n + list.length, 0),
  };
}
