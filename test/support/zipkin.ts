/** A Zipkin server per test file (dev/zipkin), and reading traces back through its API. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startZipkin, type ZipkinServer } from "../../dev/zipkin/server.ts";

export interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind?: string;
  timestamp: number;
  /** Microseconds. */
  duration?: number;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
}

export const startTestZipkin = (): Promise<ZipkinServer> =>
  startZipkin({ logDir: mkdtempSync(join(tmpdir(), "gridpulse-zipkin-")) });

/** The env that makes a gridpulse process export its spans to `zipkin` quickly. */
export const exportTo = (zipkin: ZipkinServer) => ({
  OTEL_TRACES_EXPORTER: "zipkin",
  OTEL_EXPORTER_ZIPKIN_ENDPOINT: zipkin.spansEndpoint,
  OTEL_BSP_SCHEDULE_DELAY: "200",
});

export async function readTrace(zipkin: ZipkinServer, traceId: string): Promise<ZipkinSpan[]> {
  const res = await fetch(`${zipkin.url}/api/v2/trace/${traceId}`);
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`zipkin answered ${res.status}`);
  return (await res.json()) as ZipkinSpan[];
}

/** The trace as an indented tree: service, name, duration. */
export function formatTree(spans: readonly ZipkinSpan[]): string {
  const ids = new Set(spans.map((s) => s.id));
  const children = new Map<string | undefined, ZipkinSpan[]>();
  for (const s of spans) {
    const parent = s.parentId && ids.has(s.parentId) ? s.parentId : undefined;
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    const list = (children.get(parent) ?? []).sort((a, b) => a.timestamp - b.timestamp);
    for (const s of list) {
      const ms = ((s.duration ?? 0) / 1000).toFixed(2);
      lines.push(
        `${"  ".repeat(depth)}${s.localEndpoint?.serviceName ?? "?"}: ${s.name} (${s.kind ?? "INTERNAL"}, ${ms} ms)`,
      );
      walk(s.id, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join("\n");
}
