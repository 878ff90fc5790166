import { describe, expect, it } from "vitest";
import type { AlertState } from "./evaluate.ts";
import { alertFingerprint } from "./hash.ts";
import { type Notification, type NotificationGroup, plan, routeSchema } from "./plan.ts";
import { type Silence, silenceSchema } from "./suppression.ts";

const T0 = Date.UTC(2026, 10, 30, 12);
const s = (seconds: number) => T0 + seconds * 1000;
/** Alertmanager's route: group_by alertname, 30s / 5m / 4h, send_resolved, no early escalation. */
const route = routeSchema.parse({
  group_by: ["alertname"],
  group_wait: 30_000,
  escalate_immediately: false,
});

function alert(
  name: string,
  extra: Record<string, string>,
  status: "firing" | "resolved" | "pending",
  firedAtS = 0,
  over: Partial<AlertState> = {},
): AlertState {
  const labels = { alertname: name, severity: "page", ...extra };
  return {
    fingerprint: alertFingerprint(`rule-${name}`, labels),
    ruleId: `rule-${name}`,
    status,
    labels,
    annotations: { summary: `${name} ${JSON.stringify(extra)}` },
    value: 1,
    activeAtMs: s(firedAtS),
    firedAtMs: status === "pending" ? null : s(firedAtS),
    resolvedAtMs: status === "resolved" ? s(firedAtS + 1) : null,
    keepFiringSinceMs: null,
    edge: false,
    acknowledgedAtMs: null,
    acknowledgedBy: null,
    ...over,
  };
}

/** Calls `plan` at each time with that time's alerts; returns notifications keyed by second. */
function timeline(
  steps: [seconds: number, alerts: AlertState[]][],
  /** Silences: fixed, or those existing at each step (a silence created later is absent before). */
  opts: { route?: typeof route; silences?: Silence[] | ((seconds: number) => Silence[]) } = {},
) {
  let groups: NotificationGroup[] = [];
  const sent: [number, Notification][] = [];
  for (const [sec, alerts] of steps) {
    const out = plan({
      now: s(sec),
      alerts,
      groups,
      route: opts.route ?? route,
      silences: typeof opts.silences === "function" ? opts.silences(sec) : (opts.silences ?? []),
    });
    groups = out.groups;
    for (const n of out.notifications) sent.push([sec, n]);
  }
  return { sent, groups };
}

const summary = ([sec, n]: [number, Notification]) =>
  `${sec}s ${n.status} [${n.reasons.join(",")}] ${n.alerts
    .map((a) => `${a.labels.id ?? a.labels.alertname}:${a.status}`)
    .sort((a, b) => a.split(":")[1]?.localeCompare(b.split(":")[1] ?? "") || a.localeCompare(b))
    .join(" ")}`;

