import { describe, expect, it } from "vitest";
import { subsidyEventSchema } from "../events/market-event.ts";
import type { NotificationAlert } from "../notify/payloads.ts";
import { filterMatches } from "../notify/subscription-filter.ts";
import { type SloDefinition, sloDefinitionSchema } from "../slo/definition.ts";
import { computeSloStatus, sloCountWindows, type WindowCounts } from "../slo/status.ts";
import { priceChangePct, sampleRule } from "./conditions.ts";
import { type AlertState, evaluate } from "./evaluate.ts";
import type { EvaluationInputs, PricePoint, SubscriberProfile, SubsidyProgram } from "./inputs.ts";
import { type AlertRule, type AlertRuleInput, alertRuleSchema, parseAlertRule } from "./rules.ts";
import { sloBurnRules } from "./slo-rules.ts";
import { matchSubsidy, subsidyProgramVersion } from "./subsidy.ts";

const now = Date.UTC(2026, 10, 30, 12, 0, 30);
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

describe("slo_burn", () => {
  const slo: SloDefinition = sloDefinitionSchema.parse({
    name: "edge availability",
    service: "edge-api",
    sli: { kind: "availability" },
    objective: 0.999,
    window: { kind: "rolling", days: 30 },
  });
  const rules = sloBurnRules({ id: "slo-1", definition: slo });
  /** Counts per window from an error ratio per window key (1000 events each). */
  const status = (errorRatio: (window: string) => number, total = 1000) => {
    const counts = new Map<string, WindowCounts>();
    for (const w of sloCountWindows(slo, now)) {
      counts.set(w.key, { total, good: Math.round(total * (1 - errorRatio(w.key))) });
    }
    return { slo: [{ sloId: "slo-1", tiers: computeSloStatus(slo, now, counts).tiers }] };
  };
  const conditions = (inputs: EvaluationInputs) =>
    rules.map((r) => `${r.params.tier}:${sampleRule(r, inputs, now)[0]?.condition}`);

  it("generates one rule per tier with the tier's severity and the SLO's labels", () => {
    expect(rules.map((r) => [r.id, r.severity])).toEqual([
      ["slo:slo-1:page-fast", "page"],
      ["slo:slo-1:page-slow", "page"],
      ["slo:slo-1:ticket", "ticket"],
    ]);
    for (const r of rules) expect(alertRuleSchema.parse(r)).toEqual(r);
    const out = evaluate({ now, rules, inputs: status(() => 0.02), states: [] });
    expect(out.states[0]?.labels).toMatchObject({ slo_id: "slo-1", service: "edge-api" });
    expect(out.states.map((x) => `${x.labels.tier}/${x.labels.severity}`).sort()).toEqual([
      "page-fast/page",
      "page-slow/page",
      "ticket/ticket",
    ]);
  });

  it("fires only when both windows reach the factor (multiwindow)", () => {
    // 14.4x of a 0.1% budget is a 1.44% error ratio.
    expect(conditions(status(() => 0.015))).toEqual([
      "page-fast:true",
      "page-slow:true",
      "ticket:true",
    ]);
    // The long window burns, the short one has recovered: no page.
    const recovered = status((w) => (w === "5m" ? 0.0005 : 0.015));
    expect(conditions(recovered)[0]).toBe("page-fast:false");
    // A short spike alone does not page either.
    expect(conditions(status((w) => (w === "5m" ? 0.5 : 0.0001)))[0]).toBe("page-fast:false");
    // 6x but not 14.4x: the slow page and the ticket, not the fast page.
    expect(conditions(status(() => 0.007))).toEqual([
      "page-fast:false",
      "page-slow:true",
      "ticket:true",
    ]);
  });

  it("value is the lower of the two burn rates", () => {
    const [sample] = sampleRule(
      rules[0] as AlertRule,
      status((w) => (w === "5m" ? 0.03 : 0.02)),
      now,
    );
    expect(sample?.value).toBeCloseTo(20, 6);
  });

  it("no data, too few events, or a missing SLO input is no_data (never fires)", () => {
    expect(conditions(status(() => 0.5, 0))[0]).toBe("page-fast:no_data");
    expect(conditions(status(() => 0.5, 10))[0]).toBe("page-fast:no_data");
    expect(conditions({})[0]).toBe("page-fast:no_data");
    const out = evaluate({ now, rules, inputs: status(() => 0.5, 10), states: [] });
    expect(out.states).toEqual([]);
  });
});

