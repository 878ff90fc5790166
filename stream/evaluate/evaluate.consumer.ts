/**
 * Stage 2 (evaluate): a consumer group over `telemetry.aggregates.v1`, reading committed transactions
 * only. Each batch's partials are merged into the window state and written with the consumed offsets in
 * one libSQL transaction. The offsets in the database are the truth: on joining the group the consumer
 * seeks every assigned partition to them, and messages below them are skipped (Kafka's own committed
 * offsets, written after the database commit, are only a head start). Malformed partials are
 * dead-lettered and skipped. A fetch is applied in slices of at most `maxPartialsPerTransaction`
 * partials, each one transaction with its offset, heartbeating in between; the store caps the series
 * per service (window-store.ts) and overflow is counted in `gridpulse_stream_series_overflow_total`.
 */
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from "kafkajs";
import { type PartialAggregate, partialAggregateSchema } from "../../core/events/aggregate.ts";
import { formatIssues } from "../../core/events/decode.ts";
import type { Logger } from "../../core/observability/logger.ts";
import { yieldToEventLoop } from "../../core/runtime/yield.ts";
import type { Stage } from "../aggregate/aggregate.consumer.ts";
import { type DeadLetter, sendDeadLetters } from "../dlq/dead-letter.sink.ts";
import { assignedPartitions, trackMembership } from "../kafka/membership.ts";
import { createOffsetResume } from "../kafka/stored-offsets.ts";
import type { StreamMetrics } from "../metrics/registry.ts";
import type { ExemplarStore, TraceExemplar } from "../tracing/exemplars.ts";
import { withBatchSpan } from "../tracing/tracing.ts";
import type { AppliedPartials, WindowStore } from "./window-store.ts";

/** Partials applied in one libSQL transaction (a fetch is split into slices of this many). */
export const maxPartialsPerTransaction = 250;

export interface EvaluateStageOptions {
  kafka: Kafka;
  sourceTopic: string;
  groupId: string;
  store: WindowStore;
  deadLetterProducer: Producer;
  metrics: StreamMetrics;
  logger: Logger;
  sessionTimeoutMs: number;
  maxWaitMs: number;
  now: () => number;
  /** Called after each committed batch with the services it touched. */
  onApplied(services: Set<string>): void;
  /** Called on every (re)join with the partitions now owned. */
  onAssigned(partitions: number[]): void;
  /** Where the traces continued here are recorded for the alert evaluator (trace export on). */
  exemplars?: ExemplarStore;
}

