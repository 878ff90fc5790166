/**
 * Conditional requests on the unsafe methods (PUT, PATCH, DELETE) of a resource that has a GET
 * (RFC 9110 §13): `If-Match` and `If-None-Match` are evaluated against the ETag that GET gives for
 * the current representation, before the change, in the order of §13.2.2, and a false condition is
 * a 412 `precondition_failed` that changes nothing.
 *
 * - `If-Match` uses the strong comparison (§13.1.1, §8.8.3.2): a listed tag matches only when neither
 *   it nor the current tag is weak and their opaque parts are equal, so a weak tag (`W/"…"`, what a
 *   compressed answer carries) never matches; `*` matches any current representation.
 * - `If-None-Match` uses the weak comparison (§13.1.2): `*`, or any listed tag equal to the current one
 *   with `W/` ignored, makes it false, which for these methods is a 412.
 * - A request whose answer without the conditions would not be a 2xx is answered as without them
 *   (§13.2.1): a missing resource is a 404 whatever `If-Match` says.
 * - A malformed header (neither `*` nor a list of quoted entity tags) is a 400 naming it.
 *
 * The check and the change are one step as far as the store allows: the row is read as stored (every
 * column's value), the conditions are evaluated against the representation GET would build from it,
 * and the change is written with a condition that every column still holds the value read (plus any
 * condition the representation adds, such as a count of other rows it shows). A concurrent change
 * between the read and the write makes the write touch nothing; the request is then evaluated again
 * against the new state (a stale tag is then a 412), at most `ATTEMPTS` times (then 503 with
 * Retry-After). Requests without either header take the unconditional write, as before.
 */
import { and, eq, getTableColumns, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Context } from "hono";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors/api-error.ts";
import { invalidField } from "../errors/handler.ts";
import { getOr404, notFound } from "../routes/shared/rows.ts";
import type { TenantOwnedTable, TenantScope } from "../tenancy/tenant-scope.ts";
import { jsonTag } from "./caching.ts";

type Row<T extends TenantOwnedTable> = T["$inferSelect"];
type Changes<T extends TenantOwnedTable> = Partial<Omit<T["$inferInsert"], "tenantId">>;

/** An entity tag as sent: weak or strong, and its opaque part with the quotes. */
interface EntityTag {
  weak: boolean;
  opaque: string;
}
/** `*`, or the listed tags. */
type Condition = "*" | EntityTag[];

export interface Preconditions {
  ifMatch?: Condition;
  ifNoneMatch?: Condition;
}

/** Evaluations before giving up on a resource that changes between every read and write. */
export const ATTEMPTS = 5;

// entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E / obs-text (RFC 9110 §8.8.3).
const entityTag = /^\s*(W\/)?("[\x21\x23-\x7e\x80-\xff]*")\s*$/;

const notATagList = (header: string) =>
  invalidField(`header.${header}`, 'must be * or a list of entity tags such as "…" or W/"…"');

/** The tags of an If-Match / If-None-Match value, or a 400 naming the header. */
export function parseCondition(header: string, value: string): Condition {
  if (value.trim() === "*") return "*";
  const tags: EntityTag[] = [];
  // Quoted tags hold no commas or quotes, so a comma outside them separates list members.
  for (const member of value.split(",")) {
    if (member.trim() === "") continue; // empty list elements are allowed (RFC 9110 §5.6.1)
    const match = entityTag.exec(member);
    if (!match) throw notATagList(header);
    tags.push({ weak: match[1] !== undefined, opaque: match[2] as string });
  }
  if (tags.length === 0) throw notATagList(header);
  return tags;
}

/** The request's `If-Match` and `If-None-Match`, or undefined when it sends neither. */
export function preconditionsOf(c: Context): Preconditions | undefined {
  const ifMatch = c.req.header("If-Match");
  const ifNoneMatch = c.req.header("If-None-Match");
  if (ifMatch === undefined && ifNoneMatch === undefined) return undefined;
  return {
    ...(ifMatch === undefined ? {} : { ifMatch: parseCondition("If-Match", ifMatch) }),
    ...(ifNoneMatch === undefined
      ? {}
      : { ifNoneMatch: parseCondition("If-None-Match", ifNoneMatch) }),
  };
}