describe("latency_threshold", () => {
  const rule = (route?: string) =>
    parseAlertRule({
      id: "lat",
      name: "Slow",
      kind: "latency_threshold",
      severity: "ticket",
      params: {
        service: "edge-api",
        ...(route ? { route } : {}),
        quantile: "p99.9",
        window: "1h",
        thresholdMs: 250,
        minCount: 50,
      },
    });
  const obs = (route: string | null, p999: number | null, count = 100) => ({
    service: "edge-api",
    route,
    window: "1h" as const,
    quantiles: { count, p50: 1, p90: 2, p95: 3, p99: 4, p999 },
  });

  it("compares the chosen quantile of the chosen route and window, strictly above", () => {
    const inputs = { latency: [obs(null, 251), obs("/v1/assessments", 100)] };
    expect(sampleRule(rule(), inputs, now)[0]).toMatchObject({ condition: "true", value: 251 });
    const routed = sampleRule(rule("/v1/assessments"), inputs, now)[0];
    expect(routed).toMatchObject({ condition: "false", value: 100 });
    expect(routed?.labels).toMatchObject({ route: "/v1/assessments", quantile: "p99.9" });
    expect(sampleRule(rule(), { latency: [obs(null, 250)] }, now)[0]?.condition).toBe("false");
  });

  it("too few requests, another window, or no observation is no_data", () => {
    expect(sampleRule(rule(), { latency: [obs(null, 900, 49)] }, now)[0]?.condition).toBe(
      "no_data",
    );
    const other = { ...obs(null, 900), window: "5m" as const };
    expect(sampleRule(rule(), { latency: [other] }, now)[0]?.condition).toBe("no_data");
    expect(sampleRule(rule(), {}, now)[0]?.condition).toBe("no_data");
  });

  it("rejects unknown quantiles and windows", () => {
    const bad = (params: Record<string, unknown>) =>
      alertRuleSchema.safeParse({
        id: "x",
        name: "x",
        kind: "latency_threshold",
        severity: "page",
        params: { service: "s", quantile: "p99", window: "5m", thresholdMs: 1, ...params },
      }).success;
    expect(bad({})).toBe(true);
    expect(bad({ quantile: "p98" })).toBe(false);
    expect(bad({ window: "2m" })).toBe(false);
  });
});

