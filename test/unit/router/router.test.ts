// infra/render/router.ts: timings, Lua quoting, the view, the rendered config's invariants, the static modules.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { JSON_LUA, PUBLISH_LUA, ROUTER_LUA, STREAMS_MAP } from "../../../infra/render/paths";
import {
  PATHS_PER_PAGE,
  renderRouterConfigLua,
  renderStreamsMap,
  routerModules,
  routerTimings,
  toLuaString,
  toRouterView,
} from "../../../infra/render/router";
import { LUA_INTERPRETERS } from "./lua";
import { routerModel } from "./model";

const TWO = [
  { name: "mtx-1", address: "172.30.0.10" },
  { name: "mtx-2", address: "172.30.0.11" },
];

describe("routerTimings", () => {
  it.each([
    // poll, lookup budget, lookup attempt, poll attempt, learn grace
    [100, 100, 25, 250, 10_000],
    [400, 400, 100, 250, 10_000],
    [1_000, 500, 125, 250, 10_000],
    [2_000, 500, 125, 500, 10_000],
    [3_000, 500, 125, 750, 15_000],
    [5_000, 500, 125, 1_000, 25_000],
    [60_000, 500, 125, 1_000, 300_000],
  ])("poll every %i ms → lookup %i ms (%i per attempt), poll attempt %i ms, grace %i ms", (poll, lookup, lookupAttempt, pollAttempt, grace) => {
    expect(routerTimings(poll)).toEqual({
      pollIntervalMs: poll,
      lookupTimeoutMs: lookup,
      lookupAttemptTimeoutMs: lookupAttempt,
      pollAttemptTimeoutMs: pollAttempt,
      learnGraceMs: grace,
    });
  });
});

describe("toLuaString", () => {
  const CASES: readonly (readonly [string, string])[] = [
    ["mtx-1", '"mtx-1"'],
    ["", '""'],
    ["/usr/local/etc/haproxy/streams.map", '"/usr/local/etc/haproxy/streams.map"'],
    ['a"b', '"a\\"b"'],
    ["a\\b", '"a\\\\b"'],
    ["a\nb", '"a\\010b"'],
    ["\u00001", '"\\0001"'],
    ["é", '"\\195\\169"'],
    ["]]..os.exit()--", '"]]..os.exit()--"'],
  ];
  it.each(CASES)("quotes %j as %s", (text, literal) => {
    expect(toLuaString(text)).toBe(literal);
  });

  it.each(LUA_INTERPRETERS)("round-trips every case through %s byte for byte", (interpreter) => {
    const script = `io.write(${CASES.map(([text]) => toLuaString(text)).join(", '\\255', ")})`;
    const run = spawnSync(interpreter, ["-e", script]);
    expect(run.status, String(run.stderr)).toBe(0);
    const expected = Buffer.concat(
      CASES.flatMap(([text], i) =>
        i === 0 ? [Buffer.from(text)] : [Buffer.from([0xff]), Buffer.from(text)],
      ),
    );
    expect(run.stdout).toEqual(expected);
  });
});

describe("toRouterView", () => {
  it("lists instances in config order with the API port and quotes every string", () => {
    const model = routerModel(TWO, 2_000);
    const reversed = { ...model, instances: [...model.instances].reverse() };
    const view = toRouterView(reversed);
    expect(view).toEqual({
      stack: "test",
      instances: [
        { nameLua: '"mtx-1"', addressLua: '"172.30.0.10"', apiPort: 9997 },
        { nameLua: '"mtx-2"', addressLua: '"172.30.0.11"', apiPort: 9997 },
      ],
      ...routerTimings(2_000),
      itemsPerPage: PATHS_PER_PAGE,
      mapPathLua: `"${STREAMS_MAP}"`,
      healthBackendLua: '"hls"',
    });
  });
});

describe("renderRouterConfigLua", () => {
  const text = renderRouterConfigLua(routerModel(TWO));

  it("is deterministic, with \\n line endings and one trailing newline", () => {
    expect(renderRouterConfigLua(routerModel(TWO))).toBe(text);
    expect(text).not.toMatch(/\r/);
    expect(text.endsWith("\n")).toBe(true);
    expect(text.endsWith("\n\n")).toBe(false);
  });

  it("renders the configuration table and leaves no template tags", () => {
    expect(text).toContain('    { name = "mtx-1", address = "172.30.0.10", apiPort = 9997 },\n');
    expect(text).toContain('    { name = "mtx-2", address = "172.30.0.11", apiPort = 9997 },\n');
    expect(text).toContain(`  mapPath = "${STREAMS_MAP}",\n`);
    expect(text).toContain('  healthBackend = "hls",\n');
    expect(text).not.toMatch(/\{\{|\}\}|&#x2F;/);
  });

  it("is data only: one global table, no function", () => {
    expect(text).toMatch(/^MTX_ROUTER_CONFIG = \{$/m);
    const code = text.replace(/--[^\n]*/g, "");
    expect(code).not.toMatch(/\bfunction\b|^\s*local\s|\brequire\s*\(/m);
  });
});

describe("routerModules", () => {
  it("ships infra/lua/json.lua, router.lua and publish.lua unchanged, at their container paths", () => {
    const source = (name: string) => readFileSync(resolve(__dirname, "../../../infra/lua", name), "utf8");
    expect(routerModules()).toEqual({
      [JSON_LUA]: source("json.lua"),
      [ROUTER_LUA]: source("router.lua"),
      [PUBLISH_LUA]: source("publish.lua"),
    });
  });
});

describe("renderStreamsMap", () => {
  it("is one comment line: HAProxy ignores map lines starting with #", () => {
    const map = renderStreamsMap();
    expect(map).toMatch(/^#[^\n]*\n$/);
  });
});
