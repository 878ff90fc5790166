/**
 * The anchor's Hono app (dev/bench/anchor.ts serves it in its own process for `npm run bench:api`;
 * `npm run bench:post-floor` calls it in process): what an edge API answering an assessment costs at
 * the least. Its one route parses and validates the body with the API's zod schema
 * (`@hono/zod-validator`), runs `assess()` and replies with a small JSON; no auth, no database, no
 * storage, no logs.
 */
import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono";
import { assess, assessmentInputSchema } from "../../core/energy/index.ts";

export const anchorPath = "/anchor/assess";

export const anchorApp = new Hono();
anchorApp.post(anchorPath, zValidator("json", assessmentInputSchema), (c) => {
  const result = assess(c.req.valid("json"), { now: new Date() });
  return c.json(
    {
      energyClass: result.rating.energyClass,
      primaryEnergyKwhM2: result.primaryEnergy.kwhM2,
      annualCostEur: result.cost.annualEur,
    },
    201,
  );
});
anchorApp.get("/health/ready", (c) => c.json({ status: "ready" }));