describe("grouping and timing", () => {
  const a1 = alert("HighBurn", { id: "a1" }, "firing", 0);
  const a2 = alert("HighBurn", { id: "a2" }, "firing", 40);

  it("waits group_wait before the first notification", () => {
    const { sent } = timeline([
      [0, [a1]],
      [29, [a1]],
      [30, [a1]],
      [31, [a1]],
    ]);
    expect(sent.map(summary)).toEqual(["30s firing [firing] a1:firing"]);
  });

  it("batches later changes per group_interval and repeats unchanged groups after repeat_interval", () => {
    const steps: [number, AlertState[]][] = [
      [0, [a1]],
      [30, [a1]],
      [40, [a1, a2]],
      [329, [a1, a2]],
      [330, [a1, a2]],
    ];
    // Every flush (30 + 300k s) until past 4 h after the last notification (330 s).
    for (let t = 630; t <= 330 + 4 * 3600 + 300; t += 300) steps.push([t, [a1, a2]]);
    const { sent } = timeline(steps);
    expect(sent.map(summary)).toEqual([
      "30s firing [firing] a1:firing",
      "330s firing [firing] a1:firing a2:firing",
      "14730s firing [repeat] a1:firing a2:firing",
    ]);
  });

  it("keeps the flush grid when plan is called late", () => {
    const { sent, groups } = timeline([
      [0, [a1]],
      [45, [a1]],
      [46, [a1, a2]],
      [400, [a1, a2]],
    ]);
    expect(sent.map(([sec]) => sec)).toEqual([45, 400]);
    expect(groups[0]?.nextFlushAtMs).toBe(s(630));
  });

  it("splits groups by the group_by labels", () => {
    const byService = routeSchema.parse({ group_by: ["service"], group_wait: 0 });
    const x = alert("A", { service: "x" }, "firing");
    const y = alert("B", { service: "y" }, "firing");
    const x2 = alert("C", { service: "x" }, "firing");
    const { sent, groups } = timeline([[0, [x, y, x2]]], { route: byService });
    expect(groups).toHaveLength(2);
    expect(sent.map(([, n]) => [n.groupLabels, n.alerts.length])).toEqual(
      expect.arrayContaining([
        [{ service: "x" }, 2],
        [{ service: "y" }, 1],
      ]),
    );
    const xNote = sent.find(([, n]) => n.groupLabels.service === "x")?.[1];
    expect(xNote?.commonLabels).toEqual({ service: "x", severity: "page" });
  });

  it("group_by ... groups by all labels", () => {
    const all = routeSchema.parse({ group_by: ["..."], group_wait: 0 });
    const { groups } = timeline([[0, [a1, a2]]], { route: all });
    expect(groups).toHaveLength(2);
  });

  it("leaves the groups of other routes untouched", () => {
    const other = {
      ...timeline([[0, [a1]]]).groups[0],
      routeId: "other",
      key: "k",
    } as NotificationGroup;
    const out = plan({ now: s(1000), alerts: [], groups: [other], route, silences: [] });
    expect(out).toEqual({ notifications: [], groups: [other] });
  });

  it("pending alerts neither form groups nor appear", () => {
    const { sent, groups } = timeline([
      [0, [alert("P", {}, "pending")]],
      [60, [alert("P", {}, "pending")]],
    ]);
    expect(sent).toEqual([]);
    expect(groups).toEqual([]);
  });
});

describe("escalation (a page never waits behind a ticket)", () => {
  const amGrouping = { group_by: ["alertname"], group_wait: 30_000 };
  const ticket = alert("SloErrorBudgetBurn", { id: "ticket", severity: "ticket" }, "firing", 0);
  const page = alert("SloErrorBudgetBurn", { id: "page", severity: "page" }, "firing", 45);
  const info = alert("SloErrorBudgetBurn", { id: "info", severity: "info" }, "firing", 0);
  const ramp: [number, AlertState[]][] = [
    [0, [ticket]],
    [30, [ticket]],
    [45, [ticket, page]],
    [46, [ticket, page]],
    [330, [ticket, page]],
  ];

  it("a page joining a ticket's group is sent at once, not at the group_interval step", () => {
    const { sent } = timeline(ramp, { route: routeSchema.parse(amGrouping) });
    expect(sent.map(summary)).toEqual([
      "30s firing [firing] ticket:firing",
      "45s firing [firing] page:firing ticket:firing",
    ]);
    // Without escalation (Alertmanager), the page waits for the grid: 330 s.
    const held = timeline(ramp, {
      route: routeSchema.parse({ ...amGrouping, escalate_immediately: false }),
    });
    expect(held.sent.map(([sec]) => sec)).toEqual([30, 330]);
  });

  it("keeps the grid after an early flush, and a second page in the group goes at once too", () => {
    const page2 = alert("SloErrorBudgetBurn", { id: "page2", severity: "page" }, "firing", 100);
    const { sent, groups } = timeline(
      [...ramp.slice(0, 3), [100, [ticket, page, page2]], [330, [ticket, page, page2]]],
      { route: routeSchema.parse(amGrouping) },
    );
    expect(sent.map(([sec]) => sec)).toEqual([30, 45, 100]);
    expect(groups[0]?.nextFlushAtMs).toBe(s(630));
  });

  it("a ticket after an info escalates; a second ticket, or a ticket in an empty group, waits", () => {
    const t2 = alert("SloErrorBudgetBurn", { id: "t2", severity: "ticket" }, "firing", 60);
    const { sent } = timeline(
      [
        [0, [info]],
        [30, [info]],
        [40, [info, ticket]],
        [60, [info, ticket, t2]],
        [330, [info, ticket, t2]],
      ],
      { route: routeSchema.parse(amGrouping) },
    );
    expect(sent.map(([sec]) => sec)).toEqual([30, 40, 330]);
  });

  it("the first flush still waits group_wait, even for a page", () => {
    const { sent } = timeline(
      [
        [0, [page]],
        [5, [page]],
        [30, [page]],
      ],
      { route: routeSchema.parse(amGrouping) },
    );
    expect(sent.map(([sec]) => sec)).toEqual([30]);
  });

  it("by default pages and tickets never share a group; the page comes group_wait (10 s) after it fires", () => {
    const { sent, groups } = timeline(
      [
        [0, [ticket]],
        [10, [ticket]],
        [45, [ticket, page]],
        [55, [ticket, page]],
      ],
      { route: routeSchema.parse({}) },
    );
    expect(sent.map(summary)).toEqual([
      "10s firing [firing] ticket:firing",
      "55s firing [firing] page:firing",
    ]);
    expect(groups.map((g) => g.labels.severity).sort()).toEqual(["page", "ticket"]);
  });

  it("an alert moved to another group by a new group_by is not reported resolved", () => {
    const old = timeline([
      [0, [ticket]],
      [30, [ticket]],
    ]).groups;
    const out = plan({
      now: s(400),
      alerts: [ticket],
      groups: old,
      route: routeSchema.parse({ group_by: ["alertname", "id"], group_wait: 0 }),
      silences: [],
    });
    expect(out.notifications.map((n) => [n.status, n.alerts.map((a) => a.status)])).toEqual([
      ["firing", ["firing"]],
    ]);
  });
});

