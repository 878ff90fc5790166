/**
 * The anchor of `npm run bench:api` (dev/bench/anchor-app.ts) in its own Node process, like the API.
 * `POST /v1/assessments` is compared with it in the same run.
 *   PORT (required)
 */
import { listen } from "../../platform/serve.ts";
import { anchorApp } from "./anchor-app.ts";

const server = await listen(anchorApp.fetch, {
  port: Number(process.env.PORT),
  hostname: "127.0.0.1",
});
process.on("SIGTERM", () => void server.close().then(() => process.exit(0)));
