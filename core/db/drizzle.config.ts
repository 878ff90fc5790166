import { defineConfig } from "drizzle-kit";

// `npm run db:generate` turns changes in core/db/schema into a numbered SQL migration.
export default defineConfig({
  dialect: "turso",
  schema: "./core/db/schema/index.ts",
  out: "./core/db/migrations",
  dbCredentials: { url: process.env.DATABASE_URL ?? "file:./data/gridpulse.db" },
});
