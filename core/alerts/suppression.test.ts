import { describe, expect, it } from "vitest";
import { type Matcher, matcherSchema, matches } from "./matchers.ts";
import {
  defaultInhibitRules,
  type MutableAlert,
  type Silence,
  silenceSchema,
  suppressions,
} from "./suppression.ts";

const m = (name: string, type: Matcher["type"], value: string): Matcher => ({ name, type, value });

describe("matchers", () => {
  const labels = { severity: "page", service: "edge-api" };

  it.each([
    [m("severity", "=", "page"), true],
    [m("severity", "=", "pag"), false],
    [m("severity", "!=", "ticket"), true],
    [m("severity", "=~", "page|ticket"), true],
    [m("severity", "=~", "pa"), false], // anchored at the end
    [m("service", "=~", "api"), false], // anchored at the start
    [m("service", "=~", "edge-.*"), true],
    [m("service", "=~", "edge-api|x"), true], // the alternation is grouped inside the anchors
    [m("service", "=~", "x|edge"), false],
    [m("severity", "!~", "tick.*"), true],
    [m("severity", "!~", "p.*"), false],
    [m("team", "=", ""), true], // missing label = empty string
    [m("team", "!=", ""), false],
    [m("team", "=~", ".*"), true],
  ])("%o -> %s", (matcher, expected) => {
    expect(matches(matcher, labels)).toBe(expected);
  });

  it("rejects invalid regular expressions", () => {
    expect(matcherSchema.safeParse(m("a", "=~", "(")).success).toBe(false);
    expect(matcherSchema.safeParse(m("a", "=", "(")).success).toBe(true);
  });
});

const T = Date.UTC(2026, 10, 30, 12);
const alert = (fingerprint: string, labels: Record<string, string>, status = "firing") =>
  ({ fingerprint, labels, status }) as MutableAlert;

describe("silences", () => {
  const silence = silenceSchema.parse({
    id: "sil-1",
    matchers: [m("service", "=", "edge-api"), m("severity", "=~", "ticket|info")],
    startsAtMs: T,
    endsAtMs: T + 3_600_000,
  });
  const alerts = [
    alert("a", { service: "edge-api", severity: "ticket" }),
    alert("b", { service: "edge-api", severity: "page" }),
    alert("c", { service: "stream", severity: "ticket" }),
  ];
  const silenced = (now: number, list: Silence[] = [silence]) =>
    [...suppressions({ now, alerts, silences: list, inhibitRules: [] })]
      .filter(([, s]) => s.silencedBy.length > 0)
      .map(([fp]) => fp);

  it("apply from startsAt (inclusive) to endsAt (exclusive), to alerts matching all matchers", () => {
    expect(silenced(T - 1)).toEqual([]);
    expect(silenced(T)).toEqual(["a"]);
    expect(silenced(T + 3_599_999)).toEqual(["a"]);
    expect(silenced(T + 3_600_000)).toEqual([]);
  });

  it("must end after they start and cannot match everything", () => {
    const base = { id: "s", startsAtMs: T, endsAtMs: T + 1 };
    expect(silenceSchema.safeParse({ ...base, matchers: [m("a", "=", "x")] }).success).toBe(true);
    expect(silenceSchema.safeParse({ ...base, matchers: [] }).success).toBe(false);
    expect(silenceSchema.safeParse({ ...base, matchers: [m("a", "=~", ".*")] }).success).toBe(
      false,
    );
    expect(silenceSchema.safeParse({ ...base, matchers: [m("a", "!=", "x")] }).success).toBe(false);
    expect(
      silenceSchema.safeParse({ ...base, endsAtMs: T, matchers: [m("a", "=", "x")] }).success,
    ).toBe(false);
  });
});

describe("inhibition (default rule)", () => {
  const page = (slo: string, status = "firing") =>
    alert(`page-${slo}-${status}`, { severity: "page", slo_id: slo }, status);
  const ticket = (slo: string) => alert(`ticket-${slo}`, { severity: "ticket", slo_id: slo });
  const inhibited = (alerts: MutableAlert[]) =>
    [...suppressions({ now: T, alerts, silences: [], inhibitRules: defaultInhibitRules })]
      .filter(([, s]) => s.inhibitedBy.length > 0)
      .map(([fp, s]) => `${fp}<-${s.inhibitedBy.join(",")}`);

  it("a firing page inhibits the ticket of the same SLO", () => {
    expect(inhibited([page("s1"), ticket("s1")])).toEqual(["ticket-s1<-page-s1-firing"]);
  });

  it("does not inhibit the ticket of another SLO", () => {
    expect(inhibited([page("s1"), ticket("s2")])).toEqual([]);
  });

  it("a resolved or pending page inhibits nothing", () => {
    expect(inhibited([page("s1", "resolved"), ticket("s1")])).toEqual([]);
    expect(inhibited([page("s1", "pending"), ticket("s1")])).toEqual([]);
  });

  it("alerts without slo_id never inhibit each other", () => {
    const latencyPage = alert("lp", { severity: "page", service: "x" });
    const priceTicket = alert("pt", { severity: "ticket", carrier: "electricity" });
    expect(inhibited([latencyPage, priceTicket])).toEqual([]);
  });

  it("a silenced page still inhibits its ticket", () => {
    const silence = silenceSchema.parse({
      id: "s",
      matchers: [m("severity", "=", "page")],
      startsAtMs: T - 1,
      endsAtMs: T + 1,
    });
    const out = suppressions({
      now: T,
      alerts: [page("s1"), ticket("s1")],
      silences: [silence],
      inhibitRules: defaultInhibitRules,
    });
    expect(out.get("page-s1-firing")).toEqual({ silencedBy: ["s"], inhibitedBy: [] });
    expect(out.get("ticket-s1")).toEqual({ silencedBy: [], inhibitedBy: ["page-s1-firing"] });
  });

  it("an alert matching both source and target does not inhibit itself", () => {
    const rule = {
      source_matchers: [m("team", "=", "x")],
      target_matchers: [m("team", "=", "x")],
      equal: [],
    };
    const out = suppressions({
      now: T,
      alerts: [alert("a", { team: "x" })],
      silences: [],
      inhibitRules: [rule],
    });
    expect(out.get("a")?.inhibitedBy).toEqual([]);
  });
});
