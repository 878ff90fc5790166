import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { listLatestPrices } from "../../../core/market/prices.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { json } from "../../openapi/responses.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentPrice } from "./present.ts";
import { marketOperation, marketPriceListSchema, pricesQuery, sharedDataNote } from "./schema.ts";

export const listPricesRoute = createRoute({
  method: "get",
  path: "/prices",
  summary: "The latest energy price per carrier and region, as assessments use them",
  description: `Assessments price each carrier with the home's regional price, else the national one, else the engine's reference price. ${sharedDataNote}`,
  ...marketOperation,
  middleware: [requireScope("read")] as const,
  request: { query: pricesQuery },
  responses: {
    200: json(marketPriceListSchema, "Latest prices by carrier, then region (national first)"),
    ...securedErrors(400),
  },
});

export const listPrices: RouteHandler<typeof listPricesRoute, AppEnv> = async (c) => {
  // Shared reference data (see sharedDataNote): read through the plain handle, not a tenant scope.
  const prices = await listLatestPrices(c.var.tenant.db, c.req.valid("query"));
  return c.json({ data: prices.map(presentPrice) }, 200);
};
