/** What several silence operations share: the silence as GET answers it. */
import { silences } from "../../../core/db/schema/index.ts";
import { rowTarget } from "../../conventions/preconditions.ts";
import { presentSilence } from "./present.ts";

/**
 * A silence as `GET /v1/silences/{id}` answers it at `nowMs`: what DELETE evaluates preconditions
 * against.
 */
export const silenceTarget = (id: string, nowMs: number) =>
  rowTarget(silences, "silence", (row) => presentSilence(row, nowMs))(id);
