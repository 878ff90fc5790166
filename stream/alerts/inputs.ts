/**
 * Gathers what core/alerts' `evaluate` reads for one tenant at `now`, from libSQL: SLO tier statuses
 * (the same core functions as GET /v1/slos/:id/status), latency quantiles of latency_threshold rules
 * over their windows (as GET /v1/latency), price points of market_price rules (the window's points and
 * the last one at or before its start), subsidy programs and the tenant's subscriber profile (regions
 * and KENAK classes of its stored assessments). Only what the tenant's rules need is read. A failing
 * read leaves that input out (its rules see no data and keep their state) and is reported, so one bad
 * input never stops the others.
 */
import { and, desc, eq, gt, isNotNull, lte, sql } from "drizzle-orm";
import type {
  AlertRule,
  EvaluationInputs,
  LatencyObservation,
  LatencyWindow,
  PricePoint,
  SloBurnInput,
  SubscriberProfile,
  SubsidyProgram,
} from "../../core/alerts/index.ts";
import type { Database } from "../../core/db/database.ts";
import {
  assessments,
  marketEvents,
  type SubsidyProgramRow,
  subsidyPrograms,
} from "../../core/db/schema/index.ts";
import type { EnergyClass } from "../../core/energy/index.ts";
import type { EnergyCarrier, MarketEvent } from "../../core/events/market-event.ts";
import { countWindows, latencyBetween } from "../../core/latency/window-queries.ts";
import { latencyThresholdMs, type SloDefinition } from "../../core/slo/definition.ts";
import { durationMs } from "../../core/slo/durations.ts";
import { computeSloStatus, sloCountWindows } from "../../core/slo/status.ts";

export interface InputProblem {
  kind: "slo" | "latency" | "price" | "subsidy";
  id: string;
  error: unknown;
}

export interface GatherArgs {
  tenantId: string;
  nowMs: number;
  rules: readonly AlertRule[];
  slos: readonly { id: string; definition: SloDefinition }[];
  /**
   * Reads of shared (not tenant-owned) data at the same `nowMs` — latency, prices, subsidy programs —
   * kept for the other tenants of one tick: `newInputCache()` per tick.
   */
  cache?: InputCache;
}

/**
 * Shared reads of one tick, by key: settled ones are handed out without a turn of the event loop. The
 * cache serves one `nowMs`: a call with another clears it (`carryInputCache` starts a tick's cache
 * from the previous one's still-valid reads).
 */
export interface InputCache {
  nowMs: number | undefined;
  entries: Map<string, CacheEntry>;
}
interface CacheEntry {
  promise: Promise<unknown>;
  done: boolean;
  value: unknown;
  /** The service whose request windows the read covers (reads over whole minutes: SLO, latency). */
  service?: string;
}
export const newInputCache = (): InputCache => ({ nowMs: undefined, entries: new Map() });

/**
 * A tick's cache holding the previous tick's settled reads of request windows that are still what a
 * read would return: those of services without new windows (`changed`: the services whose stored
 * windows changed since) within the same minute. SLO tier and latency reads select whole minute
 * (and hour) buckets, so within a minute they change only when their service's rows do — the rule
 * the evaluator already steps tenants by (their `minuteAligned` rules are due at every minute).
 */
export function carryInputCache(
  previous: InputCache | undefined,
  nowMs: number,
  changed: ReadonlySet<string>,
): InputCache {
  const cache: InputCache = { nowMs, entries: new Map() };
  if (previous?.nowMs === undefined) return cache;
  if (Math.floor(previous.nowMs / 60_000) !== Math.floor(nowMs / 60_000)) return cache;
  for (const [key, entry] of previous.entries)
    if (entry.done && entry.service !== undefined && !changed.has(entry.service))
      cache.entries.set(key, entry);
  return cache;
}

function shared<T>(cache: InputCache | undefined, key: unknown[], read: () => Promise<T>) {
  return cache ? sharedBy(cache, JSON.stringify(key), read) : read();
}

/** A value computed from shared reads, once per tick under `k`. */
function sharedValue<T>(cache: InputCache, k: string, compute: () => T): T {
  const hit = cache.entries.get(k);
  if (hit?.done) return hit.value as T;
  const value = compute();
  cache.entries.set(k, { promise: Promise.resolve(value), done: true, value });
  return value;
}

/** The shared read under `k`: its value once settled, else its promise. */
function sharedBy<T>(
  cache: InputCache | undefined,
  k: string,
  read: () => Promise<T>,
  service?: string,
): T | Promise<T> {
  if (!cache) return read();
  const hit = cache.entries.get(k);
  if (hit) return hit.done ? (hit.value as T) : (hit.promise as Promise<T>);
  const promise = read();
  const entry: CacheEntry = { promise, done: false, value: undefined };
  if (service !== undefined) entry.service = service;
  promise.then(
    (value) => {
      entry.done = true;
      entry.value = value;
    },
    // A failed read is not kept: the next tenant tries again (and reports its own problem).
    () => {
      if (cache.entries.get(k) === entry) cache.entries.delete(k);
    },
  );
  cache.entries.set(k, entry);
  return promise;
}

