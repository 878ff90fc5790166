/**
 * Stage 1's pure batch step. Decodes the messages of one fetched batch of one partition, in offset
 * order; dead-letters invalid ones, events dated more than `maxFutureSkewMs` ahead of the worker's
 * clock (`future_timestamp`) and events older than the partition's watermark (the highest event time
 * seen so far minus the allowed lateness); and folds the rest into per (service, route, minute)
 * partials: exact total, good (status < 500) and good-within-threshold counts plus an HDR histogram.
 * The only state carried between batches is the watermark's maximum, which never passes the worker's
 * clock: one event dated ahead cannot make the current events after it late. Lateness
 * decisions depend only on the partition's messages and that number; the future bound also depends on
 * the clock, and a batch's decisions are committed once with its offsets, so a replay of a batch that
 * never committed may decide again, but nothing is counted twice.
 */
import type { KafkaMessage } from "kafkajs";
import {
  aggregateBucketMs,
  bucketStart,
  type PartialAggregate,
} from "../../core/events/aggregate.ts";
import { decodeParsedRequestEvent } from "../../core/events/request-event.fast.ts";
import {
  newScannedRequestEvent,
  scannedTraceparent,
  scannedTraceparentSampled,
  scanRequestEvent,
} from "../../core/events/request-event.scan.ts";
import { encodeHistogram, newLatencyHistogram, toMicros } from "../../core/latency/histogram.ts";
import {
  normalTracestate,
  spanContextFrom,
  traceparentOf,
  traceparentSampled,
} from "../../core/observability/trace-context.ts";
import { type DeadLetter, deadLetterOf } from "../dlq/dead-letter.sink.ts";
import { headerText } from "../kafka/headers.ts";

export interface AggregateSettings {
  allowedLatenessMs: number;
  /** How far ahead of the worker's clock an event's `ts` may be. */
  maxFutureSkewMs: number;
  /**
   * Most partials one call produces: the step stops before the first message that would need one
   * more (`consumed` says where), so a batch touching many series is handled in bounded slices.
   */
  maxPartials?: number;
  /** Latency thresholds (ms) counted exactly for latency SLIs. */
  thresholdsMs: readonly number[];
}

export interface AggregateResult {
  /** Messages handled, from the start of the batch (all of them unless `maxPartials` stopped it). */
  consumed: number;
  partials: PartialAggregate[];
  deadLetters: DeadLetter[];
  /** Highest event time seen, including this batch, at most the clock (null: none yet). */
  maxTsMs: number | null;
  processed: number;
  late: number;
  /**
   * W3C traceparents of sampled events, for tracing (at most 64): only ones that parse, as version 00
   * (see core/observability/trace-context.ts).
   */
  traceparents: string[];
  /** The tracestate that came with some of them (by traceparent; valid, as passed on). */
  tracestates: ReadonlyMap<string, string>;
  /** Per partial (same index), the traceparents among them of its events (at most 4 each). */
  partialTraceparents: string[][];
}

export interface Accumulator {
  service: string;
  route: string;
  bucketStartMs: number;
  total: number;
  good: number;
  within: number[];
  /** Durations in µs; turned into a histogram only when the partial is encoded. */
  durationsUs: number[];
  traceparents: string[];
}

/**
 * The watermark's maximum as the clock allows it: never past `nowMs`. An event dated ahead (within the
 * skew) is counted in its own minute but moves the watermark only up to the clock, so current events
 * stay on time; a stored maximum from a run that accepted future events is brought back on restore.
 */
export function boundedMaxTs(maxTs: number | null, nowMs: number): number | null {
  return maxTs === null ? null : Math.min(maxTs, nowMs);
}

/** The event being read (one per process: the batch step is synchronous). */
const scratch = newScannedRequestEvent();

/**
 * Aggregates being accumulated for one partition: over one batch (`aggregateBatch`) or over several
 * fetched batches in offset order (stage 1's commit interval, `aggregateInto` then
 * `aggregationPartials`). Folding batches one after another into one aggregation yields the same
 * decisions and the merged partials of folding them separately.
 */
export interface Aggregation {
  /** The thresholds the `within` counts are kept for (ascending, unique). */
  readonly thresholds: readonly number[];
  /** Per service, per route: the accumulators by minute (interned strings: no new hashing). */
  readonly byService: Map<string, Map<string, Accumulator[]>>;
  /** The accumulators in the order their series first appeared. */
  readonly ordered: Accumulator[];
  readonly deadLetters: DeadLetter[];
  readonly traceparents: string[];
  /** The tracestate of some of them, by traceparent. */
  readonly tracestates: Map<string, string>;
  maxTsMs: number | null;
  processed: number;
  late: number;
  /** Bytes of the message values folded in (dead-lettered ones too). */
  bytes: number;
}

/** Thresholds as an aggregation keeps them: ascending, unique. */
const normalThresholds = (thresholdsMs: readonly number[]) =>
  [...new Set(thresholdsMs)].sort((a, b) => a - b);

