import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  checkTarget,
  inspectLive,
  removeConfigDir,
  writeConfigFiles,
} from "../../../../infra/providers/config-dir/files";
import type { ConfigDirInputs } from "../../../../infra/providers/config-dir/inputs";

// The file side on a temp dir, without Docker: no validate or reload spec, so nothing runs in an image
// and "act" is whatever the test passes (a failing one stands in for a failed reload).

let root: string;
let dir: string;
let inputs: ConfigDirInputs;
const read = (name: string) => readFileSync(join(dir, name), "utf8");
const mode = (name: string) => statSync(join(dir, name)).mode & 0o777;
const done = async () => "acted";

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "mlb-files-"));
  dir = join(root, "haproxy");
  inputs = {
    dir,
    files: { "a.cfg": "a1\n", "b.cfg": "b1\n" },
    secretFiles: { "secrets.cfg": "s1\n" },
    writableDirs: ["run"],
    initialFiles: { "run/state": "1\n" },
    summary: "",
  };
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe("writeConfigFiles", () => {
  it("creates the directory: files, marker, writable dirs, initial files, then acts", async () => {
    const seen = await writeConfigFiles(undefined, inputs, async () => read("a.cfg"));
    expect(seen).toBe("a1\n");
    expect([read("a.cfg"), read("b.cfg"), read("secrets.cfg"), read("run/state")]).toEqual([
      "a1\n",
      "b1\n",
      "s1\n",
      "1\n",
    ]);
    expect(existsSync(join(dir, ".mediamtx-lb-managed"))).toBe(true);
    // No image to run as: the secret is written like the rest.
    expect([mode("a.cfg"), mode("secrets.cfg"), mode("run"), mode("run/state")]).toEqual([
      0o644, 0o644, 0o777, 0o666,
    ]);
    expect(existsSync(`${dir}.staging`)).toBe(false);
  });

  it("swaps a changed file and keeps the others", async () => {
    await writeConfigFiles(undefined, inputs, done);
    const next = { ...inputs, files: { ...inputs.files, "a.cfg": "a2\n" } };
    expect(await writeConfigFiles(inputs, next, done)).toBe("acted");
    expect([read("a.cfg"), read("b.cfg"), read("secrets.cfg")]).toEqual(["a2\n", "b1\n", "s1\n"]);
  });

  it("removes a file the new inputs no longer have", async () => {
    await writeConfigFiles(undefined, inputs, done);
    const next = { ...inputs, files: { "a.cfg": "a1\n" } };
    await writeConfigFiles(inputs, next, done);
    expect(existsSync(join(dir, "b.cfg"))).toBe(false);
    expect(read("a.cfg")).toBe("a1\n");
  });

  it("keeps an initial file the container has written since", async () => {
    await writeConfigFiles(undefined, inputs, done);
    writeFileSync(join(dir, "run/state"), "saved by the container\n");
    await writeConfigFiles(inputs, { ...inputs, files: { ...inputs.files, "a.cfg": "a2\n" } }, done);
    expect(read("run/state")).toBe("saved by the container\n");
  });

  it("puts every previous file back when acting fails", async () => {
    await writeConfigFiles(undefined, inputs, done);
    const next = { ...inputs, files: { "a.cfg": "a2\n", "c.cfg": "new\n" } };
    await expect(
      writeConfigFiles(inputs, next, async () => {
        expect(read("a.cfg")).toBe("a2\n");
        throw new Error("reload failed");
      }),
    ).rejects.toThrow(/^reload failed\n\(the previous config files were put back in .*haproxy\)$/);
    expect([read("a.cfg"), read("b.cfg"), read("secrets.cfg")]).toEqual(["a1\n", "b1\n", "s1\n"]);
    expect(mode("a.cfg")).toBe(0o644);
    expect(existsSync(join(dir, "c.cfg"))).toBe(false);
    expect(inspectLive(inputs, next)).toEqual({ next: false, old: true });
  });
});

describe("writeConfigFiles with a subdirectory", () => {
  it("writes, replaces, puts back and removes a file one directory deep", async () => {
    const withTls = { ...inputs, secretFiles: { ...inputs.secretFiles, "tls/server.pem": "cert A\n" } };
    await writeConfigFiles(undefined, withTls, done);
    expect([read("tls/server.pem"), mode("tls")]).toEqual(["cert A\n", 0o755]);
    const rotated = { ...inputs, secretFiles: { ...inputs.secretFiles, "tls/server.pem": "cert B\n" } };
    await expect(
      writeConfigFiles(withTls, rotated, async () => {
        expect(read("tls/server.pem")).toBe("cert B\n");
        throw new Error("reload failed");
      }),
    ).rejects.toThrow(/^reload failed/);
    expect(read("tls/server.pem")).toBe("cert A\n");
    await writeConfigFiles(withTls, rotated, done);
    expect(read("tls/server.pem")).toBe("cert B\n");
    await writeConfigFiles(rotated, inputs, done);
    expect(existsSync(join(dir, "tls/server.pem"))).toBe(false);
  });
});

describe("inspectLive", () => {
  it("tells whether the directory holds the new and the last applied files", async () => {
    const next = { ...inputs, files: { ...inputs.files, "a.cfg": "a2\n" } };
    expect(inspectLive(undefined, inputs)).toEqual({ next: false, old: false });
    await writeConfigFiles(undefined, inputs, done);
    expect(inspectLive(inputs, inputs)).toEqual({ next: true, old: true });
    expect(inspectLive(inputs, next)).toEqual({ next: false, old: true });
  });

  it("does not count a directory whose writable dir is gone as holding the new files", async () => {
    await writeConfigFiles(undefined, inputs, done);
    rmSync(join(dir, "run"), { recursive: true });
    expect(inspectLive(inputs, inputs)).toEqual({ next: false, old: true });
  });
});

describe("checkTarget", () => {
  it("refuses a directory with someone else's files and writes nothing", () => {
    mkdirSync(dir);
    writeFileSync(join(dir, "passwd"), "not ours\n");
    expect(() => checkTarget(inputs)).toThrow(/exists, is not empty and was not created by mediamtx-lb/);
    expect(existsSync(join(dir, ".mediamtx-lb-managed"))).toBe(false);
  });

  it("accepts a missing, an empty and an own directory", async () => {
    expect(() => checkTarget(inputs)).not.toThrow();
    mkdirSync(dir);
    expect(() => checkTarget(inputs)).not.toThrow();
    await writeConfigFiles(undefined, inputs, done);
    expect(() => checkTarget(inputs)).not.toThrow();
  });

  it.each(["sub/a.cfg", "tls/server.pem"])("accepts the file name %s", (name) => {
    expect(() => checkTarget({ ...inputs, files: { [name]: "x\n" } })).not.toThrow();
  });

  it.each([
    ".hidden",
    "a/b/c.cfg",
    "../up.cfg",
    "/abs.cfg",
    "tls/.key",
    "a//b",
  ])("refuses the file name %s", (name) => {
    expect(() => checkTarget({ ...inputs, files: { [name]: "x\n" } })).toThrow(
      `config file name not allowed: ${name}`,
    );
  });
});

describe("removeConfigDir", () => {
  it("removes its own directory and the emptied parent", async () => {
    await writeConfigFiles(undefined, inputs, done);
    removeConfigDir(dir);
    expect(existsSync(root)).toBe(false);
  });

  it("leaves a directory without the marker alone", () => {
    mkdirSync(dir);
    writeFileSync(join(dir, "passwd"), "not ours\n");
    removeConfigDir(dir);
    expect(read("passwd")).toBe("not ours\n");
  });
});
