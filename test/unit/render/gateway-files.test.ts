// infra/render/gateway-files.ts: the gateway directory is complete for the haproxy.cfg in it.

import { describe, expect, it } from "vitest";
import { credentialsConfigured } from "../../../infra/render/credentials";
import { renderGatewayFiles } from "../../../infra/render/gateway-files";
import {
  CREDENTIALS_LUA,
  HAPROXY_DIR,
  JSON_LUA,
  PUBLISH_CONFIG_LUA,
  PUBLISH_LUA,
  ROUTER_CONFIG_LUA,
  ROUTER_LUA,
} from "../../../infra/render/paths";
import { testModel } from "../../support/model";
import { loadFixtureModel } from "../../support/stack-fixtures";
import { luaLoads } from "../router/lua";

describe("renderGatewayFiles", () => {
  const files = renderGatewayFiles(loadFixtureModel("dev"));
  const cfg = files["haproxy.cfg"] ?? "";

  it("is deterministic", () => {
    expect(renderGatewayFiles(loadFixtureModel("dev"))).toEqual(files);
  });

  it("lua-loads the config table first, then the JSON module, the router, and the publish hook after it", () => {
    expect(luaLoads(cfg)).toEqual([ROUTER_CONFIG_LUA, JSON_LUA, ROUTER_LUA, PUBLISH_CONFIG_LUA, PUBLISH_LUA]);
  });

  it("holds every file in HAPROXY_DIR that haproxy.cfg loads or maps", () => {
    const mapped = [...cfg.matchAll(/,map\(([^)]+)\)/g)].map((match) => match[1] ?? "");
    const referenced = [...luaLoads(cfg), ...mapped];
    expect(mapped.length).toBeGreaterThan(0);
    for (const path of referenced) {
      expect(path.startsWith(`${HAPROXY_DIR}/`), path).toBe(true);
      expect(Object.keys(files), path).toContain(path.slice(HAPROXY_DIR.length + 1));
    }
  });
});

describe("renderGatewayFiles with credentials", () => {
  const model = testModel({
    auth: { publishers: [{ user: "alice", paths: [] }], readers: [{ user: "viewer", paths: [] }] },
  });
  const files = renderGatewayFiles(model);

  it("keeps credentials.lua out of the plain files: the gateway writes it as a secret file", () => {
    expect(credentialsConfigured(model)).toBe(true);
    expect(Object.keys(files)).not.toContain(CREDENTIALS_LUA.slice(HAPROXY_DIR.length + 1));
  });

  it("has a file for every lua-load, credentials.lua being the gateway's secret file", () => {
    const loads = luaLoads(files["haproxy.cfg"] ?? "");
    expect(loads).toContain(CREDENTIALS_LUA);
    const secretFiles = credentialsConfigured(model) ? [CREDENTIALS_LUA] : [];
    for (const path of loads) {
      const known = [...Object.keys(files).map((f) => `${HAPROXY_DIR}/${f}`), ...secretFiles];
      expect(known, path).toContain(path);
    }
  });
});
