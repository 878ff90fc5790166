/**
 * Writes a tenant's step in ONE libSQL write transaction (a batch): first the lease check (renews the
 * lease, or fails and rolls everything back if another process holds it), then the changed alert
 * rows (upserted) and the dropped ones (deleted), the tenant's notification groups (replaced when
 * changed), the outbox rows (INSERT ... ON CONFLICT DO NOTHING, keyed by channel, target and
 * idempotency key, so a replayed step inserts nothing twice), the alert history (an episode's row
 * when it fires, with the rule and SLO as they are; its resolution) and the transitions outbox (one
 * row per transition, published to Kafka by transitions-relay.ts).
 *
 * The acknowledgement columns belong to the API: an update leaves them as they are, except when a new
 * episode of the alert begins, which clears them. A step that changes nothing writes nothing.
 */

import { type Client, type InStatement, LibsqlError } from "@libsql/client";
import type { AlertRule, AlertState, AlertTransition } from "../../core/alerts/index.ts";
import type { AlertHistoryRule, AlertRow } from "../../core/db/schema/index.ts";
import { asTransitionMessage } from "../../core/events/alert-transition.ts";
import { outboxInsertStatement } from "../notify/outbox-rows.ts";
import { LeaseLostError, leaseStatement } from "./lease.ts";
import type { StepResult } from "./step.ts";
import type { TenantSnapshot } from "./tenant.ts";

export interface WriteArgs {
  snapshot: Pick<
    TenantSnapshot,
    "tenantId" | "rows" | "states" | "groups" | "heldRuleIds" | "rules" | "slos"
  >;
  step: Pick<StepResult, "states" | "groups" | "outbox" | "transitions">;
  nowMs: number;
  lease: { holder: string; leaseMs: number; name?: string };
}

export interface WriteSummary {
  /** Statements committed (0: the step changed nothing and wrote nothing, not even the lease). */
  statements: number;
  upserted: number;
  deleted: number;
  groupsReplaced: boolean;
  outboxRows: number;
  historyRows: number;
  transitionRows: number;
}

/** The history row of an alert's episode: one per (fingerprint, firing time). */
export const historyId = (fingerprint: string, firedAtMs: number) => `${fingerprint}-${firedAtMs}`;

/** The rule (and for SLO burn rules, the SLO) as it is now, for the history. */
export function historyRule(
  snapshot: Pick<TenantSnapshot, "rules" | "slos">,
  ruleId: string,
): AlertHistoryRule | undefined {
  const rule: AlertRule | undefined = snapshot.rules.find((r) => r.id === ruleId);
  if (!rule) return undefined;
  if (rule.kind !== "slo_burn") return { rule };
  const slo = snapshot.slos.find((s) => s.id === rule.params.sloId);
  return slo ? { rule, slo: { id: slo.id, definition: slo.definition } } : { rule };
}

/** The statements keeping the history of a step's transitions (firing: a row; resolved: its end). */
export function historyStatements(
  snapshot: Pick<TenantSnapshot, "tenantId" | "rules" | "slos">,
  transitions: readonly AlertTransition[],
  nowMs: number,
): InStatement[] {
  const out: InStatement[] = [];
  for (const t of transitions) {
    if (t.firedAtMs === null || (t.to !== "firing" && t.to !== "resolved")) continue;
    const id = historyId(t.fingerprint, t.firedAtMs);
    const rule = historyRule(snapshot, t.ruleId);
    const resolvedAtMs = t.to === "resolved" ? t.resolvedAtMs : null;
    if (rule) {
      // Inserted when the alert fires; a resolution completes it (or writes it whole, for an alert
      // that fired before the history existed). The rule as it was at firing is kept.
      out.push({
        sql: `insert into alert_history (id, tenant_id, fingerprint, rule_id, rule_name, rule, severity, status,
                labels, annotations, value, active_at_ms, fired_at_ms, resolved_at_ms, updated_at_ms)
              values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
              on conflict (id) do update set status = excluded.status, labels = excluded.labels,
                annotations = excluded.annotations, value = excluded.value,
                resolved_at_ms = excluded.resolved_at_ms, updated_at_ms = excluded.updated_at_ms
              where alert_history.tenant_id = excluded.tenant_id`,
        args: [
          id,
          snapshot.tenantId,
          t.fingerprint,
          t.ruleId,
          rule.rule.name,
          JSON.stringify(rule),
          t.labels.severity ?? rule.rule.severity,
          t.to,
          JSON.stringify(t.labels),
          JSON.stringify(t.annotations),
          t.value,
          t.activeAtMs,
          t.firedAtMs,
          resolvedAtMs,
          nowMs,
        ],
      });
    } else if (t.to === "resolved") {
      // The rule is gone (deleted): its episode's row, written when it fired, keeps the rule.
      out.push({
        sql: `update alert_history set status = 'resolved', resolved_at_ms = ?, value = ?, updated_at_ms = ?
              where id = ? and tenant_id = ?`,
        args: [resolvedAtMs, t.value, nowMs, id, snapshot.tenantId],
      });
    }
  }
  return out;
}

