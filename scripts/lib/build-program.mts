// Builds the Pulumi program's JavaScript: every infra/**/*.ts transpiled on its own (TypeScript's
// transpileModule with the project's compiler options, what ts-node does) into .build/program/, so a
// preview or up runs plain JavaScript: no ts-node, no type check, no source-map lookups per resource.
// Type-checking is the lint lane's job (`npx tsc --noEmit -p .` in scripts/test).
// Only files whose source changed are transpiled again (a manifest of source hashes); a no-op run
// reads and hashes the sources and never loads the compiler.
// Usage: node scripts/lib/build-program.mts <repository root>   (Node strips the types itself; .mts:
// an ES module, so Node does not first try it as CommonJS)

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";

type Manifest = Record<string, string>;

const root = process.argv[2];
if (root === undefined) {
  console.error("usage: build-program.mts <repository root>");
  process.exit(2);
}
const SOURCE_DIR = join(root, "infra");
const OUT_DIR = join(root, ".build", "program");
const MANIFEST = join(OUT_DIR, "manifest.json");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

function readManifest(): Manifest {
  try {
    return JSON.parse(readFileSync(MANIFEST, "utf8")) as Manifest;
  } catch {
    return {};
  }
}

// Atomic (write, then rename): two scripts/pulumi runs may build at once, and neither may run a
// half-written file.
function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

const outputOf = (rel: string) => join(OUT_DIR, rel.replace(/\.ts$/, ".js"));
// The compiler options are part of every hash: a tsconfig.json change rebuilds everything.
const tsconfigText = readFileSync(join(root, "tsconfig.json"), "utf8");
const old = readManifest();
const next: Manifest = {};
const stale: { rel: string; text: string }[] = [];
for (const file of sources(SOURCE_DIR).sort()) {
  const rel = relative(root, file);
  const text = readFileSync(file, "utf8");
  const hash = createHash("sha256").update(tsconfigText).update("\0").update(text).digest("hex");
  next[rel] = hash;
  if (old[rel] !== hash || !existsSync(outputOf(rel))) stale.push({ rel, text });
}

if (stale.length > 0) {
  // The project's own TypeScript (package-lock pin), resolved from the repository root.
  const ts = createRequire(join(root, "package.json"))("typescript") as typeof import("typescript");
  const { config } = ts.parseConfigFileTextToJson("tsconfig.json", tsconfigText);
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, root);
  const compilerOptions = { ...parsed.options, sourceMap: false, inlineSourceMap: false, declaration: false };
  for (const { rel, text } of stale) {
    const result = ts.transpileModule(text, { compilerOptions, fileName: rel, reportDiagnostics: true });
    const problems = (result.diagnostics ?? []).map((d) =>
      ts.flattenDiagnosticMessageText(d.messageText, "\n"),
    );
    if (problems.length > 0) {
      console.error(`build-program: ${rel}: ${problems.join("; ")}`);
      process.exit(1);
    }
    writeAtomic(outputOf(rel), result.outputText);
  }
}
for (const rel of Object.keys(old)) {
  if (next[rel] === undefined) rmSync(outputOf(rel), { force: true });
}
if (stale.length > 0 || Object.keys(old).length !== Object.keys(next).length) {
  writeAtomic(MANIFEST, `${JSON.stringify(next, null, 1)}\n`);
}
