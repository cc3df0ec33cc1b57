// The router (rendered router-config.lua + static json.lua and router.lua, loaded in haproxy.cfg's
// order) under real Lua 5.3 (HAProxy 2.6/2.8) and 5.4 (HAProxy 3.0): the pure parts (stream
// extraction, JSON, ownership) through table cases, the runtime parts through scenarios against a stub
// core (fake clock, map and API). One interpreter run per table keeps this fast.

import { spawnSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { LUA_RUNTIMES, runHarness, runScenario, writeRouter } from "./lua";
import { mtxPath, mtxPathList } from "./mediamtx-api";
import { routerModel } from "./model";
import { STREAM_CASES } from "./stream-cases";

const DECODE_OK: readonly (readonly [string, string])[] = [
  ["empty object", "{}"],
  ["empty array", "[]"],
  ["string", '"x"'],
  ["true", "true"],
  ["false", "false"],
  ["null", "null"],
  ["numbers", "[0,1,-2,3.5,-0.25,1e3,1E-2,2.5e+2,123456789012,18446744073709]"],
  ["simple escapes", '"\\"\\\\\\/\\b\\f\\n\\r\\t"'],
  ["unicode escapes", '"\\u00e9\\u4e2d\\ud83d\\ude00\\u003c\\u0000"'],
  ["raw UTF-8", '"é中😀"'],
  ["nested", '{"a":{"b":{"c":[[[]],{}]}},"d":[{"e":null}]}'],
  ["whitespace", ' \n{ "a" : [ 1 , 2 ] ,\r\n"b":{ } }\t '],
  ["duplicate keys: last wins", '{"a":1,"a":2}'],
  ["depth 64", `${"[".repeat(64)}${"]".repeat(64)}`],
  [
    "MediaMTX /v3/paths/list",
    JSON.stringify({
      itemCount: 3,
      pageCount: 1,
      items: [mtxPath("cam/1"), mtxPath("idle", false), { ...mtxPath("x"), name: "\u00e9<&>" }],
    }).replace(/[<>&é]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`),
  ],
];

const DECODE_ERROR: readonly (readonly [string, string])[] = [
  ["empty input", ""],
  ["only whitespace", "  "],
  ["unclosed object", "{"],
  ["trailing comma in array", "[1,]"],
  ["trailing comma in object", '{"a":1,}'],
  ["single quotes", "{'a':1}"],
  ["unquoted key", "{a:1}"],
  ["missing colon", '{"a" 1}'],
  ["leading zero", "01"],
  ["bare fraction dot", "1."],
  ["leading dot", ".5"],
  ["plus sign", "+1"],
  ["lone minus", "-"],
  ["empty exponent", "1e"],
  ["unterminated string", '"abc'],
  ["unknown escape", '"a\\x"'],
  ["short unicode escape", '"\\u12"'],
  ["raw newline in string", '"a\nb"'],
  ["truncated literal", "tru"],
  ["NaN", "NaN"],
  ["trailing garbage", "[1] x"],
  ["two values", "{}{}"],
];

// Valid JSON that the decoder refuses on purpose. Unpaired surrogate escapes name no character, so
// they have no UTF-8 form; Go's encoding/json never writes them (invalid UTF-8 becomes U+FFFD).
// Nesting is capped so a broken or hostile body cannot recurse without bound (MediaMTX nests 3 deep).
const DECODE_REFUSED: readonly (readonly [string, string])[] = [
  ["lone high surrogate", '"\\ud800"'],
  ["lone low surrogate", '"\\udc00"'],
  ["high surrogate then non-surrogate", '"\\ud800\\u0041"'],
  ["depth 65", `${"[".repeat(65)}${"]".repeat(65)}`],
];

interface ReconcileCase {
  readonly name: string;
  readonly instances?: readonly string[];
  readonly claims: Readonly<
    Record<string, { ok: boolean; startedAt: number | null; streams: readonly string[] }>
  >;
  readonly entries: Readonly<Record<string, { server: string; source: string; at: number }>>;
  readonly now?: number;
  readonly expected: readonly { stream: string; server: string | null }[];
}

const NOW = 100_000;
const GRACE = 10_000;
const ok = (streams: readonly string[], startedAt = 90_000) => ({ ok: true, startedAt, streams });
const failed = (streams: readonly string[], startedAt: number | null = 50_000) => ({
  ok: false,
  startedAt,
  streams,
});
const entry = (server: string, source = "poll", at = 40_000) => ({ server, source, at });

const RECONCILE: readonly ReconcileCase[] = [
  {
    name: "new stream",
    claims: { a: ok(["x"]), b: ok([]) },
    entries: {},
    expected: [{ stream: "x", server: "a" }],
  },
  {
    name: "unclaimed conflict goes to the first instance in config order",
    claims: { a: ok(["x"]), b: ok(["x"]) },
    entries: {},
    expected: [{ stream: "x", server: "a" }],
  },
  {
    name: "config order, not name order",
    instances: ["b", "a"],
    claims: { a: ok(["x"]), b: ok(["x"]) },
    entries: {},
    expected: [{ stream: "x", server: "b" }],
  },
  {
    name: "conflict keeps the current owner",
    claims: { a: ok(["x"]), b: ok(["x"]) },
    entries: { x: entry("b") },
    expected: [],
  },
  {
    name: "moved",
    claims: { a: ok([]), b: ok(["x"]) },
    entries: { x: entry("a") },
    expected: [{ stream: "x", server: "b" }],
  },
  {
    name: "left",
    claims: { a: ok([]), b: ok([]) },
    entries: { x: entry("a") },
    expected: [{ stream: "x", server: null }],
  },
  {
    name: "a lookup newer than the owner's last poll start survives that poll",
    claims: { a: ok([]), b: ok([]) },
    entries: { x: entry("a", "lookup", 95_000) },
    expected: [],
  },
  {
    name: "a lookup newer than the owner's last poll start is not taken by another claimer",
    claims: { a: ok([]), b: ok(["x"]) },
    entries: { x: entry("a", "lookup", 95_000) },
    expected: [],
  },
  {
    name: "a failed instance keeps its entries",
    claims: { a: failed(["x"]), b: ok([]) },
    entries: { x: entry("a"), y: entry("a", "lookup", 99_000) },
    expected: [],
  },
  {
    name: "a failed owner loses a stream another instance claims",
    claims: { a: failed(["x"]), b: ok(["x"]) },
    entries: { x: entry("a") },
    expected: [{ stream: "x", server: "b" }],
  },
  {
    name: "a failed instance's old claims do not count",
    claims: { a: failed(["x"]), b: ok([]) },
    entries: {},
    expected: [],
  },
  {
    name: "learned within the grace period is kept although unlisted",
    claims: { a: ok([]), b: ok([]) },
    entries: { x: entry("a", "learn", 85_000) },
    now: 94_000,
    expected: [],
  },
  {
    name: "learned within the grace period is not taken by another claimer",
    claims: { a: ok([]), b: ok(["x"]) },
    entries: { x: entry("a", "learn", 85_000) },
    now: 94_000,
    expected: [],
  },
  {
    name: "learned past the grace period and unlisted is removed",
    claims: { a: ok([]), b: ok([]) },
    entries: { x: entry("a", "learn", 80_000) },
    expected: [{ stream: "x", server: null }],
  },
  {
    name: "an owner that was never polled keeps its entries",
    claims: { b: ok([]) },
    entries: { x: entry("a", "lookup", 1_000) },
    expected: [],
  },
  {
    name: "an owner no longer configured loses its entries",
    claims: { a: ok(["y"]), b: ok([]) },
    entries: { x: entry("gone"), y: entry("gone") },
    expected: [
      { stream: "x", server: null },
      { stream: "y", server: "a" },
    ],
  },
  {
    name: "nothing to do when the map matches",
    claims: { a: ok(["x"]), b: ok(["y"]) },
    entries: { x: entry("a"), y: entry("b") },
    expected: [],
  },
  {
    name: "several changes come sorted by stream",
    claims: { a: ok(["m", "c/2"]), b: ok(["z", "c/1"]) },
    entries: { old: entry("a"), z: entry("a") },
    expected: [
      { stream: "c/1", server: "b" },
      { stream: "c/2", server: "a" },
      { stream: "m", server: "a" },
      { stream: "old", server: null },
      { stream: "z", server: "b" },
    ],
  },
];

const PAGE_BODY = JSON.stringify({
  itemCount: 250,
  pageCount: 3,
  items: [
    mtxPath("z/last"),
    mtxPath("configured", false),
    { ...mtxPath("avail-only"), ready: undefined },
    { ...mtxPath("legacy"), available: undefined, online: undefined },
    mtxPath("bad name"),
    mtxPath("../up"),
    mtxPath("cam/1"),
  ],
});

/** What cjson gives for `value`: it cannot tell an empty array from an empty object (both empty tables). */
function emptyArraysAsObjects(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? {} : value.map(emptyArraysAsObjects);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, emptyArraysAsObjects(v)]));
  }
  return value;
}

// Not JSON, but accepted by cjson (Go's encoder never writes either); the pure decoder refuses them.
const CJSON_ACCEPTS = new Set(["bare fraction dot", "raw newline in string"]);

/** A /v3/paths/list answer of `n` ready paths named live/<i>, compact as MediaMTX writes it. */
const listing = (n: number, extra: Partial<ReturnType<typeof mtxPath>> = {}) =>
  mtxPathList(Array.from({ length: n }, (_, i) => ({ ...mtxPath(`live/${i}`), ...extra })));

describe.each(LUA_RUNTIMES)("router.lua under $interpreter, $decoder decoder", (runtime) => {
  const { interpreter, decoder } = runtime;
  let luaFiles: string[] = [];
  beforeAll(() => {
    luaFiles = writeRouter(
      routerModel([
        { name: "a", address: "10.0.0.1" },
        { name: "b", address: "10.0.0.2" },
      ]),
    );
  });

  it("registers exactly the names haproxy.cfg uses, one poll task per instance, and returns nothing", () => {
    // A recording core; MTX_TEST unset, as in HAProxy.
    const prelude = [
      "local seen = {}",
      "local function note(...) seen[#seen + 1] = table.concat({ ... }, ' ') end",
      "core = {",
      "  register_fetches = function(name) note('fetch', name) end,",
      "  register_action = function(name, kinds, _, args) note('action', name, table.concat(kinds, ','), args) end,",
      "  register_service = function(name, mode) note('service', name, mode) end,",
      "  register_task = function() note('task') end,",
      "}",
      "MTX_REPORT = function() io.write(table.concat(seen, '\\n'), '\\n') end",
    ].join("\n");
    const run = spawnSync(interpreter, [
      "-e",
      prelude,
      "-e",
      `local r ${luaFiles.map((file) => `r = dofile(${JSON.stringify(file)})`).join(" ")} assert(r == nil) MTX_REPORT()`,
    ]);
    expect(run.status, String(run.stderr)).toBe(0);
    expect(String(run.stdout).trim().split("\n")).toEqual([
      "action mtx_lookup http-req 0",
      "action mtx_learn http-res 0",
      "service mtx_router_status http",
      "task",
      "task",
      "service mtx_publish_hook http",
    ]);
  });

  // [case, Lua run between loading router-config.lua and json.lua, lines the load error must carry]
  const BROKEN_CONFIGS: readonly (readonly [string, string, readonly string[]])[] = [
    [
      "config not loaded",
      "MTX_ROUTER_CONFIG = nil",
      [
        "router.lua: MTX_ROUTER_CONFIG is nil, not a table: haproxy.cfg must lua-load router-config.lua before router.lua",
      ],
    ],
    [
      "every bad field at once",
      [
        "MTX_ROUTER_CONFIG.pollIntervalMs = '1s'",
        "MTX_ROUTER_CONFIG.mapPath = nil",
        "MTX_ROUTER_CONFIG.instances[1].apiPort = nil",
        "MTX_ROUTER_CONFIG.instances[2] = 'b'",
      ].join(" "),
      [
        "router.lua: MTX_ROUTER_CONFIG.pollIntervalMs: must be a number, got string",
        "MTX_ROUTER_CONFIG.mapPath: must be a string, got nil",
        "MTX_ROUTER_CONFIG.instances[1].apiPort: must be a number, got nil",
        "MTX_ROUTER_CONFIG.instances[2]: must be a table, got string",
      ],
    ],
  ];

  it.each(BROKEN_CONFIGS)("refuses to load: %s", (_, breakConfig, lines) => {
    const [config, jsonLua, router] = luaFiles.map((file) => JSON.stringify(file));
    const run = spawnSync(interpreter, [
      "-e",
      `dofile(${config}) ${breakConfig} dofile(${jsonLua}) dofile(${router})`,
    ]);
    expect(run.status).not.toBe(0);
    for (const line of lines) expect(String(run.stderr)).toContain(line);
  });

  it("refuses to load without the JSON module", () => {
    const [config, , router] = luaFiles.map((file) => JSON.stringify(file));
    const run = spawnSync(interpreter, ["-e", `dofile(${config}) dofile(${router})`]);
    expect(run.status).not.toBe(0);
    expect(String(run.stderr)).toContain("module 'mtx.json' not found");
  });

  it(`extracts streams (${STREAM_CASES.length} paths)`, () => {
    const results = runHarness(
      runtime,
      luaFiles,
      STREAM_CASES.map(([path]) => ({ kind: "extract", path })),
    );
    const got = STREAM_CASES.map(([path], i) => [path, results[i]]);
    expect(got).toEqual(STREAM_CASES.map(([path, stream]) => [path, stream]));
  });

  it("uses the decoder asked for", () => {
    expect(runHarness(runtime, luaFiles, [{ kind: "decoder" }])).toEqual([decoder]);
  });

  it("decodes JSON exactly as JSON.parse does (cjson: [] and {} alike)", () => {
    const results = runHarness(
      runtime,
      luaFiles,
      DECODE_OK.map(([, text]) => ({ kind: "decode", text })),
    );
    DECODE_OK.forEach(([name, text], i) => {
      const value = decoder === "cjson" ? emptyArraysAsObjects(JSON.parse(text)) : JSON.parse(text);
      expect({ name, result: results[i] }).toEqual({ name, result: { ok: true, value } });
    });
  });

  it("rejects malformed JSON (cjson: but for two leniencies)", () => {
    const results = runHarness(
      runtime,
      luaFiles,
      DECODE_ERROR.map(([, text]) => ({ kind: "decode", text })),
    );
    DECODE_ERROR.forEach(([name, text], i) => {
      expect(() => JSON.parse(text), name).toThrow();
      const ok = decoder === "cjson" && CJSON_ACCEPTS.has(name);
      expect({ name, result: results[i] }).toMatchObject({ name, result: { ok } });
    });
  });

  it("refuses unpaired surrogates and nesting deeper than 64", () => {
    const results = runHarness(
      runtime,
      luaFiles,
      DECODE_REFUSED.map(([, text]) => ({ kind: "decode", text })),
    );
    DECODE_REFUSED.forEach(([name], i) => {
      expect({ name, result: results[i] }).toMatchObject({ name, result: { ok: false } });
    });
  });

  it("reads ready paths from a /v3/paths/list page", () => {
    const [good, notArray, notJson] = runHarness(runtime, luaFiles, [
      { kind: "page", body: PAGE_BODY },
      { kind: "page", body: '{"itemCount":0,"pageCount":0,"items":{}}' },
      { kind: "page", body: "<html>503</html>" },
    ]);
    expect(good).toEqual({
      ok: true,
      page: { streams: ["avail-only", "cam/1", "legacy", "z/last"], pageCount: 3 },
      split: true,
    });
    expect(notArray).toEqual(
      decoder === "cjson"
        ? { ok: true, page: { streams: [], pageCount: 0 }, split: false }
        : { ok: false, error: "items is not an array" },
    );
    expect(notJson).toMatchObject({ ok: false });
  });

  // [case, body, read in pieces]: every body lists live/0 .. live/9, so whichever way it was read the
  // streams must be the same.
  const PIECES: readonly (readonly [string, string, boolean])[] = [
    ["compact, as MediaMTX writes it", listing(10), true],
    ["empty", mtxPathList([]), true],
    [
      "items not the last field",
      JSON.stringify({ items: JSON.parse(listing(10)).items, pageCount: 1 }),
      false,
    ],
    ["indented", JSON.stringify(JSON.parse(listing(10)), null, 2), false],
    // Readers whose first field is "name": a cut inside an item, which the decoder refuses.
    ["a separator inside an item", listing(10, { readers: [{ name: "x" }, { name: "y" }] } as never), false],
  ];

  it.each(PIECES)("reads a listing in pieces only when the cuts decode: %s", (_, body, split) => {
    const [small, whole] = runHarness(runtime, luaFiles, [
      { kind: "page", body, pieceBytes: 1 },
      { kind: "page", body, pieceBytes: 1_000_000 },
    ]);
    const streams = body === mtxPathList([]) ? [] : Array.from({ length: 10 }, (_, i) => `live/${i}`).sort();
    expect(small).toEqual({ ok: true, page: { streams, pageCount: expect.any(Number) }, split });
    expect(whole).toMatchObject({ ok: true, page: { streams } });
  });

  it.each(RECONCILE)("reconciles: $name", (c) => {
    const [changes] = runHarness(runtime, luaFiles, [
      {
        kind: "reconcile",
        instances: c.instances ?? ["a", "b"],
        claims: c.claims,
        entries: c.entries,
        now: c.now ?? NOW,
        graceMs: GRACE,
      },
    ]);
    expect(changes).toEqual(c.expected);
  });

  it("looks up on a miss, caches misses for one poll interval, skips DOWN instances", () => {
    const getA = "http://10.0.0.1:9997/v3/paths/get/";
    const getB = "http://10.0.0.2:9997/v3/paths/get/";
    const ready = (name: string) => ({ status: 200, body: JSON.stringify(mtxPath(name)) });
    const out = runScenario(runtime, luaFiles, [
      {
        op: "api",
        address: "10.0.0.1",
        paths: { idle: { status: 200, body: JSON.stringify(mtxPath("idle", false)) } },
      },
      { op: "api", address: "10.0.0.2", paths: { "cam/1": ready("cam/1") } },
      { op: "lookup", stream: "cam/1", label: "found on b" },
      { op: "lookup", stream: "nope", label: "miss" },
      { op: "lookup", stream: "nope", label: "cached miss" },
      { op: "advance", ms: 999 },
      { op: "lookup", stream: "nope", label: "still cached" },
      { op: "advance", ms: 1 },
      { op: "lookup", stream: "nope", label: "expired" },
      { op: "lookup", stream: "idle", label: "configured, not ready" },
      { op: "health", server: "a", status: "DOWN 1/2" },
      { op: "api", address: "10.0.0.1", paths: { "cam/2": ready("cam/2") } },
      { op: "api", address: "10.0.0.2", paths: { "cam/2": ready("cam/2") } },
      { op: "lookup", stream: "cam/2", label: "a down" },
      { op: "health", server: "a", status: "MAINT" },
      { op: "lookup", stream: "cam/3", label: "a in maintenance" },
      { op: "unmap", stream: "cam/1" },
      { op: "lookup", stream: "cam/1", label: "map entry deleted behind the router's back" },
      { op: "map", label: "map" },
      { op: "status", label: "status" },
    ]);
    expect(out["found on b"]).toEqual({ owner: "b", calls: [`${getA}cam/1`, `${getB}cam/1`] });
    expect(out.miss).toEqual({ owner: null, calls: [`${getA}nope`, `${getB}nope`] });
    expect(out["cached miss"]).toEqual({ owner: null, calls: [] });
    expect(out["still cached"]).toEqual({ owner: null, calls: [] });
    expect(out.expired).toEqual({ owner: null, calls: [`${getA}nope`, `${getB}nope`] });
    expect(out["configured, not ready"]).toEqual({ owner: null, calls: [`${getA}idle`, `${getB}idle`] });
    expect(out["a down"]).toEqual({ owner: "b", calls: [`${getB}cam/2`] });
    expect(out["a in maintenance"]).toEqual({ owner: null, calls: [`${getB}cam/3`] });
    expect(out["map entry deleted behind the router's back"]).toEqual({ owner: "b", calls: [] });
    expect(out.map).toEqual({ map: { "cam/1": "b", "cam/2": "b" }, calls: [] });
    expect(out.status).toMatchObject({
      status: {
        counters: {
          lookups: 6,
          lookupHits: 2,
          misses: 6,
          learned: 0,
          polls: 0,
          mapSize: 2,
          lastPollAgeMs: null,
        },
        entries: [
          { stream: "cam/1", server: "b", source: "lookup", ageMs: 1000 },
          { stream: "cam/2", server: "b", source: "lookup", ageMs: 0 },
        ],
      },
    });
  });

  it("polls every page, applies only changes, keeps a failed instance's entries, honours the learn grace", () => {
    const list = (names: readonly string[], pageCount?: number) => ({
      status: 200,
      body: mtxPathList(
        names.map((name) => mtxPath(name)),
        pageCount,
      ),
    });
    const tick = { op: "advance", ms: 100 };
    const out = runScenario(runtime, luaFiles, [
      { op: "api", address: "10.0.0.1", list: [list(["cam/1"], 2), list(["cam/3"], 2)] },
      { op: "api", address: "10.0.0.2", list: [list(["cam/2", "cam/1"])] },
      { op: "poll", instance: "a", label: "two pages" },
      tick,
      { op: "poll", instance: "b" },
      { op: "map", label: "conflict keeps a" },
      { op: "api", address: "10.0.0.1", list: [list([])] },
      tick,
      { op: "poll", instance: "a" },
      { op: "map", label: "a lost cam/1 and cam/3" },
      { op: "api", address: "10.0.0.2", list: [{ status: 500, body: "" }] },
      tick,
      { op: "poll", instance: "b" },
      { op: "map", label: "b failed" },
      { op: "learn", stream: "web/1", server: "a" },
      { op: "learn", stream: "web/2", server: "not-an-instance" },
      { op: "advance", ms: 1000 },
      { op: "poll", instance: "a" },
      { op: "map", label: "within grace" },
      { op: "advance", ms: 10_000 },
      { op: "poll", instance: "a" },
      { op: "map", label: "after grace" },
      { op: "status", label: "status" },
    ]);
    expect(out["two pages"]).toMatchObject({
      calls: [
        "http://10.0.0.1:9997/v3/paths/list?itemsPerPage=2147483647&page=0",
        "http://10.0.0.1:9997/v3/paths/list?itemsPerPage=2147483647&page=1",
      ],
    });
    expect(out["conflict keeps a"]).toEqual({ map: { "cam/1": "a", "cam/3": "a", "cam/2": "b" }, calls: [] });
    expect(out["a lost cam/1 and cam/3"]).toEqual({ map: { "cam/1": "b", "cam/2": "b" }, calls: [] });
    expect(out["b failed"]).toEqual({ map: { "cam/1": "b", "cam/2": "b" }, calls: [] });
    expect(out["within grace"]).toEqual({ map: { "cam/1": "b", "cam/2": "b", "web/1": "a" }, calls: [] });
    expect(out["after grace"]).toEqual({ map: { "cam/1": "b", "cam/2": "b" }, calls: [] });
    expect(out.status).toMatchObject({
      status: {
        counters: { polls: 6, pollErrors: 1, learned: 1, mapSize: 2, lastPollAgeMs: 0 },
        entries: [
          { stream: "cam/1", server: "b", source: "poll" },
          { stream: "cam/2", server: "b", source: "poll" },
        ],
        instances: [
          { name: "a", pollOk: true, claimed: 0, lastPollAgeMs: 0 },
          { name: "b", pollOk: false, claimed: 2 },
        ],
      },
    });
  });
});

// Incremental polls against the full reconcile they replaced (harness.lua keeps it as the oracle): random
// sequences of polls (successful or failed), learns, pushes, lookups and time, over three instances and
// a handful of streams so that conflicts, moves and protection expiry all happen often. After every step
// the router's entries (server, source, time), its map and its indexes must equal the oracle's.
const EQUIVALENCE_SEQUENCES = 150;
const EQUIVALENCE_STEPS = 60;

/** mulberry32: a small seeded generator, so a failing sequence is reproducible from its seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomSteps(seed: number, instances: readonly string[]): Record<string, unknown>[] {
  const random = seeded(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const streams = ["s0", "s1", "s2", "s3", "s4", "s5"];
  const steps: Record<string, unknown>[] = [];
  for (let i = 0; i < EQUIVALENCE_STEPS; i++) {
    const roll = random();
    const instance = pick(instances);
    if (roll < 0.55) {
      steps.push({ op: "poll", instance, streams: streams.filter(() => random() < 0.35) });
    } else if (roll < 0.65) {
      steps.push({ op: "poll", instance, fail: true });
    } else if (roll < 0.72) {
      steps.push({ op: "learn", stream: pick(streams), server: instance });
    } else if (roll < 0.79) {
      steps.push({ op: "push", stream: pick(streams), server: instance });
    } else if (roll < 0.86) {
      steps.push({ op: "lookup", stream: pick(streams), server: instance });
    } else {
      // Around the 10 s learn grace, and within one poll interval.
      steps.push({ op: "advance", ms: pick([1, 100, 999, 1000, 4000, 9999, 10_000]) });
    }
  }
  return steps;
}

describe.each(LUA_RUNTIMES)("incremental polls under $interpreter, $decoder decoder", (runtime) => {
  const { decoder } = runtime;
  const instances = ["a", "b", "c"];
  let luaFiles: string[] = [];
  beforeAll(() => {
    luaFiles = writeRouter(routerModel(instances.map((name, i) => ({ name, address: `10.0.0.${i + 1}` }))));
  });

  it(`leave the same entries as the full reconcile (${EQUIVALENCE_SEQUENCES} random sequences)`, () => {
    const seeds = Array.from({ length: EQUIVALENCE_SEQUENCES }, (_, i) => i + 1);
    const results = runHarness(
      runtime,
      luaFiles,
      seeds.map((seed) => ({ kind: "equivalence", steps: randomSteps(seed, instances) })),
    );
    const failures = seeds
      .map((seed, i) => ({ seed, result: results[i] }))
      .filter(({ result }) => (result as { ok?: boolean }).ok !== true);
    expect(failures.slice(0, 1)).toEqual([]);
  });

  it("decide every stream once after a round that raised while deciding", () => {
    const list = (names: readonly string[]) => ({
      status: 200,
      body: mtxPathList(names.map((name) => mtxPath(name))),
    });
    const out = runScenario(runtime, luaFiles, [
      { op: "api", address: "10.0.0.1", list: [list(["x", "y"])] },
      { op: "mapfails", fails: true },
      { op: "poll", instance: "a", label: "raised" },
      { op: "mapfails", fails: false },
      // The same list: a's diff is empty, so without the resync nothing would decide x and y.
      { op: "poll", instance: "a" },
      { op: "map", label: "next round" },
    ]);
    expect(out.raised).toMatchObject({ error: expect.stringContaining("set_map") });
    expect(out["next round"]).toMatchObject({ map: { x: "a", y: "a" } });
  });

  it("decide only what changed: nothing on an unchanged poll, the one new stream on the next", () => {
    const list = (n: number) => ({ status: 200, body: listing(n) });
    const out = runScenario(runtime, luaFiles, [
      { op: "api", address: "10.0.0.1", list: [list(1000)] },
      { op: "poll", instance: "a", label: "first" },
      { op: "poll", instance: "a", label: "unchanged" },
      { op: "status", label: "after unchanged" },
      { op: "api", address: "10.0.0.1", list: [list(1001)] },
      { op: "poll", instance: "a", label: "one more" },
      { op: "status", label: "after one more" },
    ]);
    // One request per poll, whatever the number of paths; the answer read in pieces, pausing between.
    expect(out.first).toMatchObject({
      calls: ["http://10.0.0.1:9997/v3/paths/list?itemsPerPage=2147483647&page=0"],
    });
    // A piece is PIECE_BYTES (router.lua: 8 kB with cjson, 2 kB without) up to the next item boundary.
    const pieceBytes = decoder === "cjson" ? 8192 : 2048;
    const pieces = Math.floor(listing(1000).length / (pieceBytes + listing(1).length));
    expect((out.first as { yields: number }).yields).toBeGreaterThanOrEqual(pieces);
    expect(out["after unchanged"]).toMatchObject({
      status: {
        decoder,
        counters: { polls: 2, pollRequests: 2, wholeDecodes: 0, mapSize: 1000 },
        instances: [{ name: "a", claimed: 1000, lastPollDecided: 0 }, { name: "b" }, { name: "c" }],
      },
    });
    expect(out["after one more"]).toMatchObject({
      status: {
        counters: { mapSize: 1001 },
        instances: [{ name: "a", claimed: 1001, lastPollDecided: 1 }, { name: "b" }, { name: "c" }],
      },
    });
  });
});
