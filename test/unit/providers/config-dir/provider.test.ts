import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { ConfigDirInputs } from "../../../../infra/providers/config-dir/inputs";
import { applyConfigDir } from "../../../../infra/providers/config-dir/provider";

// The shell end to end on a temp dir, for a directory with nothing to validate or signal (a MediaMTX
// instance's). Validation and reloads run in Docker: test/e2e/config-dir.test.ts.

let root: string;
let inputs: ConfigDirInputs;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "mlb-apply-"));
  inputs = {
    dir: join(root, "mediamtx-a"),
    files: { "mediamtx.yml": "logLevel: info\n" },
    secretFiles: {},
    writableDirs: [],
    initialFiles: {},
    summary: "",
  };
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

it("writes on create, does nothing for the same inputs, and writes a change", async () => {
  expect(await applyConfigDir(undefined, inputs)).toBe("written");
  expect(await applyConfigDir(inputs, inputs)).toBe("unchanged");
  const next = { ...inputs, files: { "mediamtx.yml": "logLevel: debug\n" } };
  expect(await applyConfigDir(inputs, next)).toBe("written");
  expect(readFileSync(join(next.dir, "mediamtx.yml"), "utf8")).toBe("logLevel: debug\n");
});

it("writes the same inputs again when the disk lost them", async () => {
  await applyConfigDir(undefined, inputs);
  rmSync(join(inputs.dir, "mediamtx.yml"));
  expect(await applyConfigDir(inputs, inputs)).toBe("written");
  expect(readFileSync(join(inputs.dir, "mediamtx.yml"), "utf8")).toBe("logLevel: info\n");
});
