/**
 * The typed client for TypeScript apps: `hc` over the app's route types, with the API key set.
 *   const gp = createGridpulseClient("https://api.gridpulse.example", "gp_…");
 *   const res = await gp.v1["api-keys"].$get({ query: {} });
 */
import { hc } from "hono/client";
import type { AppType } from "./app.ts";

export function createGridpulseClient(
  baseUrl: string,
  apiKey?: string,
  init: { fetch?: typeof fetch } = {},
) {
  return hc<AppType>(baseUrl, {
    headers: apiKey ? { Authorization: `Bearer ${apiKey}` } : {},
    ...(init.fetch ? { fetch: init.fetch } : {}),
  });
}

export type GridpulseClient = ReturnType<typeof createGridpulseClient>;
