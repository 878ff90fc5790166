/**
 * Consumer offsets kept in libSQL (`consumer_offsets`) next to the effects they belong to: a consumer
 * adds `offsetStatement` to the batch that writes its effects, so both commit or neither does, and on
 * joining its group seeks each partition to `readStoredOffset` (`createOffsetResume`).
 */
import type { InStatement } from "@libsql/client";
import { and, eq } from "drizzle-orm";
import type { Consumer, KafkaMessage } from "kafkajs";
import type { Database } from "../../core/db/database.ts";
import { consumerOffsets } from "../../core/db/schema/index.ts";
import type { Logger } from "../../core/observability/logger.ts";

export interface OffsetPosition {
  consumerGroup: string;
  topic: string;
  partition: number;
  /** The offset of the next message to read (last processed + 1). */
  nextOffset: string;
}

const offsetSql =
  "insert into consumer_offsets (consumer_group, topic, partition, next_offset, updated_at_ms) values (?, ?, ?, ?, ?) " +
  "on conflict (consumer_group, topic, partition) do update set next_offset = excluded.next_offset, updated_at_ms = excluded.updated_at_ms";

export function offsetStatement(position: OffsetPosition, nowMs: number): InStatement {
  return {
    sql: offsetSql,
    args: [position.consumerGroup, position.topic, position.partition, position.nextOffset, nowMs],
  };
}

export async function readStoredOffset(
  db: Database,
  consumerGroup: string,
  topic: string,
  partition: number,
): Promise<bigint | undefined> {
  const row = await db
    .select({ nextOffset: consumerOffsets.nextOffset })
    .from(consumerOffsets)
    .where(
      and(
        eq(consumerOffsets.consumerGroup, consumerGroup),
        eq(consumerOffsets.topic, topic),
        eq(consumerOffsets.partition, partition),
      ),
    )
    .get();
  return row ? BigInt(row.nextOffset) : undefined;
}

/**
 * Resuming from stored offsets, for a consumer whose offsets live in the database: on every group join
 * each assigned partition is sought to its stored offset, and `unprocessed` drops what a batch holds
 * below it (Kafka's committed offsets, written after the database commit, may trail it).
 */
export function createOffsetResume(options: {
  consumer: Consumer;
  topic: string;
  read(partition: number): Promise<bigint | undefined>;
  logger: Logger;
}) {
  const { consumer, topic, logger } = options;
  let stored = new Map<number, Promise<bigint | undefined>>();
  const storedOffset = (partition: number) => {
    let offset = stored.get(partition);
    if (!offset) {
      offset = options.read(partition);
      stored.set(partition, offset);
      offset.catch(() => stored.delete(partition));
    }
    return offset;
  };
  return {
    /** On GROUP_JOIN: forget what was cached (partitions may have moved) and seek to the database's offsets. */
    joined(partitions: readonly number[]) {
      stored = new Map();
      for (const partition of partitions) {
        void storedOffset(partition).then(
          (offset) => {
            if (offset !== undefined)
              consumer.seek({ topic, partition, offset: offset.toString() });
          },
          (err: unknown) => logger.error("could not read stored offsets", { partition, err }),
        );
      }
    },
    /** The messages of a batch at or after the partition's stored offset. */
    async unprocessed(partition: number, messages: KafkaMessage[]): Promise<KafkaMessage[]> {
      const from = await storedOffset(partition);
      return from === undefined ? messages : messages.filter((m) => BigInt(m.offset) >= from);
    },
    /** After a committed batch: the partition's stored offset is now `nextOffset`. */
    committed(partition: number, nextOffset: string) {
      stored.set(partition, Promise.resolve(BigInt(nextOffset)));
    },
    /**
     * After a failed commit: whether it took effect is not known (a server that committed and then
     * did not answer in time, or a connection lost after the commit), so the partition's offset is
     * read from the database again before its next batch, and what it already holds is skipped.
     */
    uncertain(partition: number) {
      stored.delete(partition);
    },
  };
}
