/**
 * Writes a batch of market events to libSQL in ONE transaction, together with the consumed offset:
 * the history (`market_events`, once per event id), the latest price per carrier and region
 * (`market_prices`) and the latest version of each subsidy program (`subsidy_programs`). A crash before
 * the commit leaves nothing and the batch is read again from the stored offset; after it, the offset
 * says the batch is done. Idempotent on top: a replayed event id changes nothing (each latest-row
 * upsert first checks that the id is not in the history yet), and a latest row is replaced only by a
 * newer event (greater `ts`; equal `ts`: greater event id, so every order of arrival converges).
 */
import type { InStatement } from "@libsql/client";
import { type Database, libsqlClient } from "../../core/db/database.ts";
import type { MarketEvent } from "../../core/events/market-event.ts";
import { regionKey } from "../../core/market/regions.ts";
import { type OffsetPosition, offsetStatement, readStoredOffset } from "../kafka/stored-offsets.ts";
import type { ConsumedMarketEvent } from "./market.process.ts";

/**
 * What a consumed event did: `applied` (new, and the latest of its price or program, or a regulation),
 * `superseded` (new, kept in the history, but older than the stored latest), `duplicate` (id seen before).
 */
export type MarketOutcome = "applied" | "superseded" | "duplicate";

export interface MarketStore {
  apply(
    events: readonly ConsumedMarketEvent[],
    offset: OffsetPosition,
    nowMs: number,
  ): Promise<MarketOutcome[]>;
  storedOffset(
    consumerGroup: string,
    topic: string,
    partition: number,
  ): Promise<bigint | undefined>;
}

const notSeen = "where not exists (select 1 from market_events where id = ?)";
const newer = (table: string) =>
  `excluded.ts_ms > ${table}.ts_ms or (excluded.ts_ms = ${table}.ts_ms and excluded.event_id > ${table}.event_id)`;

const priceSql =
  "insert into market_prices (carrier, region, eur_per_kwh, as_of_ms, source, event_id, updated_at_ms) " +
  `select ?, ?, ?, ?, ?, ?, ? ${notSeen} ` +
  "on conflict (carrier, region) do update set eur_per_kwh = excluded.eur_per_kwh, as_of_ms = excluded.as_of_ms, " +
  "source = excluded.source, event_id = excluded.event_id, updated_at_ms = excluded.updated_at_ms " +
  `where ${newer("market_prices").replaceAll("ts_ms", "as_of_ms")}`;

const programSql =
  "insert into subsidy_programs (program, event_id, ts_ms, regions, min_class_jump, max_subsidy_pct, " +
  "max_budget_eur, opens_at_ms, closes_at_ms, url, updated_at_ms) " +
  `select ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? ${notSeen} ` +
  "on conflict (program) do update set event_id = excluded.event_id, ts_ms = excluded.ts_ms, " +
  "regions = excluded.regions, min_class_jump = excluded.min_class_jump, max_subsidy_pct = excluded.max_subsidy_pct, " +
  "max_budget_eur = excluded.max_budget_eur, opens_at_ms = excluded.opens_at_ms, closes_at_ms = excluded.closes_at_ms, " +
  `url = excluded.url, updated_at_ms = excluded.updated_at_ms where ${newer("subsidy_programs")}`;

const historySql =
  "insert into market_events (id, kind, ts_ms, carrier, region, regions, program, event, topic, partition, offset, received_at_ms) " +
  "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (id) do nothing";

/**
 * Columns the history is filtered by, per kind. A price's region is kept as written (assessments and
 * price rules read it so); a subsidy's regions by their comparison key (trimmed, lower-cased:
 * core/market/regions.ts), so the region filter finds the programs a subsidy alert matches.
 */
function historyColumns(event: MarketEvent) {
  switch (event.kind) {
    case "price":
      return { carrier: event.carrier, region: event.region ?? "", regions: null, program: null };
    case "subsidy":
      return {
        carrier: null,
        region: null,
        regions: event.regions === "all" ? null : JSON.stringify(event.regions.map(regionKey)),
        program: event.program,
      };
    case "regulation":
      return { carrier: null, region: null, regions: null, program: null };
  }
}

/** The statements of one event: its latest-row upsert (prices, programs) first, then its history row. */
function eventStatements(
  { event, partition, offset }: ConsumedMarketEvent,
  topic: string,
  nowMs: number,
): InStatement[] {
  const statements: InStatement[] = [];
  if (event.kind === "price") {
    statements.push({
      sql: priceSql,
      args: [
        event.carrier,
        event.region ?? "",
        event.value,
        event.ts,
        topic,
        event.id,
        nowMs,
        event.id,
      ],
    });
  } else if (event.kind === "subsidy") {
    statements.push({
      sql: programSql,
      args: [
        event.program,
        event.id,
        event.ts,
        event.regions === "all" ? null : JSON.stringify(event.regions),
        event.minClassJump ?? null,
        event.maxSubsidyPct ?? null,
        event.maxBudgetEur ?? null,
        event.opensAt ?? null,
        event.closesAt ?? null,
        event.url ?? null,
        nowMs,
        event.id,
      ],
    });
  }
  const columns = historyColumns(event);
  statements.push({
    sql: historySql,
    args: [
      event.id,
      event.kind,
      event.ts,
      columns.carrier,
      columns.region,
      columns.regions,
      columns.program,
      JSON.stringify(event),
      topic,
      partition,
      offset,
      nowMs,
    ],
  });
  return statements;
}

export function createMarketStore(db: Database): MarketStore {
  const client = libsqlClient(db);
  return {
    async apply(events, offset, nowMs) {
      const statements: InStatement[] = [];
      const counts: number[] = [];
      for (const consumed of events) {
        const own = eventStatements(consumed, offset.topic, nowMs);
        counts.push(own.length);
        statements.push(...own);
      }
      statements.push(offsetStatement(offset, nowMs));
      const results = await client.batch(statements, "write");
      let at = 0;
      return counts.map((count) => {
        const latest = results[at]?.rowsAffected ?? 0;
        const history = results[at + count - 1]?.rowsAffected ?? 0;
        at += count;
        if (history === 0) return "duplicate";
        return count === 1 || latest > 0 ? "applied" : "superseded";
      });
    },
    storedOffset: (consumerGroup, topic, partition) =>
      readStoredOffset(db, consumerGroup, topic, partition),
  };
}
