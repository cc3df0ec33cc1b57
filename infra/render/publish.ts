// Model → publish hook view → publish-config.lua (templates/publish-config.lua.mustache), and the hook's
// static module (infra/lua/publish.lua). Pure apart from reading our own files, as router.ts.
//
// Couplings:
// - pathPrefix is PUBLISH_HOOK_PATH, the path of every instance's authHTTPAddress (mediamtx.yml);
//   publish.lua takes the instance's name from what follows it.
// - apiNetworks replaces the api/metrics rule mediamtx.yml had as an internal user (loopback and the
//   stack subnet): with `authMethod: http` MediaMTX asks the hook for those actions.
// - The fields are the MTX_PUBLISH_CONFIG fields publish.lua checks at load (REQUIRED_CONFIG there).

import type { Model } from "../config/model";
import { PUBLISH_HOOK_PATH } from "../config/names";
import { LOOPBACK_IPS } from "./mediamtx";
import { HTTPCLIENT_ATTEMPTS, toLuaString } from "./router";
import { renderTemplate } from "./templates";

/**
 * Budget of one control API call the hook makes to the old owner of a stream (paths/get, then the kick),
 * split over core.httpclient's attempts. MediaMTX holds the publishing instance's path manager while
 * it waits for the hook, so a takeover stays well under a second even when the old owner hangs: at most
 * 2 × 400 ms. Answers on the stack bridge take a few milliseconds.
 */
export const HOOK_CALL_TIMEOUT_MS = 400;

export interface PublishView {
  readonly stack: string;
  readonly republishLua: string;
  readonly pathPrefixLua: string;
  /** Lua list items: loopback addresses and the stack subnet. */
  readonly apiNetworksLua: string;
  readonly apiAttemptTimeoutMs: number;
}

/** Internal. Exported for testing. */
export function toPublishView(model: Model): PublishView {
  return {
    stack: model.stack,
    republishLua: toLuaString(model.routing.republish),
    pathPrefixLua: toLuaString(PUBLISH_HOOK_PATH),
    apiNetworksLua: [...LOOPBACK_IPS, ...model.gatewaySources].map(toLuaString).join(", "),
    apiAttemptTimeoutMs: Math.floor(HOOK_CALL_TIMEOUT_MS / HTTPCLIENT_ATTEMPTS),
  };
}

/** publish-config.lua (PUBLISH_CONFIG_LUA): the MTX_PUBLISH_CONFIG table, lua-loaded before publish.lua. */
export function renderPublishConfigLua(model: Model): string {
  return renderTemplate("publish-config.lua.mustache", toPublishView(model));
}
