// The native stream rules (templates/haproxy-stream-from-path.cfg.mustache: the text both HTTP frontends
// of haproxy.cfg include) in real HAProxy, the host's 2.6 and the local 3.0 image, each on a loopback
// port of its own, held to their specification, stream_from_path in router.lua: the shared case table
// (as is and with a query), and a seeded fuzz whose every path must get the Lua's answer.
//
// The echo frontend around the rules: `return` answers 200 with the stream the rules derived, a deny
// answers their 400, and every response the rules saw carries the `path` fetch HAProxy gave them. The
// Lua oracle reads that same value (as the fetch lua.mtx_stream did), so a difference can only come from
// the rules; a request HAProxy's own parser refuses (400, no header) reached neither implementation.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderStreamFromPathRules } from "../../../infra/render/haproxy";
import { localImages } from "../../../scripts/lib/versions";
import { HOST_HAPROXY, imageExists, writeHaproxyDir } from "../../support/haproxy-check";
import { rawHttpText } from "../../support/raw-http";
import { freePort, waitFor } from "./loopback";
import { type LuaInterpreter, runHarness, writeRouter } from "./lua";
import { routerModel } from "./model";
import { STREAM_CASES } from "./stream-cases";

const LOCAL_IMAGE = localImages().haproxy;
const FUZZ_SEED = 13;
const FUZZ_SIZE = 3000;
/** Requests in flight at once: enough to keep one HAProxy busy, few enough for a shared 2-core host. */
const CONCURRENCY = 12;

/** What a path gets: the stream, or null for a 400. */
type Outcome = string | null;

interface Answer {
  readonly target: string;
  /** The `path` fetch as the rules saw it; undefined when HAProxy's parser refused the request. */
  readonly path: string | undefined;
  readonly outcome: Outcome | `unexpected: ${string}`;
}

function echoConfig(port: number): string {
  const rules = renderStreamFromPathRules().trimEnd().replace(/^/gm, "    ");
  return `global
    # Fail rather than share the port with whatever else holds it (SO_REUSEPORT is the default).
    noreuseport

defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
    timeout http-request 5s

frontend echo
    bind 127.0.0.1:${port}
    http-request set-var(txn.test_path) path
${rules}
    http-request return status 200 content-type text/plain lf-string "%[var(txn.mtx_stream)]"
    http-after-response set-header x-test-path "%[var(txn.test_path)]" if { var(txn.test_path) -m found }
`;
}