export function newAggregation(
  thresholdsMs: readonly number[],
  maxTsBefore: number | null,
  nowMs: number,
): Aggregation {
  return {
    thresholds: normalThresholds(thresholdsMs),
    byService: new Map(),
    ordered: [],
    deadLetters: [],
    traceparents: [],
    tracestates: new Map(),
    maxTsMs: boundedMaxTs(maxTsBefore, nowMs),
    processed: 0,
    late: 0,
    bytes: 0,
  };
}

/** Whether `thresholdsMs` are the thresholds `agg` counts (as a set). */
export function sameThresholds(agg: Aggregation, thresholdsMs: readonly number[]): boolean {
  const wanted = normalThresholds(thresholdsMs);
  return wanted.length === agg.thresholds.length && wanted.every((t, i) => t === agg.thresholds[i]);
}

/**
 * Folds `messages` (the next ones of the partition, in offset order) into `agg`. Stops before the
 * first message that would need more than `maxNewPartials` series new to this call; returns how many
 * messages it handled. `settings.thresholdsMs` is not read: the aggregation's own thresholds count.
 */
export function aggregateInto(
  agg: Aggregation,
  partition: number,
  messages: readonly KafkaMessage[],
  settings: AggregateSettings,
  nowMs: number,
  maxNewPartials = Number.POSITIVE_INFINITY,
): number {
  const thresholds = agg.thresholds;
  const byService = agg.byService;
  const ordered = agg.ordered;
  const deadLetters = agg.deadLetters;
  const traceparents = agg.traceparents;
  const maxPartials = ordered.length + maxNewPartials;
  let maxTs = boundedMaxTs(agg.maxTsMs, nowMs);
  const latestAllowed = nowMs + settings.maxFutureSkewMs;
  const event = scratch;
  let processed = 0;
  let late = 0;
  let consumed = 0;
  let size = 0;
  for (const message of messages) {
    consumed += 1;
    const bytes = message.value;
    if (bytes !== null) size += bytes.length;
    // The traceparent of an event the byte reader did not decide (the full decoder's value).
    let parsedTraceparent: string | undefined;
    const scanned = bytes !== null && scanRequestEvent(bytes, event);
    if (!scanned) {
      // Not decided by the byte reader: the full decoder (JSON.parse, then zod for the error text).
      const decoded = decodeParsedRequestEvent(bytes);
      if (!decoded.ok) {
        deadLetters.push(deadLetterOf(partition, message, decoded.reason, decoded.message));
        continue;
      }
      const v = decoded.value;
      event.tsMs = v.ts;
      event.service = v.service;
      event.route = v.route;
      event.status = v.status;
      event.durationMs = v.durationMs;
      event.traceparentStart = -1;
      parsedTraceparent = v.traceparent;
    }
    const ts = event.tsMs;
    if (ts > latestAllowed) {
      deadLetters.push(
        deadLetterOf(
          partition,
          message,
          "future_timestamp",
          `ts: ${new Date(ts).toISOString()} is ${ts - nowMs} ms ahead of the worker's clock (at most ${settings.maxFutureSkewMs} ms allowed)`,
        ),
      );
      continue;
    }
    if (maxTs !== null && ts < maxTs - settings.allowedLatenessMs) {
      late += 1;
      const behind = maxTs - ts;
      deadLetters.push(
        deadLetterOf(
          partition,
          message,
          "late_event",
          `event time is ${behind} ms behind the partition's latest (allowed lateness ${settings.allowedLatenessMs} ms)`,
        ),
      );
      continue;
    }
    const startMs = bucketStart(ts);
    let routes = byService.get(event.service);
    if (routes === undefined) {
      routes = new Map();
      byService.set(event.service, routes);
    }
    let minutes = routes.get(event.route);
    if (minutes === undefined) {
      minutes = [];
      routes.set(event.route, minutes);
    }
    let acc: Accumulator | undefined;
    for (const m of minutes) {
      if (m.bucketStartMs === startMs) {
        acc = m;
        break;
      }
    }
    if (!acc && ordered.length >= maxPartials) {
      // Full: this message starts the next slice (nothing about it has been decided here).
      consumed -= 1;
      if (bytes !== null) size -= bytes.length;
      break;
    }
    const advance = Math.min(ts, nowMs);
    if (maxTs === null || advance > maxTs) maxTs = advance;
    if (!acc) {
      acc = {
        service: event.service,
        route: event.route,
        bucketStartMs: startMs,
        total: 0,
        good: 0,
        within: thresholds.map(() => 0),
        durationsUs: [],
        traceparents: [],
      };
      minutes.push(acc);
      ordered.push(acc);
    }
    acc.total += 1;
    if (event.status < 500) acc.good += 1;
    const durationMs = event.durationMs;
    for (let i = 0; i < thresholds.length; i++)
      if (durationMs <= (thresholds[i] as number)) acc.within[i] = (acc.within[i] as number) + 1;
    acc.durationsUs.push(toMicros(durationMs));
    processed += 1;
    // Continue the producer's trace, if sampled (bit 0 of the flags): the event's own traceparent,
    // or a W3C `traceparent` header on the message. A string is made of it only when it may be kept,
    // and it is kept only when it parses (W3C Trace Context §3.2), as version 00.
    if (traceparents.length < 64) {
      let given: string | undefined;
      let fromHeader = false;
      if (scanned && event.traceparentStart >= 0) {
        if (scannedTraceparentSampled(bytes, event)) given = scannedTraceparent(bytes, event);
      } else {
        given = parsedTraceparent;
        if (given === undefined) {
          given = headerText(message.headers?.traceparent);
          fromHeader = true;
        }
        // The flags digit first: an unsampled one is not parsed at all.
        if (given !== undefined && !traceparentSampled(given)) given = undefined;
      }
      const remote = given === undefined ? undefined : spanContextFrom(given);
      if (remote !== undefined && remote.traceFlags & 1) {
        const traceparent = traceparentOf(remote);
        traceparents.push(traceparent);
        if (acc.traceparents.length < 4) acc.traceparents.push(traceparent);
        const tracestate = tracestateFor(message, given as string, fromHeader);
        if (tracestate !== undefined && !agg.tracestates.has(traceparent))
          agg.tracestates.set(traceparent, tracestate);
      }
    }
  }

  agg.maxTsMs = maxTs;
  agg.bytes += size;
  agg.processed += processed;
  agg.late += late;
  return consumed;
}

