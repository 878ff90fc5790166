import { z } from "zod";

const componentCheck = z.object({
  status: z.enum(["up", "down"]),
  latencyMs: z.number(),
  reason: z.string().optional(),
});

export const liveSchema = z.object({ status: z.literal("live"), version: z.string() });

export const readinessSchema = z
  .object({ status: z.literal("ready"), checks: z.record(z.string(), componentCheck) })
  .meta({ id: "Readiness" });
