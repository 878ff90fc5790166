/**
 * Tenant scoping in one place. Every tenant-owned table has `id` and `tenantId` columns; handlers
 * reach such rows only through the scope bound to the caller's tenant, which adds the tenant
 * condition to every read, update and delete and sets it on every insert. A row of another tenant is
 * indistinguishable from a missing one (the API answers 404, never 403).
 */
import type { InArgs, InStatement } from "@libsql/client";
import { and, eq, getTableColumns, getTableName, type SQL } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Database } from "../../core/db/database.ts";

export type TenantOwnedTable = SQLiteTable & { id: SQLiteColumn; tenantId: SQLiteColumn };
type Row<T extends TenantOwnedTable> = T["$inferSelect"];
type NewRow<T extends TenantOwnedTable> = Omit<T["$inferInsert"], "tenantId">;

export interface TenantScope {
  tenantId: string;
  db: Database;
  /** `tenant_id = <this tenant>` and'ed with `where`, for queries the helpers below do not cover. */
  where<T extends TenantOwnedTable>(table: T, where?: SQL): SQL;
  get<T extends TenantOwnedTable>(table: T, id: string): Promise<Row<T> | undefined>;
  list<T extends TenantOwnedTable>(
    table: T,
    options?: {
      where?: SQL;
      orderBy?: SQL | SQLiteColumn | (SQL | SQLiteColumn)[];
      limit?: number;
    },
  ): Promise<Row<T>[]>;
  insert<T extends TenantOwnedTable>(table: T, values: NewRow<T>): Promise<Row<T>>;
  /**
   * The insert as a statement, not run, for a transaction that writes more than the row (for example
   * an assessment together with its cohort statistics): `libsqlClient(db).batch([...], "write")`.
   */
  insertStatement<T extends TenantOwnedTable>(table: T, values: NewRow<T>): InStatement;
  update<T extends TenantOwnedTable>(
    table: T,
    id: string,
    values: Partial<NewRow<T>>,
  ): Promise<Row<T> | undefined>;
  delete<T extends TenantOwnedTable>(table: T, id: string): Promise<boolean>;
  /** Updates every row of this tenant matching `where`; returns the updated rows. */
  updateWhere<T extends TenantOwnedTable>(
    table: T,
    where: SQL,
    values: Partial<NewRow<T>>,
  ): Promise<Row<T>[]>;
  /**
   * Inserts the row, or on a conflict over `target` (a unique index that starts with `tenant_id`)
   * updates the existing row of this tenant with `set`; returns the row as stored.
   */
  upsert<T extends TenantOwnedTable>(
    table: T,
    values: NewRow<T>,
    target: SQLiteColumn[],
    set: Partial<NewRow<T>>,
  ): Promise<Row<T>>;
}

/** Insert SQL per table and set of columns given, built once (a drizzle insert builder per request
 * costs more than the insert). */
const insertSql = new WeakMap<SQLiteTable, Map<string, string>>();

/**
 * `insert into <table> (<the columns given>) values (?, …)` with each value mapped as drizzle maps it
 * (JSON columns serialised, …); columns left undefined take their database default, as with drizzle.
 */
function insertStatement(table: SQLiteTable, values: Record<string, unknown>): InStatement {
  const columns = getTableColumns(table) as Record<string, SQLiteColumn>;
  const keys = Object.keys(columns).filter((key) => values[key] !== undefined);
  let byKeys = insertSql.get(table);
  if (!byKeys) {
    byKeys = new Map();
    insertSql.set(table, byKeys);
  }
  const signature = keys.join(",");
  let sql = byKeys.get(signature);
  if (!sql) {
    const names = keys.map((key) => `"${(columns[key] as SQLiteColumn).name}"`);
    sql = `insert into "${getTableName(table)}" (${names.join(", ")}) values (${keys.map(() => "?").join(", ")})`;
    byKeys.set(signature, sql);
  }
  const args = keys.map((key) => {
    const value = values[key];
    return value === null ? null : (columns[key] as SQLiteColumn).mapToDriverValue(value);
  });
  return { sql, args: args as InArgs };
}

export function tenantScope(db: Database, tenantId: string): TenantScope {
  const where = <T extends TenantOwnedTable>(table: T, condition?: SQL): SQL =>
    and(eq(table.tenantId, tenantId), condition) as SQL;
  const byId = <T extends TenantOwnedTable>(table: T, id: string) => where(table, eq(table.id, id));

  return {
    tenantId,
    db,
    where,
    async get(table, id) {
      // biome-ignore lint/suspicious/noExplicitAny: drizzle's builder types do not follow a generic table
      return (await (db.select().from(table as any) as any).where(byId(table, id)).get()) as any;
    },
    async list(table, options = {}) {
      // biome-ignore lint/suspicious/noExplicitAny: as above
      let query = (db.select().from(table as any) as any).where(where(table, options.where));
      if (options.orderBy)
        query = query.orderBy(
          ...(Array.isArray(options.orderBy) ? options.orderBy : [options.orderBy]),
        );
      if (options.limit !== undefined) query = query.limit(options.limit);
      return (await query.all()) as never;
    },
    async insert(table, values) {
      const rows = await db
        .insert(table)
        .values({ ...values, tenantId } as never)
        .returning();
      return (rows as unknown[])[0] as never;
    },
    insertStatement(table, values) {
      return insertStatement(table, { ...values, tenantId } as Record<string, unknown>);
    },
    async update(table, id, values) {
      const { tenantId: _ignored, ...rest } = values as Record<string, unknown>;
      const rows = await db
        .update(table)
        .set(rest as never)
        .where(byId(table, id))
        .returning();
      return (rows as unknown[])[0] as never;
    },
    async delete(table, id) {
      const rows = await db.delete(table).where(byId(table, id)).returning();
      return (rows as unknown[]).length > 0;
    },
    async updateWhere(table, condition, values) {
      const { tenantId: _ignored, ...rest } = values as Record<string, unknown>;
      const rows = await db
        .update(table)
        .set(rest as never)
        .where(where(table, condition))
        .returning();
      return rows as never;
    },
    async upsert(table, values, target, set) {
      if (target[0] !== table.tenantId)
        throw new Error("an upsert's conflict target must start with tenant_id");
      const { tenantId: _ignored, ...rest } = set as Record<string, unknown>;
      const rows = await db
        .insert(table)
        .values({ ...values, tenantId } as never)
        .onConflictDoUpdate({ target, set: rest as never })
        .returning();
      return (rows as unknown[])[0] as never;
    },
  };
}
