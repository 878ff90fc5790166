/**
 * Trace exemplars in libSQL (`trace_exemplars`): stage 2 records, per (service, route), the latest
 * trace it continued; the alert evaluator reads it when an alert on that service fires and makes the
 * firing's span a child of it. Best effort: a failed write only costs that link.
 */
import { and, desc, eq, sql } from "drizzle-orm";
import type { Database } from "../../core/db/database.ts";
import { traceExemplars } from "../../core/db/schema/index.ts";

export interface TraceExemplar {
  service: string;
  route: string;
  traceparent: string;
}

export interface ExemplarStore {
  record(exemplars: readonly TraceExemplar[], atMs: number): Promise<void>;
  /** The latest exemplar of the route, or of the service as a whole when `route` is undefined. */
  latest(service: string, route: string | undefined): Promise<string | undefined>;
}

export function createExemplarStore(db: Database): ExemplarStore {
  return {
    async record(exemplars, atMs) {
      if (exemplars.length === 0) return;
      await db
        .insert(traceExemplars)
        .values(exemplars.map((e) => ({ ...e, atMs })))
        .onConflictDoUpdate({
          target: [traceExemplars.service, traceExemplars.route],
          set: { traceparent: sql`excluded.traceparent`, atMs: sql`excluded.at_ms` },
        });
    },
    async latest(service, route) {
      const [row] = await db
        .select({ traceparent: traceExemplars.traceparent })
        .from(traceExemplars)
        .where(
          route === undefined
            ? eq(traceExemplars.service, service)
            : and(eq(traceExemplars.service, service), eq(traceExemplars.route, route)),
        )
        .orderBy(desc(traceExemplars.atMs))
        .limit(1);
      return row?.traceparent;
    },
  };
}
