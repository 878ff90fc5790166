import type { SilenceRow } from "../../../core/db/schema/index.ts";
import { iso } from "../shared/rows.ts";

/** A silence as of `nowMs` (`active` while now is in its window). */
export const presentSilence = (row: SilenceRow, nowMs: number) => ({
  id: row.id,
  matchers: row.matchers,
  startsAt: iso(row.startsAtMs),
  endsAt: iso(row.endsAtMs),
  createdBy: row.createdBy,
  comment: row.comment,
  active: row.startsAtMs <= nowMs && nowMs < row.endsAtMs,
});
