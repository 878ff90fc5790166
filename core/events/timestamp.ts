import { z } from "zod";

/** Earliest and latest instants accepted as event time (guards against seconds-vs-ms mix-ups). */
const minEpochMs = Date.UTC(2000, 0, 1);
const maxEpochMs = Date.UTC(2200, 0, 1);

/**
 * An event timestamp: RFC 3339 (with an offset or `Z`) or epoch milliseconds; parsed to epoch ms.
 */
export const eventTimestamp = z
  .union([
    z.number().int("epoch milliseconds must be an integer"),
    z.iso.datetime({ offset: true, message: "must be an RFC 3339 date-time with a time zone" }),
  ])
  .transform((value) => (typeof value === "number" ? value : Date.parse(value)))
  .refine(
    (ms) => ms >= minEpochMs && ms < maxEpochMs,
    "must be between 2000-01-01 and 2200-01-01 (epoch milliseconds, not seconds)",
  );
