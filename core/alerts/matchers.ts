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

export const matcherSchema = z
  .strictObject({
    name: labelNameSchema,
    type: z.enum(matcherTypes),
    value: z.string().max(1024),
  })
  .refine((m) => !m.type.endsWith("~") || compiles(m.value), {
    message: "must be a valid regular expression",
    path: ["value"],
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
