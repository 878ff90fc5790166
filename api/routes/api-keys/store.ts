/** What several key operations share: the key as GET answers it. */
import { apiKeys } from "../../../core/db/schema/index.ts";
import type { Target } from "../../conventions/preconditions.ts";
import { presentApiKey } from "./present.ts";

/** A key as `GET /v1/api-keys/{id}` answers it: what DELETE evaluates preconditions against. */
export const apiKeyTarget = (id: string): Target<typeof apiKeys> => ({
  table: apiKeys,
  id,
  what: "API key",
  represent: (row) => row && { body: presentApiKey(row) },
});
