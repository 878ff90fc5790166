/**
 * Stage 1 (aggregate): a consumer group over `telemetry.requests.v1`. A partition's fetched batches
 * are folded, in offset order, into one in-memory aggregation per partition (merged per series) for up
 * to `commitIntervalMs` (or `commitMaxBytes` of events); then one Kafka transaction holds its partial
 * aggregates (to `telemetry.aggregates.v1`), its dead letters (invalid and late events, to the `.dlq`
 * topic) and the consumed offset — exactly-once consume-transform-produce. Nothing is produced before
 * that commit, so no transaction stays open across fetches. The partition's watermark maximum rides
 * along as the offset's commit metadata, so a restarted or new owner resumes with the same lateness
 * decisions; a stored watermark ahead of the clock (left by a version that let future-dated events
 * move it) is brought back to the clock on restore. Each partition has its own transactional producer
 * (`<group>.<topic>.<partition>`): whoever takes over a partition fences the previous owner's
 * producer, so a paused zombie can never commit for it again.
 *
 * What is accumulated but not committed lives only in memory: a crash loses it and the next owner
 * reads the partition again from the committed offset. A rebalance (kafkajs' REBALANCING, then
 * GROUP_JOIN) drops every partition's accumulation at once, before the consumer rejoins, and a
 * transaction begun before the rebalance is aborted instead of committed; after the rejoin kafkajs
 * resumes every partition from its committed offset (uncommitted resolved offsets are forgotten).
 *
 * A commit runs while kafkajs fetches, decodes and aggregates the partition's next batches: their
 * offsets are resolved (kafkajs' in-memory fetch position only; autoCommit is off) as soon as they are
 * aggregated, the next accumulation starts from the committing one's watermark, and a new commit
 * first waits for the partition's previous one (at most one transaction per partition in flight). An
 * accumulation of more than `maxPartialsPerStep` partials commits in line (overlapping it would hold
 * two of them). A partition that receives nothing more is committed by a timer when its interval is
 * over. A transaction that fails seeks the partition back to its accumulation's first offset, drops
 * what was accumulated after it, and the partition's next batch throws an error naming it (kafkajs
 * retries from there, as when a batch failed in line: always marked retriable, since kafkajs stops a
 * consumer for good on an error that is not, such as a fenced producer's); stop() commits what is
 * accumulated and lets the transactions in flight finish before leaving the group.
 */
import type {
  Admin,
  Consumer,
  EachBatchPayload,
  Kafka,
  KafkaMessage,
  Message,
  Producer,
} from "kafkajs";
import { deadLetterTopic } from "../../core/events/topics.ts";
import type { Logger } from "../../core/observability/logger.ts";
import { yieldToEventLoop } from "../../core/runtime/yield.ts";
import { deadLetterMessages } from "../dlq/dead-letter.sink.ts";
import { chunkMessages } from "../kafka/chunks.ts";
import { trackMembership } from "../kafka/membership.ts";
import type { StreamMetrics } from "../metrics/registry.ts";
import { withBatchSpan } from "../tracing/tracing.ts";
import {
  type AggregateResult,
  type AggregateSettings,
  type Aggregation,
  aggregateInto,
  aggregationPartials,
  boundedMaxTs,
  newAggregation,
  sameThresholds,
  traceHeaders,
} from "./aggregate.process.ts";

/**
 * Partials computed in one step of a batch: a fetch touching more new series is aggregated in steps
 * of this many, heartbeating and yielding to the event loop between them.
 */
export const maxPartialsPerStep = 500;

/** Defaults of the commit interval (STREAM_COMMIT_INTERVAL_MS, STREAM_COMMIT_MAX_BYTES). */
export const defaultCommitIntervalMs = 1000;
export const defaultCommitMaxBytes = 32 * 1024 * 1024;
/** Dead letters' bytes after which an accumulation commits early (they are copies held until then). */
const maxDeadLetterBytes = 4 * 1024 * 1024;

