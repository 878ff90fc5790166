import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Window state of stage 2: exact event counts and the HDR histogram of each (service, route) per
 * event-time minute (kept for days) and per hour (kept for weeks), written together with the consumed
 * offsets in one transaction. `goodWithin` maps a latency threshold in ms to the events at or below it.
 */
const columns = {
  service: text("service").notNull(),
  route: text("route").notNull(),
  total: integer("total").notNull(),
  good: integer("good").notNull(),
  goodWithin: text("good_within", { mode: "json" }).$type<Record<string, number>>().notNull(),
  /** HDR histogram of durations in µs, V2 compressed base64. */
  histogram: text("histogram").notNull(),
  updatedAtMs: integer("updated_at_ms").notNull(),
};

export const requestMinutes = sqliteTable(
  "request_minutes",
  { ...columns, bucketStartMs: integer("bucket_start_ms").notNull() },
  (t) => [
    primaryKey({ columns: [t.service, t.route, t.bucketStartMs] }),
    index("request_minutes_service_time_idx").on(t.service, t.bucketStartMs),
    // The incremental alert evaluator asks which services got new data since its last tick.
    index("request_minutes_updated_idx").on(t.updatedAtMs),
  ],
);

export const requestHours = sqliteTable(
  "request_hours",
  { ...columns, bucketStartMs: integer("bucket_start_ms").notNull() },
  (t) => [
    primaryKey({ columns: [t.service, t.route, t.bucketStartMs] }),
    index("request_hours_service_time_idx").on(t.service, t.bucketStartMs),
  ],
);

export type RequestWindowRow = typeof requestMinutes.$inferSelect;
