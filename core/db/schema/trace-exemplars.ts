import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The latest sampled trace that reached stage 2 for each (service, route): the alert evaluator makes
 * the span of an alert that fires on that service a child of it, so one trace leads from a request to
 * its notification. Written only while trace export is on; one row per series, overwritten.
 */
export const traceExemplars = sqliteTable(
  "trace_exemplars",
  {
    service: text("service").notNull(),
    route: text("route").notNull(),
    /** W3C traceparent of the stage-2 span that continued the request's trace. */
    traceparent: text("traceparent").notNull(),
    atMs: integer("at_ms").notNull(),
  },
  (t) => [primaryKey({ columns: [t.service, t.route] })],
);
