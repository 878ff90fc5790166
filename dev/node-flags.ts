/**
 * Node flags of gridpulse's long-running processes (`npm start` forks, `npm run api|stream`, docker
 * compose, benches):
 * - V8's young generation capped at 8 MB. Loading drizzle-orm through Node 24's ESM resolver (which
 *   re-reads its very large `exports` map per module) makes ~100 MB of short-lived garbage, after which
 *   V8 would keep three 64 MB semi-spaces resident: 340 MB idle instead of about 190 MB.
 * - The stream worker also grows its old generation by at most 50 % of what a full collection left
 *   live (`--heap-growing-percent`; V8 otherwise grows up to fourfold on a machine with a lot of
 *   memory): its live heap stays under ~80 MB at 10,000 series while the heap it kept reached 270 MB.
 *   A soft bound, not a cap: a worker that needs more heap still gets it (`npm run bench:stream --
 *   --only B` measures both the memory and the throughput).
 */
export const nodeFlags = ["--max-semi-space-size=8"];

/** The stream worker's flags (`stream/main.ts`). */
export const streamNodeFlags = [...nodeFlags, "--heap-growing-percent=50"];

/** The flags of the process that runs `entry` (`stream/main.ts` or another entry point). */
export const nodeFlagsFor = (entry: string) =>
  entry === "stream/main.ts" ? streamNodeFlags : nodeFlags;