describe("resolved notifications", () => {
  const a1 = alert("HighBurn", { id: "a1" }, "firing", 0);
  const a1resolved = { ...a1, status: "resolved" as const, resolvedAtMs: s(100) };

  it("are sent at the next flush, then the empty group is dropped", () => {
    const { sent, groups } = timeline([
      [0, [a1]],
      [30, [a1]],
      [100, [a1resolved]],
      [330, [a1resolved]],
      [630, [a1resolved]],
    ]);
    expect(sent.map(summary)).toEqual([
      "30s firing [firing] a1:firing",
      "330s resolved [resolved] a1:resolved",
    ]);
    expect(sent[1]?.[1].alerts[0]).toMatchObject({ startsAtMs: s(0), endsAtMs: s(100) });
    expect(groups).toEqual([]);
  });

  it("are sent even when the evaluator has already forgotten the alert", () => {
    const { sent } = timeline([
      [0, [a1]],
      [30, [a1]],
      [330, []],
    ]);
    expect(sent.map(summary)).toEqual([
      "30s firing [firing] a1:firing",
      "330s resolved [resolved] a1:resolved",
    ]);
    expect(sent[1]?.[1].alerts[0]?.endsAtMs).toBe(s(330));
  });

  it("are not sent without send_resolved; nor for alerts never notified as firing", () => {
    const quiet = routeSchema.parse({ send_resolved: false });
    const off = timeline(
      [
        [0, [a1]],
        [30, [a1]],
        [330, [a1resolved]],
      ],
      { route: quiet },
    );
    expect(off.sent.map(summary)).toEqual(["30s firing [firing] a1:firing"]);
    expect(off.groups).toEqual([]);
    const brief = { ...a1resolved, resolvedAtMs: s(10) };
    const never = timeline([
      [0, [a1]],
      [10, [brief]],
      [30, [brief]],
    ]);
    expect(never.sent).toEqual([]);
    expect(never.groups).toEqual([]);
  });

  it("a new episode of a notified alert is announced as firing (with its new start)", () => {
    const again = { ...a1, firedAtMs: s(200), activeAtMs: s(200) };
    const { sent } = timeline([
      [0, [a1]],
      [30, [a1]],
      [100, [a1resolved]],
      [200, [again]],
      [330, [again]],
    ]);
    expect(sent.map(summary)).toEqual([
      "30s firing [firing] a1:firing",
      "330s firing [firing] a1:firing",
    ]);
    expect(sent[1]?.[1].alerts[0]?.startsAtMs).toBe(s(200));
  });
});