export interface AggregateStageOptions {
  kafka: Kafka;
  sourceTopic: string;
  outputTopic: string;
  groupId: string;
  settings: () => AggregateSettings;
  metrics: StreamMetrics;
  logger: Logger;
  sessionTimeoutMs: number;
  maxWaitMs: number;
  /** Partitions processed at once: each has its own transactional producer, so they overlap safely. */
  partitionConcurrency: number;
  /** The consumer crashed for good (kafkajs will not restart it): main.ts stops the process. */
  onFatal?: (error: Error) => void;
  /** Most bytes fetched per partition at once (default 2 MiB). */
  fetchMaxBytesPerPartition?: number;
  /**
   * How long a partition's batches are accumulated before one transaction commits them (default
   * 1000 ms; 0: every fetched batch commits on its own).
   */
  commitIntervalMs?: number;
  /** Event bytes (message values) of a partition after which its accumulation commits early. */
  commitMaxBytes?: number;
  now: () => number;
}

export interface Stage {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  isJoined(): boolean;
}

interface WatermarkMetadata {
  maxTsMs: number | null;
}

/**
 * An accumulation as it waits for its transaction: its partials already as messages (JSON), so the
 * partial objects are garbage as soon as they are encoded.
 */
type BatchResult = Omit<AggregateResult, "partials" | "consumed"> & { partials: Message[] };

