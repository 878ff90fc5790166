/** Window lengths written as `5m`, `6h`, `3d` (minutes, hours, days). */
import { z } from "zod";

const units = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export const durationSchema = z
  .string()
  .regex(/^[1-9]\d{0,4}[mhd]$/, "must be a duration such as 5m, 6h or 3d")
  .refine((d) => durationMs(d) <= 90 * units.d, "must be at most 90 days");

export function durationMs(duration: string): number {
  const unit = duration.at(-1) as keyof typeof units;
  return Number(duration.slice(0, -1)) * units[unit];
}

export function formatDuration(ms: number): string {
  if (ms % units.d === 0) return `${ms / units.d}d`;
  if (ms % units.h === 0) return `${ms / units.h}h`;
  return `${Math.round(ms / units.m)}m`;
}
