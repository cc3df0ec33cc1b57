// infra/render/gateway-files.ts: the gateway directory is complete for the haproxy.cfg in it.

import { describe, expect, it } from "vitest";
import { renderGatewayFiles } from "../../../infra/render/gateway-files";
import {
  HAPROXY_DIR,
  JSON_LUA,
  PUBLISH_CONFIG_LUA,
  PUBLISH_LUA,
  ROUTER_CONFIG_LUA,
  ROUTER_LUA,
} from "../../../infra/render/paths";
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