/**
 * The shared input a rule reads, as a key (computed once per rule object: a tenant's rules are kept
 * between steps): latency by service, route and window; prices by carrier, region and look-back.
 */
const ruleKeys = new WeakMap<AlertRule, string>();
function ruleInputKey(rule: AlertRule): string {
  let key = ruleKeys.get(rule);
  if (key === undefined) {
    if (rule.kind === "latency_threshold") {
      const { service, route, window } = rule.params;
      key = `latency|${JSON.stringify([service, route ?? null, window])}`;
    } else if (rule.kind === "market_price") {
      const { carrier, region, condition } = rule.params;
      const windowMs = condition.op === "change_pct" ? durationMs(condition.window) : 0;
      key = `price|${JSON.stringify([carrier, region ?? "", windowMs])}`;
    } else key = `${rule.kind}|${JSON.stringify(rule.id)}`;
    ruleKeys.set(rule, key);
  }
  return key;
}

/** An SLO definition as a key (computed once per definition object). */
const definitionKeys = new WeakMap<SloDefinition, string>();
function definitionKey(definition: SloDefinition): string {
  let key = definitionKeys.get(definition);
  if (key === undefined) {
    key = `tiers|${JSON.stringify(definition)}`;
    definitionKeys.set(definition, key);
  }
  return key;
}

const latencyWindowMs: Record<LatencyWindow, number> = {
  "1m": 60_000,
  "5m": 300_000,
  "1h": 3_600_000,
  "1d": 86_400_000,
};

export async function gatherInputs(
  db: Database,
  args: GatherArgs,
): Promise<{ inputs: EvaluationInputs; problems: InputProblem[] }> {
  const problems: InputProblem[] = [];
  const { nowMs, cache } = args;
  /** A read's value (or undefined, its problem recorded); a promise only while it is being read. */
  const attempt = <T>(
    kind: InputProblem["kind"],
    id: string,
    read: () => T | Promise<T>,
  ): T | undefined | Promise<T | undefined> => {
    const failed = (error: unknown) => {
      problems.push({ kind, id, error });
      return undefined;
    };
    try {
      const value = read();
      return value instanceof Promise ? value.catch(failed) : value;
    } catch (error) {
      return failed(error);
    }
  };
  const known = settledInputs(cache, args);
  if (known) return { inputs: known, problems };
  const inputs: EvaluationInputs = {};
  const plan = readPlan(args);

  const slo: SloBurnInput[] = [];
  for (const { sloId, definition, key } of plan.slo) {
    // Tenants with equal SLO definitions get equal tiers: computed once per tick.
    const read = attempt("slo", sloId, () =>
      sharedBy(cache, key, () => sloTiers(db, definition, nowMs, cache), definition.service),
    );
    const tiers = read instanceof Promise ? await read : read;
    if (tiers) slo.push({ sloId, tiers });
  }
  if (slo.length > 0) inputs.slo = slo;

  const latency: LatencyObservation[] = [];
  for (const { key, rule } of plan.latency) {
    const { service, route, window } = rule.params;
    const read = attempt("latency", rule.id, () =>
      sharedBy(
        cache,
        key,
        () =>
          latencyBetween(db, {
            service,
            route,
            fromMs: nowMs - latencyWindowMs[window],
            toMs: nowMs + 1,
          }),
        service,
      ),
    );
    const report = read instanceof Promise ? await read : read;
    if (report) latency.push(latencyObservation(rule, report));
  }
  if (latency.length > 0) inputs.latency = latency;

  const prices: PricePoint[] = [];
  let pricesComplete = true;
  for (const { key, rule } of plan.prices) {
    const { carrier, region, condition } = rule.params;
    const windowMs = condition.op === "change_pct" ? durationMs(condition.window) : 0;
    const read = attempt("price", rule.id, () =>
      sharedBy(cache, key, () =>
        pricePoints(db, { carrier, region: region ?? "", nowMs, windowMs }),
      ),
    );
    const points = read instanceof Promise ? await read : read;
    if (points) prices.push(...points);
    else pricesComplete = false;
  }
  if (prices.length > 0) {
    // Tenants reading the same price series share their merged points (when every read succeeded).
    inputs.prices =
      cache && pricesComplete
        ? sharedValue(cache, plan.pricesKey, () => dedupePoints(prices))
        : dedupePoints(prices);
  }

  if (plan.subsidy) {
    const subsidies = await attempt("subsidy", args.tenantId, async () => ({
      programs: await shared(cache, ["subsidy"], () => subsidyProgramList(db)),
      subscriber: await subscriberProfile(db, args.tenantId),
    }));
    if (subsidies) inputs.subsidies = subsidies;
  }
  return { inputs, problems };
}

