import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// scripts/lib/runtime.sh's ensure_language_host_wrapper: the v3.68 language host reads runtime options
// only as flags, so a wrapper passes Pulumi.yaml's `typescript: false` on as -typescript=false. Here the
// "real" host is a script that prints its arguments.
const lib = resolve(__dirname, "..", "..", "..", "scripts", "lib");
const work = mkdtempSync(join(tmpdir(), "mlb-langhost-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const pulumiDir = join(work, "pulumi");
mkdirSync(join(pulumiDir, "bin"), { recursive: true });
const host = join(pulumiDir, "bin", "pulumi-language-nodejs");

function install(): void {
  const script = `set -euo pipefail
source "${lib}/common.sh"
source "${lib}/runtime.sh"
PULUMI_DIR="${pulumiDir}"
ensure_language_host_wrapper`;
  const r = spawnSync("bash", ["-c", script], {
    encoding: "utf8",
    env: { ...process.env, MEDIAMTX_LB_CACHE: work },
  });
  expect(r.status, r.stderr).toBe(0);
}

function runIn(dir: string): string {
  const r = spawnSync(host, ["127.0.0.1:1234"], { cwd: dir, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

function project(name: string, yaml: string): string {
  const dir = join(work, name, "build", "program");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(work, name, "Pulumi.yaml"), yaml);
  return dir;
}

describe("ensure_language_host_wrapper", () => {
  it("moves the real host aside once and passes -typescript=false only for projects that ask", () => {
    writeFileSync(host, "\x7fELF stand-in\n"); // not a script: what the Go build leaves
    install();
    const real = readFileSync(host, "utf8");
    expect(real.startsWith("#!/bin/sh")).toBe(true);
    const moved = spawnSync("sh", ["-c", `ls "${pulumiDir}/bin"`], { encoding: "utf8" }).stdout.split("\n");
    const realName = moved.find((f) => /^pulumi-language-nodejs-v\d/.test(f));
    expect(realName).toBeDefined();
    // The stand-in for the real host prints what it was given.
    writeFileSync(join(pulumiDir, "bin", realName ?? ""), '#!/bin/sh\necho "$@"\n');
    chmodSync(join(pulumiDir, "bin", realName ?? ""), 0o755);
    install(); // idempotent: the wrapper is not moved over the real host
    expect(readFileSync(join(pulumiDir, "bin", realName ?? ""), "utf8")).toBe('#!/bin/sh\necho "$@"\n');

    const js = project(
      "js",
      "name: p\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: build/program/index.js\n",
    );
    const ts = project(
      "ts",
      "name: p\nruntime:\n  name: nodejs\n  options:\n    typescript: true\nmain: index.ts\n",
    );
    const none = project("none", "name: p\nruntime: nodejs\n");
    expect(runIn(js)).toBe("-typescript=false 127.0.0.1:1234");
    expect(runIn(ts)).toBe("127.0.0.1:1234");
    expect(runIn(none)).toBe("127.0.0.1:1234");
  });

  it("reads the repository's own Pulumi.yaml as a TypeScript-off project", () => {
    const yaml = readFileSync(resolve(__dirname, "..", "..", "..", "Pulumi.yaml"), "utf8");
    expect(yaml).toMatch(/^\s+typescript:\s*false\s*$/m);
  });
});
