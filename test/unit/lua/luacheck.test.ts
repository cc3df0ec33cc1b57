// luacheck (Debian package lua-check, configured by .luacheckrc) over every Lua file in the tree: the
// router's static modules (infra/lua/), the rendered router configs' golden copies, the router test
// harness and the bench's wrk hook. The router only runs inside HAProxy, where an unused variable or a
// stray global shows up as a wrong route at best; this catches them before any HAProxy starts.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const REPO = resolve(__dirname, "..", "..", "..");
const LUACHECK = "luacheck";

const installed = spawnSync(LUACHECK, ["--version"]).status === 0;
// Outside CI a developer may run vitest before scripts/bootstrap installed lua-check; in CI it must be
// there, so the test runs and fails instead of skipping.
const required = process.env.CI === "true";

/** Tracked and new (not ignored) *.lua files, relative to the repository, still present on disk. */
function luaFiles(): string[] {
  const run = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "*.lua"], {
    cwd: REPO,
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`git ls-files failed: ${run.stderr}`);
  const files = run.stdout.split("\0").filter((file) => file !== "" && existsSync(resolve(REPO, file)));
  return [...new Set(files)].sort();
}

/** luacheck run from the repository root, so .luacheckrc and its per-file sections apply. */
function luacheck(args: readonly string[], input?: string) {
  const run = spawnSync(LUACHECK, ["--no-color", "--codes", ...args], { cwd: REPO, encoding: "utf8", input });
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

describe.skipIf(!installed && !required)(
  `luacheck${installed || required ? "" : " (skipped: not installed; apt-get install lua-check)"}`,
  () => {
    it("is installed", () => {
      expect(
        installed,
        "luacheck is missing: apt-get install lua-check (scripts/bootstrap installs it)",
      ).toBe(true);
    });

    it("passes on every Lua file in the tree", () => {
      const files = luaFiles();
      expect(files).toEqual(
        expect.arrayContaining([
          "infra/lua/json.lua",
          "infra/lua/publish.lua",
          "infra/lua/router.lua",
          "test/unit/router/harness.lua",
        ]),
      );
      const result = luacheck(["--", ...files]);
      expect(result.output, result.output).toMatch(/^Total: 0 warnings \/ 0 errors in \d+ files$/m);
      expect(result.status, result.output).toBe(0);
    });

    it("applies .luacheckrc: HAProxy's globals are read-only in the router", () => {
      const result = luacheck(["--filename", "infra/lua/router.lua", "-"], "local unused = 1\ncore = nil\n");
      expect(result.status).toBe(1);
      expect(result.output).toContain("(W211) unused variable 'unused'");
      expect(result.output).toContain("(W121) setting read-only global variable 'core'");
    });
  },
);