const parseTag = (tag: string): EntityTag => ({
  weak: tag.startsWith("W/"),
  opaque: tag.startsWith("W/") ? tag.slice(2) : tag,
});

/**
 * Throws the 412 when `conditions` are false for a resource whose current representation has the
 * ETag `current` (RFC 9110 §13.2.2, for a method other than GET and HEAD).
 */
export function evaluatePreconditions(conditions: Preconditions, current: string): void {
  const tag = parseTag(current);
  const { ifMatch, ifNoneMatch } = conditions;
  if (ifMatch !== undefined) {
    const strong =
      ifMatch === "*" ||
      (!tag.weak && ifMatch.some((listed) => !listed.weak && listed.opaque === tag.opaque));
    if (!strong) {
      const onlyWeak = ifMatch.every((listed) => listed.weak);
      throw new ApiError(
        "precondition_failed",
        onlyWeak
          ? "If-Match names only weak ETags (W/…), which never match (RFC 9110 §13.1.1): send the strong ETag of an uncompressed GET"
          : "If-Match does not name the current ETag: the resource changed since it was read",
        { details: { currentETag: current } },
      );
    }
  }
  if (ifNoneMatch !== undefined) {
    const any = ifNoneMatch === "*" || ifNoneMatch.some((listed) => listed.opaque === tag.opaque);
    if (any)
      throw new ApiError(
        "precondition_failed",
        ifNoneMatch === "*"
          ? "If-None-Match: * but the resource exists"
          : "If-None-Match names the current ETag",
        { details: { currentETag: current } },
      );
  }
}

/** The body GET answers for a row, and any condition beyond the row itself that it depends on. */
export interface Representation {
  body: unknown;
  /** Holds while what the body shows beyond the row (a count of other rows, …) is unchanged. */
  unchanged?: SQL;
}

export interface Target<T extends TenantOwnedTable> {
  table: T;
  /** The row's id; absent: the tenant's only row of the table (a per-tenant singleton). */
  id?: string;
  /** What it is, for the 404: "SLO" → "SLO not found". */
  what: string;
  /**
   * The representation GET answers for the row, or for no row (undefined: GET answers 404). Its
   * body is serialised as `c.json` does, so the tag is the one GET gives.
   */
  represent(
    row: Row<T> | undefined,
  ): Representation | undefined | Promise<Representation | undefined>;
}

/**
 * The target of the tenant's row `id` of `table`, which GET answers as `present(row)` (404 when there
 * is none): `rowTarget(slos, "SLO", presentSlo)(id)`.
 */
export const rowTarget =
  <T extends TenantOwnedTable>(table: T, what: string, present: (row: Row<T>) => unknown) =>
  (id: string): Target<T> => ({
    table,
    id,
    what,
    represent: (row) => row && { body: present(row) },
  });

/** What a conditional write is handed. */
export interface WriteAt<T extends TenantOwnedTable> {
  /** The request carries preconditions (they held for `current`). */
  conditional: boolean;
  /** The row they were evaluated against (undefined without preconditions, or when there is none). */
  current?: Row<T>;
  /**
   * Holds while the row is as evaluated: and it into the write's WHERE (`updateWhile`, `deleteWhile`).
   * Undefined without preconditions, or when there was no row.
   */
  unchanged?: SQL;
  /**
   * The row the write starts from: `current` when there is one, else the tenant's row as stored now
   * (the target's row by id), or a 404 naming the target when there is none.
   */
  row(): Promise<Row<T>>;
}

