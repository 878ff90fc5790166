/** Reads one sample from a Prometheus text exposition (the format /metrics serves). */
export function sampleValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number {
  let total = 0;
  let found = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || !line.startsWith(name)) continue;
    const match = line.match(/^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s+(\S+)/);
    if (!match || match[1] !== name) continue;
    const sampleLabels = Object.fromEntries(
      [...(match[3] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => sampleLabels[k] === v)) {
      total += Number(match[4]);
      found = true;
    }
  }
  return found ? total : 0;
}

export async function scrape(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/metrics`);
  if (!res.ok) throw new Error(`GET ${baseUrl}/metrics answered ${res.status}`);
  return res.text();
}
