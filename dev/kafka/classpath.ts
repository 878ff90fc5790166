/**
 * Resolves the Apache Kafka broker's runtime classpath through Maven (dev/kafka/pom.xml): the first
 * run downloads the jars from Maven Central into the local Maven repository, later runs read the
 * cached classpath file and only check that every jar is still there.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

export const kafkaDir = fileURLToPath(new URL(".", import.meta.url));
export const kafkaVersion = readFileSync(join(kafkaDir, "pom.xml"), "utf8").match(
  /<kafka\.version>([^<]+)<\/kafka\.version>/,
)?.[1] as string;

export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "gridpulse");
}

export interface ResolvedClasspath {
  classpath: string;
  /** "cache" when the classpath file was reused, "maven" when Maven resolved it now. */
  source: "cache" | "maven";
  durationMs: number;
}

export async function resolveKafkaClasspath(
  cacheDir = defaultCacheDir(),
): Promise<ResolvedClasspath> {
  const started = performance.now();
  const dir = join(cacheDir, `kafka-${kafkaVersion}`);
  const file = join(dir, "classpath.txt");
  if (existsSync(file)) {
    const classpath = readFileSync(file, "utf8").trim();
    if (classpath?.split(":").every((jar) => existsSync(jar))) {
      return { classpath, source: "cache", durationMs: performance.now() - started };
    }
  }
  mkdirSync(dir, { recursive: true });
  try {
    await run(
      "mvn",
      [
        "-q",
        "-B",
        "-f",
        join(kafkaDir, "pom.xml"),
        "dependency:build-classpath",
        `-Dmdep.outputFile=${file}`,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (error) {
    const { stdout, stderr, message } = error as {
      stdout?: string;
      stderr?: string;
      message: string;
    };
    throw new Error(
      `could not fetch Apache Kafka ${kafkaVersion} through Maven (is 'mvn' installed and Maven Central reachable?): ${message}\n${stdout ?? ""}${stderr ?? ""}`,
    );
  }
  const classpath = readFileSync(file, "utf8").trim();
  return { classpath, source: "maven", durationMs: performance.now() - started };
}