/** A partition's batches accumulated since its last commit (nothing of it produced yet). */
interface Pending {
  /** The consumer generation it was begun in: a rebalance drops it. */
  generation: number;
  agg: Aggregation;
  /** Offset of its first message: where the partition resumes if its transaction fails. */
  firstOffset: string;
  lastOffset: string;
  messages: number;
  /** When it was begun (performance.now()). */
  openedAt: number;
  letterBytes: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export function createAggregateStage(options: AggregateStageOptions): Stage {
  const { kafka, sourceTopic, outputTopic, groupId, metrics, logger } = options;
  const fetchBytes = options.fetchMaxBytesPerPartition ?? 2 * 1024 * 1024;
  const commitIntervalMs = options.commitIntervalMs ?? defaultCommitIntervalMs;
  const commitMaxBytes = options.commitMaxBytes ?? defaultCommitMaxBytes;
  const consumer: Consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: Math.max(300, Math.floor(options.sessionTimeoutMs / 5)),
    minBytes: 256 * 1024,
    maxWaitTimeInMs: options.maxWaitMs,
    maxBytesPerPartition: fetchBytes,
    maxBytes: 4 * fetchBytes,
  });
  const admin: Admin = kafka.admin();
  let producers = new Map<number, Promise<Producer>>();
  let watermarks = new Map<number, Promise<number | null>>();
  /**
   * Per partition, the offset after the last batch this process committed. Right after a rejoin the
   * group coordinator may still answer a committed offset from before the last transaction's marker
   * (kafkajs cannot ask for stable offsets), so a batch may be handed in again: messages below this
   * mark were committed with their output and are skipped, never counted twice. Kept across rebalances: it only ever names offsets whose
   * transaction committed, so skipping below it is right whoever owned the partition in between.
   * A partition new to this process gets its mark from the group's committed offset, read once the
   * partition's transactional producer is initialised: that fences the previous owner and waits for
   * its last transaction to complete, so the offset read then is the stable one (the fetch kafkajs
   * began at the join may start below it, when the previous owner committed just before leaving).
   */
  const committedNext = new Map<number, bigint>();
  /**
   * Per partition, its last transaction while it commits: settles to undefined when it committed (or
   * was dropped by a rebalance), or to its error (never rejects).
   */
  const inFlight = new Map<number, Promise<unknown>>();
  /** Per partition, the error of a failed transaction, rethrown by the partition's next batch. */
  const failures = new Map<number, unknown>();
  /** Per partition, what is accumulated and not yet committed. */
  const pending = new Map<number, Pending>();
  /**
   * Accumulations holding messages that are not committed yet: pending ones and those in a
   * transaction now (`gridpulse_stream_events_accumulated` is the sum of their messages).
   */
  const held = new Set<Pending>();
  const publishAccumulated = () => {
    let messages = 0;
    for (const p of held) messages += p.messages;
    metrics.eventsAccumulated.set({ topic: sourceTopic }, messages);
  };
  /** `p` no longer holds uncommitted messages (committed, or dropped to be read again). */
  const release = (p: Pending) => {
    if (held.delete(p)) publishAccumulated();
  };
  /** Partitions with a batch in eachBatch now (a timer leaves their accumulation to it). */
  const busy = new Set<number>();
  /** Bumped by every rebalance: accumulations and transactions of an older generation never commit. */
  let generation = 0;
  /** Set by stop(): batches commit in line, so none is left in flight when the group is left. */
  let stopping = false;
  const closeProducers = (old: Map<number, Promise<Producer>>) => {
    for (const producer of old.values()) void producer.then((p) => p.disconnect()).catch(() => {});
  };
  /** Drops a partition's accumulation `p` (if it is still the pending one) with its commit timer. */
  const discard = (partition: number, p: Pending | undefined) => {
    if (p === undefined || pending.get(partition) !== p) return false;
    clearTimeout(p.timer);
    pending.delete(partition);
    release(p);
    return true;
  };
  const dropPending = () => {
    generation += 1;
    for (const p of pending.values()) {
      clearTimeout(p.timer);
      held.delete(p);
    }
    pending.clear();
    publishAccumulated();
  };
  // Before kafkajs rejoins (it has finished the batches in hand): partitions may move, and every
  // partition resumes from its committed offset after the rejoin.
  consumer.on(consumer.events.REBALANCING, dropPending);

  const membership = trackMembership(consumer, {
    stage: "aggregate",
    groupId,
    metrics,
    logger,
    ...(options.onFatal ? { onFatal: options.onFatal } : {}),
    onJoin: (payload) => {
      // A new generation: partitions may have moved. Drop accumulations, cached watermarks and
      // producers (synchronously, before the next batch) so all are re-initialised from the committed
      // state and fence old owners.
      dropPending();
      const old = producers;
      producers = new Map();
      watermarks = new Map();
      closeProducers(old);
      // Connect the assigned partitions' producers and read their watermarks now, while the first
      // fetch is under way, instead of at their first batch.
      for (const partition of payload.memberAssignment[sourceTopic] ?? []) {
        void producerFor(partition).catch(() => {});
        void watermarkFor(partition).catch(() => {});
      }
      return { assignment: payload.memberAssignment };
    },
  });
  const producerFor = (partition: number) => {
    let producer = producers.get(partition);
    if (!producer) {
      const p = kafka.producer({
        transactionalId: `${groupId}.${sourceTopic}.${partition}`,
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        transactionTimeout: 60_000,
        // A transaction begun right after the previous one committed meets CONCURRENT_TRANSACTIONS
        // until the broker has written the markers (a few ms, more on a busy broker); kafkajs'
        // default backoff (300 ms, doubling) made that wait most of a batch's time. Poll every
        // ~10 ms, backing off slowly (20 retries: about 6 s in all).
        retry: { initialRetryTime: 10, multiplier: 1.3, retries: 20 },
      });
      producer = p.connect().then(() => p);
      producers.set(partition, producer);
      producer.catch(() => producers.delete(partition));
    }
    return producer;
  };

  const watermarkFor = (partition: number) => {
    let watermark = watermarks.get(partition);
    if (!watermark) {
      const stable = producerFor(partition).then(
        () => undefined,
        () => undefined, // its own failure surfaces at the commit
      );
      watermark = stable.then(async () => {
        const topics = await admin.fetchOffsets({ groupId, topics: [sourceTopic] });
        const committed = topics[0]?.partitions.find((p) => p.partition === partition);
        if (committed && /^\d+$/.test(committed.offset)) {
          const offset = BigInt(committed.offset);
          const known = committedNext.get(partition);
          if (known === undefined || offset > known) committedNext.set(partition, offset);
        }
        if (!committed?.metadata) return null;
        try {
          const stored = (JSON.parse(committed.metadata) as WatermarkMetadata).maxTsMs ?? null;
          const bounded = boundedMaxTs(stored, options.now());
          if (bounded !== stored)
            logger.warn("stored watermark is ahead of the clock; bounded", {
              partition,
              storedMaxTs: new Date(stored as number).toISOString(),
              boundedMaxTs: new Date(bounded as number).toISOString(),
            });
          return bounded;
        } catch {
          logger.warn("unreadable watermark metadata; starting without one", { partition });
          return null;
        }
      });
      watermarks.set(partition, watermark);
      watermark.catch(() => watermarks.delete(partition));
    }
    return watermark;
  };

  /** Raised instead of committing a transaction begun before a rebalance (it is aborted). */
  class Rebalanced extends Error {}

  /**
   * What a partition's next batch throws after one of its transactions failed (the partition has
   * been sought back to that accumulation's first offset): an error kafkajs retries, whatever the
   * transaction's own error said. kafkajs stops a consumer for good, with no restart, on an error
   * marked not retriable (a fenced producer's, an invalid transaction state), which would leave
   * the stage idle in a live process.
   */
  const readAgain = (partition: number, failed: unknown) =>
    Object.assign(
      new Error(
        `stage-1 transaction of partition ${partition} failed; reading it again from its first uncommitted batch: ${failed instanceof Error ? failed.message : String(failed)}`,
      ),
      { retriable: true },
    );

  /** An accumulation's partials, dead letters and offset (with the watermark) in one transaction. */
  const commitBatch = async (topic: string, partition: number, p: Pending, result: BatchResult) => {
    const nextOffset = (BigInt(p.lastOffset) + 1n).toString();
    let used: Promise<Producer> | undefined;
    await withBatchSpan(
      {
        stage: "aggregate",
        topic,
        partition,
        consumerGroup: groupId,
        messageCount: p.messages,
      },
      result.traceparents.map((traceparent) => ({
        traceparent,
        tracestate: result.tracestates.get(traceparent),
      })),
      async (_span, continued) => {
        used = producerFor(partition);
        const producer = await used;
        const tx = await producer.transaction();
        try {
          // Each partial carries, as `traceparent` headers, the stage-1 spans of its sampled events
          // (only traceparents that parsed were kept): stage 2 continues those traces.
          const partials = result.partials;
          for (const [i, sampled] of result.partialTraceparents.entries()) {
            if (sampled.length > 0)
              partials[i] = {
                ...(partials[i] as Message),
                headers: traceHeaders(sampled, continued, result.tracestates),
              };
          }
          for (const chunk of chunkMessages(partials))
            await tx.send({ topic: outputTopic, messages: chunk });
          const letters = deadLetterMessages(topic, result.deadLetters, options.now());
          for (const chunk of chunkMessages(letters))
            await tx.send({ topic: deadLetterTopic(topic), messages: chunk });
          await tx.sendOffsets({
            consumerGroupId: groupId,
            topics: [
              {
                topic,
                partitions: [
                  {
                    partition,
                    offset: nextOffset,
                    metadata: JSON.stringify({
                      maxTsMs: result.maxTsMs,
                    } satisfies WatermarkMetadata),
                  },
                ],
              },
            ],
          } as unknown as Parameters<typeof tx.sendOffsets>[0]);
          // The partition may have moved since this accumulation began: the new owner resumes from
          // the committed offset, so this one must not commit (the producer's fencing covers a
          // rebalance this process has not noticed yet).
          if (p.generation !== generation) throw new Rebalanced("rebalanced before the commit");
          const endTx = metrics.transactionDuration.startTimer({ stage: "aggregate" });
          await tx.commit();
          endTx();
        } catch (error) {
          await tx.abort().catch(() => {});
          // The producer may have been fenced by a new owner of the partition: start over with a new
          // one (unless a new generation has already replaced it).
          if (used !== undefined && producers.get(partition) === used) producers.delete(partition);
          if (used !== undefined) closeProducers(new Map([[partition, used]]));
          throw error;
        }
      },
    );
    committedNext.set(partition, BigInt(nextOffset));
    release(p);
    metrics.eventsProcessed.inc({ topic: sourceTopic }, result.processed);
    metrics.eventsLate.inc({ topic: sourceTopic }, result.late);
    metrics.partials.inc({ direction: "produced" }, result.partials.length);
    for (const letter of result.deadLetters) {
      if (letter.reason !== "late_event")
        metrics.eventsInvalid.inc({ topic: sourceTopic, reason: letter.reason });
    }
    if (result.deadLetters.length > 0) {
      logger.warn("dead-lettered messages", {
        topic,
        partition,
        count: result.deadLetters.length,
        first: {
          offset: result.deadLetters[0]?.offset,
          reason: result.deadLetters[0]?.reason,
          error: result.deadLetters[0]?.error,
        },
      });
    }
  };

  /**
   * Commits a partition's accumulation after the partition's previous transaction (if that failed,
   * this one is dropped: the partition has been sought back before it). The returned promise (also
   * the partition's `inFlight`) settles to undefined or to the error the next batch rethrows.
   */
  const commitPending = (topic: string, partition: number, p: Pending): Promise<unknown> => {
    clearTimeout(p.timer);
    p.timer = undefined;
    if (pending.get(partition) === p) pending.delete(partition);
    // The next accumulation continues from this one's watermark (dropped again if this one fails).
    if (p.generation === generation) watermarks.set(partition, Promise.resolve(p.agg.maxTsMs));
    const previous = inFlight.get(partition) ?? Promise.resolve(undefined);
    const committed = previous.then(async (failed) => {
      if (failed !== undefined) return failed;
      if (p.generation !== generation) return undefined; // dropped by a rebalance
      const endBatch = metrics.batchDuration.startTimer({ stage: "aggregate" });
      // Partials become messages (JSON) at once: the partial objects are garbage from here on. An
      // accumulation of many series is encoded in steps, letting the event loop (heartbeats, health
      // probes) run in between.
      const lateness = options.settings().allowedLatenessMs;
      const partials: Message[] = [];
      const partialTraceparents: string[][] = [];
      for (let at = 0; at < p.agg.ordered.length; at += maxPartialsPerStep) {
        if (at > 0) {
          await yieldToEventLoop();
          if (p.generation !== generation) return undefined; // dropped by a rebalance
        }
        const step = aggregationPartials(p.agg, lateness, at, at + maxPartialsPerStep);
        for (const x of step.partials) partials.push({ key: x.service, value: JSON.stringify(x) });
        for (const t of step.partialTraceparents) partialTraceparents.push(t);
      }
      const result: BatchResult = {
        partials,
        deadLetters: p.agg.deadLetters,
        maxTsMs: p.agg.maxTsMs,
        processed: p.agg.processed,
        late: p.agg.late,
        traceparents: p.agg.traceparents,
        tracestates: p.agg.tracestates,
        partialTraceparents,
      };
      try {
        await commitBatch(topic, partition, p, result);
        endBatch();
        return undefined;
      } catch (error) {
        // Begun before a rebalance: the partition resumes from its committed offset after the
        // rejoin anyway (nothing to seek, nothing to retry).
        if (p.generation !== generation) return undefined;
        // Back to the accumulation's first batch (its watermark too: read again from the committed
        // metadata); what was accumulated after it is dropped, and the next batch rethrows.
        watermarks.delete(partition);
        discard(partition, pending.get(partition));
        failures.set(partition, error ?? new Error("transaction failed"));
        try {
          consumer.seek({ topic, partition, offset: p.firstOffset });
        } catch {
          // Not running any more: the next owner resumes at the committed offset anyway.
        }
        logger.warn(
          "stage-1 transaction failed; the partition resumes at its first uncommitted batch",
          {
            partition,
            offset: p.firstOffset,
            err: error,
          },
        );
        return error ?? new Error("transaction failed");
      }
    });
    inFlight.set(partition, committed);
    void committed.then(() => {
      // Committed (released before its counters grew), failed or dropped: no longer held.
      release(p);
      if (inFlight.get(partition) === committed) inFlight.delete(partition);
    });
    return committed;
  };

  /** Commits a partition's accumulation when its interval is over, unless a batch is in hand. */
  const scheduleCommit = (topic: string, partition: number, p: Pending) => {
    if (p.timer !== undefined) return;
    const delay = Math.max(0, p.openedAt + commitIntervalMs - performance.now());
    p.timer = setTimeout(() => {
      p.timer = undefined;
      // A batch in hand commits it itself when it is done (the interval is over by then).
      if (pending.get(partition) !== p || busy.has(partition)) return;
      void commitPending(topic, partition, p);
    }, delay);
  };

  const eachBatch = async ({ batch, resolveOffset, heartbeat, isStale }: EachBatchPayload) => {
    const partition = batch.partition;
    // A transaction of the partition failed: it has been sought back to that accumulation's first
    // offset; fail this batch so kafkajs retries from there.
    const failed = failures.get(partition);
    if (failed !== undefined) {
      failures.delete(partition);
      throw readAgain(partition, failed);
    }
    if (batch.messages.length === 0 || isStale()) return;
    busy.add(partition);
    try {
      await aggregateBatchInto(batch, resolveOffset, heartbeat, isStale);
    } finally {
      busy.delete(partition);
    }
  };

  /**
   * Folds a batch's messages into the accumulation in steps of at most maxPartialsPerStep new
   * partials, heartbeating and letting the event loop run in between. A seek or rebalance meanwhile
   * drops the accumulation (what it holds is read again).
   */
  const aggregateSteps = async (
    partition: number,
    messages: readonly KafkaMessage[],
    p: Pending,
    settings: AggregateSettings,
    heartbeat: EachBatchPayload["heartbeat"],
    isStale: EachBatchPayload["isStale"],
    gen: number,
  ) => {
    let remaining = messages;
    while (remaining.length > 0) {
      const letters = p.agg.deadLetters.length;
      const consumed = aggregateInto(
        p.agg,
        partition,
        remaining,
        settings,
        options.now(),
        maxPartialsPerStep,
      );
      // Dead letters wait for the commit as copies: a view would keep the whole fetch in memory.
      for (let i = letters; i < p.agg.deadLetters.length; i++) {
        const letter = p.agg.deadLetters[i] as (typeof p.agg.deadLetters)[number];
        if (letter.value !== null) letter.value = Buffer.from(letter.value);
        if (letter.key !== null) letter.key = Buffer.from(letter.key);
        p.letterBytes += (letter.value?.length ?? 0) + (letter.key?.length ?? 0);
      }
      remaining = remaining.slice(consumed);
      if (remaining.length > 0) {
        await heartbeat();
        await yieldToEventLoop();
        if (gen !== generation || isStale()) {
          discard(partition, p);
          return;
        }
      }
    }
  };

  /**
   * `work` awaited inside eachBatch with the group's heartbeat kept going: a commit waited for in
   * line (many series, or the previous one still in flight) can outlast the session timeout on a
   * busy machine. kafkajs sends at most one heartbeat per heartbeat interval, whatever the calls.
   */
  const beating = async <T>(heartbeat: EachBatchPayload["heartbeat"], work: Promise<T>) => {
    const timer = setInterval(() => void heartbeat().catch(() => {}), 250);
    try {
      return await work;
    } finally {
      clearInterval(timer);
    }
  };

  const aggregateBatchInto = async (
    batch: EachBatchPayload["batch"],
    resolveOffset: EachBatchPayload["resolveOffset"],
    heartbeat: EachBatchPayload["heartbeat"],
    isStale: EachBatchPayload["isStale"],
  ) => {
    const partition = batch.partition;
    const topic = batch.topic;
    const gen = generation;
    const settings = options.settings();
    let p = pending.get(partition);
    if (p !== undefined && !sameThresholds(p.agg, settings.thresholdsMs)) {
      // The latency thresholds changed (an SLO was added): what was counted with the old ones
      // commits first.
      const failed = await beating(heartbeat, commitPending(topic, partition, p));
      if (failed !== undefined) {
        failures.delete(partition);
        throw readAgain(partition, failed);
      }
      p = undefined;
      if (gen !== generation || isStale()) return;
    }
    // The partition's stable committed offset and watermark (read once per partition and join; the
    // skip mark below depends on it).
    const maxTs = await watermarkFor(partition);
    if (gen !== generation || isStale()) return;
    let messages: readonly KafkaMessage[] = batch.messages;
    const done = committedNext.get(partition);
    if (done !== undefined && BigInt(batch.firstOffset() ?? done) < done) {
      messages = messages.filter((m) => BigInt(m.offset) >= done);
      const skipped = batch.messages.length - messages.length;
      metrics.replaysSkipped.inc({ stage: "aggregate" }, skipped);
      logger.info("skipped messages already committed by this process", {
        partition,
        skipped,
        from: batch.firstOffset(),
        resumeAt: done.toString(),
      });
      if (messages.length === 0) {
        resolveOffset(batch.lastOffset());
        return;
      }
    }
    if (p === undefined) {
      p = {
        generation: gen,
        agg: newAggregation(settings.thresholdsMs, maxTs, options.now()),
        firstOffset: (messages[0] as KafkaMessage).offset,
        lastOffset: (messages[0] as KafkaMessage).offset,
        messages: 0,
        openedAt: performance.now(),
        letterBytes: 0,
        timer: undefined,
      };
      pending.set(partition, p);
    }
    // A fetch touching many new series (each partial holds an encoded histogram) is aggregated in
    // steps of at most maxPartialsPerStep new partials, heartbeating and letting the event loop run in
    // between, so no step holds the loop for long.
    const accumulation = p;
    try {
      await aggregateSteps(partition, messages, accumulation, settings, heartbeat, isStale, gen);
    } catch (error) {
      // Part of this batch is in the accumulation, and kafkajs will hand the batch in again: the
      // accumulation is dropped and the partition read again from its first offset, which is the
      // committed one once the previous transaction has committed (if that one fails, its own seek
      // goes further back).
      if (discard(partition, accumulation)) {
        const previous = inFlight.get(partition);
        const failedBefore =
          previous === undefined ? undefined : await beating(heartbeat, previous);
        if (failedBefore === undefined && !failures.has(partition)) {
          try {
            consumer.seek({ topic, partition, offset: accumulation.firstOffset });
          } catch {
            // Not running any more: the next owner resumes at the committed offset anyway.
          }
        }
      }
      throw error;
    }
    // The previous transaction failed meanwhile (this accumulation was dropped, the partition sought
    // back), or a rebalance came: nothing of this batch is kept.
    if (pending.get(partition) !== p || isStale()) return;
    p.messages += messages.length;
    p.lastOffset = (messages.at(-1) as KafkaMessage).offset;
    held.add(p);
    publishAccumulated();
    resolveOffset(p.lastOffset);
    const many = p.agg.ordered.length > maxPartialsPerStep;
    if (
      stopping ||
      performance.now() - p.openedAt >= commitIntervalMs ||
      p.agg.bytes >= commitMaxBytes ||
      p.letterBytes >= maxDeadLetterBytes
    ) {
      // At most one transaction of the partition in flight: a new commit first waits for the last.
      const previous = inFlight.get(partition);
      if (previous !== undefined && (await beating(heartbeat, previous)) !== undefined) return; // p was dropped with it
      if (pending.get(partition) !== p || gen !== generation) return;
      const committed = commitPending(topic, partition, p);
      // In line when stopping, and for an accumulation of many partials (many series): its
      // transaction holds them all, and overlapping it with the next fetch would hold that batch's
      // messages too.
      if (stopping || many) {
        const failed = await beating(heartbeat, committed);
        if (failed !== undefined) {
          failures.delete(partition);
          throw readAgain(partition, failed);
        }
      }
    } else scheduleCommit(topic, partition, p);
    await heartbeat();
  };

  return {
    name: "aggregate",
    async start() {
      await admin.connect();
      // The admin's broker pool is empty until its first metadata request: the first watermark read
      // (at the join) would otherwise wait out a retry (about 300 ms) before it asks the coordinator.
      await admin.fetchTopicMetadata({ topics: [sourceTopic] }).catch(() => {});
      await consumer.connect();
      await consumer.subscribe({ topics: [sourceTopic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionConcurrency,
        eachBatch,
      });
    },
    async stop() {
      // What is accumulated commits now (batches in hand commit in line), the transactions in flight
      // finish; disconnect() lets the batch in hand commit, then leaves the group.
      stopping = true;
      for (const [partition, p] of [...pending])
        if (!busy.has(partition)) void commitPending(sourceTopic, partition, p);
      await Promise.all(inFlight.values());
      await consumer.disconnect();
      await Promise.all(inFlight.values());
      for (const p of pending.values()) clearTimeout(p.timer);
      membership.left();
      await Promise.all(
        [...producers.values()].map((p) => p.then((x) => x.disconnect()).catch(() => {})),
      );
      await admin.disconnect();
    },
    isJoined: membership.isJoined,
  };
}
