/**
 * Node flags of gridpulse's long-running processes (`npm start` forks, `npm run api|stream`, benches):
 * V8's young generation capped at 8 MB. Loading drizzle-orm through Node 24's ESM resolver (which
 * re-reads its very large `exports` map per module) makes ~100 MB of short-lived garbage, after which
 * V8 would keep three 64 MB semi-spaces resident: 340 MB idle instead of about 190 MB.
 */
export const nodeFlags = ["--max-semi-space-size=8"];
