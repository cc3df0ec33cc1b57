// Every file the gateway's config directory holds for a model, apart from the secret (secrets.cfg) and
// the files HAProxy itself writes (run/): haproxy.cfg, the router's and the publish hook's config
// tables and static modules,
// the streams map. One function, so the stack (infra/index.ts), the golden files, `haproxy -c` in the
// tests and the fast lane's host HAProxy all see the same set; a file added here reaches all of them.
//
// Coupling: every HAPROXY_DIR path haproxy.cfg names (lua-load, map) must be a key here, or `haproxy -c`
// fails on the missing file (test/unit/render/gateway-files.test.ts checks it). The one exception is
// credentials.lua (render/credentials.ts), lua-loaded only with `publishers` or `readers`: it holds
// password hashes, so infra/index.ts hands it to the gateway as a secret file, like secrets.cfg.

import type { Model } from "../config/model";
import { renderHaproxyConfig } from "./haproxy";
import { HAPROXY_CONFIG, inHaproxyDir, PUBLISH_CONFIG_LUA, ROUTER_CONFIG_LUA, STREAMS_MAP } from "./paths";
import { renderPublishConfigLua } from "./publish";
import { renderRouterConfigLua, renderStreamsMap, routerModules } from "./router";

/** File name relative to HAPROXY_DIR → content, in a fixed order. */
export function renderGatewayFiles(model: Model): Record<string, string> {
  const files: [string, string][] = [
    [HAPROXY_CONFIG, renderHaproxyConfig(model)],
    [ROUTER_CONFIG_LUA, renderRouterConfigLua(model)],
    [PUBLISH_CONFIG_LUA, renderPublishConfigLua(model)],
    ...Object.entries(routerModules()),
    [STREAMS_MAP, renderStreamsMap()],
  ];
  return Object.fromEntries(files.map(([path, content]) => [inHaproxyDir(path), content]));
}
