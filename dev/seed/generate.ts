/**
 * Generates and assesses synthetic homes: home `i` of a seed is the same on every run and in every
 * worker (its RNG is seeded from the seed and the index), so chunks can run anywhere in any order.
 */
import { type HomeFigures, homeFigures } from "../../core/benchmark/figures.ts";
import { syntheticHome } from "../../core/benchmark/stock.ts";
import { assess } from "../../core/energy/index.ts";
import { createRng } from "../../core/random/rng.ts";

export interface SeededHome extends HomeFigures {
  index: number;
  input: string;
  ratio: number;
}

const homeSeed = (seed: number, index: number) =>
  (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) >>> 0;

export function generateHomes(
  seed: number,
  start: number,
  count: number,
  now: string,
): SeededHome[] {
  const homes: SeededHome[] = [];
  for (let index = start; index < start + count; index++) {
    const input = syntheticHome(createRng(homeSeed(seed, index)));
    const result = assess(input, { now });
    homes.push({
      ...homeFigures(input, result),
      index,
      input: JSON.stringify(input),
      ratio: result.rating.ratio,
    });
  }
  return homes;
}
