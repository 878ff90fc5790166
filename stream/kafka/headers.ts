import type { IHeaders } from "kafkajs";

/** One Kafka header as kafkajs gives it: one Buffer (or string), an array when repeated, or absent. */
export type HeaderValue = IHeaders[string];

/** A Kafka header's values as strings. */
export function headerValues(value: HeaderValue): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map((v) => v.toString());
}

/** A Kafka header holding one value, as text (undefined: absent, or repeated). */
export function headerText(value: HeaderValue): string | undefined {
  // Absent is the common case: answered without building a list.
  if (value === undefined) return undefined;
  const values = headerValues(value);
  return values.length === 1 ? values[0] : undefined;
}
