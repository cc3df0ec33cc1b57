import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  isRemovalError,
  removeStream,
  stagingName,
  writeStream,
} from "../../../../infra/providers/engine-files/tar";

// The streams read back and extracted by GNU tar: the same entries, in the same order, as Docker's
// extraction sees them (test/e2e/engine-files.test.ts runs them through `docker cp`).

const MTIME = 1_765_000_000;
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mlb-enginefiles-tar-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const list = (stream: Buffer) =>
  execFileSync("tar", ["-tv", "--numeric-owner", "--full-time", "-f", "-"], {
    input: stream,
    encoding: "utf8",
    env: { ...process.env, TZ: "UTC" },
  })
    .trim()
    .split("\n")
    .map((line) => line.replace(/\s+/g, " "));

describe("writeStream", () => {
  it("stages each file, then hard-links it into place: sorted, 0644, root, the given mtime", () => {
    const stream = writeStream({ "mediamtx.yml": "logLevel: info\n", "a.pem": "PEM\n" }, MTIME);
    expect(stream.length % 512).toBe(0);
    expect(list(stream)).toEqual([
      "-rw-r--r-- 0/0 4 2025-12-06 05:46:40 .mediamtx-lb.next",
      "hrw-r--r-- 0/0 0 2025-12-06 05:46:40 a.pem link to .mediamtx-lb.next",
      "-rw-r--r-- 0/0 15 2025-12-06 05:46:40 .mediamtx-lb.next",
      "hrw-r--r-- 0/0 0 2025-12-06 05:46:40 mediamtx.yml link to .mediamtx-lb.next",
    ]);
  });

  it("extracts to exactly the files, with their content (multi-byte and multi-block too)", () => {
    const big = "x".repeat(1300);
    const files = {
      "mediamtx.yml": "paths:\n  cam: {}\n",
      "big.txt": big,
      "utf8.txt": "größe ✓\n",
      "empty.txt": "",
    };
    execFileSync("tar", ["-x", "-C", dir, "-f", "-"], { input: writeStream(files, MTIME) });
    for (const [name, content] of Object.entries(files)) {
      expect(readFileSync(join(dir, name), "utf8")).toBe(content);
      expect(statSync(join(dir, name)).mode & 0o777).toBe(0o644);
    }
    expect(readdirSync(dir).sort()).toEqual([stagingName(), ...Object.keys(files)].sort());
    // The staging name is a second link of the last file written, not a copy of any other.
    expect(statSync(join(dir, stagingName())).ino).toBe(statSync(join(dir, "utf8.txt")).ino);
  });
});

describe("removeStream", () => {
  it("empties the staging file, then links the name to a file that does not exist", () => {
    expect(list(removeStream("old.yml", MTIME))).toEqual([
      "-rw-r--r-- 0/0 0 2025-12-06 05:46:40 .mediamtx-lb.next",
      "hrw-r--r-- 0/0 0 2025-12-06 05:46:40 old.yml link to .mediamtx-lb.absent",
    ]);
  });
});

describe("isRemovalError", () => {
  it.each([
    [
      "Error response from daemon: Error processing tar file(exit status 1): link /mediamtx-lb-files/.mediamtx-lb.absent /mediamtx-lb-files/old.yml: no such file or directory",
      true,
    ],
    ["Error response from daemon: No such container: mlb-files-x", false],
    ["Cannot connect to the Docker daemon at unix:///nonexistent.sock. Is the docker daemon running?", false],
    ["Error processing tar file(exit status 1): open /x/old.yml: permission denied", false],
  ])("%s → %s", (stderr, expected) => {
    expect(isRemovalError(stderr)).toBe(expected);
  });
});