type LatencyRule = Extract<AlertRule, { kind: "latency_threshold" }>;
type PriceRule = Extract<AlertRule, { kind: "market_price" }>;

/** A latency rule's observation from its read's report. */
function latencyObservation(
  rule: LatencyRule,
  report: Awaited<ReturnType<typeof latencyBetween>>,
): LatencyObservation {
  const { service, route, window } = rule.params;
  const { count, p50, p90, p95, p99, p999 } = report;
  return { service, route: route ?? null, window, quantiles: { count, p50, p90, p95, p99, p999 } };
}

/**
 * What a tenant's rules read, as cache keys, each distinct read once with the first rule that needs
 * it (computed once per rules and SLO list).
 */
interface ReadPlan {
  slos: readonly { id: string; definition: SloDefinition }[];
  slo: { sloId: string; definition: SloDefinition; key: string }[];
  latency: { key: string; rule: LatencyRule }[];
  prices: { key: string; rule: PriceRule }[];
  /** Key of the merged price points of `prices`. */
  pricesKey: string;
  subsidy: boolean;
}

const readPlans = new WeakMap<readonly AlertRule[], ReadPlan>();

function readPlan(args: GatherArgs): ReadPlan {
  const hit = readPlans.get(args.rules);
  if (hit && hit.slos === args.slos) return hit;
  const sloIds = new Set<string>();
  const latency: ReadPlan["latency"] = [];
  const prices: ReadPlan["prices"] = [];
  for (const rule of args.rules) {
    if (rule.kind === "slo_burn") sloIds.add(rule.params.sloId);
    else if (rule.kind === "latency_threshold") {
      const key = ruleInputKey(rule);
      if (!latency.some((l) => l.key === key)) latency.push({ key, rule });
    } else if (rule.kind === "market_price") {
      const key = ruleInputKey(rule);
      if (!prices.some((p) => p.key === key)) prices.push({ key, rule });
    }
  }
  const plan: ReadPlan = {
    slos: args.slos,
    slo: args.slos
      .filter((s) => sloIds.has(s.id))
      .map((s) => ({ sloId: s.id, definition: s.definition, key: definitionKey(s.definition) })),
    latency,
    prices,
    pricesKey: `prices|${prices.map((p) => p.key).join("\n")}`,
    subsidy: args.rules.some((r) => r.kind === "market_subsidy"),
  };
  readPlans.set(args.rules, plan);
  return plan;
}

/**
 * `gatherInputs` without waiting, when the tick's cache already holds every shared read the tenant's
 * rules need (else undefined: gather them).
 */
export function settledInputs(
  cache: InputCache | undefined,
  args: GatherArgs,
): EvaluationInputs | undefined {
  if (!cache) return undefined;
  if (cache.nowMs !== args.nowMs) {
    cache.nowMs = args.nowMs;
    cache.entries.clear();
  }
  return knownInputs(cache, args);
}

/**
 * The tenant's inputs when every shared read they need is already settled in the cache (the usual
 * case after the first tenants of a tick): built without a turn of the event loop, exactly as the
 * reads below build them. Undefined when something is still to read (or failed, or the rules read
 * the tenant's own subscriber profile).
 */
function knownInputs(cache: InputCache, args: GatherArgs): EvaluationInputs | undefined {
  const plan = readPlan(args);
  if (plan.subsidy) return undefined;
  const entries = cache.entries;
  const inputs: EvaluationInputs = {};
  if (plan.slo.length > 0) {
    const slo: SloBurnInput[] = [];
    for (const { sloId, key } of plan.slo) {
      const hit = entries.get(key);
      if (!hit?.done) return undefined;
      slo.push({ sloId, tiers: hit.value as SloBurnInput["tiers"] });
    }
    inputs.slo = slo;
  }
  if (plan.latency.length > 0) {
    const latency: LatencyObservation[] = [];
    for (const { key, rule } of plan.latency) {
      const hit = entries.get(key);
      if (!hit?.done) return undefined;
      latency.push(
        latencyObservation(rule, hit.value as Awaited<ReturnType<typeof latencyBetween>>),
      );
    }
    inputs.latency = latency;
  }
  if (plan.prices.length > 0) {
    const merged = entries.get(plan.pricesKey);
    if (merged?.done) inputs.prices = merged.value as PricePoint[];
    else {
      const points: PricePoint[] = [];
      for (const { key } of plan.prices) {
        const hit = entries.get(key);
        if (!hit?.done) return undefined;
        points.push(...(hit.value as PricePoint[]));
      }
      if (points.length > 0)
        inputs.prices = sharedValue(cache, plan.pricesKey, () => dedupePoints(points));
    }
  }
  return inputs;
}

