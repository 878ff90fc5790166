/**
 * The database-backed VAPID key store: one row (`id = 'current'`) of `vapid_keys`, written once by
 * whichever process generates keys first (INSERT ... ON CONFLICT DO NOTHING), read by every other.
 */
import type { Client } from "@libsql/client";
import type { VapidKeyStore } from "./vapid-keys.ts";

export const vapidKeyRowId = "current";

export function databaseVapidKeyStore(
  client: Client,
  clock: () => number = Date.now,
): VapidKeyStore {
  return {
    async load() {
      const rs = await client.execute({
        sql: "SELECT public_key, private_key FROM vapid_keys WHERE id = ?",
        args: [vapidKeyRowId],
      });
      const row = rs.rows[0];
      return row
        ? { publicKey: row.public_key as string, privateKey: row.private_key as string }
        : undefined;
    },
    async save(keys) {
      await client.execute({
        sql: "INSERT INTO vapid_keys (id, public_key, private_key, created_at_ms) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        args: [vapidKeyRowId, keys.publicKey, keys.privateKey, clock()],
      });
    },
  };
}