describe("silences in planning", () => {
  const a1 = alert("HighBurn", { id: "a1", service: "edge-api" }, "firing", 0);
  const a2 = alert("HighBurn", { id: "a2", service: "stream" }, "firing", 0);
  const silence = silenceSchema.parse({
    id: "maint",
    matchers: [{ name: "service", type: "=", value: "edge-api" }],
    startsAtMs: s(0),
    endsAtMs: s(600),
  });

  it("silenced alerts are not notified; after the silence ends they are", () => {
    const { sent } = timeline(
      [
        [0, [a1, a2]],
        [30, [a1, a2]],
        [330, [a1, a2]],
        [630, [a1, a2]],
      ],
      { silences: [silence] },
    );
    expect(sent.map(summary)).toEqual([
      "30s firing [firing] a2:firing",
      "630s firing [firing] a1:firing a2:firing",
    ]);
  });

  it("an alert that resolves while silenced gets no resolved notification", () => {
    const late = silenceSchema.parse({ ...silence, startsAtMs: s(100), endsAtMs: s(10_000) });
    const a1resolved = { ...a1, status: "resolved" as const, resolvedAtMs: s(200) };
    const { sent, groups } = timeline(
      [
        [0, [a1]],
        [30, [a1]],
        [330, [a1resolved]],
      ],
      { silences: [late] },
    );
    expect(sent.map(summary)).toEqual(["30s firing [firing] a1:firing"]);
    expect(groups).toEqual([]);
  });
});

