// Golden files: each fixture (test/fixtures/<case>.yaml) renders to test/golden/<case>/, compared byte
// for byte. `UPDATE_GOLDEN=1 ./scripts/test unit test/golden` rewrites them (and deletes files no renderer
// produces any more); review that diff like code.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { Model } from "../../infra/config/model";
import { renderHaproxyConfig } from "../../infra/render/haproxy";
import { renderMediamtxConfig } from "../../infra/render/mediamtx";
import { renderRouterLua } from "../../infra/render/router";
import { FIXTURE_CASES, loadFixtureModel } from "../support/stack-fixtures";

const GOLDEN_DIR = resolve(__dirname);
const UPDATE = process.env.UPDATE_GOLDEN === "1";

/** Every file the stack renders for one model, by golden file name. */
function renderCase(model: Model): Record<string, string> {
  const files: Record<string, string> = {
    "haproxy.cfg": renderHaproxyConfig(model),
    "router.lua": renderRouterLua(model),
  };
  for (const instance of model.instances) {
    files[`mediamtx-${instance.name}.yml`] = renderMediamtxConfig(model, instance);
  }
  return files;
}

function caseDir(name: string): string {
  return join(GOLDEN_DIR, name);
}

function goldenCaseDirs(): string[] {
  return readdirSync(GOLDEN_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

it("has a golden directory for every fixture and a fixture for every golden directory", () => {
  if (UPDATE) {
    for (const name of goldenCaseDirs()) {
      if (!FIXTURE_CASES.includes(name)) rmSync(caseDir(name), { recursive: true });
    }
  }
  expect(goldenCaseDirs()).toEqual([...FIXTURE_CASES]);
});

describe.each(FIXTURE_CASES)("golden %s", (name) => {
  const model = loadFixtureModel(name);
  const files = renderCase(model);
  if (UPDATE) mkdirSync(caseDir(name), { recursive: true });

  it("renders byte-identical output twice", () => {
    expect(renderCase(loadFixtureModel(name))).toEqual(files);
  });

  it.each(Object.keys(files).sort())("%s matches the golden file", (file) => {
    const rendered = files[file] ?? "";
    const path = join(caseDir(name), file);
    if (UPDATE) writeFileSync(path, rendered);
    expect(existsSync(path), `${path} is missing: run UPDATE_GOLDEN=1 ./scripts/test unit test/golden`).toBe(
      true,
    );
    // toBe on strings prints a line diff on failure.
    expect(rendered).toBe(readFileSync(path, "utf8"));
  });

  it("has no stale golden files", () => {
    const expected = Object.keys(files).sort();
    const present = existsSync(caseDir(name)) ? readdirSync(caseDir(name)).sort() : [];
    if (UPDATE) {
      for (const file of present) if (!expected.includes(file)) rmSync(join(caseDir(name), file));
    }
    const stale = (existsSync(caseDir(name)) ? readdirSync(caseDir(name)) : []).filter(
      (f) => !expected.includes(f),
    );
    expect(stale, "golden files no renderer produces: run UPDATE_GOLDEN=1 to delete them").toEqual([]);
  });

  it("uses only \\n line endings and ends with exactly one newline", () => {
    for (const [file, text] of Object.entries(files)) {
      expect(text.includes("\r"), file).toBe(false);
      expect(text.endsWith("\n") && !text.endsWith("\n\n"), file).toBe(true);
    }
  });
});
