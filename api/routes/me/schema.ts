import { z } from "zod";
import { apiKeyScopes } from "../../../core/auth/api-keys.ts";

export const meSchema = z
  .object({ tenantId: z.string(), keyId: z.string(), scopes: z.array(z.enum(apiKeyScopes)) })
  .meta({ id: "Caller" });
