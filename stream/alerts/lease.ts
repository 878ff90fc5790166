/**
 * The alert evaluator's lease (`leases` row "alert-evaluator"): one process evaluates at a time. The
 * holder renews it every tick and inside every step's write transaction; another process takes it
 * over only once it has expired. A step whose transaction finds another holder aborts as a whole
 * (`leaseStatement` fails, so the batch rolls back): two processes never both write a step.
 */
import type { Client, InStatement } from "@libsql/client";

export const alertLeaseName = "alert-evaluator";

/** Thrown by a step that found the lease held by another process at commit time. */
export class LeaseLostError extends Error {
  constructor(holder: string) {
    super(`the alert evaluator lease is no longer held by ${holder}`);
    this.name = "LeaseLostError";
  }
}

/**
 * Takes or renews the lease: succeeds when nobody holds it, this holder does, or the other holder's
 * lease has expired. Returns whether `holder` holds it until `nowMs + leaseMs`.
 */
export async function acquireLease(
  client: Client,
  args: { name?: string; holder: string; nowMs: number; leaseMs: number },
): Promise<boolean> {
  const name = args.name ?? alertLeaseName;
  const result = await client.execute({
    sql: `insert into leases (name, holder, expires_at_ms) values (?, ?, ?)
          on conflict (name) do update set holder = excluded.holder, expires_at_ms = excluded.expires_at_ms
          where leases.holder = excluded.holder or leases.expires_at_ms <= ?
          returning holder`,
    args: [name, args.holder, args.nowMs + args.leaseMs, args.nowMs],
  });
  return result.rows.length === 1;
}

/**
 * The first statement of a step's write batch: renews the lease if `holder` still holds it, and
 * otherwise fails (the holder column would become NULL: NOT NULL constraint), which rolls the whole
 * batch back. The holder alone decides: while it still names us nobody else can have written a step,
 * since taking the lease over rewrites it. A deleted row counts as free and is taken.
 */
export function leaseStatement(args: {
  name?: string;
  holder: string;
  nowMs: number;
  leaseMs: number;
}): InStatement {
  return {
    sql: `insert into leases (name, holder, expires_at_ms) values (?, ?, ?)
          on conflict (name) do update set
            holder = case when leases.holder = excluded.holder then excluded.holder else null end,
            expires_at_ms = excluded.expires_at_ms`,
    args: [args.name ?? alertLeaseName, args.holder, args.nowMs + args.leaseMs],
  };
}

/** Gives the lease up (on shutdown) so another process need not wait for it to expire. */
export async function releaseLease(
  client: Client,
  args: { name?: string; holder: string },
): Promise<void> {
  await client.execute({
    sql: "delete from leases where name = ? and holder = ?",
    args: [args.name ?? alertLeaseName, args.holder],
  });
}