/** Tier statuses of an SLO at `nowMs`, exactly as GET /v1/slos/:id/status computes them. */
export async function sloTiers(
  db: Database,
  slo: SloDefinition,
  nowMs: number,
  cache?: InputCache,
) {
  const series = { service: slo.service, routes: slo.routes, thresholdMs: latencyThresholdMs(slo) };
  const windows = sloCountWindows(slo, nowMs);
  // The counts are shared data (request windows): tenants with SLOs over the same service, routes,
  // threshold and windows read them once per tick.
  const counts = await shared(cache, ["slo", series, windows], () =>
    countWindows(db, series, windows),
  );
  return computeSloStatus(slo, nowMs, counts).tiers;
}

/**
 * Price points of a carrier and region ("" = national) for a rule looking back `windowMs` (0: only
 * the latest price): the points in (now − window, now] and the last one at or before now − window
 * (the price in effect when the window opened). Points dated after `nowMs` are not read.
 */
export async function pricePoints(
  db: Database,
  q: { carrier: EnergyCarrier; region: string; nowMs: number; windowMs: number },
): Promise<PricePoint[]> {
  const startMs = q.nowMs - q.windowMs;
  const series = and(
    eq(marketEvents.kind, "price"),
    eq(marketEvents.carrier, q.carrier),
    eq(marketEvents.region, q.region),
  );
  const columns = { id: marketEvents.id, tsMs: marketEvents.tsMs, event: marketEvents.event };
  const inWindow =
    q.windowMs > 0
      ? await db
          .select(columns)
          .from(marketEvents)
          .where(and(series, gt(marketEvents.tsMs, startMs), lte(marketEvents.tsMs, q.nowMs)))
      : [];
  const baseline = await db
    .select(columns)
    .from(marketEvents)
    .where(and(series, lte(marketEvents.tsMs, startMs)))
    .orderBy(desc(marketEvents.tsMs), desc(marketEvents.id))
    .limit(1);
  return [...baseline, ...inWindow].flatMap((row) => {
    const event = row.event as MarketEvent;
    if (event.kind !== "price") return [];
    return [
      {
        carrier: q.carrier,
        ...(q.region === "" ? {} : { region: q.region }),
        tsMs: row.tsMs,
        eurPerKwh: event.value,
        eventId: row.id,
      },
    ];
  });
}

const dedupePoints = (points: PricePoint[]) => {
  const seen = new Set<string>();
  return points.filter((p) => {
    const key = JSON.stringify([p.carrier, p.region ?? "", p.tsMs, p.eurPerKwh, p.eventId ?? ""]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
};

/** The latest version of every subsidy program, as the MarketEvent it came from. */
export async function subsidyProgramList(db: Database): Promise<SubsidyProgram[]> {
  const rows = await db.select().from(subsidyPrograms).orderBy(subsidyPrograms.program);
  return rows.map(programOf);
}

export function programOf(row: SubsidyProgramRow): SubsidyProgram {
  return {
    id: row.eventId,
    ts: row.tsMs,
    kind: "subsidy",
    program: row.program,
    regions: row.regions ?? "all",
    ...(row.minClassJump !== null ? { minClassJump: row.minClassJump } : {}),
    ...(row.maxSubsidyPct !== null ? { maxSubsidyPct: row.maxSubsidyPct } : {}),
    ...(row.maxBudgetEur !== null ? { maxBudgetEur: row.maxBudgetEur } : {}),
    ...(row.opensAtMs !== null ? { opensAt: row.opensAtMs } : {}),
    ...(row.closesAtMs !== null ? { closesAt: row.closesAtMs } : {}),
    ...(row.url !== null ? { url: row.url } : {}),
  };
}

/**
 * The tenant as a subscriber: the prefectures of its stored assessments (the region an assessment
 * prices with) and their KENAK classes before upgrades.
 */
export async function subscriberProfile(
  db: Database,
  tenantId: string,
): Promise<SubscriberProfile> {
  const prefecture = sql<
    string | null
  >`json_extract(${assessments.input}, '$.location.prefecture')`;
  const regions = await db
    .selectDistinct({ region: prefecture })
    .from(assessments)
    .where(and(eq(assessments.tenantId, tenantId), isNotNull(prefecture)));
  const classes = await db
    .selectDistinct({ energyClass: assessments.energyClass })
    .from(assessments)
    .where(eq(assessments.tenantId, tenantId));
  return {
    regions: regions.flatMap((r) => (r.region ? [r.region] : [])).sort(),
    assessedClasses: classes.map((c) => c.energyClass as EnergyClass).sort(),
  };
}
