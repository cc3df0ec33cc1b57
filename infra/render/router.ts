// Model → router view → router-config.lua (templates/router-config.lua.mustache), the router's static
// Lua modules (infra/lua/, shipped unchanged) and the empty streams map.
// Pure: every number the Lua needs is computed here, so the rendered config table states the router's
// whole configuration and the same model always gives the same bytes. The only I/O is reading our own
// files (templates, infra/lua/), as in templates.ts.
//
// Couplings:
// - Instance names are HAProxy server names in every backend (infra/render/haproxy.ts); the map
//   values the router writes are fed to `use-server`.
// - model.proxies.health names the backend in haproxy.cfg whose servers carry health checks; the
//   on-miss lookup skips instances that backend reports DOWN or MAINT.
// - The Lua registers actions mtx_lookup/mtx_learn and service mtx_router_status, and reads
//   txn.mtx_stream / writes txn.mtx_owner, as haproxy.cfg.mustache expects. txn.mtx_stream is set by
//   native rules (haproxy-stream-from-path.cfg.mustache) that mirror the Lua's stream_from_path; its
//   fetch mtx_stream is no longer called from haproxy.cfg.
// - The view's fields are the MTX_ROUTER_CONFIG fields infra/lua/router.lua checks at load
//   (REQUIRED_CONFIG there).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Model } from "../config/model";
import { REPO_ROOT } from "../lib/repo-root";
import { JSON_LUA, PUBLISH_LUA, ROUTER_LUA, STREAMS_MAP } from "./paths";
import { renderTemplate } from "./templates";

/**
 * Items per /v3/paths/list page: the largest MediaMTX accepts (it parses the parameter as a 31-bit
 * unsigned integer), so one poll is one API call whatever the number of paths. At 100 per page, 1000
 * paths cost 10 calls per instance per poll. The router still follows pageCount, should an instance
 * answer in pages anyway; it reads the one large answer in pieces (infra/lua/router.lua).
 */
export const PATHS_PER_PAGE = 2 ** 31 - 1;

/**
 * Attempts one core.httpclient call makes: its internal proxy retries 3 times on connection failure
 * and on timeout, and HAProxy 2.6 has no `httpclient.retries` to change that. Measured on 2.6.12:
 * timeout 200 ms → 806 ms and 4 connections per call. A budget is therefore split into 4 attempts.
 */
export const HTTPCLIENT_ATTEMPTS = 4;

export interface RouterTimings {
  readonly pollIntervalMs: number;
  /** Budget for one instance during an on-miss lookup: min(500 ms, poll interval). */
  readonly lookupTimeoutMs: number;
  /** Per-attempt `timeout` for a lookup call, at least 25 ms. */
  readonly lookupAttemptTimeoutMs: number;
  /** Per-attempt `timeout` for a poll call: a quarter of the interval, within 250–1000 ms. */
  readonly pollAttemptTimeoutMs: number;
  /** How long a learned (WHIP 201) entry survives polls that do not list it: max(10 s, 5 polls). */
  readonly learnGraceMs: number;
}

/** Internal. Exported for testing. */
export function routerTimings(pollIntervalMs: number): RouterTimings {
  const lookupTimeoutMs = Math.min(500, pollIntervalMs);
  return {
    pollIntervalMs,
    lookupTimeoutMs,
    lookupAttemptTimeoutMs: Math.max(25, Math.floor(lookupTimeoutMs / HTTPCLIENT_ATTEMPTS)),
    pollAttemptTimeoutMs: Math.min(1000, Math.max(250, Math.floor(pollIntervalMs / HTTPCLIENT_ATTEMPTS))),
    learnGraceMs: Math.max(10_000, 5 * pollIntervalMs),
  };
}

/**
 * A Lua double-quoted string literal for `text`. Validation already limits names to safe characters;
 * escaping anyway means no value can end the literal and become code. Bytes outside printable ASCII
 * are written as decimal escapes (`\ddd`, valid in Lua 5.3 and 5.4). Internal. Exported for testing.
 */
export function toLuaString(text: string): string {
  let out = '"';
  for (const byte of Buffer.from(text, "utf8")) {
    if (byte === 0x22 || byte === 0x5c) {
      out += `\\${String.fromCharCode(byte)}`;
    } else if (byte >= 0x20 && byte < 0x7f) {
      out += String.fromCharCode(byte);
    } else {
      // Three digits, so a following digit cannot extend the escape.
      out += `\\${byte.toString().padStart(3, "0")}`;
    }
  }
  return `${out}"`;
}

export interface RouterInstanceView {
  readonly nameLua: string;
  readonly addressLua: string;
  readonly apiPort: number;
}

export interface RouterView extends RouterTimings {
  readonly stack: string;
  /** Config order: the first claimer in this order wins a contested stream. */
  readonly instances: readonly RouterInstanceView[];
  readonly itemsPerPage: number;
  readonly mapPathLua: string;
  readonly healthBackendLua: string;
}

/** Internal. Exported for testing. */
export function toRouterView(model: Model): RouterView {
  const instances = [...model.instances].sort((a, b) => a.index - b.index);
  return {
    stack: model.stack,
    instances: instances.map((instance) => ({
      nameLua: toLuaString(instance.name),
      addressLua: toLuaString(instance.dial.address),
      apiPort: instance.dial.api,
    })),
    ...routerTimings(model.routing.pollIntervalMs),
    itemsPerPage: PATHS_PER_PAGE,
    mapPathLua: toLuaString(STREAMS_MAP),
    healthBackendLua: toLuaString(model.proxies.health),
  };
}

/** router-config.lua (ROUTER_CONFIG_LUA): the MTX_ROUTER_CONFIG table, lua-loaded before the modules. */
export function renderRouterConfigLua(model: Model): string {
  return renderTemplate("router-config.lua.mustache", toRouterView(model));
}

/** infra/lua/ at the repository. */
const LUA_SOURCE_DIR = join(REPO_ROOT, "infra", "lua");

/** The static Lua modules: container path → source file in LUA_SOURCE_DIR. */
const ROUTER_MODULES: readonly (readonly [string, string])[] = [
  [JSON_LUA, "json.lua"],
  [ROUTER_LUA, "router.lua"],
  [PUBLISH_LUA, "publish.lua"],
];

/**
 * The static Lua modules (json.lua, router.lua and the publish hook that uses it, publish.lua) by
 * container path, read from LUA_SOURCE_DIR.
 */
export function routerModules(): Record<string, string> {
  return Object.fromEntries(
    ROUTER_MODULES.map(([path, source]) => [path, readFileSync(join(LUA_SOURCE_DIR, source), "utf8")]),
  );
}

/**
 * The streams map file. HAProxy needs it to exist when a config references it; the router fills it at
 * runtime (core.set_map), so on disk it only holds a comment. Map files ignore lines starting with '#'
 * (configuration manual, `map` converter).
 */
export function renderStreamsMap(): string {
  return "# stream -> instance (HAProxy server name); filled at runtime by router.lua, empty on disk\n";
}
