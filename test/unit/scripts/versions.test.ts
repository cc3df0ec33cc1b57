import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { localImages, localKeepalivedImage, parseVersionsEnv, pin } from "../../../scripts/lib/versions";

const root = resolve(__dirname, "..", "..", "..");
const versionsEnv = resolve(root, "versions.env");

describe("parseVersionsEnv", () => {
  it("reads KEY=VALUE lines and skips comments and blank lines", () => {
    const text = "# pins\nNODE_VERSION=24.9.0\n\n  # indented comment\nSUM=h1:ab+c/d=\nGO_MIN_MINOR=26\n";
    expect([...parseVersionsEnv(text)]).toEqual([
      ["NODE_VERSION", "24.9.0"],
      ["SUM", "h1:ab+c/d="],
      ["GO_MIN_MINOR", "26"],
    ]);
  });

  it.each([
    ["a quoted value", 'NODE_VERSION="24.9.0"'],
    ["an expansion", "MEDIAMTX_IMAGE=mediamtx:$MEDIAMTX_VERSION"],
    ["a command", "export NODE_VERSION=24.9.0"],
    ["an empty value", "NODE_VERSION="],
    ["a lower-case key", "node_version=24.9.0"],
    ["a trailing comment", "NODE_VERSION=24.9.0 # latest"],
  ])("refuses %s, naming the line", (_, line) => {
    expect(() => parseVersionsEnv(`# pins\n${line}\n`, "v.env")).toThrow(`v.env:2: must be KEY=VALUE`);
  });
});

describe("versions.env", () => {
  const pins = parseVersionsEnv(readFileSync(versionsEnv, "utf8"));

  it("gives TypeScript the values bash sources", () => {
    const names = [...pins.keys()];
    const script = `set -eu; source "$1"; shift; for n in "$@"; do printf '%s=%s\\n' "$n" "\${!n}"; done`;
    const out = execFileSync("bash", ["-c", script, "bash", versionsEnv, ...names], { encoding: "utf8" });
    expect(out).toBe(names.map((n) => `${n}=${pin(n)}\n`).join(""));
  });

  it("names a missing pin", () => {
    expect(() => pin("NO_SUCH_PIN")).toThrow(/versions\.env has no NO_SUCH_PIN/);
  });
});

describe("local image names", () => {
  it("are the names scripts/lib/common.sh builds and pushes", () => {
    const common = resolve(root, "scripts", "lib", "common.sh");
    const script = `set -eu; source "$1"; printf '%s\n' "$HAPROXY_IMAGE" "$MEDIAMTX_IMAGE" "$KEEPALIVED_IMAGE"`;
    const out = execFileSync("bash", ["-c", script, "bash", common], { encoding: "utf8" });
    expect(out).toBe(`${localImages().haproxy}\n${localImages().mediamtx}\n${localKeepalivedImage()}\n`);
  });
});
