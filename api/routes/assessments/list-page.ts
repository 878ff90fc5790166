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
import { desc, sql } from "drizzle-orm";
import { type EventCursor, encodeCursor } from "../../../core/db/keyset.ts";
import { assessments } from "../../../core/db/schema/index.ts";
import { textTag } from "../../conventions/caching.ts";
import { afterCursor, type PageRequest, pageParams } from "../../conventions/pagination.ts";
import { perTenantQuery } from "../../tenancy/prepared.ts";
import type { TenantScope } from "../../tenancy/tenant-scope.ts";

/** Items are joined as the page's array joins them. */
const SEPARATOR = ",";

interface Aggregate {
  /** Rows read (up to limit + 1). */
  rows: number;
  /** Rows of them with a stored list item. */
  stored: number;
  items: string | null;
}

const pageAggregate = (after: boolean) =>
  perTenantQuery((tenant) => {
    const older = after ? afterCursor(assessments.createdAtMs, assessments.id) : undefined;
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
        items: sql<string | null>`group_concat(${page.item}, ${sql.raw(`'${SEPARATOR}'`)})`,
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
const BOUNDARY = `${SEPARATOR}${ID_PREFIX}`;
const CREATED_AT = '","createdAt":"';
/** `Date.prototype.toISOString` of a time in years 0-9999: sorts as text as it does as time. */
const ISO_LENGTH = 24;

/** The id and creation time of the stored item starting at `start` (`presentSummary`'s first fields). */
export function keyAt(text: string, start: number): Key | undefined {
  if (!text.startsWith(ID_PREFIX, start)) return undefined;
  const idStart = start + ID_PREFIX.length;
  const idEnd = text.indexOf('"', idStart);
  if (idEnd < 0 || !text.startsWith(CREATED_AT, idEnd)) return undefined;
  const at = idEnd + CREATED_AT.length;
  if (text.charCodeAt(at + ISO_LENGTH) !== 0x22 /* " */) return undefined;
  return { id: text.slice(idStart, idEnd), createdAt: text.slice(at, at + ISO_LENGTH) };
}

/** True when `a` comes after `b` in the list (older, or as old with a smaller id). */
const after = (a: Key, b: Key) =>
  a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a.id < b.id);

/**
 * The form of the stored items. Items never change once written, so a page's validator is its items'
 * ids with this form and the page's length, not a digest of its ~12 KB; rendering the stored items
 * again in another shape must change it.
 */
const ITEM_FORM = "1";

export interface RenderedPage {
  body: string;
  /** The page's ETag (strong: the items, their order and form fix the body byte for byte). */
  etag: string;
}

/**
 * The page from the joined items of `rows` rows (`limit + 1` at most), or undefined when an item is not
 * in the stored form (the caller then renders the page from the columns).
 */
export function pageText(joined: string, rows: number, limit: number): RenderedPage | undefined {
  // Items start with their id: `,{"id":"` inside an item would be escaped, so it marks the next one.
  const starts: number[] = [];
  let keys: Key[] = [];
  let ordered = true;
  for (let at = 0; ; ) {
    const key = keyAt(joined, at);
    if (key === undefined) return undefined;
    const previous = keys.at(-1);
    if (previous !== undefined && !after(key, previous)) ordered = false;
    starts.push(at);
    keys.push(key);
    const next = joined.indexOf(BOUNDARY, at + ID_PREFIX.length);
    if (next < 0) break;
    at = next + SEPARATOR.length;
  }
  if (keys.length !== rows) return undefined;
  const more = rows > limit;
  let items: string;
  if (ordered) {
    items = more ? joined.slice(0, (starts[limit] as number) - SEPARATOR.length) : joined;
  } else {
    const texts = starts.map((start, i) =>
      joined.slice(
        start,
        i + 1 < starts.length ? (starts[i + 1] as number) - SEPARATOR.length : joined.length,
      ),
    );
    const order = keys
      .map((_, i) => i)
      .sort((i, j) => (after(keys[i] as Key, keys[j] as Key) ? 1 : -1));
    keys = order.map((i) => keys[i] as Key);
    items = order
      .slice(0, limit)
      .map((i) => texts[i])
      .join(SEPARATOR);
  }
  const page = keys.slice(0, limit);
  const last = page.at(-1) as Key;
  const next: EventCursor | null = more ? { tsMs: Date.parse(last.createdAt), id: last.id } : null;
  const body = `{"data":[${items}],"hasMore":${more},"nextCursor":${next === null ? "null" : `"${encodeCursor(next)}"`}}`;
  return {
    body,
    etag: textTag(`${ITEM_FORM}:${body.length}:${more}:${page.map((k) => k.id).join(",")}`),
  };
}

/**
 * The page's body, or undefined when a row on it has no stored item (written before list items were
 * stored): the caller renders that page from the columns.
 */
export async function renderedPage(
  tenant: TenantScope,
  page: PageRequest,
): Promise<RenderedPage | undefined> {
  const aggregate = (await (page.cursor ? nextPage : firstPage)(tenant).get(pageParams(page))) as
    | Aggregate
    | undefined;
  // No rows (the columns answer the empty page) or one without a stored item.
  if (!aggregate?.items || aggregate.stored < aggregate.rows) return undefined;
  return pageText(aggregate.items, aggregate.rows, page.limit);
}
