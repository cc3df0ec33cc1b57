// Golden files: each fixture (test/fixtures/<case>.yaml) renders to test/golden/<case>/, compared byte
// for byte. `UPDATE_GOLDEN=1 ./scripts/test unit test/golden` rewrites them (and deletes files no renderer
// produces any more); review that diff like code. The case's file set is the gateway's whole directory
// (renderGatewayFiles), the log sink's config plus each instance's mediamtx.yml (and each gateway's
// keepalived.conf with a floating address); the router's static modules in it are the
// files in infra/lua/ and have no golden copy.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { Model } from "../../infra/config/model";
import { renderGatewayFiles } from "../../infra/render/gateway-files";
import { renderKeepalivedConfig } from "../../infra/render/keepalived";
import { keepalivedSpec } from "../../infra/render/keepalived-spec";
import { renderLogSinkConfig } from "../../infra/render/log-sink";
import { renderMediamtxConfig } from "../../infra/render/mediamtx";
import { inHaproxyDir } from "../../infra/render/paths";
import { routerModules } from "../../infra/render/router";
import { FIXTURE_CASES, loadFixtureModel } from "../support/stack-fixtures";

const GOLDEN_DIR = resolve(__dirname);
const UPDATE = process.env.UPDATE_GOLDEN === "1";

/** The router's static modules by gateway file name: the same for every model, so no golden copy. */
const STATIC_FILES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(routerModules()).map(([path, text]) => [inHaproxyDir(path), text]),
);

/**
 * Every file the stack writes for one model, by file name: gateway directory, the log sink's config
 * (uploaded into its container) and mediamtx.yml files.
 */
function renderCase(model: Model): Record<string, string> {
  const files = renderGatewayFiles(model);
  files["log-sink.cfg"] = renderLogSinkConfig(model);
  for (const instance of model.instances) {
    files[`mediamtx-${instance.name}.yml`] = renderMediamtxConfig(model, instance);
  }
  // With a floating address: each gateway's keepalived.conf.
  if (model.floating !== undefined)
    for (const g of model.gateways)
      files[`keepalived-${g.name}.conf`] = renderKeepalivedConfig(keepalivedSpec(model, g));
  return files;
}

/** The files that have a golden copy: all but the static modules. */
function goldenNames(files: Readonly<Record<string, string>>): string[] {
  return Object.keys(files)
    .filter((file) => !(file in STATIC_FILES))
    .sort();
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

  it("ships the router's static modules unchanged", () => {
    expect(Object.keys(STATIC_FILES).length).toBeGreaterThan(0);
    for (const [file, text] of Object.entries(STATIC_FILES)) expect(files[file], file).toBe(text);
  });

  it.each(goldenNames(files))("%s matches the golden file", (file) => {
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
    const expected = goldenNames(files);
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
