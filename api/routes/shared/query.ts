/** Query parameters the resources repeat: time range bounds. */
import { z } from "zod";
import { eventTimestamp } from "../../../core/events/timestamp.ts";
import { ApiError } from "../../errors/api-error.ts";

/** RFC 3339 or epoch milliseconds in a query string, as epoch ms. */
export const instant = z
  .string()
  .transform((v) => (/^\d+$/.test(v) ? Number(v) : v))
  .pipe(eventTimestamp);

/** The 400 of a range whose `from` is not before its `to`. */
export const fromNotBeforeTo = () =>
  new ApiError("validation_failed", "invalid request: query.from: must be before to", {
    details: [{ path: "query.from", message: "must be before to", code: "custom" }],
  });
