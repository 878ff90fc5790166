import { describe, expect, it } from "vitest";
import { MAX_REPETITIONS, matcherSchema, matches, regexHazard } from "./matchers.ts";

const parse = (value: string) => matcherSchema.safeParse({ name: "team", type: "=~", value });

describe("regular-expression matchers that could stall the evaluator", () => {
  it("accepts matchers as Alertmanager users write them, and they match", () => {
    for (const [value, label, hit] of [
      ["page|ticket", "ticket", true],
      ["api-.*", "api-eu", true],
      [".*checkout.*", "web-checkout-1", true],
      ["(ab)*c", "ababc", true],
      ["foo(bar)?", "foobar", true],
      ["[(+*]+x", "(+x", true],
      ["a{2,5}", "aaaaaa", false],
    ] as const) {
      const parsed = parse(value);
      expect(parsed.success, value).toBe(true);
      if (parsed.success) expect(matches(parsed.data, { team: label }), value).toBe(hit);
    }
  });

  it("refuses nested or alternating repetition, too many repetitions, backreferences and lookaround", () => {
    for (const [value, reason] of [
      ["(a+)+$", /repeated group/],
      ["(a|aa)*", /repeated group/],
      ["(\\w+\\s?)+", /repeated group/],
      [".*a.*b.*c", new RegExp(`at most ${MAX_REPETITIONS} repetitions`)],
      ["a{2,}b{3,}c{4,}", /at most/],
      ["(a)\\1", /backreferences/],
      ["(?=a)a", /lookahead/],
      ["(?<!a)b", /lookbehind/],
    ] as const) {
      expect(regexHazard(value), value).toMatch(reason);
      const parsed = parse(value);
      expect(parsed.success, value).toBe(false);
      if (!parsed.success) {
        expect(parsed.error.issues[0]?.path).toEqual(["value"]);
        expect(parsed.error.issues[0]?.message).toMatch(reason);
      }
    }
  });

  it("keeps an accepted expression fast on the longest label a tenant can set", () => {
    // What the refused ones would do: "(a+)+$" on 28 a's and a "!" took seconds on Node 24.
    const worst = `${"a".repeat(1023)}!`;
    for (const value of ["(ab)*c", ".*a.*b", "a*a*"]) {
      const parsed = parse(value);
      expect(parsed.success, value).toBe(true);
      if (!parsed.success) continue;
      const started = performance.now();
      matches(parsed.data, { team: worst });
      expect(performance.now() - started, value).toBeLessThan(1000);
    }
  });
});
