/**
 * Stage 2 (evaluate): a consumer group over `telemetry.aggregates.v1`, reading committed transactions
 * only, on the database-consumer skeleton (stream/kafka/db-consumer.ts). Each batch's partials are
 * merged into the window state and written with the consumed offsets in one libSQL transaction. The
 * offsets in the database are the truth: on joining the group the consumer seeks every assigned
 * partition to them, and messages below them are skipped (Kafka's own committed offsets, written after
 * the database commit, are only a head start). Malformed partials are dead-lettered and skipped. A
 * fetch is applied in slices of at most `maxPartialsPerTransaction` partials, each one transaction with
 * its offset, heartbeating in between; the store caps the series per service (window-store.ts) and
 * overflow is counted in `gridpulse_stream_series_overflow_total`.
 */
import { type PartialAggregate, partialAggregateSchema } from "../../core/events/aggregate.ts";
import { decodeEvent } from "../../core/events/decode.ts";
import type { Stage } from "../aggregate/aggregate.consumer.ts";
import { type DeadLetter, deadLetterOf } from "../dlq/dead-letter.sink.ts";
import { createDbConsumerStage, type DbStageOptions } from "../kafka/db-consumer.ts";
import { headerValues } from "../kafka/headers.ts";
import type { ExemplarStore, TraceExemplar } from "../tracing/exemplars.ts";
import type { AppliedPartials, WindowStore } from "./window-store.ts";

/** Partials applied in one libSQL transaction (a fetch is split into slices of this many). */
export const maxPartialsPerTransaction = 250;

export interface EvaluateStageOptions extends DbStageOptions {
  store: WindowStore;
  /** Called after each committed batch with the services it touched. */
  onApplied(services: Set<string>): void;
  /** Called on every (re)join with the partitions now owned. */
  onAssigned(partitions: number[]): void;
  /** Where the traces continued here are recorded for the alert evaluator (trace export on). */
  exemplars?: ExemplarStore;
}

interface Decoded {
  partials: PartialAggregate[];
  /** Stage 1's spans of sampled events ride on the partials as `traceparent` headers. */
  traced: { traceparent: string; service: string; route: string }[];
}

export function createEvaluateStage(options: EvaluateStageOptions): Stage {
  const { sourceTopic, groupId, store, metrics, logger } = options;
  return createDbConsumerStage<Decoded, AppliedPartials>({
    ...options,
    stage: "evaluate",
    // Partials are heavier to apply than to read: modest fetches keep each transaction and its memory small.
    fetch: { minBytes: 64 * 1024, maxBytesPerPartition: 1024 * 1024 },
    // A fetch can hold thousands of partials, each touching two buckets: apply them in slices, each its
    // own transaction, so no batch holds the loop (or the group's session) for long.
    maxPerTransaction: maxPartialsPerTransaction,
    storedOffset: (partition) => store.storedOffset(groupId, sourceTopic, partition),
    onJoin(partitions) {
      // Another process may have written these partitions' buckets meanwhile: read them afresh.
      store.forget();
      options.onAssigned(partitions);
    },
    validate(partition, messages) {
      const partials: PartialAggregate[] = [];
      const deadLetters: DeadLetter[] = [];
      const traced: Decoded["traced"] = [];
      for (const message of messages) {
        // The shared decoder: the same reasons as stage 1 (empty_value, invalid_utf8, invalid_json,
        // schema_violation), and the dead letter keeps the message's key, value and headers.
        const decoded = decodeEvent(partialAggregateSchema, message.value, {
          maxBytes: Number.POSITIVE_INFINITY,
        });
        if (!decoded.ok) {
          deadLetters.push(deadLetterOf(partition, message, decoded.reason, decoded.message));
          continue;
        }
        partials.push(decoded.value);
        for (const tp of headerValues(message.headers?.traceparent))
          if (traced.length < 64)
            traced.push({
              traceparent: tp,
              service: decoded.value.service,
              route: decoded.value.route,
            });
      }
      return {
        valid: { partials, traced },
        deadLetters,
        traceparents: traced.map((t) => t.traceparent),
      };
    },
    async prepare({ traced }, continued) {
      // Before the window state: an alert this batch makes fire must find its trace already.
      if (!options.exemplars || traced.length === 0) return;
      const latest = new Map<string, TraceExemplar>();
      for (const t of traced)
        latest.set(`${t.service}\u0000${t.route}`, { ...t, traceparent: continued(t.traceparent) });
      await options.exemplars
        .record([...latest.values()], options.now())
        .catch((err: unknown) => logger.warn("trace exemplars not recorded", { err }));
    },
    commit: ({ partials }, position, nowMs) => store.apply(partials, position, nowMs),
    committed(applied, { valid }) {
      metrics.partials.inc({ direction: "applied" }, valid.partials.length);
      for (const [service, events] of applied.overflow)
        metrics.seriesOverflow.inc({ service }, events);
      options.onApplied(applied.services);
    },
  });
}