describe("market_price", () => {
  const rule = (condition: Record<string, unknown>, region?: string) =>
    parseAlertRule({
      id: "price",
      name: "Price",
      kind: "market_price",
      severity: "info",
      params: { carrier: "electricity", ...(region ? { region } : {}), condition },
    } as AlertRuleInput);
  const pt = (minutesAgo: number, eurPerKwh: number, region?: string): PricePoint => ({
    carrier: "electricity",
    region,
    tsMs: now - minutesAgo * MIN,
    eurPerKwh,
  });

  it("above / below use the latest national price, ignoring future and regional points", () => {
    const prices = [pt(120, 0.1), pt(60, 0.25), pt(-5, 0.01), pt(1, 0.5, "Crete")];
    const above = rule({ op: "above", thresholdEurPerKwh: 0.2 });
    expect(sampleRule(above, { prices }, now)[0]).toMatchObject({ condition: "true", value: 0.25 });
    const below = rule({ op: "below", thresholdEurPerKwh: 0.2 });
    expect(sampleRule(below, { prices }, now)[0]?.condition).toBe("false");
    const crete = rule({ op: "above", thresholdEurPerKwh: 0.4 }, "Crete");
    expect(sampleRule(crete, { prices }, now)[0]).toMatchObject({
      condition: "true",
      labels: { market_kind: "price", carrier: "electricity", region: "Crete" },
    });
    expect(sampleRule(above, { prices: [pt(-5, 1)] }, now)[0]?.condition).toBe("no_data");
  });

  it("of two prices at the same time, takes the one with the greater event id, as the market store does", () => {
    const at = (eventId: string, eurPerKwh: number) => ({ ...pt(10, eurPerKwh), eventId });
    const above = rule({ op: "above", thresholdEurPerKwh: 0.3 });
    const below = rule({ op: "below", thresholdEurPerKwh: 0.3 });
    for (const prices of [
      [at("evt_b", 0.25), at("evt_a", 0.35)],
      [at("evt_a", 0.35), at("evt_b", 0.25)],
    ]) {
      expect(sampleRule(above, { prices }, now)[0]).toMatchObject({
        condition: "false",
        value: 0.25,
      });
      expect(sampleRule(below, { prices }, now)[0]?.condition).toBe("true");
    }
  });

  it("orders same-time event ids as the store does (UTF-8 bytes), also past U+FFFF", () => {
    // "p😀" is the greater id in UTF-8 (F0 9F 98 80 > EF BF BF) though its first UTF-16 unit (D83D)
    // is below U+FFFF: the store keeps its price as the latest.
    const at = (eventId: string, eurPerKwh: number) => ({ ...pt(10, eurPerKwh), eventId });
    const above = rule({ op: "above", thresholdEurPerKwh: 0.4 });
    const change = rule({ op: "change_pct", window: "1h", pct: 50, direction: "rise" });
    for (const prices of [
      [pt(120, 0.2), at("p\uffff", 0.21), at("p\u{1F600}", 0.5)],
      [pt(120, 0.2), at("p\u{1F600}", 0.5), at("p\uffff", 0.21)],
      [at("p\u{1F600}", 0.5), at("p\uffff", 0.21), pt(120, 0.2)],
    ]) {
      expect(sampleRule(above, { prices }, now)[0]).toMatchObject({
        condition: "true",
        value: 0.5,
      });
      expect(sampleRule(change, { prices }, now)[0]).toMatchObject({
        condition: "true",
        annotations: { price_eur_per_kwh: "0.5" },
      });
    }
  });

  it("% change over a window starts from the price in effect when the window opened", () => {
    // 0.20 since 3h ago, 0.30 since 30 min ago; 0.10 five hours ago.
    const series = [pt(300, 0.1), pt(180, 0.2), pt(30, 0.3)];
    expect(priceChangePct(series, HOUR, now)).toBeCloseTo(50, 9); // 0.20 -> 0.30
    expect(priceChangePct(series, 4 * HOUR, now)).toBeCloseTo(200, 9); // 0.10 -> 0.30
    expect(priceChangePct(series, 10 * MIN, now)).toBeCloseTo(0, 9); // 0.30 -> 0.30
    // A series that starts inside the window: from its first point.
    expect(priceChangePct([pt(20, 0.2), pt(10, 0.25)], DAY, now)).toBeCloseTo(25, 9);
    expect(priceChangePct([], DAY, now)).toBeNull();
  });

  it("fires on rise, fall or either, at the threshold inclusive", () => {
    const rise = [pt(120, 0.2), pt(10, 0.25)]; // +25%
    const fall = [pt(120, 0.2), pt(10, 0.15)]; // -25%
    const cond = (direction: string, prices: PricePoint[]) =>
      sampleRule(rule({ op: "change_pct", window: "1h", pct: 25, direction }), { prices }, now)[0]
        ?.condition;
    expect([cond("rise", rise), cond("fall", rise), cond("either", rise)]).toEqual([
      "true",
      "false",
      "true",
    ]);
    expect([cond("rise", fall), cond("fall", fall), cond("either", fall)]).toEqual([
      "false",
      "true",
      "true",
    ]);
    const small = [pt(120, 0.2), pt(10, 0.24)]; // +20%
    expect(cond("either", small)).toBe("false");
  });

  it("a spike fires and resolves once the window no longer holds it", () => {
    const r = rule({ op: "change_pct", window: "1h", pct: 30, direction: "rise" });
    const prices = [pt(600, 0.2), pt(0, 0.3)];
    let states: AlertState[] = [];
    const at = (t: number) => {
      const out = evaluate({ now: t, rules: [r], inputs: { prices }, states });
      states = out.states;
      return out.transitions.map((x) => x.to);
    };
    expect(at(now)).toEqual(["firing"]);
    expect(at(now + 59 * MIN)).toEqual([]);
    expect(at(now + 60 * MIN)).toEqual(["resolved"]); // baseline is now the spike price itself
  });
});