export function createEvaluateStage(options: EvaluateStageOptions): Stage {
  const { kafka, sourceTopic, groupId, store, metrics, logger } = options;
  const consumer: Consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    readUncommitted: false,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: Math.max(300, Math.floor(options.sessionTimeoutMs / 5)),
    minBytes: 64 * 1024,
    maxWaitTimeInMs: options.maxWaitMs,
    // Partials are heavier to apply than to read: modest fetches keep each transaction and its memory small.
    maxBytesPerPartition: 1024 * 1024,
  });
  const resume = createOffsetResume({
    consumer,
    topic: sourceTopic,
    read: (partition) => store.storedOffset(groupId, sourceTopic, partition),
    logger,
  });

  const membership = trackMembership(consumer, {
    stage: "evaluate",
    groupId,
    metrics,
    logger,
    onJoin: (payload) => {
      const partitions = assignedPartitions(payload, sourceTopic);
      // Another process may have written these partitions' buckets meanwhile: read them afresh.
      store.forget();
      options.onAssigned(partitions);
      // Resume every assigned partition exactly where the database says it stopped.
      resume.joined(partitions);
      return { partitions };
    },
  });

  /** Decodes one slice of a batch and applies it with its offset in one transaction. */
  const applySlice = async (topic: string, partition: number, messages: KafkaMessage[]) => {
    const partials: PartialAggregate[] = [];
    const letters: DeadLetter[] = [];
    // Stage 1's spans of sampled events ride on the partials as `traceparent` headers.
    const traced: { traceparent: string; service: string; route: string }[] = [];
    for (const message of messages) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(message.value?.toString("utf8") ?? "");
      } catch {
        letters.push({
          partition,
          offset: message.offset,
          key: message.key,
          value: message.value,
          reason: "invalid_json",
          error: "not JSON",
        });
        continue;
      }
      const result = partialAggregateSchema.safeParse(parsed);
      if (result.success) {
        partials.push(result.data);
        for (const tp of headerValues(message.headers?.traceparent))
          if (traced.length < 64)
            traced.push({
              traceparent: tp,
              service: result.data.service,
              route: result.data.route,
            });
      } else
        letters.push({
          partition,
          offset: message.offset,
          key: message.key,
          value: message.value,
          reason: "schema_violation",
          error: formatIssues(result.error.issues),
        });
    }
    const lastOffset = (messages.at(-1) as KafkaMessage).offset;
    const nextOffset = (BigInt(lastOffset) + 1n).toString();
    let applied: AppliedPartials = { services: new Set(), overflow: new Map() };
    await withBatchSpan(
      "gridpulse.evaluate.batch",
      {
        "messaging.destination.name": topic,
        "messaging.kafka.partition": partition,
        "messaging.batch.message_count": messages.length,
      },
      traced.map((t) => t.traceparent),
      async (_span, continued) => {
        await sendDeadLetters(options.deadLetterProducer, topic, letters, options.now());
        // Before the window state: an alert this batch makes fire must find its trace already.
        if (options.exemplars && traced.length > 0) {
          const latest = new Map<string, TraceExemplar>();
          for (const t of traced)
            latest.set(`${t.service}\u0000${t.route}`, {
              ...t,
              traceparent: continued(t.traceparent),
            });
          await options.exemplars
            .record([...latest.values()], options.now())
            .catch((err: unknown) => logger.warn("trace exemplars not recorded", { err }));
        }
        const endTx = metrics.transactionDuration.startTimer({ stage: "evaluate" });
        applied = await store.apply(
          partials,
          { consumerGroup: groupId, topic, partition, nextOffset },
          options.now(),
        );
        endTx();
      },
    );
    resume.committed(partition, nextOffset);
    // Kafka's committed offset trails the database's: only a starting hint for the next owner.
    await consumer
      .commitOffsets([{ topic, partition, offset: nextOffset }])
      .catch((err: unknown) => logger.warn("advisory offset commit failed", { partition, err }));
    metrics.partials.inc({ direction: "applied" }, partials.length);
    for (const letter of letters) metrics.eventsInvalid.inc({ topic, reason: letter.reason });
    for (const [service, events] of applied.overflow)
      metrics.seriesOverflow.inc({ service }, events);
    options.onApplied(applied.services);
    return lastOffset;
  };

  const eachBatch = async ({ batch, resolveOffset, heartbeat, isStale }: EachBatchPayload) => {
    if (batch.messages.length === 0 || isStale()) return;
    const endBatch = metrics.batchDuration.startTimer({ stage: "evaluate" });
    const partition = batch.partition;
    const fresh = await resume.unprocessed(partition, batch.messages);
    if (fresh.length === 0) {
      resolveOffset(batch.lastOffset());
      return;
    }
    // A fetch can hold thousands of partials, each touching two buckets: apply them in slices, each its
    // own transaction, heartbeating and letting the event loop run between slices, so no batch holds the
    // loop (or the group's session) for long, however many series it touches.
    for (let i = 0; i < fresh.length; i += maxPartialsPerTransaction) {
      if (i > 0) {
        await heartbeat();
        await yieldToEventLoop();
        if (isStale()) return;
      }
      const done = await applySlice(
        batch.topic,
        partition,
        fresh.slice(i, i + maxPartialsPerTransaction),
      );
      resolveOffset(done);
    }
    endBatch();
    await heartbeat();
  };

  return {
    name: "evaluate",
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topics: [sourceTopic], fromBeginning: true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
    },
    async stop() {
      await consumer.disconnect();
      membership.left();
    },
    isJoined: membership.isJoined,
  };
}

/** A Kafka header's values as strings (kafkajs gives one Buffer, or an array when repeated). */
function headerValues(value: Buffer | string | (Buffer | string)[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map((v) => v.toString());
}
