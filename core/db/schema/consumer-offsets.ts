import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Kafka offsets stored together with the effects they produced (in the same libSQL transaction), so a
 * consumer that restarts seeks here instead of trusting the group's committed offsets.
 * `nextOffset` is the offset of the next message to read (last processed + 1), as a decimal string
 * because Kafka offsets are 64-bit.
 */
export const consumerOffsets = sqliteTable(
  "consumer_offsets",
  {
    consumerGroup: text("consumer_group").notNull(),
    topic: text("topic").notNull(),
    partition: integer("partition").notNull(),
    nextOffset: text("next_offset").notNull(),
    updatedAtMs: integer("updated_at_ms").notNull(),
  },
  (table) => [primaryKey({ columns: [table.consumerGroup, table.topic, table.partition] })],
);

export type ConsumerOffset = typeof consumerOffsets.$inferSelect;
