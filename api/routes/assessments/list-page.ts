/**
 * A page of `GET /v1/assessments` as one aggregate: each row's list item is stored as JSON text when
 * the row is written (`list_item`, in the list's index), so the database answers a page as one value,
 * the items joined, instead of one row of nine values per item (per row, the libSQL client's crossing
 * into JavaScript cost more than the rest of the item). The body is then assembled as text: the same
 * bytes `pageBody(page, presentSummary)` serialises.
 *
 * SQLite leaves the order in which an aggregate sees rows undefined unless the aggregate has its own
 * ORDER BY, which libSQL servers do not parse; the keys of the joined items are therefore checked in
 * order here (the order of the page's subquery in practice), and sorted where they are not.
 */
import { and, desc, eq, lt, or, sql } from "drizzle-orm";
import { type EventCursor, encodeCursor } from "../../../core/db/keyset.ts";
import { assessments } from "../../../core/db/schema/index.ts";
import type { PageRequest } from "../../conventions/pagination.ts";
import { perTenantQuery } from "../../tenancy/prepared.ts";
import type { TenantScope } from "../../tenancy/tenant-scope.ts";

/** Items are joined with a newline: JSON text never holds one outside a string's escapes. */
const SEPARATOR = "\n";

interface Aggregate {
  /** Rows read (up to limit + 1). */
  rows: number;
  /** Rows of them with a stored list item. */
  stored: number;
  items: string | null;
}

const pageAggregate = (after: boolean) =>
  perTenantQuery((tenant) => {
    const older = after
      ? or(
          lt(assessments.createdAtMs, sql.placeholder("afterTs")),
          and(
            eq(assessments.createdAtMs, sql.placeholder("afterTs")),
            lt(assessments.id, sql.placeholder("afterId")),
          ),
        )
      : undefined;
    const page = tenant.db
      .select({ item: assessments.listItem })
      .from(assessments)
      .where(tenant.where(assessments, older))
      .orderBy(desc(assessments.createdAtMs), desc(assessments.id))
      .limit(sql.placeholder("limit"))
      .as("page");
    return tenant.db
      .select({
        rows: sql<number>`count(*)`,
        stored: sql<number>`count(${page.item})`,
        items: sql<string | null>`group_concat(${page.item}, char(10))`,
      })
      .from(page)
      .prepare();
  });
const firstPage = pageAggregate(false);
const nextPage = pageAggregate(true);

/** An item's position in the list: newest first, then the greater id. */
interface Key {
  createdAt: string;
  id: string;
}

const ID_PREFIX = '{"id":"';
const CREATED_AT = '","createdAt":"';
/** `Date.prototype.toISOString` of a time in years 0-9999: sorts as text as it does as time. */
const ISO_LENGTH = 24;

/** The id and creation time at the start of a stored item (`presentSummary`'s first two fields). */
export function itemKey(item: string): Key | undefined {
  if (!item.startsWith(ID_PREFIX)) return undefined;
  const idEnd = item.indexOf('"', ID_PREFIX.length);
  if (idEnd < 0 || !item.startsWith(CREATED_AT, idEnd)) return undefined;
  const at = idEnd + CREATED_AT.length;
  if (item.charCodeAt(at + ISO_LENGTH) !== 0x22 /* " */) return undefined;
  return { id: item.slice(ID_PREFIX.length, idEnd), createdAt: item.slice(at, at + ISO_LENGTH) };
}

/** True when `a` comes after `b` in the list (older, or as old with a smaller id). */
const after = (a: Key, b: Key) =>
  a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a.id < b.id);

/**
 * The page body from the joined items of `limit + 1` rows at most, or undefined when an item is not in
 * the stored form (the caller then renders the page from the columns).
 */
export function pageText(joined: string, limit: number): string | undefined {
  let items = joined.split(SEPARATOR);
  const keys: Key[] = [];
  let ordered = true;
  for (let i = 0; i < items.length; i++) {
    const key = itemKey(items[i] as string);
    if (key === undefined) return undefined;
    if (i > 0 && !after(key, keys[i - 1] as Key)) ordered = false;
    keys.push(key);
  }
  if (!ordered) {
    const order = keys
      .map((_, i) => i)
      .sort((i, j) => (after(keys[i] as Key, keys[j] as Key) ? 1 : -1));
    items = order.map((i) => items[i] as string);
    const sorted = order.map((i) => keys[i] as Key);
    keys.splice(0, keys.length, ...sorted);
  }
  const more = items.length > limit;
  let next: EventCursor | null = null;
  if (more) {
    const last = keys[limit - 1] as Key;
    next = { tsMs: Date.parse(last.createdAt), id: last.id };
    items = items.slice(0, limit);
  }
  return `{"data":[${items.join(",")}],"hasMore":${more},"nextCursor":${next === null ? "null" : `"${encodeCursor(next)}"`}}`;
}

/**
 * The page's body, or undefined when a row on it has no stored item (written before list items were
 * stored): the caller renders that page from the columns.
 */
export async function renderedPage(
  tenant: TenantScope,
  page: PageRequest,
): Promise<string | undefined> {
  const aggregate = (
    page.cursor
      ? await nextPage(tenant).get({
          limit: page.limit + 1,
          afterTs: page.cursor.tsMs,
          afterId: page.cursor.id,
        })
      : await firstPage(tenant).get({ limit: page.limit + 1 })
  ) as Aggregate | undefined;
  if (aggregate === undefined) return undefined;
  if (aggregate.rows === 0) return '{"data":[],"hasMore":false,"nextCursor":null}';
  if (aggregate.stored < aggregate.rows || aggregate.items === null) return undefined;
  return pageText(aggregate.items, page.limit);
}
