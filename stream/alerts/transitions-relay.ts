/**
 * Publishes the transitions outbox (`alert_transitions_outbox`, written in the evaluator's step
 * transaction) to `alerts.transitions.v1` exactly once, in order of `seq`:
 *
 * - A transactional producer (one `transactionalId` per deployment) sends a batch of rows AND commits,
 *   in the same Kafka transaction, the offset `lastSeq + 1` of a marker consumer group
 *   (`markerGroupId`, on partition 0 of the topic; the offset is only a number to Kafka). Either
 *   the messages and the marker are committed together or neither is.
 * - Then the rows up to `lastSeq` are deleted from the outbox. A crash between Kafka's commit and the
 *   delete leaves rows that are already on the topic: on (re)start, the relay first fences any older
 *   producer of its `transactionalId` (which aborts that producer's open transaction), then reads the
 *   marker and deletes the rows below it before publishing anything.
 *
 * Only the evaluator's lease holder runs it; a process that lost the lease and still publishes is
 * fenced by the new holder's producer. The marker is a committed group offset, so it must outlive the
 * relay's longest pause (Kafka's `offsets.retention.minutes`, 7 days by default; every batch renews
 * it); without it the first batch after such a pause may be published twice (consumers still have the
 * transition id to deduplicate).
 */
import type { Client } from "@libsql/client";
import type { Kafka } from "kafkajs";

export interface TransitionRelayOptions {
  client: Client;
  kafka: Pick<Kafka, "producer" | "admin">;
  topic: string;
  transactionalId: string;
  markerGroupId: string;
  /** Rows per Kafka transaction. */
  batchSize?: number;
}

export interface TransitionRelay {
  /** Publishes everything in the outbox (recovering first after a start or a reset); the count. */
  drain(): Promise<number>;
  /** Drops the producer (lease lost, stopping, after an error); the next drain recovers again. */
  reset(): Promise<void>;
  /** Rows waiting in the outbox. */
  backlog(): Promise<number>;
}

export function createTransitionRelay(options: TransitionRelayOptions): TransitionRelay {
  const { client, kafka, topic } = options;
  const batchSize = options.batchSize ?? 500;
  let producer: ReturnType<Kafka["producer"]> | undefined;

  async function readMarker(): Promise<number | undefined> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({
        groupId: options.markerGroupId,
        topics: [topic],
      });
      const p0 = offsets?.partitions.find((p) => p.partition === 0);
      const marker = p0 ? Number(p0.offset) : -1;
      return marker >= 0 ? marker : undefined;
    } finally {
      await admin.disconnect();
    }
  }

  async function start() {
    const p = kafka.producer({
      transactionalId: options.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    await p.connect();
    try {
      // InitProducerId: fences every older producer of this transactionalId and completes or aborts
      // its open transaction, so the marker read next is final.
      const fence = await p.transaction();
      await fence.abort();
      const marker = await readMarker();
      if (marker !== undefined)
        await client.execute({
          sql: "DELETE FROM alert_transitions_outbox WHERE seq < ?",
          args: [marker],
        });
    } catch (error) {
      await p.disconnect().catch(() => {});
      throw error;
    }
    producer = p;
    return p;
  }

  async function reset() {
    const p = producer;
    producer = undefined;
    if (p) await p.disconnect().catch(() => {});
  }

  return {
    async drain() {
      let sent = 0;
      try {
        const p = producer ?? (await start());
        for (;;) {
          const rs = await client.execute({
            sql: "SELECT seq, fingerprint, payload FROM alert_transitions_outbox ORDER BY seq LIMIT ?",
            args: [batchSize],
          });
          if (rs.rows.length === 0) return sent;
          const last = Number(rs.rows.at(-1)?.seq);
          const tx = await p.transaction();
          try {
            await tx.send({
              topic,
              acks: -1,
              messages: rs.rows.map((r) => ({
                key: String(r.fingerprint),
                value: String(r.payload),
              })),
            });
            await tx.sendOffsets({
              consumerGroupId: options.markerGroupId,
              topics: [{ topic, partitions: [{ partition: 0, offset: String(last + 1) }] }],
            });
            await tx.commit();
          } catch (error) {
            await tx.abort().catch(() => {});
            throw error;
          }
          await client.execute({
            sql: "DELETE FROM alert_transitions_outbox WHERE seq <= ?",
            args: [last],
          });
          sent += rs.rows.length;
          if (rs.rows.length < batchSize) return sent;
        }
      } catch (error) {
        // A fenced or failed producer is dropped; the next drain starts (and recovers) afresh.
        await reset();
        throw Object.assign(error as Error, { published: sent });
      }
    },
    reset,
    async backlog() {
      const rs = await client.execute("SELECT count(*) AS n FROM alert_transitions_outbox");
      return Number(rs.rows[0]?.n ?? 0);
    },
  };
}