describe("a resolve is muted or not as of when the alert resolved, not at the flush", () => {
  const a1 = alert("HighBurn", { id: "a1", service: "edge-api" }, "firing", 0);
  const a1resolved = { ...a1, status: "resolved" as const, resolvedAtMs: s(100) };
  const tierOf = ([sec, n]: [number, Notification]) =>
    `${sec}s ${n.alerts.map((a) => `${a.labels.tier}:${a.status}`).join(" ")}`;
  const silence = (fromS: number, toS: number) =>
    silenceSchema.parse({
      id: "maint",
      matchers: [{ name: "service", type: "=", value: "edge-api" }],
      startsAtMs: s(fromS),
      endsAtMs: s(toS),
    });

  it("an alert resolved unmuted is reported resolved although a silence created later covers the flush", () => {
    const late = silence(120, 3600);
    const { sent, groups } = timeline(
      [
        [0, [a1]],
        [30, [a1]],
        [100, [a1resolved]],
        [120, [a1resolved]],
        [330, [a1resolved]],
      ],
      { silences: (sec) => (sec >= 120 ? [late] : []) },
    );
    expect(sent.map(summary)).toEqual([
      "30s firing [firing] a1:firing",
      "330s resolved [resolved] a1:resolved",
    ]);
    expect(sent[1]?.[1].alerts[0]).toMatchObject({ startsAtMs: s(0), endsAtMs: s(100) });
    expect(groups).toEqual([]);
  });

  it("an alert resolved while silenced is not reported, even when the silence ends before the flush", () => {
    const { sent, groups } = timeline(
      [
        [0, [a1]],
        [30, [a1]],
        [60, [a1]],
        [100, [a1resolved]],
        [150, [a1resolved]],
        [200, [a1resolved]],
        [330, [a1resolved]],
        [630, [a1resolved]],
      ],
      { silences: [silence(50, 150)] },
    );
    expect(sent.map(summary)).toEqual(["30s firing [firing] a1:firing"]);
    expect(groups).toEqual([]);
  });

  it("the same holds when the evaluator forgets the alert before the flush", () => {
    const unmuted = timeline(
      [
        [0, [a1]],
        [30, [a1]],
        [100, []],
        [330, []],
      ],
      { silences: (sec) => (sec >= 120 ? [silence(120, 3600)] : []) },
    );
    expect(unmuted.sent.map(summary)).toEqual([
      "30s firing [firing] a1:firing",
      "330s resolved [resolved] a1:resolved",
    ]);
    const muted = timeline(
      [
        [0, [a1]],
        [30, [a1]],
        [100, []],
        [330, []],
      ],
      { silences: [silence(50, 150)] },
    );
    expect(muted.sent.map(summary)).toEqual(["30s firing [firing] a1:firing"]);
    expect(muted.groups).toEqual([]);
  });

  it("a ticket resolved before its SLO's page fires is reported resolved at its group's flush", () => {
    const defaults = routeSchema.parse({});
    const labels = (severity: string, tier: string) => ({
      alertname: "SloErrorBudgetBurn",
      severity,
      slo_id: "s1",
      tier,
    });
    const ticket = alert("SloErrorBudgetBurn", {}, "firing", 0, {
      labels: labels("ticket", "ticket"),
      fingerprint: "ticket-s1",
    });
    const ticketResolved = { ...ticket, status: "resolved" as const, resolvedAtMs: s(100) };
    const page = alert("SloErrorBudgetBurn", {}, "firing", 200, {
      labels: labels("page", "page-fast"),
      fingerprint: "page-s1",
    });
    const { sent } = timeline(
      [
        [0, [ticket]],
        [10, [ticket]],
        [100, [ticketResolved]],
        [200, [ticketResolved, page]],
        [210, [ticketResolved, page]],
        [310, [ticketResolved, page]],
      ],
      { route: defaults },
    );
    expect(sent.map(tierOf)).toEqual([
      "10s ticket:firing",
      "210s page-fast:firing",
      "310s ticket:resolved",
    ]);
  });

  it("a ticket resolved while its SLO's page fires is not reported, even after the page resolves", () => {
    const defaults = routeSchema.parse({});
    const ticket = alert("SloErrorBudgetBurn", {}, "firing", 0, {
      labels: { alertname: "SloErrorBudgetBurn", severity: "ticket", slo_id: "s1", tier: "ticket" },
      fingerprint: "ticket-s1",
    });
    const ticketResolved = { ...ticket, status: "resolved" as const, resolvedAtMs: s(100) };
    const page = alert("SloErrorBudgetBurn", {}, "firing", 50, {
      labels: { alertname: "SloErrorBudgetBurn", severity: "page", slo_id: "s1", tier: "page" },
      fingerprint: "page-s1",
    });
    const pageResolved = { ...page, status: "resolved" as const, resolvedAtMs: s(150) };
    const { sent, groups } = timeline(
      [
        [0, [ticket]],
        [10, [ticket]],
        [50, [ticket, page]],
        [60, [ticket, page]],
        [100, [ticketResolved, page]],
        [150, [ticketResolved, pageResolved]],
        [310, [ticketResolved, pageResolved]],
        [360, [ticketResolved, pageResolved]],
      ],
      { route: defaults },
    );
    expect(sent.map(tierOf)).toEqual([
      "10s ticket:firing",
      "60s page:firing",
      "360s page:resolved",
    ]);
    expect(groups).toEqual([]);
  });

  it("persists the decision with the group (JSON), and reads state stored without it", () => {
    const late = silence(120, 3600);
    const first = timeline([
      [0, [a1]],
      [30, [a1]],
      [100, [a1resolved]],
    ]);
    expect(first.groups[0]?.notifiedFiring[0]?.mutedAtResolve).toBe(false);
    const stored = JSON.parse(JSON.stringify(first.groups)) as NotificationGroup[];
    const atFlush = plan({
      now: s(330),
      alerts: [a1resolved],
      groups: stored,
      route,
      silences: [late],
    });
    expect(atFlush.notifications.map((n) => n.status)).toEqual(["resolved"]);
    // Stored before the field existed: decided by the first plan call that sees it resolved.
    const legacy = stored.map((g) => ({
      ...g,
      notifiedFiring: g.notifiedFiring.map(({ mutedAtResolve: _, ...n }) => n),
    }));
    const seenAt200 = plan({
      now: s(200),
      alerts: [a1resolved],
      groups: legacy,
      route,
      silences: [late],
    });
    expect(seenAt200.notifications).toEqual([]);
    expect(seenAt200.groups[0]?.notifiedFiring[0]?.mutedAtResolve).toBe(true);
    expect(
      plan({ now: s(330), alerts: [a1resolved], groups: seenAt200.groups, route, silences: [] })
        .notifications,
    ).toEqual([]);
    expect(
      plan({ now: s(330), alerts: [a1resolved], groups: legacy, route, silences: [] }).notifications
        .length,
    ).toBe(1);
  });
});

