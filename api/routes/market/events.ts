import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { listMarketEvents } from "../../../core/market/history.ts";
import { requireScope } from "../../auth/authenticate.ts";
import type { AppEnv } from "../../context.ts";
import { pageBody } from "../../conventions/pagination.ts";
import { json } from "../../openapi/responses.ts";
import { fromNotBeforeTo } from "../shared/query.ts";
import { securedErrors } from "../shared/schema.ts";
import { presentEvent } from "./present.ts";
import { eventsQuery, marketEventPageSchema, marketOperation, sharedDataNote } from "./schema.ts";

export const listEventsRoute = createRoute({
  method: "get",
  path: "/events",
  summary: "History of market events (prices, subsidy programs, regulations), newest first",
  description: `Each event once, by id, as consumed from market.events.v1 (invalid ones went to its dead-letter topic). Pages follow \`nextCursor\`. ${sharedDataNote}`,
  ...marketOperation,
  middleware: [requireScope("read")] as const,
  request: { query: eventsQuery },
  responses: {
    200: json(marketEventPageSchema, "One page of events, newest first"),
    ...securedErrors(400),
  },
});

export const listEvents: RouteHandler<typeof listEventsRoute, AppEnv> = async (c) => {
  const query = c.req.valid("query");
  if (query.from !== undefined && query.to !== undefined && query.from >= query.to)
    throw fromNotBeforeTo();
  const page = await listMarketEvents(
    c.var.tenant.db,
    {
      kind: query.kind,
      carrier: query.carrier,
      region: query.region,
      fromMs: query.from,
      toMs: query.to,
    },
    { limit: query.limit, after: query.cursor },
  );
  return c.json(pageBody({ rows: page.events, next: page.next }, presentEvent), 200);
};