/** The target's row as stored now, or a 404 naming it. */
async function rowOr404<T extends TenantOwnedTable>(
  tenant: TenantScope,
  target: Target<T>,
): Promise<Row<T>> {
  if (target.id !== undefined) return getOr404(tenant, target.table, target.id, target.what);
  const [row] = await tenant.list(target.table, { limit: 1 });
  if (!row) throw notFound(target.what);
  return row;
}

/** The row as read with every column's stored value, and a condition that they still hold. */
async function snapshot<T extends TenantOwnedTable>(
  tenant: TenantScope,
  table: T,
  id: string | undefined,
): Promise<{ row: Row<T>; unchanged: SQL } | undefined> {
  const columns = getTableColumns(table) as Record<string, SQLiteColumn>;
  // The stored values as they are (no mapping: JSON text stays the text stored), beside the row.
  const stored = Object.fromEntries(
    Object.entries(columns).map(([key, col]) => [key, sql`${col}`]),
  );
  const found = (await tenant.db
    // biome-ignore lint/suspicious/noExplicitAny: drizzle's builder types do not follow a generic table
    .select({ row: columns, stored } as any)
    .from(table as never)
    .where(tenant.where(table, id === undefined ? undefined : eq(table.id, id)))
    .limit(1)
    .get()) as { row: Row<T>; stored: Record<string, unknown> } | undefined;
  if (!found) return undefined;
  const held = Object.entries(columns).map(
    ([key, col]) => sql`${col} is ${found.stored[key] ?? null}`,
  );
  return { row: found.row, unchanged: and(...held) as SQL };
}

/**
 * Runs `write` under the request's preconditions (see above) and returns what it returns. `write`
 * answers undefined when it wrote nothing: without preconditions that is a 404 (no such row), with
 * them the row changed since it was evaluated, and the request is evaluated again.
 */
export async function writeUnderPreconditions<T extends TenantOwnedTable, R>(
  c: Context<AppEnv>,
  target: Target<T>,
  write: (at: WriteAt<T>) => Promise<R | undefined>,
): Promise<R> {
  const conditions = preconditionsOf(c);
  const tenant = c.var.tenant;
  const stored = () => rowOr404(tenant, target);
  if (conditions === undefined) {
    const written = await write({ conditional: false, row: stored });
    if (written === undefined) throw notFound(target.what);
    return written;
  }
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const current = await snapshot(tenant, target.table, target.id);
    const representation = await target.represent(current?.row);
    if (representation === undefined) throw notFound(target.what);
    evaluatePreconditions(conditions, jsonTag(representation.body));
    const written = await write({
      conditional: true,
      ...(current
        ? {
            current: current.row,
            row: async () => current.row,
            unchanged: and(current.unchanged, representation.unchanged) as SQL,
          }
        : { row: stored }),
    });
    if (written !== undefined) return written;
  }
  throw new ApiError(
    "unavailable",
    `the ${target.what} changed during each of ${ATTEMPTS} attempts to apply the request; retry it`,
    { headers: { "Retry-After": "1" } },
  );
}

/**
 * Updates the tenant's row `id` while `unchanged` holds (no condition: always) and returns it as
 * stored, or undefined when no row was updated.
 */
export async function updateWhile<T extends TenantOwnedTable>(
  tenant: TenantScope,
  table: T,
  id: string,
  unchanged: SQL | undefined,
  changes: Changes<T>,
): Promise<Row<T> | undefined> {
  const rows = await tenant.updateWhere(table, and(eq(table.id, id), unchanged) as SQL, changes);
  return rows[0];
}

/** Deletes the tenant's row `id` while `unchanged` holds: true, or undefined when none was deleted. */
export async function deleteWhile<T extends TenantOwnedTable>(
  tenant: TenantScope,
  table: T,
  id: string,
  unchanged: SQL | undefined,
): Promise<true | undefined> {
  const rows = await tenant.db
    .delete(table)
    .where(tenant.where(table, and(eq(table.id, id), unchanged)))
    .returning({ id: table.id });
  return rows.length > 0 ? true : undefined;
}
