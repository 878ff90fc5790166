/**
 * Loads what one evaluation step of a tenant starts from: its rules (explicit enabled rules and one
 * SLO burn rule per tier of each SLO), its alert states (with the API-owned acknowledgement columns
 * fed into them), notification groups, route and inhibition rules (defaults without a policy row),
 * silences not yet ended, and delivery targets (enabled webhook endpoints, push subscriptions).
 *
 * A stored rule or SLO that no longer validates is reported and its alerts are *held*: kept exactly
 * as they are (neither evaluated nor resolved as if the rule were deleted) until it is fixed.
 */
import { and, eq, gt, inArray, isNull, or, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import {
  type AlertRule,
  type AlertState,
  alertRuleSchema,
  defaultInhibitRules,
  type InhibitRule,
  inhibitRuleSchema,
  type NotificationGroup,
  type RouteConfig,
  routeSchema,
  type Silence,
  silenceSchema,
  sloBurnRules,
} from "../../core/alerts/index.ts";
import type { Database } from "../../core/db/database.ts";
import {
  type AlertRow,
  type AlertRuleRow,
  alertRules,
  alerts,
  type NotificationPolicyRow,
  notificationGroups,
  notificationPolicies,
  pushSubscriptions,
  type SilenceRow,
  type SloRow,
  silences,
  sloFromRow,
  slos,
  webhookEndpoints,
} from "../../core/db/schema/index.ts";
import {
  type NotificationFilter,
  notificationFilterSchema,
} from "../../core/notify/subscription-filter.ts";
import { type SloDefinition, sloDefinitionSchema } from "../../core/slo/definition.ts";

export interface LoadProblem {
  kind: "rule" | "slo" | "silence" | "policy" | "push_filter";
  id: string;
  /** Changes when the stored row changes: a problem is logged once per version. */
  version: string;
  error: unknown;
}

export interface TenantSnapshot {
  tenantId: string;
  rules: AlertRule[];
  slos: { id: string; definition: SloDefinition }[];
  /** Ids of rules that exist but could not be loaded: their alerts are held as they are. */
  heldRuleIds: Set<string>;
  /** Stored alert rows by fingerprint. */
  rows: Map<string, AlertRow>;
  /** Evaluator states, acknowledgement from the API's columns. */
  states: AlertState[];
  groups: NotificationGroup[];
  route: RouteConfig;
  inhibitRules: InhibitRule[];
  silences: Silence[];
  webhookIds: string[];
  push: { id: string; filters: NotificationFilter }[];
  problems: LoadProblem[];
  /**
   * When what was loaded goes stale by time alone (a push subscription's token expires): a cached
   * snapshot must be read again by then. Infinity: never.
   */
  reloadAtMs: number;
}

export const defaultRoute: RouteConfig = routeSchema.parse({});

/**
 * Whether a tenant has anything to evaluate: rules (SLOs), alerts and groups left from before, or
 * stored definitions to report as invalid.
 */
export const hasWork = (t: TenantSnapshot) =>
  t.rules.length > 0 || t.states.length > 0 || t.groups.length > 0 || t.problems.length > 0;

/** Tenants with anything to evaluate: rules, SLOs, or alerts and groups left from earlier steps. */
export async function tenantsToEvaluate(db: Database): Promise<string[]> {
  const ids = new Set<string>();
  for (const table of [alertRules, slos, alerts, notificationGroups]) {
    const rows = await db.selectDistinct({ tenantId: table.tenantId }).from(table);
    for (const r of rows) ids.add(r.tenantId);
  }
  return [...ids].sort();
}

/** A tenant's stored rows, as read for one step (or for every tenant at once). */
interface TenantRows {
  slos: SloRow[];
  rules: AlertRuleRow[];
  alerts: AlertRow[];
  groups: NotificationGroup[];
  policy: NotificationPolicyRow | undefined;
  silences: SilenceRow[];
  webhookIds: string[];
  push: { id: string; filters: unknown; expiresAtMs: number | null }[];
}

/**
 * Reads the rows of one tenant, of some tenants (a list) or of every tenant (`tenantId` undefined)
 * grouped by tenant: 8 queries either way, so a tick over many tenants reads in bulk.
 */
async function readRows(
  db: Database,
  tenantId: string | readonly string[] | undefined,
  nowMs: number,
): Promise<Map<string, TenantRows>> {
  const of = <T extends { tenantId: SQLiteColumn }>(table: T): SQL | undefined =>
    tenantId === undefined
      ? undefined
      : typeof tenantId === "string"
        ? eq(table.tenantId, tenantId)
        : inArray(table.tenantId, [...tenantId]);
  const [sloRows, ruleRows, alertRows, groupRows, policyRows, silenceRows, webhookRows, pushRows] =
    await Promise.all([
      db.select().from(slos).where(of(slos)).orderBy(slos.id),
      db
        .select()
        .from(alertRules)
        .where(and(of(alertRules), eq(alertRules.enabled, true)))
        .orderBy(alertRules.id),
      db.select().from(alerts).where(of(alerts)).orderBy(alerts.id),
      db.select().from(notificationGroups).where(of(notificationGroups)),
      db.select().from(notificationPolicies).where(of(notificationPolicies)),
      db
        .select()
        .from(silences)
        .where(and(of(silences), gt(silences.endsAtMs, nowMs)))
        .orderBy(silences.id),
      db
        .select({ id: webhookEndpoints.id, tenantId: webhookEndpoints.tenantId })
        .from(webhookEndpoints)
        .where(and(of(webhookEndpoints), isNull(webhookEndpoints.disabledAtMs)))
        .orderBy(webhookEndpoints.id),
      db
        .select({
          id: pushSubscriptions.id,
          tenantId: pushSubscriptions.tenantId,
          filters: pushSubscriptions.filters,
          expiresAtMs: pushSubscriptions.expiresAtMs,
        })
        .from(pushSubscriptions)
        // A subscriber token's subscriptions stop receiving alerts when the token expires.
        .where(
          and(
            of(pushSubscriptions),
            or(isNull(pushSubscriptions.expiresAtMs), gt(pushSubscriptions.expiresAtMs, nowMs)),
          ),
        )
        .orderBy(pushSubscriptions.id),
    ]);
  const byTenant = new Map<string, TenantRows>();
  const rowsOf = (id: string) => {
    let r = byTenant.get(id);
    if (!r) {
      r = {
        slos: [],
        rules: [],
        alerts: [],
        groups: [],
        policy: undefined,
        silences: [],
        webhookIds: [],
        push: [],
      };
      byTenant.set(id, r);
    }
    return r;
  };
  if (typeof tenantId === "string") rowsOf(tenantId);
  else if (tenantId !== undefined) for (const id of tenantId) rowsOf(id);
  for (const row of sloRows) rowsOf(row.tenantId).slos.push(row);
  for (const row of ruleRows) rowsOf(row.tenantId).rules.push(row);
  for (const row of alertRows) rowsOf(row.tenantId).alerts.push(row);
  for (const row of groupRows) rowsOf(row.tenantId).groups.push(row.state);
  for (const row of policyRows) rowsOf(row.tenantId).policy = row;
  for (const row of silenceRows) rowsOf(row.tenantId).silences.push(row);
  for (const row of webhookRows) rowsOf(row.tenantId).webhookIds.push(row.id);
  for (const row of pushRows) rowsOf(row.tenantId).push.push(row);
  return byTenant;
}

export async function loadTenant(
  db: Database,
  tenantId: string,
  nowMs: number,
): Promise<TenantSnapshot> {
  const rows = (await readRows(db, tenantId, nowMs)).get(tenantId) as TenantRows;
  return snapshotOf(tenantId, rows);
}

/**
 * The snapshots of the given tenants from one bulk read per chunk of 500 ids (a tenant without rows
 * gets an empty snapshot). Fails as a whole like `loadAllTenants`.
 */
export async function loadTenants(
  db: Database,
  tenantIds: readonly string[],
  nowMs: number,
): Promise<Map<string, TenantSnapshot>> {
  const out = new Map<string, TenantSnapshot>();
  for (let i = 0; i < tenantIds.length; i += 500) {
    const chunk = tenantIds.slice(i, i + 500);
    for (const [tenantId, rows] of await readRows(db, chunk, nowMs))
      out.set(tenantId, snapshotOf(tenantId, rows));
  }
  return out;
}

/**
 * Every tenant's snapshot from one bulk read. A row that cannot even be read (corrupt JSON) fails the
 * whole read: the caller then loads tenant by tenant, so only its tenant fails.
 */
export async function loadAllTenants(
  db: Database,
  nowMs: number,
): Promise<Map<string, TenantSnapshot>> {
  const out = new Map<string, TenantSnapshot>();
  for (const [tenantId, rows] of await readRows(db, undefined, nowMs)) {
    out.set(tenantId, snapshotOf(tenantId, rows));
  }
  return out;
}

function snapshotOf(tenantId: string, stored: TenantRows): TenantSnapshot {
  const problems: LoadProblem[] = [];
  const heldRuleIds = new Set<string>();
  const rules: AlertRule[] = [];
  const sloList: TenantSnapshot["slos"] = [];
  const storedRows = stored.alerts;

  for (const row of stored.slos) {
    const parsed = sloDefinitionSchema.safeParse(sloFromRow(row));
    if (!parsed.success) {
      problems.push({
        kind: "slo",
        id: row.id,
        version: String(row.updatedAtMs),
        error: parsed.error,
      });
      // Its tiers are unknown: hold every alert of a rule derived from it.
      for (const a of storedRows)
        if (a.ruleId.startsWith(`slo:${row.id}:`)) heldRuleIds.add(a.ruleId);
      continue;
    }
    sloList.push({ id: row.id, definition: parsed.data });
    rules.push(...sloBurnRules({ id: row.id, definition: parsed.data }));
  }

  for (const row of stored.rules) {
    const parsed = alertRuleSchema.safeParse(row.rule);
    if (!parsed.success || parsed.data.id !== row.id) {
      problems.push({
        kind: "rule",
        id: row.id,
        version: String(row.updatedAtMs),
        error: parsed.success ? new Error("the rule's id differs from its row id") : parsed.error,
      });
      heldRuleIds.add(row.id);
      continue;
    }
    rules.push(parsed.data);
  }

  const rows = new Map(storedRows.map((r) => [r.id, r]));
  const states = storedRows.map(
    (r): AlertState => ({
      ...r.state,
      acknowledgedAtMs: r.acknowledgedAtMs,
      acknowledgedBy: r.acknowledgedBy,
    }),
  );

  let route = defaultRoute;
  let inhibitRules: InhibitRule[] = [...defaultInhibitRules];
  const policy = stored.policy;
  if (policy) {
    const parsedRoute = routeSchema.safeParse(policy.route);
    const parsedInhibit = inhibitRuleSchema
      .array()
      .safeParse(policy.inhibitRules ?? defaultInhibitRules);
    if (!parsedRoute.success || !parsedInhibit.success) {
      problems.push({
        kind: "policy",
        id: policy.id,
        version: String(policy.updatedAtMs),
        error: parsedRoute.error ?? parsedInhibit.error,
      });
    } else {
      route = parsedRoute.data;
      inhibitRules = parsedInhibit.data;
    }
  }

  const activeSilences: Silence[] = [];
  for (const row of stored.silences) {
    const parsed = silenceSchema.safeParse({
      id: row.id,
      matchers: row.matchers,
      startsAtMs: row.startsAtMs,
      endsAtMs: row.endsAtMs,
    });
    if (parsed.success) activeSilences.push(parsed.data);
    else
      problems.push({
        kind: "silence",
        id: row.id,
        version: String(row.createdAtMs),
        error: parsed.error,
      });
  }

  const push: TenantSnapshot["push"] = [];
  let reloadAtMs = Number.POSITIVE_INFINITY;
  for (const row of stored.push) {
    if (row.expiresAtMs !== null) reloadAtMs = Math.min(reloadAtMs, row.expiresAtMs);
    const parsed = notificationFilterSchema.safeParse(row.filters ?? {});
    if (parsed.success) push.push({ id: row.id, filters: parsed.data });
    else problems.push({ kind: "push_filter", id: row.id, version: "", error: parsed.error });
  }

  return {
    tenantId,
    rules,
    slos: sloList,
    heldRuleIds,
    rows,
    states,
    groups: stored.groups,
    route,
    inhibitRules,
    silences: activeSilences,
    webhookIds: stored.webhookIds,
    push,
    problems,
    reloadAtMs,
  };
}
