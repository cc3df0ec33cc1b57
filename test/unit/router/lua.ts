// Runs test/unit/router/harness.lua under a real Lua interpreter against the router as the gateway
// ships it: the rendered router-config.lua and the static modules, loaded in haproxy.cfg's order.

import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Model } from "../../../infra/config/model";
import { renderGatewayFiles } from "../../../infra/render/gateway-files";
import { HAPROXY_CONFIG, inHaproxyDir } from "../../../infra/render/paths";

/** HAProxy 2.6/2.8 embed Lua 5.3, 3.0 embeds 5.4: the router must behave the same on both. */
export const LUA_INTERPRETERS = ["lua5.3", "lua5.4"] as const;
export type LuaInterpreter = (typeof LUA_INTERPRETERS)[number];

/**
 * The router's JSON decoders: Debian's lua-cjson where the image has it (local 3.0 image, host 2.6), the
 * pure-Lua one where it does not (official haproxy:2.8). The harness runs either (MTX_HARNESS_DECODER).
 */
export const DECODERS = ["cjson", "lua"] as const;
export type Decoder = (typeof DECODERS)[number];

/** Every interpreter with every decoder: the combinations HAProxy images can run. */
export const LUA_RUNTIMES = LUA_INTERPRETERS.flatMap((interpreter) =>
  DECODERS.map((decoder) => ({ interpreter, decoder })),
);
export type LuaRuntime = (typeof LUA_RUNTIMES)[number];

const HARNESS = join(__dirname, "harness.lua");

/** The `lua-load` paths of a haproxy.cfg, in order. */
export function luaLoads(haproxyCfg: string): string[] {
  return [...haproxyCfg.matchAll(/^\s*lua-load\s+(\S+)/gm)].map((match) => match[1] ?? "");
}

/**
 * Writes the gateway files for `model` (and `secretFiles`, by name in HAPROXY_DIR) to a fresh temporary
 * directory and returns the Lua files
 * haproxy.cfg loads, in its order (config table, JSON module, router), as paths in that directory.
 */
export function writeRouter(model: Model, secretFiles: Readonly<Record<string, string>> = {}): string[] {
  const dir = mkdtempSync(join(tmpdir(), "mtx-router-"));
  // Secret files (credentials.lua) as the gateway writes them beside the plain ones.
  const files = { ...renderGatewayFiles(model), ...secretFiles };
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const loads = luaLoads(files[inHaproxyDir(HAPROXY_CONFIG)] ?? "").map((path) =>
    join(dir, inHaproxyDir(path)),
  );
  if (loads.length === 0) throw new Error("writeRouter: the rendered haproxy.cfg has no lua-load line");
  return loads;
}

/** Runs `cases` through the harness; returns one result per case, in order. */
export function runHarness(
  runtime: LuaInterpreter | LuaRuntime,
  luaFiles: readonly string[],
  cases: readonly unknown[],
): unknown[] {
  const { interpreter, decoder } =
    typeof runtime === "string" ? { interpreter: runtime, decoder: "cjson" } : runtime;
  const run = spawnSync(interpreter, [HARNESS, ...luaFiles], {
    input: JSON.stringify(cases),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, MTX_HARNESS_DECODER: decoder },
  });
  // EPIPE: the script failed at load and exited before reading its input; its status and stderr say why.
  const epipe = (run.error as NodeJS.ErrnoException | undefined)?.code === "EPIPE";
  if (run.error && !epipe)
    throw new Error(`${interpreter}: ${run.error.message} (is ${interpreter} installed?)`);
  if (run.status !== 0) throw new Error(`${interpreter} exited ${run.status}: ${run.stderr}`);
  const results: unknown = JSON.parse(run.stdout);
  if (!Array.isArray(results) || results.length !== cases.length) {
    throw new Error(`${interpreter}: expected ${cases.length} results, got ${run.stdout.slice(0, 200)}`);
  }
  return results;
}

/**
 * Runs one scenario; returns the results of the labelled steps by label, each without its label
 * (`{calls, owner?, map?, status?}`).
 */
export function runScenario(
  interpreter: LuaInterpreter | LuaRuntime,
  luaFiles: readonly string[],
  steps: readonly Readonly<Record<string, unknown>>[],
): Record<string, unknown> {
  const [results] = runHarness(interpreter, luaFiles, [{ kind: "scenario", steps }]);
  const byLabel: Record<string, unknown> = {};
  for (const result of results as Record<string, unknown>[]) {
    const { label, ...rest } = result;
    if (typeof label === "string") byLabel[label] = rest;
  }
  return byLabel;
}
