// "Nothing exported for tests that no test uses" (STYLE.md §4): every declaration whose comment carries
// the marker "Exported for testing" must be imported by at least one *.test.ts file, from its own
// module. Otherwise the export only widens the module's surface; un-export it or test it.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "..", "..");
/** Where marked exports may live. */
const SOURCE_DIRS = ["infra", "bench", "policies", "test/support"];
/** Where the tests that import them live. */
const TEST_DIRS = ["infra", "bench", "policies", "test", "scripts"];
const MARKER = "Exported for testing";

const EXPORT_DECLARATION =
  /^export\s+(?:declare\s+)?(?:async\s+)?(?:function\*?|const|let|class|interface|type|enum)\s+([A-Za-z_$][\w$]*)/;

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts")) out.push(path);
    }
  };
  walk(join(ROOT, dir));
  return out;
}

interface MarkedExport {
  /** Absolute path of the module. */
  readonly file: string;
  /** The exported name, or undefined when the marker is on something that is not an export. */
  readonly name: string | undefined;
  /** 1-based line of the marker. */
  readonly line: number;
}

/** The declarations a marker comment sits on: the first non-comment line after the marker's line. */
function markedExports(file: string, text: string): MarkedExport[] {
  const lines = text.split("\n");
  const found: MarkedExport[] = [];
  lines.forEach((line, index) => {
    if (!line.includes(MARKER)) return;
    // A marker ends a comment: the declaration follows the rest of that comment.
    let next = index + (line.trimEnd().endsWith("*/") || line.trimStart().startsWith("//") ? 1 : 0);
    while (next < lines.length && isCommentOrBlank(lines[next] ?? "", next === index)) next++;
    const match = EXPORT_DECLARATION.exec(lines[next] ?? "");
    found.push({ file, name: match?.[1], line: index + 1 });
  });
  return found;
}

function isCommentOrBlank(line: string, isMarkerLine: boolean): boolean {
  const t = line.trim();
  return isMarkerLine || t === "" || t.startsWith("*") || t.startsWith("//") || t.startsWith("/*");
}

/** Module path (absolute, without .ts) → the names a test imports from it by name. */
function importsOf(testFile: string, text: string): Map<string, Set<string>> {
  const byModule = new Map<string, Set<string>>();
  const add = (specifier: string, names: readonly string[]): void => {
    if (!specifier.startsWith(".")) return;
    const module = resolve(dirname(testFile), specifier).replace(/(\/index)?\.ts$/, "");
    const set = byModule.get(module) ?? new Set<string>();
    for (const name of names) set.add(name);
    byModule.set(module, set);
  };
  const named = (list: string): string[] =>
    list
      .split(",")
      .map((part) =>
        part
          .trim()
          .replace(/^type\s+/, "")
          .split(/\s+as\s+/)[0]
          ?.trim(),
      )
      .filter((name): name is string => name !== undefined && name !== "");
  const staticImport = /import\s+(?:type\s+)?([\s\S]*?)\s+from\s+["']([^"']+)["']/g;
  for (const [, clause = "", specifier = ""] of text.matchAll(staticImport)) {
    const braces = /\{([^}]*)\}/.exec(clause);
    if (braces) add(specifier, named(braces[1] ?? ""));
  }
  // Program tests import after setMocks: `const { x } = await import("…")`.
  const dynamicImport = /\{([^}]*)\}\s*=\s*await\s+import\(\s*["']([^"']+)["']\s*\)/g;
  for (const [, list = "", specifier = ""] of text.matchAll(dynamicImport)) add(specifier, named(list));
  return byModule;
}

function moduleOf(file: string): string {
  return file.replace(/(\/index)?\.ts$/, "");
}

describe("exports marked 'Exported for testing'", () => {
  const marked = SOURCE_DIRS.flatMap(tsFiles)
    .filter((file) => !file.endsWith(".test.ts"))
    .flatMap((file) => markedExports(file, readFileSync(file, "utf8")));
  const imported = new Map<string, Set<string>>();
  for (const file of TEST_DIRS.flatMap(tsFiles).filter((f) => f.endsWith(".test.ts"))) {
    for (const [module, names] of importsOf(file, readFileSync(file, "utf8"))) {
      const set = imported.get(module) ?? new Set<string>();
      for (const name of names) set.add(name);
      imported.set(module, set);
    }
  }
  const where = (m: MarkedExport) => `${relative(ROOT, m.file)}:${m.line}`;

  it("finds the marked exports (the scan works)", () => {
    expect(marked.length).toBeGreaterThan(10);
  });

  it("sit on export declarations", () => {
    expect(marked.filter((m) => m.name === undefined).map(where)).toEqual([]);
  });

  it("are each imported by a *.test.ts file", () => {
    const unused = marked
      .filter((m) => m.name !== undefined)
      .filter((m) => {
        const names = imported.get(moduleOf(m.file));
        return names === undefined || !names.has(m.name ?? "");
      })
      .map((m) => `${where(m)} ${m.name}`);
    expect(unused).toEqual([]);
  });
});

describe("markedExports", () => {
  it("reads the export under a one-line, a multi-line and a line comment", () => {
    const text = [
      "/** Internal. Exported for testing. */",
      "export function one(): void {}",
      "/**",
      " * Does two. Internal. Exported for testing.",
      " * More words.",
      " */",
      "export async function two(): Promise<void> {}",
      "// Internal. Exported for testing.",
      "export const three = 3;",
      "/** Internal. Exported for testing. */",
      "function hidden(): void {}",
    ].join("\n");
    expect(markedExports("/m.ts", text)).toEqual([
      { file: "/m.ts", name: "one", line: 1 },
      { file: "/m.ts", name: "two", line: 4 },
      { file: "/m.ts", name: "three", line: 8 },
      { file: "/m.ts", name: undefined, line: 10 },
    ]);
  });
});

describe("importsOf", () => {
  it("collects named, typed, renamed and awaited imports by resolved module", () => {
    const text = [
      'import { describe, it } from "vitest";',
      'import { a, type B, c as d } from "../../infra/x";',
      'import {\n  e,\n  f,\n} from "./y";',
      'const { g } = await import("../../infra/x");',
    ].join("\n");
    const imports = importsOf("/r/test/unit/t.test.ts", text);
    expect(Object.fromEntries([...imports].map(([k, v]) => [k, [...v].sort()]))).toEqual({
      "/r/infra/x": ["B", "a", "c", "g"],
      "/r/test/unit/y": ["e", "f"],
    });
  });
});
