/** `npm run setup` step: fetches (first run) or checks (later runs) the Zipkin server jar. */
import { resolveZipkinJar, zipkinVersion } from "./server.ts";

const started = performance.now();
const { source } = await resolveZipkinJar();
const how = source === "maven" ? "fetched through Maven" : "cached";
console.log(
  `setup: Zipkin ${zipkinVersion} server jar ${how} (${Math.round(performance.now() - started)} ms)`,
);
