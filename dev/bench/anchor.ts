/**
 * The anchor of `npm run bench:api`: what an edge API answering an assessment costs at the least. A
 * Hono app in its own Node process, like the API, whose one route parses and validates the same body
 * with the same zod schema (`@hono/zod-validator`), runs `assess()` and replies with a small JSON; no
 * auth, no database, no storage, no logs. `POST /v1/assessments` is compared with it in the same run.
 *   PORT (required)
 */
import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono";
import { assess, assessmentInputSchema } from "../../core/energy/index.ts";
import { listen } from "../../platform/serve.ts";

const app = new Hono();
app.post("/anchor/assess", zValidator("json", assessmentInputSchema), (c) => {
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
app.get("/health/ready", (c) => c.json({ status: "ready" }));
const server = await listen(app.fetch, { port: Number(process.env.PORT), hostname: "127.0.0.1" });
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
