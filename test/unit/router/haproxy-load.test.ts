// The router (rendered config table + static modules) in the host's real HAProxy (2.6, Lua 5.3): first `haproxy -c` on a minimal config
// that uses every name the router registers, then a live run against two fake MediaMTX instances on
// loopback. Real MediaMTX is the e2e lane's job; this is the fast proof that the Lua works in HAProxy.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Model } from "../../../infra/config/model";
import { renderGatewayFiles } from "../../../infra/render/gateway-files";
import { renderStreamFromPathRules } from "../../../infra/render/haproxy";
import { HAPROXY_CONFIG, inHaproxyDir, STREAMS_MAP } from "../../../infra/render/paths";
import {
  checkHaproxyConfig,
  HOST_HAPROXY,
  withDirOnHaproxyDir,
  writeHaproxyDir,
} from "../../support/haproxy-check";
import { type FakeInstance, startFakeInstance } from "./fake-instance";
import { freePort, sleep, waitFor } from "./loopback";
import { luaLoads } from "./lua";
import { routerModel } from "./model";

const POLL_MS = 400;

interface Status {
  readonly decoder: string;
  readonly counters: Readonly<Record<string, number | null>>;
  readonly entries: readonly { stream: string; server: string; source: string; ageMs: number }[];
}

/**
 * The gateway's files for `model` with haproxy.cfg replaced by a config shaped like
 * haproxy.cfg.mustache's HTTP part: the same lua-load lines, the same native rules name the stream, the
 * map or the lookup names the owner, `use-server` follows it, the webrtc backend learns from WHIP 201s.
 * Round-robin underneath, so a request that the router did not steer lands on the wrong instance half
 * the time.
 */
function testFiles(
  model: Model,
  frontendPort: number,
  servers: readonly { name: string; endpoint: string }[],
): Record<string, string> {
  const files = renderGatewayFiles(model);
  const config = inHaproxyDir(HAPROXY_CONFIG);
  const luaLoadLines = luaLoads(files[config] ?? "")
    .map((path) => `    lua-load ${path}`)
    .join("\n");
  const serverLines = servers
    // Checks only need to keep both fakes UP: no case here waits for DOWN. A 200 ms inter doubled as the
    // whole check's timeout (no `timeout check`), and with the unit lane's other files on both cores a
    // slow answer marked a fake DOWN, so use-server fell back to round-robin (2 failures in 4 full runs).
    .map((s) => `    server ${s.name} ${s.endpoint} check inter 1s fall 3 rise 1`)
    .join("\n");
  return {
    ...files,
    [config]: `global
${luaLoadLines}

defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
    timeout check 5s
    default-server init-addr last,libc,none

frontend http
    bind 127.0.0.1:${frontendPort}
    http-request use-service lua.mtx_router_status if { path /router }
${renderStreamFromPathRules().trimEnd().replace(/^/gm, "    ")}
    http-request set-var(txn.mtx_owner) var(txn.mtx_stream),map(${STREAMS_MAP})
    http-request lua.mtx_lookup unless { var(txn.mtx_owner) -m found }
    http-request set-var(txn.mtx_whip_new) bool(true) if METH_POST { path_end /whip }
    use_backend webrtc if { var(txn.mtx_whip_new) -m bool }
    default_backend hls

backend hls
    balance roundrobin
    use-server %[var(txn.mtx_owner)] if { var(txn.mtx_owner) -m found }
    option httpchk GET /v3/paths/list?itemsPerPage=1
${serverLines}

backend webrtc
    balance roundrobin
    use-server %[var(txn.mtx_owner)] if { var(txn.mtx_owner) -m found }
    http-response lua.mtx_learn if { var(txn.mtx_whip_new) -m bool } { status 201 }
    option httpchk GET /v3/paths/list?itemsPerPage=1
${serverLines}
`,
  };
}

/** Loopback addresses of their own (127.0.0.0/8 all answers on Linux), so port 9997 is free for the fakes. */
function loopbackNet(): string {
  const b = 100 + Math.floor(Math.random() * 100);
  const c = 1 + Math.floor(Math.random() * 250);
  return `127.${b}.${c}`;
}

