import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const lifecycle = fileURLToPath(new URL("./lifecycle.ts", import.meta.url));
const logger = fileURLToPath(new URL("../core/observability/logger.ts", import.meta.url));

/** Runs a process that installs onShutdown, then `then` (a failure, or waiting for a signal). */
function run(then: string, signal?: NodeJS.Signals) {
  const script = `
    import { onShutdown } from ${JSON.stringify(lifecycle)};
    import { createLogger } from ${JSON.stringify(logger)};
    const fail = onShutdown({
      logger: createLogger({ service: "t", level: "silent" }),
      shutdown: async (reason) => { console.log("shutdown: " + reason); },
    });
    console.log("ready");
    setInterval(() => {}, 1000);
    ${then}
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    if (signal && out.includes("ready")) child.kill(signal);
  });
  return new Promise<{ code: number | null; out: string }>((resolve) =>
    child.once("exit", (code) => resolve({ code, out })),
  );
}

describe("process lifecycle", () => {
  it("a failure runs the shutdown once and exits 1, for the supervisor to start the process again", async () => {
    const { code, out } = await run(`fail("a stage's consumer crashed for good");`);
    expect(out).toContain("shutdown: a stage's consumer crashed for good");
    expect(code).toBe(1);
  });

  it("SIGTERM runs the shutdown and exits 0", async () => {
    const { code, out } = await run("", "SIGTERM");
    expect(out).toContain("shutdown: SIGTERM");
    expect(code).toBe(0);
  });
});
