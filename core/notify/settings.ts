/** Settings of outbound notifications shared by the API (registration checks) and the stream worker. */
import { z } from "zod";
import { parseAllowlist } from "./address-policy.ts";

/** Exceptions to the SSRF guard: CIDRs, address[:port], host[:port]; off (empty) by default. */
export const outboundAllowlistVar = z
  .string()
  .default("")
  .transform((value, ctx) => {
    try {
      return parseAllowlist(value);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  });

/** Push-service hosts allowed besides FCM, Mozilla, Apple and WNS (`host` or `*.domain`). */
export const pushHostsVar = z
  .string()
  .default("")
  .transform((v) =>
    v
      .split(",")
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  )
  .refine(
    (hosts) => hosts.every((h) => /^(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(h)),
    "must be a comma-separated list of host names or *.domain patterns",
  );