describe("inhibition in planning", () => {
  const bySlo = routeSchema.parse({ group_by: ["slo_id"], group_wait: 0 });
  const page = alert("SloErrorBudgetBurn", { slo_id: "s1", tier: "page-fast" }, "firing");
  const ticket = alert("SloErrorBudgetBurn", { slo_id: "s1", tier: "ticket" }, "firing", 0, {
    labels: { alertname: "SloErrorBudgetBurn", severity: "ticket", slo_id: "s1", tier: "ticket" },
    fingerprint: "ticket-s1",
  });
  const otherTicket = {
    ...ticket,
    fingerprint: "ticket-s2",
    labels: { ...ticket.labels, slo_id: "s2" },
  };

  it("a firing page inhibits the ticket of the same SLO but not of another", () => {
    const { sent } = timeline([[0, [page, ticket, otherTicket]]], { route: bySlo });
    expect(
      sent.map(([, n]) => n.alerts.map((a) => `${a.labels.slo_id}/${a.labels.severity}`)),
    ).toEqual([["s1/page"], ["s2/ticket"]]);
  });
});

describe("acknowledged alerts", () => {
  const a1 = alert("HighBurn", { id: "a1" }, "firing", 0);
  const acked = { ...a1, acknowledgedAtMs: s(60), acknowledgedBy: "ops" };
  const a2 = alert("HighBurn", { id: "a2" }, "firing", 400);

  it("do not repeat-notify but stay listed (marked) when something else changes", () => {
    const steps: [number, AlertState[]][] = [
      [0, [a1]],
      [30, [a1]],
    ];
    for (let t = 330; t <= 30 + 5 * 3600; t += 300) steps.push([t, [acked]]);
    steps.push([30 + 5 * 3600 + 300, [acked, a2]]);
    const { sent } = timeline(steps);
    expect(sent.map(summary)).toEqual([
      "30s firing [firing] a1:firing",
      "18330s firing [firing] a1:firing a2:firing",
    ]);
    expect(sent[1]?.[1].alerts.map((a) => a.acknowledged)).toEqual([true, false]);
  });
});

describe("idempotency keys", () => {
  const a1 = alert("HighBurn", { id: "a1" }, "firing", 0);
  const a1resolved = { ...a1, status: "resolved" as const, resolvedAtMs: s(100) };

  it("are identical when the same step is replayed from the same state", () => {
    const first = timeline([[0, [a1]]]);
    const replay = (now: number) =>
      plan({ now: s(now), alerts: [a1], groups: first.groups, route, silences: [] }).notifications;
    expect(replay(30)[0]?.idempotencyKey).toMatch(/^[0-9a-f]{16}$/);
    expect(replay(30)).toEqual(replay(30));
    // a later replay of the same persisted step keeps the key (same group, same sequence)
    expect(replay(31)[0]?.idempotencyKey).toBe(replay(30)[0]?.idempotencyKey);
  });

  it("differ per notification of a group, and for a group formed again", () => {
    const { sent } = timeline([
      [0, [a1]],
      [30, [a1]],
      [330, [a1resolved]],
      [1000, [a1]],
      [1030, [a1]],
    ]);
    const keys = sent.map(([, n]) => n.idempotencyKey);
    expect(sent.map(([, n]) => n.sequence)).toEqual([1, 2, 1]);
    expect(new Set(keys).size).toBe(3);
    expect(new Set(sent.map(([, n]) => n.groupKey)).size).toBe(1);
  });

  it("differ between owners (key scopes) of equal groups created in the same instant", () => {
    const first = timeline([[0, [a1]]]);
    const keyOf = (keyScope?: string) =>
      plan({
        now: s(30),
        alerts: [a1],
        groups: first.groups,
        route,
        silences: [],
        ...(keyScope === undefined ? {} : { keyScope }),
      }).notifications[0]?.idempotencyKey;
    expect(keyOf("ten_a")).toMatch(/^[0-9a-f]{16}$/);
    expect(keyOf("ten_a")).toBe(keyOf("ten_a"));
    expect(keyOf("ten_a")).not.toBe(keyOf("ten_b"));
    expect(keyOf("ten_a")).not.toBe(keyOf());
  });
});
