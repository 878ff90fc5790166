/** Every drizzle table of gridpulse; drizzle-kit reads this module to generate migrations. */
export * from "./alerts.ts";
export * from "./api-keys.ts";
export * from "./assessments.ts";
export * from "./benchmarks.ts";
export * from "./consumer-offsets.ts";
export * from "./idempotency.ts";
export * from "./market-events.ts";
export * from "./market-prices.ts";
export * from "./notifications.ts";
export * from "./request-windows.ts";
export * from "./slos.ts";
export * from "./subscriber-tokens.ts";
export * from "./tenants.ts";
export * from "./trace-exemplars.ts";
