/**
 * Checks that keep gridpulse's prose honest (run by dev/docs/docs.test.ts): relative links and their
 * anchors resolve, file paths named in the docs exist, and the configuration reference
 * (docs/configuration.md) lists exactly the environment variables the code reads.
 *
 * The functions are pure over file contents, so the test can prove on fixtures that they fail.
 */

/** A markdown file: its repository-relative path and its text. */
export interface DocFile {
  path: string;
  text: string;
}

/** Removes fenced code blocks (``` or ~~~), keeping line numbers (their lines become empty). */
export function withoutFences(text: string): string {
  const lines = text.split("\n");
  let fence: string | undefined;
  return lines
    .map((line) => {
      const open = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
      if (fence === undefined) {
        if (open?.[1]) {
          fence = open[1][0]?.repeat(open[1].length);
          return "";
        }
        return line;
      }
      if (open?.[1]?.startsWith(fence) && line.trim() === open[1]) fence = undefined;
      return "";
    })
    .join("\n");
}

/** Removes inline code spans, so `[a](b)` inside backticks is not a link. */
const withoutInlineCode = (line: string) => line.replace(/(`+)[^`]*?\1/g, "");

export interface Link {
  line: number;
  target: string;
}

/** Inline links and images `[text](target "title")` and reference definitions `[ref]: target`. */
export function extractLinks(text: string): Link[] {
  const links: Link[] = [];
  withoutFences(text)
    .split("\n")
    .forEach((raw, index) => {
      const line = withoutInlineCode(raw);
      for (const match of line.matchAll(
        /!?\[(?:[^\]]|\\\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g,
      )) {
        if (match[1]) links.push({ line: index + 1, target: match[1] });
      }
      const definition = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(line);
      if (definition?.[1]) links.push({ line: index + 1, target: definition[1] });
    });
  return links;
}

const isExternal = (target: string) =>
  /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//");

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutFences(text).split("\n")) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading?.[1]) continue;
    const base = heading[1]
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  for (const match of text.matchAll(/<a\s+(?:name|id)="([^"]+)"/g))
    if (match[1]) anchors.add(match[1]);
  return anchors;
}

/** Joins a relative link to the directory of the file it is in ("a/b.md" + "../c.md" = "c.md"). */
export function resolveRelative(from: string, target: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const part of target.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return parts.join("/");
}

export interface Problem {
  file: string;
  line: number;
  message: string;
}

/**
 * Every relative link of every file resolves to a file or folder of the repository (`exists`), and
 * every anchor to a heading of the markdown file it points into (`#x` alone: the same file).
 */
export function checkLinks(
  files: readonly DocFile[],
  exists: (path: string) => boolean,
): Problem[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const problems: Problem[] = [];
  for (const file of files) {
    for (const { line, target } of extractLinks(file.text)) {
      if (isExternal(target)) continue;
      const [pathPart = "", anchor] = target.split("#", 2);
      const decoded = decodeURIComponent(pathPart);
      const resolved = decoded === "" ? file.path : resolveRelative(file.path, decoded);
      if (decoded.startsWith("/")) {
        problems.push({
          file: file.path,
          line,
          message: `absolute link ${target}: use a relative one`,
        });
        continue;
      }
      if (resolved === "" || resolved.startsWith("..") || !exists(resolved)) {
        problems.push({
          file: file.path,
          line,
          message: `broken link ${target} (${resolved || "."})`,
        });
        continue;
      }
      if (anchor !== undefined && resolved.endsWith(".md")) {
        const into = byPath.get(resolved);
        if (into && !headingAnchors(into.text).has(decodeURIComponent(anchor))) {
          problems.push({ file: file.path, line, message: `no heading for anchor ${target}` });
        }
      }
    }
  }
  return problems;
}

const topFolders = ["core", "platform", "api", "stream", "dev", "test", "dashboards", "docs"];

/**
 * File paths the prose names in code spans (`stream/notify/dispatcher.ts`, `core/energy/`): those
 * starting with a source folder must exist. Patterns and placeholders (`*`, `<name>`, `{a,b}`, `…`)
 * are skipped.
 */
