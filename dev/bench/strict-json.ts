/**
 * `npm run bench:json`: what the API's strict JSON parse (api/middleware/strict-json.ts: duplicate keys
 * and nesting depth checked) costs over plain JSON.parse on typical request bodies, per body: a
 * detailed assessment input (~0.5 KB), the same with its strings grown to ~8 KB, and an alert rule.
 * Prints CPU ns per parse for both (best of 5 rounds) and the overhead.
 *
 *   npm run bench:json -- --iterations 200000
 */
import { parseArgs } from "node:util";
import { parseStrictJson } from "../../api/middleware/strict-json.ts";

const { values } = parseArgs({ options: { iterations: { type: "string", default: "200000" } } });
const iterations = Math.max(1000, Number(values.iterations) || 200_000);

const assessment = {
  location: { prefecture: "Attica", station: "athens" },
  buildingType: "apartment",
  apartmentPosition: "middle",
  constructionYear: 1995,
  heatedFloorAreaM2: 80,
  storeys: 1,
  geometry: { wallsM2: { N: 20, S: 20, E: 8, W: 8 }, windowsM2: { N: 4, S: 6, E: 1.5, W: 1.5 } },
  uValues: { wall: 1.5, roof: 0.9, floor: 1.2 },
  windows: { uValue: 4.9, glazingG: 0.57, airtight: false },
  thermalMass: "heavy",
  systems: {
    heating: { type: "gas_boiler", efficiency: 0.9 },
    hotWater: { type: "heating_system" },
    cooling: { type: "split_ac", eer: 3.2 },
  },
};
const large = { ...assessment, notes: "x".repeat(8000) };
const rule = {
  kind: "market_price",
  name: "electricity above 0.30",
  severity: "ticket",
  labels: { team: "energy", region: "attica" },
  annotations: { summary: "retail electricity price above threshold" },
  params: { carrier: "electricity", condition: { op: "above", thresholdEurPerKwh: 0.3 } },
};

/** CPU ns per call (process CPU time, not wall time: the machine may be shared), best of 5 rounds. */
function time(fn: () => unknown): number {
  for (let i = 0; i < Math.min(20_000, iterations); i++) fn();
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    const start = process.cpuUsage();
    for (let i = 0; i < iterations / 5; i++) fn();
    const used = process.cpuUsage(start);
    best = Math.min(best, ((used.user + used.system) * 1000) / (iterations / 5));
  }
  return best;
}

console.log(`strict JSON parse vs JSON.parse, ${iterations} iterations each (ns per body)`);
for (const [name, body] of [
  ["assessment", assessment],
  ["assessment + 8 KB string", large],
  ["alert rule", rule],
] as const) {
  const text = JSON.stringify(body);
  const plain = time(() => JSON.parse(text));
  const strict = time(() => parseStrictJson(text));
  console.log(
    `${name.padEnd(26)} ${String(text.length).padStart(6)} B  JSON.parse ${plain.toFixed(0).padStart(6)}  strict ${strict.toFixed(0).padStart(6)}  overhead +${(strict - plain).toFixed(0)} ns (${((strict / plain - 1) * 100).toFixed(0)} %)`,
  );
}