describe("market_subsidy", () => {
  const program = (over: Record<string, unknown> = {}): SubsidyProgram =>
    subsidyEventSchema.parse({
      id: "evt-1",
      ts: "2026-11-01T00:00:00Z",
      kind: "subsidy",
      program: "Exoikonomo 2026",
      regions: ["Attica", "Crete"],
      minClassJump: 3,
      maxSubsidyPct: 75,
      ...over,
    });
  const subscriber = (
    regions: string[],
    assessedClasses: SubscriberProfile["assessedClasses"] = [],
  ): SubscriberProfile => ({ regions, assessedClasses });

  it("matches by region: covered regions, case-insensitively, or 'all'", () => {
    const m = matchSubsidy(program(), subscriber([" crete ", "Epirus"]), "region", now);
    expect(m).toMatchObject({ matches: true, matchedRegions: [" crete "] });
    expect(matchSubsidy(program(), subscriber(["Epirus"]), "region", now).matches).toBe(false);
    const all = program({ regions: "all" });
    expect(matchSubsidy(all, subscriber([]), "region", now).matches).toBe(true);
  });

  it("matches by class when an assessed home can make the required jump", () => {
    // minClassJump 3: from C (index 4) to A+ is 4 classes: eligible; B+ (index 2) is not.
    const c = matchSubsidy(program(), subscriber([], ["B+", "C"]), "class", now);
    expect(c).toMatchObject({ matches: true, eligibleClasses: ["C"] });
    expect(matchSubsidy(program(), subscriber([], ["B+", "A"]), "class", now).matches).toBe(false);
    // B (index 3) makes exactly 3.
    expect(matchSubsidy(program(), subscriber([], ["B"]), "class", now).matches).toBe(true);
    // Without minClassJump any home not already A+.
    const any = program({ minClassJump: undefined });
    expect(matchSubsidy(any, subscriber([], ["A"]), "class", now).matches).toBe(true);
    expect(matchSubsidy(any, subscriber([], ["A+"]), "class", now).matches).toBe(false);
    expect(matchSubsidy(any, subscriber([], []), "class", now).matches).toBe(false);
  });

  it("combines region and class per the rule's mode; a closed program matches nothing", () => {
    const sub = subscriber(["Epirus"], ["D"]);
    expect(matchSubsidy(program(), sub, "region_or_class", now).matches).toBe(true);
    expect(matchSubsidy(program(), sub, "region_and_class", now).matches).toBe(false);
    const closed = program({ closesAt: now - 1 });
    expect(
      matchSubsidy(closed, subscriber(["Crete"], ["H"]), "region_or_class", now),
    ).toMatchObject({
      matches: false,
      open: false,
    });
  });

  it("matches only while open: from opensAt (inclusive) until closesAt (exclusive)", () => {
    const sub = subscriber(["Crete"], ["D"]);
    const window = program({ opensAt: now + DAY, closesAt: now + 30 * DAY });
    const at = (t: number) => matchSubsidy(window, sub, "region_or_class", t);
    expect(at(now)).toMatchObject({ matches: false, open: false });
    expect(at(now + DAY - 1)).toMatchObject({ matches: false, open: false });
    expect(at(now + DAY)).toMatchObject({ matches: true, open: true });
    expect(at(now + 30 * DAY - 1)).toMatchObject({ matches: true, open: true });
    expect(at(now + 30 * DAY)).toMatchObject({ matches: false, open: false });
    // Absent bounds are open.
    expect(matchSubsidy(program(), sub, "region", now - 100 * DAY).matches).toBe(true);
    expect(matchSubsidy(program({ opensAt: now }), sub, "region", now).matches).toBe(true);
  });

  it("a program announced before it opens alerts when it opens, with opens_at", () => {
    const rule = parseAlertRule({
      id: "sub",
      name: "NewSubsidy",
      kind: "market_subsidy",
      severity: "info",
      params: { match: "region" },
    });
    const opensAt = now + 30 * DAY;
    const announced = program({ opensAt, closesAt: now + 90 * DAY });
    const inputs = { subsidies: { programs: [announced], subscriber: subscriber(["Attica"]) } };
    let states: AlertState[] = [];
    const at = (t: number) => {
      const out = evaluate({ now: t, rules: [rule], inputs, states });
      states = out.states;
      return out.transitions.map((x) => x.to);
    };
    expect(at(now)).toEqual([]);
    expect(at(now + DAY)).toEqual([]);
    expect(at(opensAt - 1)).toEqual([]);
    expect(at(opensAt)).toEqual(["firing"]);
    expect(states[0]?.annotations).toMatchObject({
      opens_at: "2026-12-30T12:00:30.000Z",
      closes_at: "2027-02-28T12:00:30.000Z",
    });
    expect(at(opensAt + DAY)).toEqual(["resolved"]);
  });

  it("a program version ignores the event id and time but changes with any content", () => {
    const v = subsidyProgramVersion(program());
    expect(subsidyProgramVersion(program({ id: "evt-2", ts: "2026-11-02T00:00:00Z" }))).toBe(v);
    expect(subsidyProgramVersion(program({ regions: ["crete", "attica"] }))).toBe(v);
    expect(subsidyProgramVersion(program({ maxSubsidyPct: 80 }))).not.toBe(v);
    expect(subsidyProgramVersion(program({ closesAt: "2027-01-01T00:00:00Z" }))).not.toBe(v);
  });

  it("is edge-triggered: fires once per version, resolves after keep_firing_for, never refires", () => {
    const rule = parseAlertRule({
      id: "sub",
      name: "NewSubsidy",
      kind: "market_subsidy",
      severity: "info",
      params: {},
      for: 3_600_000, // ignored: an edge has no duration
    });
    expect(rule.keep_firing_for).toBe(DAY);
    const sub = subscriber(["Crete"]);
    let states: AlertState[] = [];
    const at = (t: number, programs: SubsidyProgram[]) => {
      const out = evaluate({
        now: t,
        rules: [rule],
        inputs: { subsidies: { programs, subscriber: sub } },
        states,
      });
      states = out.states;
      return out.transitions.map((x) => `${x.labels.program_version?.slice(0, 4)}:${x.to}`);
    };
    const v1 = program();
    const v2 = program({ id: "evt-2", maxSubsidyPct: 80 });
    const tag1 = subsidyProgramVersion(v1).slice(0, 4);
    const tag2 = subsidyProgramVersion(v2).slice(0, 4);
    expect(at(now, [v1])).toEqual([`${tag1}:firing`]);
    expect(states[0]?.annotations).toMatchObject({
      matched_regions: "Crete",
      max_subsidy_pct: "75",
    });
    // Seen again (all current programs passed each time) or not at all: still the one alert.
    expect(at(now + HOUR, [v1])).toEqual([]);
    expect(at(now + 2 * HOUR, [])).toEqual([]);
    expect(at(now + DAY, [v1])).toEqual([`${tag1}:resolved`]);
    // A re-delivery weeks later does not fire again.
    expect(at(now + 30 * DAY, [{ ...v1, id: "evt-1-again" }])).toEqual([]);
    // A changed program is a new version: it fires.
    expect(at(now + 31 * DAY, [v1, v2])).toEqual([`${tag2}:firing`]);
    expect(states.filter((x) => x.status === "firing")).toHaveLength(1);
  });
});