describe("the router in HAProxy 2.6", () => {
  const net = loopbackNet();
  const instances = [
    { name: "a", address: `${net}.2` },
    { name: "b", address: `${net}.3` },
  ];
  const model = routerModel(instances, POLL_MS);
  const servers = instances.map((i) => ({ name: i.name, endpoint: `${i.address}:9997` }));

  it("passes haproxy -c with every registered name in use", async () => {
    expect(spawnSync(HOST_HAPROXY, ["-v"]).status, `${HOST_HAPROXY} is required`).toBe(0);
    const result = checkHaproxyConfig(
      { ...testFiles(model, await freePort(), servers), "secrets.cfg": "# no secrets in this test\n" },
      { runner: "host" },
    );
    expect(result.ok, result.output).toBe(true);
    expect(result.output).toBe("Configuration file is valid");
  });

  describe("live, against two fake instances", () => {
    let haproxy: ChildProcess | undefined;
    let haproxyLog = "";
    let dir = "";
    let base = "";
    const fakes = new Map<string, FakeInstance>();
    const fake = (name: string): FakeInstance => {
      const found = fakes.get(name);
      if (found === undefined) throw new Error(`no fake instance ${name}`);
      return found;
    };

    const get = async (path: string, init?: RequestInit) => {
      const res = await fetch(`${base}${path}`, init);
      await res.arrayBuffer();
      return { status: res.status, instance: res.headers.get("x-instance") };
    };
    const status = async (): Promise<Status> => (await (await fetch(`${base}/router`)).json()) as Status;
    const entryOf = async (stream: string) => (await status()).entries.find((e) => e.stream === stream);

    beforeAll(async () => {
      for (const instance of instances) {
        fakes.set(instance.name, await startFakeInstance(instance.name, instance.address, 9997));
      }
      fake("a").publish("cam/1");
      fake("b").publish("cam/2");
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      dir = mkdtempSync(join(tmpdir(), "mtx-router-haproxy-"));
      writeHaproxyDir(dir, testFiles(model, port, servers));
      // Same private bind mount as checkHaproxyConfig.
      haproxy = spawn("unshare", withDirOnHaproxyDir(dir, ["-db", "-f", HAPROXY_CONFIG]), {
        stdio: ["ignore", "pipe", "pipe"],
      });
      haproxy.stdout?.on("data", (chunk) => {
        haproxyLog += chunk;
      });
      haproxy.stderr?.on("data", (chunk) => {
        haproxyLog += chunk;
      });
      // Both instances polled at least once and their streams in the map.
      await waitFor("the first polls", 10_000, async () => {
        const s = await status();
        return s.counters.mapSize === 2 ? s : undefined;
      });
    }, 20_000);

    afterAll(async () => {
      if (haproxy?.exitCode === null) {
        const exited = new Promise((resolve) => haproxy?.once("exit", resolve));
        haproxy.kill("SIGTERM");
        await exited;
      }
      for (const f of fakes.values()) await f.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("sends every request of a stream to the instance that lists it", async () => {
      for (let i = 0; i < 6; i++) {
        expect(await get("/cam/1/index.m3u8")).toEqual({ status: 200, instance: "a" });
        expect(await get("/cam/2/index.m3u8")).toEqual({ status: 200, instance: "b" });
      }
      expect(await entryOf("cam/1")).toMatchObject({ server: "a", source: "poll" });
    });

    it("routes a stream that just appeared on b to b on the first request (on-miss lookup)", async () => {
      // Not in b's list yet, so only the lookup can know.
      fake("b").publish("fresh/x", { listed: false });
      const before = (await status()).counters;
      expect(await get("/fresh/x/index.m3u8")).toEqual({ status: 200, instance: "b" });
      expect(await entryOf("fresh/x")).toMatchObject({ server: "b", source: "lookup" });
      const after = (await status()).counters;
      expect(after.lookups).toBe((before.lookups ?? 0) + 1);
      expect(after.lookupHits).toBe((before.lookupHits ?? 0) + 1);
      expect([fake("a").apiGets("fresh/x"), fake("b").apiGets("fresh/x")]).toEqual([1, 1]);
      // Now from the map: no further API calls.
      expect(await get("/fresh/x/index.m3u8")).toEqual({ status: 200, instance: "b" });
      expect(fake("b").apiGets("fresh/x")).toBe(1);
    });

    it("asks the instances once for an unknown stream within a poll interval", async () => {
      const before = (await status()).counters;
      expect((await get("/ghost/1/index.m3u8")).status).toBe(404);
      expect((await get("/ghost/1/index.m3u8")).status).toBe(404);
      const after = (await status()).counters;
      expect(after.misses).toBe((before.misses ?? 0) + 2);
      expect(after.lookups).toBe((before.lookups ?? 0) + 1);
      expect([fake("a").apiGets("ghost/1"), fake("b").apiGets("ghost/1")]).toEqual([1, 1]);
    });

    it("follows a stream that moves from b to a within about two poll intervals", async () => {
      fake("b").unpublish("fresh/x");
      fake("a").publish("fresh/x");
      const started = Date.now();
      await waitFor("fresh/x to move to a", 5 * POLL_MS, async () =>
        (await entryOf("fresh/x"))?.server === "a" ? true : undefined,
      );
      const elapsed = Date.now() - started;
      expect(elapsed).toBeLessThan(2 * POLL_MS + 300);
      expect(await get("/fresh/x/index.m3u8")).toEqual({ status: 200, instance: "a" });
    });

    it("learns where a WHIP publish landed and keeps it through polls that do not list it", async () => {
      const res = await get("/live/pub/whip", {
        method: "POST",
        headers: { "content-type": "application/sdp" },
        body: "v=0\r\n",
      });
      expect(res.status).toBe(201);
      const landed = res.instance ?? "";
      expect(["a", "b"]).toContain(landed);
      expect(await entryOf("live/pub")).toMatchObject({ server: landed, source: "learn" });
      await sleep(3 * POLL_MS);
      expect(await entryOf("live/pub")).toMatchObject({ server: landed, source: "learn" });
      for (let i = 0; i < 4; i++) {
        expect(await get("/live/pub/index.m3u8")).toEqual({ status: 200, instance: landed });
      }
      expect((await status()).counters.learned).toBe(1);
    });

    it("reports moving counters on /router", async () => {
      const first = await status();
      await sleep(2 * POLL_MS);
      const second = await status();
      expect(second.counters.polls).toBeGreaterThan(first.counters.polls ?? 0);
      expect(second.counters.pollErrors).toBe(0);
      // One list request per poll; the host has Debian's lua-cjson (scripts/bootstrap), which 2.6's Lua
      // 5.3 finds on its default package.cpath.
      expect(second.counters.pollRequests).toBe(second.counters.polls);
      expect(second.counters.wholeDecodes).toBe(0);
      expect(second.decoder).toBe("cjson");
      expect(second.counters.lastPollAgeMs).toBeLessThan(2 * POLL_MS);
      expect(second.entries.map((e) => e.stream)).toEqual(["cam/1", "cam/2", "fresh/x", "live/pub"]);
      expect(haproxyLog).not.toMatch(/lua|runtime error/i);
    });
  });
});
