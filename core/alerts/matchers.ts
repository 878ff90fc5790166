/**
 * Label matchers as in Alertmanager: `=`, `!=`, `=~`, `!~`. Regular expressions are fully anchored
 * (`^(?:re)$`): `severity=~"pa"` does not match "page". A missing label matches as the empty string.
 */
import { z } from "zod";
import type { Labels } from "./labels.ts";
import { labelNameSchema } from "./labels.ts";

export const matcherTypes = ["=", "!=", "=~", "!~"] as const;

const compiles = (source: string) => {
  try {
    new RegExp(`^(?:${source})$`, "u");
    return true;
  } catch {
    return false;
  }
};

/** The most repetitions (`*`, `+`, `{n,}`, `{n,m}` with m > 1) a matcher's expression may hold. */
export const MAX_REPETITIONS = 2;

/**
 * Why `source` could take the evaluator's time exponentially or polynomially in a label's length
 * (tenants write both the expression and the labels, up to 1,024 characters, and one stream process
 * evaluates every tenant), or undefined. JavaScript's expressions backtrack, where Alertmanager's
 * (RE2) run in linear time; so what RE2 refuses (backreferences, lookaround) is refused, and so is a
 * repeated group that holds repetition or alternation (`(a+)+`, `(a|aa)*`), and more than
 * `MAX_REPETITIONS` repetitions in all (`.*a.*b.*c` is cubic). Matchers as Alertmanager users write
 * them (`page|ticket`, `api-.*`, `.*checkout.*`) pass.
 */
export function regexHazard(source: string): string | undefined {
  /** Per open group: whether it holds a repetition or an alternation. */
  const groups: { repeats: boolean; alternates: boolean }[] = [
    { repeats: false, alternates: false },
  ];
  let repetitions = 0;
  /** The last atom was a group that closed: its flags, for a quantifier that follows it. */
  let closed: { repeats: boolean; alternates: boolean } | undefined;
  let atom = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i] as string;
    let quantifier: { unbounded: boolean } | undefined;
    if (ch === "\\") {
      const next = source[i + 1] ?? "";
      if (/[1-9]/.test(next) || next === "k") return "backreferences are not supported";
      i++;
      closed = undefined;
      atom = true;
      continue;
    }
    if (ch === "[") {
      // A character class is one atom: skip to its closing bracket (escapes included).
      let j = i + 1;
      if (source[j] === "^") j++;
      if (source[j] === "]") j++;
      while (j < source.length && source[j] !== "]") j += source[j] === "\\" ? 2 : 1;
      i = j;
      closed = undefined;
      atom = true;
      continue;
    }
    if (ch === "(") {
      if (source.startsWith("(?=", i) || source.startsWith("(?!", i)) {
        return "lookahead is not supported";
      }
      if (source.startsWith("(?<=", i) || source.startsWith("(?<!", i)) {
        return "lookbehind is not supported";
      }
      groups.push({ repeats: false, alternates: false });
      closed = undefined;
      atom = false;
      continue;
    }
    if (ch === ")") {
      const group = groups.length > 1 ? groups.pop() : undefined;
      closed = group;
      atom = true;
      // What a group holds, its enclosing group holds too.
      const outer = groups.at(-1);
      if (group && outer) {
        outer.repeats ||= group.repeats;
        outer.alternates ||= group.alternates;
      }
      continue;
    }
    if (ch === "|") {
      (groups.at(-1) as { alternates: boolean }).alternates = true;
      closed = undefined;
      atom = false;
      continue;
    }
    if (ch === "*" || ch === "+") quantifier = { unbounded: true };
    else if (ch === "?") quantifier = { unbounded: false };
    else if (ch === "{") {
      const range = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
      if (range) {
        const max =
          range[2] === undefined ? Number(range[1]) : range[3] ? Number(range[3]) : Infinity;
        quantifier = { unbounded: max > 1 };
        i += range[0].length - 1;
      }
    }
    if (quantifier && atom) {
      if (source[i + 1] === "?" || source[i + 1] === "+") i++; // lazy or possessive suffix
      if (closed && quantifier.unbounded && (closed.repeats || closed.alternates)) {
        return "a repeated group may not hold repetition or alternation (catastrophic backtracking)";
      }
      if (quantifier.unbounded && ++repetitions > MAX_REPETITIONS) {
        return `at most ${MAX_REPETITIONS} repetitions (*, +, {n,}) in one expression`;
      }
      for (const group of groups) group.repeats = true;
      closed = undefined;
      atom = false;
      continue;
    }
    closed = undefined;
    atom = true;
  }
  return undefined;
}

export const matcherSchema = z
  .strictObject({
    name: labelNameSchema,
    type: z.enum(matcherTypes),
    value: z.string().max(1024),
  })
  .superRefine((m, ctx) => {
    if (!m.type.endsWith("~")) return;
    if (!compiles(m.value)) {
      ctx.addIssue({
        code: "custom",
        message: "must be a valid regular expression",
        path: ["value"],
      });
      return;
    }
    const hazard = regexHazard(m.value);
    if (hazard) ctx.addIssue({ code: "custom", message: hazard, path: ["value"] });
  });

export type Matcher = z.output<typeof matcherSchema>;

const compiled = new Map<string, RegExp>();
const anchored = (source: string) => {
  let re = compiled.get(source);
  if (!re) {
    re = new RegExp(`^(?:${source})$`, "u");
    if (compiled.size > 1000) compiled.clear();
    compiled.set(source, re);
  }
  return re;
};

export function matches(matcher: Matcher, labels: Labels): boolean {
  const value = labels[matcher.name] ?? "";
  switch (matcher.type) {
    case "=":
      return value === matcher.value;
    case "!=":
      return value !== matcher.value;
    case "=~":
      return anchored(matcher.value).test(value);
    case "!~":
      return !anchored(matcher.value).test(value);
  }
}

export const matchesAll = (matchers: readonly Matcher[], labels: Labels) =>
  matchers.every((m) => matches(m, labels));