/** A new episode: the alert did not exist, or it became active again after resolving or dropping. */
export const isNewEpisode = (previous: AlertRow | undefined, next: AlertState) =>
  previous === undefined ||
  previous.state.activeAtMs !== next.activeAtMs ||
  (previous.status === "resolved" && next.status !== "resolved");

/**
 * Whether two JSON-like values have the same JSON text (`JSON.stringify(a) === JSON.stringify(b)`,
 * key order included) without building it: undefined (and function) properties are left out, array
 * holes and non-finite numbers are null, as JSON.stringify writes them.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ta = jsonKind(a);
  if (ta !== jsonKind(b)) return false;
  if (ta === "null") return true;
  if (ta === "array") {
    const x = a as unknown[];
    const y = b as unknown[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) {
      const u = x[i] === undefined || typeof x[i] === "function" ? null : x[i];
      const v = y[i] === undefined || typeof y[i] === "function" ? null : y[i];
      if (!sameJson(u, v)) return false;
    }
    return true;
  }
  if (ta !== "object") return false; // different strings, finite numbers or booleans
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  if (typeof x.toJSON === "function" || typeof y.toJSON === "function")
    return JSON.stringify(a) === JSON.stringify(b);
  const kx = Object.keys(x);
  const ky = Object.keys(y);
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < kx.length && skipped(x[kx[i] as string])) i++;
    while (j < ky.length && skipped(y[ky[j] as string])) j++;
    if (i === kx.length || j === ky.length) return i === kx.length && j === ky.length;
    const key = kx[i] as string;
    if (key !== ky[j] || !sameJson(x[key], y[key])) return false;
    i++;
    j++;
  }
}

const skipped = (v: unknown) => v === undefined || typeof v === "function" || typeof v === "symbol";

function jsonKind(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "number") return Number.isFinite(v) ? "number" : "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

export function stepStatements(args: WriteArgs): {
  statements: InStatement[];
  summary: WriteSummary;
} {
  const { snapshot, step, nowMs } = args;
  const tenantId = snapshot.tenantId;
  const loaded = new Map(snapshot.states.map((s) => [s.fingerprint, s]));
  const body: InStatement[] = [];
  const summary: WriteSummary = {
    statements: 0,
    upserted: 0,
    deleted: 0,
    groupsReplaced: false,
    outboxRows: 0,
    historyRows: 0,
    transitionRows: 0,
  };

  for (const state of step.states) {
    const before = loaded.get(state.fingerprint);
    if (before && sameJson(before, state)) continue;
    const previous = snapshot.rows.get(state.fingerprint);
    const fresh = isNewEpisode(previous, state);
    const stored: AlertState = fresh
      ? { ...state, acknowledgedAtMs: null, acknowledgedBy: null }
      : state;
    body.push({
      sql: `insert into alerts (id, tenant_id, rule_id, status, state, acknowledged_at_ms, acknowledged_by, updated_at_ms)
            values (?, ?, ?, ?, ?, null, null, ?)
            on conflict (id) do update set rule_id = excluded.rule_id, status = excluded.status,
              state = excluded.state, updated_at_ms = excluded.updated_at_ms${
                fresh ? ", acknowledged_at_ms = null, acknowledged_by = null" : ""
              }
            where alerts.tenant_id = excluded.tenant_id`,
      args: [
        state.fingerprint,
        tenantId,
        state.ruleId,
        state.status,
        JSON.stringify(stored),
        nowMs,
      ],
    });
    summary.upserted++;
  }
  const kept = new Set(step.states.map((s) => s.fingerprint));
  for (const state of snapshot.states) {
    if (kept.has(state.fingerprint) || snapshot.heldRuleIds.has(state.ruleId)) continue;
    body.push({
      sql: "delete from alerts where id = ? and tenant_id = ?",
      args: [state.fingerprint, tenantId],
    });
    summary.deleted++;
  }

  const byKey = <T extends { key: string }>(list: readonly T[]) =>
    [...list].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (snapshot.groups !== step.groups && !sameJson(byKey(snapshot.groups), byKey(step.groups))) {
    body.push({ sql: "delete from notification_groups where tenant_id = ?", args: [tenantId] });
    for (const group of step.groups) {
      body.push({
        sql: "insert into notification_groups (tenant_id, route_id, group_key, state) values (?, ?, ?, ?)",
        args: [tenantId, group.routeId, group.key, JSON.stringify(group)],
      });
    }
    summary.groupsReplaced = true;
  }

  for (const row of step.outbox) {
    body.push(outboxInsertStatement(row, "alert"));
    summary.outboxRows++;
  }

  const history = historyStatements(snapshot, step.transitions, nowMs);
  body.push(...history);
  summary.historyRows = history.length;
  for (const t of step.transitions) {
    body.push({
      sql: `insert into alert_transitions_outbox (id, tenant_id, fingerprint, payload, created_at_ms)
            values (?, ?, ?, ?, ?) on conflict do nothing`,
      args: [
        t.id,
        tenantId,
        t.fingerprint,
        JSON.stringify(asTransitionMessage(t, tenantId)),
        nowMs,
      ],
    });
    summary.transitionRows++;
  }

  if (body.length === 0) return { statements: [], summary };
  summary.statements = body.length + 1;
  return {
    statements: [leaseStatement({ ...args.lease, nowMs }), ...body],
    summary,
  };
}

/**
 * Commits the step; nothing when it changes nothing. Throws LeaseLostError (having written nothing)
 * when another process holds the lease.
 */