interface Proxy {
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts HAProxy on `config` (the host's binary, or `haproxy` in `image` on the host network). */
async function startProxy(runner: "host" | { readonly image: string }): Promise<Proxy> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "mtx-stream-rules-"));
  writeHaproxyDir(dir, { "haproxy.cfg": echoConfig(port) });
  const container = `mtx-stream-rules-${process.pid}-${port}`;
  const child: ChildProcess =
    runner === "host"
      ? spawn(HOST_HAPROXY, ["-db", "-f", join(dir, "haproxy.cfg")], { stdio: ["ignore", "pipe", "pipe"] })
      : spawn(
          "docker",
          [
            ...["run", "--rm", "--name", container, "--network", "host", "-v", `${dir}:/rules:ro`],
            ...["--entrypoint", "haproxy", runner.image, "-db", "-f", "/rules/haproxy.cfg"],
          ],
          { stdio: ["ignore", "pipe", "pipe"] },
        );
  let log = "";
  child.stdout?.on("data", (chunk) => {
    log += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    log += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (runner !== "host") spawnSync("docker", ["rm", "-f", container], { stdio: "ignore", timeout: 30_000 });
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(`HAProxy on port ${port}`, 20_000, async () => {
      if (child.exitCode !== null) throw new Error(`HAProxy exited ${child.exitCode}: ${log}`);
      const res = await rawHttpText("127.0.0.1", port, { method: "GET", target: "/cam/index.m3u8" }, 1_000);
      return res.status === 200 ? true : undefined;
    });
  } catch (err) {
    await stop();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${log}`);
  }
  return { port, stop };
}

/** Sends every target (CONCURRENCY at a time) and reads what the rules made of it. */
async function ask(port: number, targets: readonly string[]): Promise<Answer[]> {
  const answers: Answer[] = new Array(targets.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < targets.length; i = next++) {
      const target = targets[i] ?? "";
      const res = await rawHttpText("127.0.0.1", port, { method: "GET", target });
      const outcome: Answer["outcome"] =
        res.status === 200
          ? res.body
          : res.status === 400
            ? null
            : `unexpected: ${res.status ?? "no status"} ${res.error ?? ""}`;
      answers[i] = { target, path: res.headers["x-test-path"], outcome };
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return answers;
}

const LUA_FILES = writeRouter(routerModel([{ name: "a", address: "10.0.0.1" }]));

/** stream_from_path for each path, under `interpreter`. */
function luaStreams(interpreter: LuaInterpreter, paths: readonly string[]): Outcome[] {
  return runHarness(
    interpreter,
    LUA_FILES,
    paths.map((path) => ({ kind: "extract", path })),
  ) as Outcome[];
}

/**
 * Answers whose outcome is not the Lua's for the path HAProxy saw (null when its parser refused the
 * request: that one never reached a rule or a fetch).
 */
function differences(interpreter: LuaInterpreter, answers: readonly Answer[]) {
  const seen = answers.filter((a) => a.path !== undefined);
  const lua = luaStreams(
    interpreter,
    seen.map((a) => a.path ?? ""),
  );
  const expected = new Map(seen.map((a, i) => [a, lua[i] ?? null]));
  return answers
    .map((a) => ({ target: a.target, path: a.path, haproxy: a.outcome, lua: expected.get(a) ?? null }))
    .filter((d) => d.haproxy !== d.lua);
}

// --- the fuzz ------------------------------------------------------------------------------------

/** mulberry32: a small seeded generator, so every run sends the same paths. */
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

const NAME_BYTES = [..."abcxyzABZ0189_.~-"];
const HEX = [..."0123456789abcdefABCDEF"];
/** Bytes outside MediaMTX path names that can still stand in a request line (no space, CR, LF, NUL). */
const HOSTILE = [..."%\"<>\\^`{|}#[]@:!$&'()*+,;=", "%2F", "%2e%2e", "%00", "é", "中", "\u00a0"];
const SUFFIXES = [".m3u8", ".ts", ".mp4", ".mp", ".js", ".map", ".ico"];
const NEAR_SUFFIXES = [".M3U8", ".m3u", ".tsx", ".mp5", ".json", "m3u8", ".ts.", ".Ts", "_ts"];
const WORDS = ["whip", "whep", "publish", "WHIP", "Whep", "whipx", "xwhep", "publish.ts", "index.m3u8"];
/** Only bytes HAProxy's parser accepts: a query must never be why a request is refused. */
const QUERIES = ["session=abc", "a=1&b=/x/y.ts", "whip", "", "..", "x=%2F"];

/** FUZZ_SIZE request targets from `seed`, then the length boundaries (stream 256, path 512). */
function fuzzTargets(seed: number, count: number): string[] {
  const rand = seeded(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const name = (length: number) => Array.from({ length }, () => pick(NAME_BYTES)).join("");
  const uuid = () =>
    [8, 4, 4, 4, 12].map((n) => Array.from({ length: n }, () => pick(HEX)).join("")).join("-");
  // A session id, or one byte off: dropped, doubled or replaced anywhere.
  const sessionId = () => {
    const id = uuid();
    const at = int(id.length);
    return pick([
      id,
      id,
      id.toUpperCase(),
      `${id.slice(0, at)}${id.slice(at + 1)}`,
      `${id.slice(0, at)}${id[at]}${id.slice(at)}`,
      `${id.slice(0, at)}${pick(["g", "-", "0", "."])}${id.slice(at + 1)}`,
    ]);
  };
  const segment = (): string => {
    switch (int(12)) {
      case 0:
        return pick(["", ".", "..", "..."]);
      case 1:
      case 2:
        return pick(WORDS);
      case 3:
        return sessionId();
      case 4:
        return `${name(1 + int(6))}${pick(SUFFIXES)}`;
      case 5:
        return pick([pick(SUFFIXES), `${name(1 + int(4))}${pick(NEAR_SUFFIXES)}`]);
      case 6: {
        const plain = name(int(6));
        const at = int(plain.length + 1);
        return `${plain.slice(0, at)}${pick(HOSTILE)}${plain.slice(at)}`;
      }
      case 7:
        return int(4) === 0 ? name(100 + int(200)) : name(1 + int(8));
      default:
        return name(1 + int(8));
    }
  };
  // Half the paths are a stream plus one of the URL shapes MediaMTX serves (or a near miss of one),
  // half any segments at all.
  const shaped = () =>
    `/${Array.from({ length: 1 + int(3) }, segment).join("/")}${pick([
      "",
      "/",
      `/${pick(["whip", "whep"])}`,
      `/${pick(["whip", "whep"])}/${sessionId()}`,
      `/${pick(["whip", "whep"])}/${sessionId()}`,
      "/publish",
      `/${name(1 + int(6))}${pick(SUFFIXES)}`,
      `/${name(int(3))}${pick(NEAR_SUFFIXES)}`,
      `/${segment()}`,
    ])}`;
  const anyShape = () => `/${Array.from({ length: 1 + int(5) }, segment).join("/")}`;
  const targets: string[] = [];
  for (let i = 0; i < count; i++) {
    let target = int(2) === 0 ? shaped() : anyShape();
    const shape = int(20);
    if (shape === 0) target = target.slice(1);
    else if (shape === 1) target = `/${target}`;
    else if (shape <= 4) target = `${target}/`;
    if (int(8) === 0) target = `${target}?${pick(QUERIES)}`;
    targets.push(target);
  }
  for (const length of [255, 256, 257]) {
    const stream = `${"s".repeat(100)}/${"t".repeat(length - 101)}`;
    for (const tail of ["", "/", "/index.m3u8", "/whip", `/whep/${uuid()}`, "/publish", "/x/"]) {
      targets.push(`/${stream}${tail}`);
    }
  }
  for (const length of [511, 512, 513]) {
    targets.push(`/cam/${"x".repeat(length - 8)}.ts`, `/cam/${"x".repeat(length - 8)}/whip`);
    targets.push(`/c/${"y".repeat(length - 7)}.mp4`);
  }
  return targets;
}

const FUZZ = fuzzTargets(FUZZ_SEED, FUZZ_SIZE);

// --- the runs ------------------------------------------------------------------------------------

/** Table rows as request targets; `path` never carries a query, so the row with a raw '?' is Lua-only. */
const TABLE = STREAM_CASES.filter(([path]) => !path.includes("?"));

function defineRuns(runner: "host" | { readonly image: string }, interpreter: LuaInterpreter): void {
  let proxy: Proxy | undefined;
  const port = () => proxy?.port ?? 0;

  beforeAll(async () => {
    proxy = await startProxy(runner);
  }, 60_000);

  afterAll(async () => {
    await proxy?.stop();
  }, 60_000);

  it(`gives every path of the case table its stream or a 400 (${TABLE.length} paths)`, async () => {
    const answers = await ask(
      port(),
      TABLE.map(([path]) => path),
    );
    expect(answers.map((a) => [a.target, a.outcome])).toEqual(TABLE.map(([path, stream]) => [path, stream]));
  });

  it("ignores the query, as the `path` fetch does", async () => {
    const answers = await ask(
      port(),
      TABLE.map(([path]) => `${path}?session=abc&next=/x/index.m3u8`),
    );
    expect(answers.map((a) => a.outcome)).toEqual(TABLE.map(([, stream]) => stream));
  });

  it(`answers ${FUZZ.length} fuzzed paths exactly as stream_from_path (${interpreter}) does`, async () => {
    const answers = await ask(port(), FUZZ);
    expect(differences(interpreter, answers)).toEqual([]);
    // The fuzz must reach the rules with both answers, not only HAProxy's parser or one branch.
    const reached = answers.filter((a) => a.path !== undefined);
    const accepted = answers.filter((a) => typeof a.outcome === "string").length;
    expect(reached.length / answers.length).toBeGreaterThan(0.8);
    expect(accepted / answers.length).toBeGreaterThan(0.25);
    expect((reached.length - accepted) / answers.length).toBeGreaterThan(0.25);
  }, 120_000);
}

describe("the stream rules in the host's HAProxy 2.6", () => {
  defineRuns("host", "lua5.3");
});

// As in test/golden/haproxy-check.test.ts: the image is built by scripts/bootstrap; CI must have it.
const hasLocalImage = imageExists(LOCAL_IMAGE) || process.env.CI === "true";
describe.skipIf(!hasLocalImage)(
  `the stream rules in ${LOCAL_IMAGE}${hasLocalImage ? "" : " (skipped: image not built; scripts/bootstrap builds it)"}`,
  () => {
    defineRuns({ image: LOCAL_IMAGE }, "lua5.4");
  },
);
