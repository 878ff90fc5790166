/** Label sets of alerts (identity and routing) and annotations (text for humans, templated). */
import { z } from "zod";

export type Labels = Readonly<Record<string, string>>;

export const labelNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, "must be a label name such as slo_id or team");

export const labelsSchema = z
  .record(labelNameSchema, z.string().max(1024))
  .refine((l) => Object.keys(l).length <= 32, "at most 32 labels")
  .default({});

export const annotationsSchema = z
  .record(labelNameSchema, z.string().max(4096))
  .refine((l) => Object.keys(l).length <= 32, "at most 32 annotations")
  .default({});

/**
 * Fills `{{ $value }}` and `{{ $labels.name }}` in annotation text (the two Prometheus template forms
 * alerts commonly use). Unknown labels become "", a null value "no data". Nothing else is evaluated.
 */
export function renderAnnotations(
  annotations: Labels,
  labels: Labels,
  value: number | null,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, text] of Object.entries(annotations)) {
    // Text without a template (most annotations) is kept as it is.
    out[name] = !text.includes("{{")
      ? text
      : text.replace(
          /\{\{\s*\$(value|labels\.([A-Za-z_][A-Za-z0-9_]*))\s*\}\}/g,
          (_m, what: string, label: string | undefined) =>
            what === "value" ? formatValue(value) : (labels[label as string] ?? ""),
        );
  }
  return out;
}

const formatValue = (value: number | null) =>
  value === null ? "no data" : String(Math.round(value * 1e4) / 1e4);

/** Labels that every alert of a set carries with the same value. */
export function commonLabels(sets: readonly Labels[]): Record<string, string> {
  const [first, ...rest] = sets;
  if (!first) return {};
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(first)) {
    if (rest.every((l) => l[name] === value)) out[name] = value;
  }
  return out;
}