/**
 * The partials of an aggregation (one per series, in the order they first appeared), each with the
 * traceparents among its events (same index). `closed` is decided by the aggregation's watermark.
 */
export function aggregationPartials(
  agg: Aggregation,
  allowedLatenessMs: number,
  from = 0,
  to = agg.ordered.length,
): { partials: PartialAggregate[]; partialTraceparents: string[][] } {
  const maxTs = agg.maxTsMs;
  const thresholds = agg.thresholds;
  const watermark = maxTs === null ? null : maxTs - allowedLatenessMs;
  const partials: PartialAggregate[] = [];
  const partialTraceparents: string[][] = [];
  // One scratch histogram, reset per partial: a batch touching 10,000 series does not hold 10,000
  // histograms (tens of KB each) at once.
  const histogram = newLatencyHistogram();
  for (const acc of agg.ordered.slice(from, to)) {
    histogram.reset();
    for (const us of acc.durationsUs) histogram.recordValue(us);
    const goodWithin = thresholds.map((t, i) => [t, acc.within[i] as number] as [number, number]);
    partials.push({
      v: 1,
      service: acc.service,
      route: acc.route,
      bucketStartMs: acc.bucketStartMs,
      total: acc.total,
      good: acc.good,
      goodWithin,
      histogram: encodeHistogram(histogram),
      closed: watermark !== null && acc.bucketStartMs + aggregateBucketMs <= watermark,
    });
    partialTraceparents.push(acc.traceparents);
  }
  return { partials, partialTraceparents };
}

export function aggregateBatch(
  partition: number,
  messages: readonly KafkaMessage[],
  maxTsBefore: number | null,
  settings: AggregateSettings,
  nowMs: number,
): AggregateResult {
  const agg = newAggregation(settings.thresholdsMs, maxTsBefore, nowMs);
  const consumed = aggregateInto(
    agg,
    partition,
    messages,
    settings,
    nowMs,
    settings.maxPartials ?? Number.POSITIVE_INFINITY,
  );
  const { partials, partialTraceparents } = aggregationPartials(agg, settings.allowedLatenessMs);
  return {
    consumed,
    partials,
    deadLetters: agg.deadLetters,
    maxTsMs: agg.maxTsMs,
    processed: agg.processed,
    late: agg.late,
    traceparents: agg.traceparents,
    tracestates: agg.tracestates,
    partialTraceparents,
  };
}

/**
 * A partial's trace headers: one `traceparent` per sampled event (the span continuing it) and, when
 * any of those came with a W3C tracestate, one `tracestate` per traceparent in the same order (the
 * i-th belongs to the i-th traceparent; empty for one that came without).
 */
export function traceHeaders(
  sampled: readonly string[],
  continued: (traceparent: string) => string,
  tracestates: ReadonlyMap<string, string>,
): { traceparent: string[]; tracestate?: string[] } {
  const traceparent = sampled.map(continued);
  if (!sampled.some((tp) => tracestates.has(tp))) return { traceparent };
  return { traceparent, tracestate: sampled.map((tp) => tracestates.get(tp) ?? "") };
}

/**
 * The message's `tracestate` header (several are joined with `,`, as in HTTP), normalised, for the
 * traceparent `used` (`fromHeader`: it is the message's `traceparent` header itself): a tracestate
 * travels with the message's `traceparent` header when it has one, else with the event's own
 * traceparent. Undefined when it is absent, invalid or belongs to another traceparent (the event's
 * own one won over the header's).
 */
function tracestateFor(
  message: KafkaMessage,
  used: string,
  fromHeader: boolean,
): string | undefined {
  const raw = message.headers?.tracestate;
  if (raw === undefined) return undefined;
  const header = message.headers?.traceparent;
  if (!fromHeader && header !== undefined && headerText(header) !== used) return undefined;
  const text = Array.isArray(raw) ? raw.map(String).join(",") : String(raw);
  return normalTracestate(text);
}