export function checkNamedPaths(
  files: readonly DocFile[],
  exists: (path: string) => boolean,
): Problem[] {
  const problems: Problem[] = [];
  const folders = topFolders.join("|");
  const pathLike = new RegExp(`^(?:\\./)?((?:${folders})/[A-Za-z0-9._/-]*)$`);
  for (const file of files) {
    withoutFences(file.text)
      .split("\n")
      .forEach((line, index) => {
        for (const match of line.matchAll(/`([^`\s]+)`/g)) {
          const path = pathLike.exec(match[1] ?? "")?.[1];
          if (!path || path.includes("..")) continue;
          const clean = path.replace(/\/$/, "");
          const last = clean.split("/").at(-1) ?? "";
          // A bare folder name or a file with an extension; "core/alerts" style folders count too.
          if (!last.includes(".") && !path.endsWith("/") && clean.split("/").length < 2) continue;
          if (!exists(clean)) {
            problems.push({
              file: file.path,
              line: index + 1,
              message: `names ${path}, which does not exist`,
            });
          }
        }
      });
  }
  return problems;
}

const envName = "[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*";

/** Variables a file reads through `process.env.X`, `process.env["X"]` or `env.X` (assignments excluded). */
export function envReads(source: string, { bareEnv = true } = {}): Set<string> {
  const names = new Set<string>();
  const owner = bareEnv ? "(?:\\bprocess\\.)?\\benv" : "\\bprocess\\.env";
  const patterns = [
    new RegExp(`${owner}\\.(${envName})\\b(?!\\s*=[^=])`, "g"),
    new RegExp(`${owner}\\[\\s*["'\`](${envName})["'\`]\\s*\\](?!\\s*=[^=])`, "g"),
  ];
  for (const pattern of patterns)
    for (const m of source.matchAll(pattern)) if (m[1]) names.add(m[1]);
  for (const m of source.matchAll(/\{([^{}]*)\}\s*=\s*process\.env\b/g)) {
    for (const name of (m[1] ?? "").matchAll(new RegExp(`\\b(${envName})\\b`, "g"))) {
      if (name[1]) names.add(name[1]);
    }
  }
  return names;
}

/**
 * Keys of the environment schemas in a configuration module: every `NAME:` property written in upper
 * snake case (zod object keys such as `PORT: portVar(8787)` or `OTEL_SDK_DISABLED: booleanVar(false)`).
 */
export function schemaKeys(source: string): Set<string> {
  const names = new Set<string>();
  for (const m of source.matchAll(new RegExp(`^\\s+["']?(${envName})["']?\\s*:(?!:)`, "gm"))) {
    if (m[1]) names.add(m[1]);
  }
  return names;
}

/** Shell variables a script reads (`$X`, `${X:-…}`) that it does not set itself, minus the shell's own. */
export function shellReads(source: string): Set<string> {
  const shellOwn = new Set([
    "PATH",
    "HOME",
    "PWD",
    "UID",
    "EUID",
    "USER",
    "BASH_SOURCE",
    "IFS",
    "OSTYPE",
  ]);
  const assigned = new Set(
    [...source.matchAll(new RegExp(`^\\s*(?:export\\s+|local\\s+)?(${envName})=`, "gm"))].map(
      (m) => m[1],
    ),
  );
  const names = new Set<string>();
  for (const m of source.matchAll(new RegExp(`\\$\\{?(${envName})\\b`, "g"))) {
    const name = m[1];
    if (name && !assigned.has(name) && !shellOwn.has(name)) names.add(name);
  }
  return names;
}

/**
 * Variables the configuration reference documents: the names in code spans of the first cell of
 * every table row (one variable per row, or several separated by " / " or ", ").
 */
export function documentedVariables(markdown: string): Set<string> {
  const names = new Set<string>();
  for (const line of withoutFences(markdown).split("\n")) {
    const row = /^\s*\|([^|]*)\|/.exec(line);
    if (!row?.[1] || /^\s*:?-{3,}/.test(row[1])) continue;
    for (const m of row[1].matchAll(new RegExp(`\`(${envName})\``, "g"))) if (m[1]) names.add(m[1]);
  }
  return names;
}

export interface EnvComparison {
  /** Read by the code, absent from the reference. */
  undocumented: string[];
  /** In the reference, read nowhere. */
  unknown: string[];
}

export function compareEnv(
  read: ReadonlySet<string>,
  documented: ReadonlySet<string>,
): EnvComparison {
  return {
    undocumented: [...read].filter((n) => !documented.has(n)).sort(),
    unknown: [...documented].filter((n) => !read.has(n)).sort(),
  };
}