describe("subsidy alerts carry the program's regions for region filters", () => {
  it("as an annotation: 'all' or the regions as written, as JSON", () => {
    const rule = parseAlertRule({
      id: "s",
      name: "Subsidy",
      kind: "market_subsidy",
      severity: "info",
      params: { match: "class" },
    });
    const programs = [
      { id: "e1", regions: ["Attica", " chania "] },
      { id: "e2", regions: "all" as const },
    ].map(({ id, regions }) =>
      subsidyEventSchema.parse({ id, ts: now - HOUR, kind: "subsidy", program: id, regions }),
    );
    const inputs: EvaluationInputs = {
      subsidies: { programs, subscriber: { regions: [], assessedClasses: ["D"] } },
    };
    const samples = sampleRule(rule, inputs, now);
    expect(samples.map((x) => x.annotations?.program_regions)).toEqual([
      '["Attica"," chania "]',
      "all",
    ]);
    const alert = (i: number) =>
      ({ labels: samples[i]?.labels, annotations: samples[i]?.annotations }) as NotificationAlert;
    expect(filterMatches({ regions: ["Heraklion"] }, alert(0))).toBe(false);
    expect(filterMatches({ regions: ["Chania"] }, alert(0))).toBe(true);
    expect(filterMatches({ regions: ["Heraklion"] }, alert(1))).toBe(true);
  });
});

describe("market alerts carry market_kind (the label notification filters match on)", () => {
  it("price and subsidy alerts are labelled with their event kind; SLO alerts are not", () => {
    const price = parseAlertRule({
      id: "p",
      name: "Price",
      kind: "market_price",
      severity: "info",
      params: { carrier: "electricity", condition: { op: "above", thresholdEurPerKwh: 0.1 } },
    });
    const subsidy = parseAlertRule({
      id: "s",
      name: "Subsidy",
      kind: "market_subsidy",
      severity: "info",
      params: { match: "region" },
    });
    const inputs: EvaluationInputs = {
      prices: [{ carrier: "electricity", tsMs: now - MIN, eurPerKwh: 0.3 }],
      subsidies: {
        programs: [
          subsidyEventSchema.parse({
            id: "e",
            ts: now - HOUR,
            kind: "subsidy",
            program: "P",
            regions: "all",
          }),
        ],
        subscriber: { regions: [], assessedClasses: [] },
      },
    };
    const labels = (rule: AlertRule) => sampleRule(rule, inputs, now).map((x) => x.labels);
    expect(labels(price)).toEqual([{ market_kind: "price", carrier: "electricity" }]);
    // The program's regions ride in an annotation, so a subsidy alert's labels (its identity) stay.
    expect(labels(subsidy)[0]).toEqual({
      market_kind: "subsidy",
      program: "P",
      program_version: expect.any(String),
    });
    expect(labels(subsidy)[0]).toMatchObject({ market_kind: "subsidy", program: "P" });
    const filtered = filterMatches({ marketKinds: ["subsidy"] }, {
      labels: labels(price)[0] ?? {},
    } as NotificationAlert);
    expect(filtered).toBe(false);
  });
});
