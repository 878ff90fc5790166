/**
 * Sharded alert evaluation: tenants are hashed into a fixed number of shards (`tenantShard`), and the
 * shards are spread over the running evaluator processes with one `leases` row per shard
 * (`alert-evaluator/shard/<n>`), the same conditional upsert as the single lease, so a step's write
 * batch is still guarded by its shard's lease (lease.ts `leaseStatement`). No new consensus:
 *
 * - every process heartbeats a member row (`alert-evaluator/member/<holder>`, same expiry as a lease);
 *   the live processes are the unexpired member rows;
 * - each process aims at `ceil(shards / live)` shards: above it, it releases the surplus (deletes its
 *   rows, so another process takes them at its next tick); below it, it takes shards nobody holds or
 *   whose lease expired; a starting process heartbeats first (`joinShards`) and takes shards one
 *   interval later, so processes starting together see each other before they pick;
 * - a long tick renews the held shards and the heartbeat on the way (`renewShards`);
 * - a process that dies stops renewing: its shards expire after the lease and are taken by the others
 *   at their next tick; one that stops cleanly releases its shards and member row at once.
 *
 * A shard's new owner starts from the persisted alert states and groups (the step's inputs are read
 * from libSQL), and notification keys are derived from persisted group state, so a handover neither
 * loses nor repeats a notification.
 */
import type { Client } from "@libsql/client";
import { fnv1a64 } from "../../core/alerts/index.ts";

export const shardLeasePrefix = "alert-evaluator/shard/";
export const memberLeasePrefix = "alert-evaluator/member/";
export const shardLeaseName = (shard: number) => `${shardLeasePrefix}${shard}`;
export const memberLeaseName = (holder: string) => `${memberLeasePrefix}${holder}`;

/** The shard of a tenant: FNV-1a 64 of its id (the low 48 bits) modulo the shard count. */
export function tenantShard(tenantId: string, shards: number): number {
  return Number.parseInt(fnv1a64(tenantId).slice(4), 16) % shards;
}

export interface ShardBalance {
  /** Shards this process holds after the call (each lease valid until nowMs + leaseMs). */
  held: Set<number>;
  acquired: number[];
  released: number[];
  /** Shards this process thought it held but found taken by another process. */
  lost: number[];
  /** Live evaluator processes (unexpired member rows, this one included). */
  live: number;
  target: number;
}

/**
 * One round of the fair assignment for `holder`: heartbeat and renewal of its held shards in one
 * write, then one read of every shard and member row, then releases above the target and takeovers
 * below it (each a conditional upsert that loses cleanly to a concurrent taker).
 */
export async function balanceShards(
  client: Client,
  args: {
    holder: string;
    shards: number;
    held: ReadonlySet<number>;
    nowMs: number;
    leaseMs: number;
  },
): Promise<ShardBalance> {
  const { holder, shards, nowMs, leaseMs } = args;
  const expires = nowMs + leaseMs;
  const [, renewed] = await client.batch(
    [
      {
        sql: `insert into leases (name, holder, expires_at_ms) values (?, ?, ?)
              on conflict (name) do update set holder = excluded.holder, expires_at_ms = excluded.expires_at_ms`,
        args: [memberLeaseName(holder), holder, expires],
      },
      {
        sql: `update leases set expires_at_ms = ? where holder = ? and name like '${shardLeasePrefix}%'
              returning name`,
        args: [expires, holder],
      },
      // Member rows of processes gone for long are garbage.
      {
        sql: `delete from leases where name like '${memberLeasePrefix}%' and expires_at_ms < ?`,
        args: [nowMs - 10 * leaseMs],
      },
    ],
    "write",
  );
  const held = new Set<number>();
  for (const row of renewed?.rows ?? []) {
    const shard = Number(String(row.name).slice(shardLeasePrefix.length));
    if (Number.isInteger(shard) && shard < shards) held.add(shard);
  }
  const lost = [...args.held].filter((s) => !held.has(s));

  const rows = await client.execute(
    `select name, holder, expires_at_ms from leases where name like 'alert-evaluator/%'`,
  );
  let live = 0;
  const taken = new Set<number>();
  for (const row of rows.rows) {
    const name = String(row.name);
    const alive = Number(row.expires_at_ms) > nowMs;
    if (name.startsWith(memberLeasePrefix)) {
      if (alive) live++;
    } else if (name.startsWith(shardLeasePrefix) && alive) {
      taken.add(Number(name.slice(shardLeasePrefix.length)));
    }
  }
  live = Math.max(1, live);
  const target = Math.ceil(shards / live);

  const released: number[] = [];
  if (held.size > target) {
    // Give up the highest-numbered surplus; the others take them at their next tick.
    const surplus = [...held].sort((a, b) => b - a).slice(0, held.size - target);
    await client.batch(
      surplus.map((s) => ({
        sql: "delete from leases where name = ? and holder = ?",
        args: [shardLeaseName(s), holder],
      })),
      "write",
    );
    for (const s of surplus) {
      held.delete(s);
      released.push(s);
    }
  }
  const acquired: number[] = [];
  if (held.size < target) {
    // Free shards, starting at an offset derived from the holder so that processes starting
    // together mostly reach for different shards.
    const start = Number.parseInt(fnv1a64(holder).slice(8), 16) % shards;
    const free: number[] = [];
    for (let i = 0; i < shards; i++) {
      const s = (start + i) % shards;
      if (!taken.has(s) && !held.has(s)) free.push(s);
    }
    for (const s of free.slice(0, target - held.size)) {
      const result = await client.execute({
        sql: `insert into leases (name, holder, expires_at_ms) values (?, ?, ?)
              on conflict (name) do update set holder = excluded.holder, expires_at_ms = excluded.expires_at_ms
              where leases.holder = excluded.holder or leases.expires_at_ms <= ?
              returning holder`,
        args: [shardLeaseName(s), holder, expires, nowMs],
      });
      if (result.rows.length === 1) {
        held.add(s);
        acquired.push(s);
      }
    }
  }
  return { held, acquired, released, lost, live, target };
}

/** Gives up every shard and the member row (clean shutdown): the others take over at once. */
export async function releaseShards(client: Client, holder: string): Promise<void> {
  await client.execute({
    sql: `delete from leases where holder = ? and (name like '${shardLeasePrefix}%' or name = ?)`,
    args: [holder, memberLeaseName(holder)],
  });
}

/** Heartbeat and renewal of every shard `holder` still holds (during a long tick). */
export async function renewShards(
  client: Client,
  args: { holder: string; nowMs: number; leaseMs: number },
): Promise<void> {
  await client.batch(
    [
      {
        sql: "update leases set expires_at_ms = ? where holder = ? and name like 'alert-evaluator/%'",
        args: [args.nowMs + args.leaseMs, args.holder],
      },
    ],
    "write",
  );
}

/** The heartbeat alone (a starting process, before it takes shards). */
export async function joinShards(
  client: Client,
  args: { holder: string; nowMs: number; leaseMs: number },
): Promise<void> {
  await client.execute({
    sql: `insert into leases (name, holder, expires_at_ms) values (?, ?, ?)
          on conflict (name) do update set holder = excluded.holder, expires_at_ms = excluded.expires_at_ms`,
    args: [memberLeaseName(args.holder), args.holder, args.nowMs + args.leaseMs],
  });
}
