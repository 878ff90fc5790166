import { z } from "zod";
import { matcherSchema } from "../../../core/alerts/matchers.ts";
import { pageQueryFields, pageSchema } from "../../conventions/pagination.ts";
import { idParams, secured } from "../shared/schema.ts";

export const silenceOperation = secured("Alerts");

export const silenceIdParams = idParams("sil", "a silence");

export const silenceBody = z
  .strictObject({
    matchers: z.array(matcherSchema).min(1).max(32),
    startsAt: z.iso.datetime().optional().describe("default: now"),
    endsAt: z.iso.datetime(),
    comment: z.string().max(2000).optional(),
  })
  .meta({ id: "SilenceInput" });

export const silenceSchema = z
  .object({
    id: z.string(),
    matchers: z.array(matcherSchema),
    startsAt: z.iso.datetime(),
    endsAt: z.iso.datetime(),
    createdBy: z.string().nullable(),
    comment: z.string().nullable(),
    active: z.boolean(),
  })
  .meta({ id: "Silence" });

export const listSilencesQuery = z.object({
  expired: z.enum(["true", "false"]).default("false"),
  ...pageQueryFields,
});
export const silenceListSchema = pageSchema(silenceSchema, "SilencePage");
