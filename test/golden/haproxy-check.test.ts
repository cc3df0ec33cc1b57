// `haproxy -c` on every golden case: the host's HAProxy 2.6 always, and the local 3.0 image when
// scripts/bootstrap has built it. Golden files pin the text; this proves HAProxy accepts it.

import { beforeAll, describe, expect, it } from "vitest";
import { renderLogSinkConfig } from "../../infra/render/log-sink";
import {
  CREDENTIALS_LUA,
  inHaproxyDir,
  LOG_SINK_CONFIG,
  ROUTER_CONFIG_LUA,
  ROUTER_LUA,
} from "../../infra/render/paths";
import { localImages } from "../../scripts/lib/versions";
import {
  checkHaproxyConfig,
  type HaproxyRunner,
  haproxyDirFiles,
  imageExists,
  testTlsFiles,
} from "../support/haproxy-check";
import { FIXTURE_CASES, loadFixtureModel } from "../support/stack-fixtures";

const LOCAL_IMAGE = localImages().haproxy;

/** Per fixture with TLS: a certificate for its names (the stack makes or is given one at `up`). */
const tlsFiles = new Map<string, Record<string, string>>();
beforeAll(async () => {
  for (const name of FIXTURE_CASES) tlsFiles.set(name, await testTlsFiles(loadFixtureModel(name)));
});

/** Everything HAPROXY_DIR holds at runtime for a fixture, as the gateway writes it. */
function fixtureFiles(name: string): Record<string, string> {
  return { ...haproxyDirFiles(loadFixtureModel(name), "not-the-real-password"), ...tlsFiles.get(name) };
}

/** The checks, for one runner. */
function defineChecks(runner: HaproxyRunner): void {
  it.each(FIXTURE_CASES)("accepts the %s config without warnings", (name) => {
    const result = checkHaproxyConfig(fixtureFiles(name), { runner });
    expect(result.ok, result.output).toBe(true);
    expect(result.output).not.toMatch(/\[(WARNING|ALERT)\]/);
  });

  it.each(FIXTURE_CASES)("accepts the %s log sink config without warnings", (name) => {
    const files = { [inHaproxyDir(LOG_SINK_CONFIG)]: renderLogSinkConfig(loadFixtureModel(name)) };
    const result = checkHaproxyConfig(files, { runner, args: ["-c", "-f", LOG_SINK_CONFIG] });
    expect(result.ok, result.output).toBe(true);
    expect(result.output).not.toMatch(/\[(WARNING|ALERT)\]/);
  });

  it("accepts a config with publish and read credentials (credentials.lua, a secret file)", () => {
    const model = loadFixtureModel("dev");
    const withAuth = {
      ...model,
      auth: { publishers: [{ user: "alice", paths: ["cam/"] }], readers: [{ user: "viewer", paths: [] }] },
    };
    const files = haproxyDirFiles(withAuth, "not-the-real-password", () => "not-the-real-credential");
    expect(Object.keys(files)).toContain(inHaproxyDir(CREDENTIALS_LUA));
    const result = checkHaproxyConfig(files, { runner });
    expect(result.ok, result.output).toBe(true);
    expect(result.output).not.toMatch(/\[(WARNING|ALERT)\]/);
    const broken = { ...files, [inHaproxyDir(CREDENTIALS_LUA)]: "MTX_CREDENTIALS = { publishers = 1 }\n" };
    const refused = checkHaproxyConfig(broken, { runner });
    expect(refused.ok).toBe(false);
    expect(refused.output).toContain("MTX_CREDENTIALS.publishers: must be a list or nil, got number");
  });

  it("rejects a TLS config whose certificate file is missing", () => {
    const files = fixtureFiles("tls");
    expect(Object.keys(files)).toContain("tls/server.pem");
    const { "tls/server.pem": _crt, ...without } = files;
    const result = checkHaproxyConfig(without, { runner });
    expect(result.ok).toBe(false);
    expect(result.output).toContain("tls/server.pem");
  });

  it("rejects a broken config with HAProxy's own message", () => {
    const files = fixtureFiles("dev");
    const cfg = files["haproxy.cfg"] ?? "";
    expect(cfg).toContain("hash-type consistent");
    const broken = { ...files, "haproxy.cfg": cfg.replace("hash-type consistent", "hash-typo consistent") };
    const result = checkHaproxyConfig(broken, { runner });
    expect(result.ok).toBe(false);
    expect(result.output).toContain("unknown keyword 'hash-typo' in 'backend' section");
  });

  it("rejects the config when the router does not register an action it uses", () => {
    const files = fixtureFiles("dev");
    const router = inHaproxyDir(ROUTER_LUA);
    const registration = /^\s*core\.register_action\("mtx_learn".*\n/m;
    expect(files[router]).toMatch(registration);
    const result = checkHaproxyConfig(
      { ...files, [router]: (files[router] ?? "").replace(registration, "") },
      { runner },
    );
    expect(result.ok).toBe(false);
    expect(result.output).toContain("lua.mtx_learn");
  });

  it("rejects the config when the router's config table is missing", () => {
    const files = fixtureFiles("dev");
    const result = checkHaproxyConfig(
      { ...files, [inHaproxyDir(ROUTER_CONFIG_LUA)]: "-- no MTX_ROUTER_CONFIG\n" },
      { runner },
    );
    expect(result.ok).toBe(false);
    expect(result.output).toContain("MTX_ROUTER_CONFIG is nil, not a table");
  });
}

describe("haproxy -c on the host's HAProxy 2.6", () => {
  defineChecks("host");
});

// Outside CI a developer may run vitest before scripts/bootstrap built the image; in CI it must exist.
const hasLocalImage = imageExists(LOCAL_IMAGE) || process.env.CI === "true";
describe.skipIf(!hasLocalImage)(
  `haproxy -c on ${LOCAL_IMAGE}${hasLocalImage ? "" : " (skipped: image not built; scripts/bootstrap builds it)"}`,
  () => {
    defineChecks({ image: LOCAL_IMAGE });
  },
);
