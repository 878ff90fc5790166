/**
 * `npm run tenant:create -- --name "Acme Energy"`: creates a tenant and its first admin API key in
 * DATABASE_URL (migrating it first) and prints the key once. Store it: only its hash is kept.
 */
import { parseArgs } from "node:util";
import { createTenantWithAdminKey } from "../core/tenants/tenants.service.ts";
import { applyMigrations } from "../platform/db/migrate.ts";
import { openDatabase } from "../platform/db/open.ts";
import { loadStackConfig } from "./config.ts";

const { values } = parseArgs({ options: { name: { type: "string" }, json: { type: "boolean" } } });
const name = values.name?.trim();
if (!name || name.length > 200) {
  console.error(
    'usage: npm run tenant:create -- --name "Tenant name" [--json]   (name: 1-200 characters)',
  );
  process.exit(2);
}
const config = loadStackConfig(process.env);
const { db, close } = await openDatabase({
  url: config.DATABASE_URL,
  authToken: config.DATABASE_AUTH_TOKEN,
});
await applyMigrations(db);
const { tenantId, apiKey } = await createTenantWithAdminKey(db, { name, nowMs: Date.now() });
close();
if (values.json) {
  console.log(JSON.stringify({ tenantId, keyId: apiKey.row.id, apiKey: apiKey.key }));
} else {
  console.log(
    `tenant   ${tenantId}  (${name})\nkey id   ${apiKey.row.id}  (scopes: admin)\napi key  ${apiKey.key}\n`,
  );
  console.log(
    "The API key is shown only now; gridpulse stores its hash. Use it as: Authorization: Bearer <api key>",
  );
}
