import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// scripts/lib/common.sh's step and cache_build run builders with errexit on: a command that fails in
// the middle of a builder fails the step, and nothing is cached for it.
const common = resolve(__dirname, "..", "..", "..", "scripts", "lib", "common.sh");
const cache = mkdtempSync(join(tmpdir(), "mlb-common-test-"));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

function bootstrapLike(body: string) {
  const script = `set -euo pipefail\nsource "${common}"\n${body}\necho "after the steps"\n`;
  const r = spawnSync("bash", ["-c", script], {
    encoding: "utf8",
    env: { ...process.env, MEDIAMTX_LB_CACHE: cache },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("step", () => {
  it("prints one ok line for a builder that succeeds", () => {
    const r = bootstrapLike(`ok_builder() { echo quiet; }\nstep "fine" ok_builder`);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ {2}fine +ok +\d+\.\ds\nafter the steps\n$/);
  });

  it("fails at the first failing command of a builder and shows its log", () => {
    const r = bootstrapLike(`half() { echo "first half"; false; echo "second half"; }\nstep "half" half`);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^ {2}half +FAIL +\d+\.\ds\n$/);
    expect(r.stderr).toContain("    | first half\n");
    expect(r.stderr).not.toContain("second half");
    expect(r.stderr).toContain("error: bootstrap step 'half' failed");
  });
});

describe("cache_build", () => {
  it("caches nothing when a command in the middle of a builder fails", () => {
    const entry = join(cache, "thing-1");
    const r = bootstrapLike(
      `build() { false; echo built >"$1/out"; }\nstep "thing" cache_build "${entry}" out build`,
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error: build failed (exit 1)");
    expect(existsSync(entry)).toBe(false);
    expect(spawnSync("bash", ["-c", `ls -d "${entry}".tmp.* 2>/dev/null`]).stdout.toString()).toBe("");
  });

  it("builds once, then finds the entry", () => {
    const entry = join(cache, "thing-2");
    const body = `build() { echo built >"$1/out"; echo "building" >&2; }\nstep "a" cache_build "${entry}" out build`;
    expect(bootstrapLike(body).status).toBe(0);
    expect(existsSync(join(entry, "out"))).toBe(true);
    const again = bootstrapLike(`${body.replace("echo built", "false")}`);
    expect(again.status).toBe(0);
  });
});
