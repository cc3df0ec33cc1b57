// Stack fixtures (test/fixtures/<case>.yaml, in Pulumi stack-file shape) → validated Model, the same
// way infra/index.ts feeds validateConfig: short keys, values as Pulumi hands them over (parsed).

import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { load } from "js-yaml";
import type { Model } from "../../infra/config/model";
import { validateConfig } from "../../infra/config/validate";
import { isRecord } from "../../infra/lib/untyped";

const FIXTURES_DIR = resolve(__dirname, "..", "fixtures");

const NAMESPACE_PREFIX = "mediamtx-lb:";

/** Home directory passed to validateConfig; only the default hostDir depends on it. */
const FIXTURE_HOME = "/home/tester";

/** Every fixture case (file name without .yaml), sorted so test order is stable. */
export const FIXTURE_CASES: readonly string[] = readdirSync(FIXTURES_DIR)
  .filter((file) => file.endsWith(".yaml"))
  .map((file) => file.slice(0, -".yaml".length))
  .sort();

/**
 * The `config:` of `test/fixtures/<name>.yaml` with the `mediamtx-lb:` prefix removed. Any other key
 * (another namespace, or a typo without the prefix) is an error: the fixture would not mean what it says.
 */
export function readFixtureConfig(name: string): Record<string, unknown> {
  const file = join(FIXTURES_DIR, `${name}.yaml`);
  const doc: unknown = load(readFileSync(file, "utf8"));
  const config = isRecord(doc) ? doc.config : undefined;
  if (!isRecord(config)) throw new Error(`${file}: expected a top-level "config:" mapping`);
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (!key.startsWith(NAMESPACE_PREFIX))
      throw new Error(`${file}: key ${key} is not under ${NAMESPACE_PREFIX}`);
    raw[key.slice(NAMESPACE_PREFIX.length)] = value;
  }
  return raw;
}

/**
 * The validated model of fixture `name`; the stack is named after the case. The stats password is a
 * secret and never in a fixture, so it is reported as set.
 */
export function loadFixtureModel(name: string): Model {
  return validateConfig(readFixtureConfig(name), {
    stack: name,
    homeDir: FIXTURE_HOME,
    statsPasswordSet: true,
  });
}