export async function writeStep(client: Client, args: WriteArgs): Promise<WriteSummary> {
  const { statements, summary } = stepStatements(args);
  if (statements.length === 0) return summary;
  await writeStatements(client, statements, args.lease.holder);
  return summary;
}

/** Commits a step's statements (`stepStatements`); LeaseLostError when its lease check failed. */
export async function writeStatements(
  client: Client,
  statements: InStatement[],
  holder: string,
): Promise<void> {
  try {
    await client.batch(statements, "write");
  } catch (error) {
    // The lease statement's NOT NULL failure, by its message (an error over HTTP may not carry the
    // statement index); any other failure is an error of the step.
    const leaseLost =
      error instanceof LibsqlError &&
      /NOT NULL constraint failed: leases\.holder/.test(error.message);
    if (leaseLost) throw new LeaseLostError(holder);
    throw error;
  }
}

/**
 * The snapshot as a committed step left the stored rows (so a cached snapshot need not be read
 * again): the step's states (held ones unchanged), rows whose status and state are the stored ones,
 * and the step's groups. The acknowledgement columns are the API's: a change there is an edit
 * (alert_input_changes) and makes the caller read the tenant again.
 */
export function afterCommit(
  snapshot: TenantSnapshot,
  step: Pick<StepResult, "states" | "held" | "groups">,
  nowMs: number,
): TenantSnapshot {
  const rows = new Map<string, AlertRow>();
  for (const s of step.held) {
    const row = snapshot.rows.get(s.fingerprint);
    if (row) rows.set(s.fingerprint, row);
  }
  for (const state of step.states) {
    const previous = snapshot.rows.get(state.fingerprint);
    const fresh = isNewEpisode(previous, state);
    const stored: AlertState = fresh
      ? { ...state, acknowledgedAtMs: null, acknowledgedBy: null }
      : state;
    rows.set(state.fingerprint, {
      id: state.fingerprint,
      tenantId: snapshot.tenantId,
      ruleId: state.ruleId,
      status: state.status,
      state: stored,
      acknowledgedAtMs: fresh ? null : (previous?.acknowledgedAtMs ?? null),
      acknowledgedBy: fresh ? null : (previous?.acknowledgedBy ?? null),
      updatedAtMs: nowMs,
    } as AlertRow);
  }
  const states = [...rows.values()].map(
    (r): AlertState => ({
      ...r.state,
      acknowledgedAtMs: r.acknowledgedAtMs,
      acknowledgedBy: r.acknowledgedBy,
    }),
  );
  return { ...snapshot, rows, states, groups: step.groups };
}
