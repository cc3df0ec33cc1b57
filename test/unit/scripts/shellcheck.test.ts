import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

// Every shell script git tracks goes through shellcheck (Debian package, installed by scripts/bootstrap),
// with the repository's .shellcheckrc. A script is a tracked `*.sh` file or a tracked file whose first
// line runs sh or bash, so a new script is covered without being listed here.
const root = resolve(__dirname, "..", "..", "..");
const SHEBANG = /^#!\s*(\/usr\/bin\/env\s+)?(\/\S*\/)?(ba)?sh(\s|$)/;

function shellScripts(): string[] {
  return execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" })
    .split("\0")
    .filter((f) => f !== "" && existsSync(resolve(root, f)))
    .filter(
      (f) =>
        f.endsWith(".sh") || SHEBANG.test(readFileSync(resolve(root, f), "latin1").split("\n", 1)[0] ?? ""),
    )
    .sort();
}

const installed = spawnSync("shellcheck", ["--version"]).status === 0;
// CI must never pass by skipping: there a missing shellcheck fails the test below.
const run = installed || process.env.CI === "true";
if (!run)
  console.warn("shellcheck is not installed: skipping the shell script lint (scripts/bootstrap installs it)");

describe("shell scripts", () => {
  const scripts = shellScripts();

  it("are found by extension and shebang", () => {
    expect(scripts).toEqual(
      expect.arrayContaining([
        "scripts/bootstrap",
        "scripts/lib/common.sh",
        "bench/run",
        "policies/analyzer",
      ]),
    );
  });

  it.runIf(run).each(scripts)("%s passes shellcheck", (script) => {
    const r = spawnSync("shellcheck", [script], { cwd: root, encoding: "utf8" });
    if (r.error)
      throw new Error(`shellcheck could not run (${r.error.message}): run scripts/bootstrap to install it`);
    expect(`${r.stdout}${r.stderr}`).toBe("");
    expect(r.status).toBe(0);
  });
});
