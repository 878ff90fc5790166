/**
 * Consumer offsets kept in libSQL (`consumer_offsets`) next to the effects they belong to: a consumer
 * adds `offsetStatement` to the batch that writes its effects, so both commit or neither does, and on
 * joining its group seeks each partition to `readStoredOffset`.
 */
import type { InStatement } from "@libsql/client";
import { and, eq } from "drizzle-orm";
import type { Database } from "../../core/db/database.ts";
import { consumerOffsets } from "../../core/db/schema/index.ts";

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
