// `haproxy -c` on every golden case: the host's HAProxy 2.6 always, and the local 3.0 image when
// scripts/bootstrap has built it. Golden files pin the text; this proves HAProxy accepts it.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Model } from "../../infra/config/model";
import { INITIAL_SERVER_STATE, renderHaproxyConfig, renderHaproxySecrets } from "../../infra/render/haproxy";
import { checkHaproxyConfig, type HaproxyRunner } from "../support/haproxy-check";
import { FIXTURE_CASES, loadFixtureModel } from "../support/stack-fixtures";

const REPO = resolve(__dirname, "..", "..");
const ROUTER_TEMPLATE = resolve(REPO, "templates", "router.lua.mustache");
const ROUTER_RENDERER = resolve(REPO, "infra", "render", "router.ts");
const LOCAL_IMAGE = "mediamtx-lb/haproxy:3.0";

/**
 * Stand-in for templates/router.lua.mustache until it exists: registers the same names haproxy.cfg
 * refers to (with the same kinds), so `haproxy -c` can resolve them. It routes nothing.
 */
const STUB_ROUTER_LUA = `-- Test stub: same registrations as the real router, no behaviour.
core.register_fetches("mtx_stream", function(txn) return nil end)
core.register_action("mtx_lookup", { "http-req" }, function(txn) end)
core.register_action("mtx_learn", { "http-res" }, function(txn) end)
core.register_service("mtx_router_status", "http", function(applet)
  applet:set_status(200)
  applet:start_response()
end)
`;

type RenderRouterLua = (model: Model) => string;

/** The real router renderer once both its files exist, else undefined (the stub is used). */
async function loadRouterRenderer(): Promise<RenderRouterLua | undefined> {
  if (!existsSync(ROUTER_TEMPLATE) || !existsSync(ROUTER_RENDERER)) return undefined;
  // A computed specifier: router.ts may not exist yet, so it must not be a static (type-checked) import.
  const mod: unknown = await import(/* @vite-ignore */ ROUTER_RENDERER);
  const render = typeof mod === "object" && mod !== null ? Reflect.get(mod, "renderRouterLua") : undefined;
  if (typeof render !== "function")
    throw new Error(`${ROUTER_RENDERER} does not export renderRouterLua(model)`);
  return (model) => String(render(model));
}

/** Everything HAPROXY_DIR holds at runtime, as the gateway component writes it. */
function haproxyDirFiles(model: Model, renderRouter: RenderRouterLua | undefined): Record<string, string> {
  return {
    "haproxy.cfg": renderHaproxyConfig(model),
    "secrets.cfg": renderHaproxySecrets(model.stats.user, "not-the-real-password"),
    "router.lua": renderRouter === undefined ? STUB_ROUTER_LUA : renderRouter(model),
    "streams.map": "",
    "run/server-state": INITIAL_SERVER_STATE,
  };
}

function imageExists(image: string): boolean {
  const result = spawnSync("docker", ["image", "inspect", image], { stdio: "ignore", timeout: 30_000 });
  return result.status === 0;
}

let renderRouter: RenderRouterLua | undefined;
beforeAll(async () => {
  renderRouter = await loadRouterRenderer();
});

/** The three checks, for one runner. */
function defineChecks(runner: HaproxyRunner): void {
  it.each(FIXTURE_CASES)("accepts the %s config without warnings", (name) => {
    const result = checkHaproxyConfig(haproxyDirFiles(loadFixtureModel(name), renderRouter), { runner });
    expect(result.ok, result.output).toBe(true);
    expect(result.output).not.toMatch(/\[(WARNING|ALERT)\]/);
  });

  it("rejects a broken config with HAProxy's own message", () => {
    const files = haproxyDirFiles(loadFixtureModel("dev"), renderRouter);
    const cfg = files["haproxy.cfg"] ?? "";
    expect(cfg).toContain("hash-type consistent");
    const broken = { ...files, "haproxy.cfg": cfg.replace("hash-type consistent", "hash-typo consistent") };
    const result = checkHaproxyConfig(broken, { runner });
    expect(result.ok).toBe(false);
    expect(result.output).toContain("unknown keyword 'hash-typo' in 'backend' section");
  });

  it("rejects the config when the router does not register an action it uses", () => {
    const files = haproxyDirFiles(loadFixtureModel("dev"), undefined);
    const stub = (files["router.lua"] ?? "").replace(/^core\.register_action\("mtx_learn".*\n/m, "");
    const result = checkHaproxyConfig({ ...files, "router.lua": stub }, { runner });
    expect(result.ok).toBe(false);
    expect(result.output).toContain("lua.mtx_learn");
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
