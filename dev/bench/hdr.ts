/**
 * `npm run bench:hdr`: the JS and WebAssembly builds of hdr-histogram-js on the operations gridpulse
 * does — record, encode (V2 compressed base64), decode, add — per operation, plus heap and RSS.
 */
import * as hdr from "hdr-histogram-js";

const build = (useWebAssembly: boolean) =>
  hdr.build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
    useWebAssembly,
  });

await hdr.initWebAssembly();
const rows: Record<string, string | number>[] = [];
for (const wasm of [false, true]) {
  const n = 5000;
  const values = Array.from({ length: 20 }, (_, i) => 1000 + i * 997);
  let t = performance.now();
  const hs = Array.from({ length: n }, () => {
    const h = build(wasm);
    for (const v of values) h.recordValue(v);
    return h;
  });
  const createUs = ((performance.now() - t) / n) * 1000;
  t = performance.now();
  const encoded = hs.map((h) => hdr.encodeIntoCompressedBase64(h));
  const encodeUs = ((performance.now() - t) / n) * 1000;
  t = performance.now();
  const decoded = encoded.map((e) => hdr.decodeFromCompressedBase64(e, 32, wasm));
  const decodeUs = ((performance.now() - t) / n) * 1000;
  const acc = build(wasm);
  t = performance.now();
  for (const d of decoded) acc.add(d);
  const addUs = ((performance.now() - t) / n) * 1000;
  const big = build(wasm);
  t = performance.now();
  for (let i = 0; i < 5_000_000; i++) big.recordValue(500 + (i % 200_000));
  const recordsPerS = 5_000_000 / ((performance.now() - t) / 1000);
  const memory = process.memoryUsage();
  rows.push({
    build: wasm ? "WebAssembly" : "JS",
    "create+20 records µs": createUs.toFixed(1),
    "encode µs": encodeUs.toFixed(1),
    "decode µs": decodeUs.toFixed(1),
    "add µs": addUs.toFixed(1),
    "records/s": Math.round(recordsPerS).toLocaleString("en"),
    "heap MB": Math.round(memory.heapUsed / 2 ** 20),
    "rss MB": Math.round(memory.rss / 2 ** 20),
  });
  if (wasm) for (const h of [...hs, ...decoded, acc, big]) h.destroy();
}
console.table(rows);
console.log(
  "gridpulse uses the JS build: GC-managed, and Workers refuse WebAssembly compiled from bytes at run time.",
);
