// Fast lane: the publish hook (infra/lua/publish.lua, MediaMTX's `authMethod: http`) with real clients.
// Three MediaMTX processes on loopback call the hook HAProxy serves on the cluster's gateway address
// (test/support/local-cluster.ts), exactly as containers call it on the stack network's gateway.
//
// What it proves, against each instance's own control API as ground truth:
// - eager viewers: HLS players that poll a stream before its publish starts get no failed request once
//   the stream is ready (the owner is pushed at publish time, not learned by the next poll);
// - takeover: a second publish of a live name through the RTMP frontend (round-robin lands it on
//   another instance) kicks the first; never two instances ready at once, the router and the viewers
//   follow the new owner;
// - refuse (routing.republish: refuse): the second publish fails and the first stays live;
// - the control API still answers only loopback and the stack subnet (a 127.0.0.2 source gets 401);
// - publishers/readers credentials: RTMP (?user=&pass=) and WHIP (Basic) publish with the right
//   password only, within the user's path prefixes; a refused publish of a live name takes nothing over;
//   HLS reads need a reader's Basic credentials.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Republish } from "../../infra/config/model";
import { fetchRouterStatus } from "../../infra/haproxy/stats-frontend";
import { HOST_HAPROXY } from "../support/haproxy-check";
import { HlsPlayer, isAnswered } from "../support/hls-player";
import { ownersOf, waitGone, waitMoved, waitReady } from "../support/instance-api";
import { LocalCluster, type LocalClusterOptions, MEDIAMTX_BINARY } from "../support/local-cluster";
import { eventually, publishRtmp, stopProcess } from "../support/publisher";
import { basicAuthorization, WhipPublisher } from "../support/webrtc";

const INSTANCES = [
  { name: "mtx-1", weight: 1 },
  { name: "mtx-2", weight: 1 },
  { name: "mtx-3", weight: 1 },
];
/** Long on purpose: without the hook, an eager viewer would miss for up to this long after ready. */
const POLL_INTERVAL_MS = 2_000;
const HEALTH = { interval: "500ms", timeout: "250ms", fall: 2, rise: 2 };

function prerequisites(): string | undefined {
  if (spawnSync(HOST_HAPROXY, ["-v"]).status !== 0) return `${HOST_HAPROXY} is required`;
  if (!existsSync(MEDIAMTX_BINARY)) return `${MEDIAMTX_BINARY} is required (scripts/bootstrap builds it)`;
  if (spawnSync("ffmpeg", ["-version"]).status !== 0) return "ffmpeg is required";
  if (process.getuid?.() !== 0) return "root is required (mount namespace for HAProxy, lo addresses)";
  return undefined;
}

const missing = prerequisites();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function useCluster(
  republish: Republish,
  credentials: Pick<LocalClusterOptions, "publishers" | "readers"> = {},
): () => LocalCluster {
  let cluster: LocalCluster | undefined;
  beforeAll(async () => {
    if (missing) throw new Error(missing);
    cluster = await LocalCluster.launch({
      instances: INSTANCES,
      variant: "lowLatency",
      pollInterval: `${POLL_INTERVAL_MS}ms`,
      health: HEALTH,
      republish,
      ...credentials,
    });
  }, 30_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  return () => {
    if (cluster === undefined) throw new Error("cluster not started");
    return cluster;
  };
}

/** HAProxy's output reaches us through a pipe, a moment after the event that wrote it. */
async function expectLogged(c: LocalCluster, text: string): Promise<void> {
  await eventually(
    `"${text}" in HAProxy's log`,
    async () => (c.haproxyOutput().includes(text) ? true : undefined),
    5_000,
  );
}

function rtmpUrl(c: LocalCluster, stream: string): string {
  return `rtmp://${c.model.local.host}:${c.model.ports.rtmp}/${stream}`;
}

function hlsUrl(c: LocalCluster, stream: string): string {
  return `${c.model.local.hls}/${stream}/index.m3u8`;
}

async function routedTo(c: LocalCluster, stream: string): Promise<string | undefined> {
  const status = await fetchRouterStatus(c.design().stats);
  return status.entries.find((e) => e.stream === stream)?.server;
}

/** Requests the publish hook's frontend has answered so far (`req_tot` of its FRONTEND row in /stats;csv). */
async function hookRequests(c: LocalCluster): Promise<number> {
  const { base, authorization } = c.design().stats;
  const res = await fetch(`${base}/stats;csv`, { headers: authorization ? { authorization } : {} });
  const [header = "", ...rows] = (await res.text()).split("\n");
  const column = header.replace(/^# /, "").split(",").indexOf("req_tot");
  const row = rows.find((r) => r.startsWith(`${c.model.proxies.publishHook},FRONTEND,`));
  return Number(row?.split(",")[column]);
}

/** GET from a chosen source address: the status, or 0 without an answer. */
function statusFrom(url: string, localAddress: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { localAddress, timeout: 3_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", () => resolve(0));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

describe("publish hook fast lane (host HAProxy), routing.republish: takeover", () => {
  const cluster = useCluster("takeover");

  it("gives eager HLS viewers (polling before the publish) no failed request once the stream is ready", async () => {
    const c = cluster();
    const streams = ["eager/1", "eager/2", "eager/3", "eager/4"];
    const players = streams.flatMap((stream) =>
      [true, false].map((cookies) => ({
        stream,
        player: new HlsPlayer(hlsUrl(c, stream), { cookies, retryDelayMs: 100 }).start(),
      })),
    );
    const publishers = [];
    const readyAt = new Map<string, number>();
    try {
      // Every player has missed (404) a few times before its stream exists anywhere.
      await sleep(1_000);
      for (const stream of streams) {
        publishers.push(publishRtmp(rtmpUrl(c, stream)));
        readyAt.set(stream, (await waitReady(c.instances, stream, 20_000)).readyAt);
      }
      await sleep(3_000);
    } finally {
      await Promise.all(players.map((p) => p.player.stop()));
      await Promise.all(publishers.map((p) => stopProcess(p)));
    }
    let total = 0;
    let before = 0;
    const failed: string[] = [];
    for (const { stream, player } of players) {
      const ready = readyAt.get(stream) ?? Number.POSITIVE_INFINITY;
      before += player.requests.filter((r) => r.startedAt < ready && !isAnswered(r.status)).length;
      const after = player.requestsBetween(ready);
      total += after.length;
      for (const r of after.filter((r) => !isAnswered(r.status)))
        failed.push(`${r.status} +${r.startedAt - ready}ms ${new URL(r.url).pathname}`);
    }
    console.log(`eager viewers: ${before} misses before ready, ${failed.length}/${total} after`);
    expect(before, "players polled before the publish").toBeGreaterThan(0);
    expect(total).toBeGreaterThan(streams.length * 2 * 5);
    expect(failed, failed.slice(0, 8).join("; ")).toEqual([]);
  }, 90_000);

  it("a second publish of a live name on another instance kicks the first; viewers follow", async () => {
    const c = cluster();
    const stream = "cam/x";
    const first = publishRtmp(rtmpUrl(c, stream));
    let second: ReturnType<typeof publishRtmp> | undefined;
    const viewer = new HlsPlayer(hlsUrl(c, stream), { cookies: true, retryDelayMs: 100 });
    try {
      const old = await waitReady(c.instances, stream, 20_000);
      viewer.start();
      await sleep(2_000);
      const firstExit = new Promise<number | null>((resolve) => first.once("exit", (code) => resolve(code)));
      const startedAt = Date.now();
      second = publishRtmp(rtmpUrl(c, stream));
      // Sample every instance's API until the name is ready on another one; never on two at once.
      const moved = await waitMoved(c.instances, stream, old.owner, 20_000);
      const routedAfter = await eventually("the router to follow", async () =>
        (await routedTo(c, stream)) === moved.owner ? Date.now() : undefined,
      );
      const exitCode = await Promise.race([firstExit, sleep(10_000).then(() => "still running")]);
      await sleep(3_000);
      await viewer.stop();
      const after = viewer.requestsBetween(moved.readyAt);
      const lastFailure = after.filter((r) => !isAnswered(r.status)).at(-1);
      const followed = after.find(
        (r) => isAnswered(r.status) && (!lastFailure || r.startedAt > lastFailure.startedAt),
      );
      console.log(
        `takeover ${old.owner} -> ${moved.owner}: new publish ready ${moved.readyAt - startedAt} ms after it started,` +
          ` router ${routedAfter - moved.readyAt} ms after ready, viewer's first answered request after it` +
          ` +${followed ? followed.startedAt - moved.readyAt : "never"} ms (last failure` +
          ` +${lastFailure ? lastFailure.startedAt - moved.readyAt : "none"} ms), first ffmpeg exit ${exitCode}`,
      );
      expect(moved.maxLive, "instances live for the name at once").toBe(1);
      expect(exitCode, "the first publisher was kicked").not.toBe("still running");
      expect(routedAfter - moved.readyAt).toBeLessThan(1_000);
      expect(await ownersOf(c.instances, stream)).toEqual([moved.owner]);
      const late = viewer.requestsBetween(moved.readyAt + 1_000);
      expect(late.length).toBeGreaterThan(5);
      expect(late.filter((r) => !isAnswered(r.status)).map((r) => r.status)).toEqual([]);
      await expectLogged(c, `took over from ${old.owner}`);
    } finally {
      await viewer.stop();
      await stopProcess(first);
      if (second) await stopProcess(second);
      await waitGone(c.instances, stream).catch(() => undefined);
    }
  }, 90_000);

  it("costs one hook call per health check and per poll page while nothing is published", async () => {
    const c = cluster();
    const before = await hookRequests(c);
    await sleep(5_000);
    const perSecond = ((await hookRequests(c)) - before) / 5;
    // Each instance: a check every health interval (500 ms here) and a one-page poll every poll interval.
    const expected = INSTANCES.length * (1_000 / c.model.health.intervalMs + 1_000 / POLL_INTERVAL_MS);
    console.log(`publish hook: ${perSecond} calls/s with nothing published (expected ${expected})`);
    expect(perSecond).toBeGreaterThan(expected * 0.7);
    expect(perSecond).toBeLessThan(expected * 1.3);
  });

  it("keeps the control API to loopback and the stack subnet (the hook answers api by source IP)", async () => {
    const c = cluster();
    const instance = c.model.instances[0];
    if (instance === undefined) throw new Error("no instance");
    const url = `http://${instance.address}:9997/v3/paths/list?itemsPerPage=1`;
    expect(await statusFrom(url, c.model.network.gateway)).toBe(200);
    expect(await statusFrom(url, "127.0.0.1")).toBe(200);
    expect(await statusFrom(url, "127.0.0.2")).toBe(401);
    await expectLogged(c, `refused api on ${instance.name} from 127.0.0.2`);
  });
});

describe("publish hook fast lane (host HAProxy), routing.republish: refuse", () => {
  const cluster = useCluster("refuse");

  it("refuses a second publish of a live name on another instance; the first stays live", async () => {
    const c = cluster();
    const stream = "cam/x";
    const first = publishRtmp(rtmpUrl(c, stream));
    let second: ReturnType<typeof publishRtmp> | undefined;
    try {
      const old = await waitReady(c.instances, stream, 20_000);
      const secondExit = (() => {
        second = publishRtmp(rtmpUrl(c, stream));
        const p = second;
        return new Promise<number | null>((resolve) => p.once("exit", (code) => resolve(code)));
      })();
      // MediaMTX delays a refused publisher by up to 4 s before closing (auth brute-force pause).
      const code = await Promise.race([secondExit, sleep(15_000).then(() => "still running")]);
      expect(code, "the second publisher was refused").not.toBe("still running");
      expect(code).not.toBe(0);
      expect(first.exitCode, "the first publisher still runs").toBeNull();
      expect(await ownersOf(c.instances, stream)).toEqual([old.owner]);
      expect(await routedTo(c, stream)).toBe(old.owner);
      await expectLogged(c, `stream ${stream} is live on instance ${old.owner} (routing.republish: refuse)`);
    } finally {
      await stopProcess(first);
      if (second) await stopProcess(second);
    }
  }, 60_000);
});

const ALICE = { user: "alice", password: "Tr0ub4dor-and-3" };
const CAMMY = { user: "cammy", password: "Correct-Horse-9", paths: ["cam/"] };
const VIEWER = { user: "viewer", password: "Quiet-River-1234" };

/** Resolves with ffmpeg's exit code, or "still running" after `ms`. */
function exitWithin(p: ReturnType<typeof publishRtmp>, ms: number): Promise<number | null | "still running"> {
  if (p.exitCode !== null) return Promise.resolve(p.exitCode);
  return Promise.race([
    new Promise<number | null>((resolve) => p.once("exit", (code) => resolve(code))),
    sleep(ms).then(() => "still running" as const),
  ]);
}

describe("publish hook fast lane (host HAProxy), publishers and readers credentials", () => {
  const cluster = useCluster("takeover", { publishers: [ALICE, CAMMY], readers: [VIEWER] });
  const withCreds = (url: string, user: string, password: string) =>
    `${url}?user=${encodeURIComponent(user)}&pass=${encodeURIComponent(password)}`;
  const mediamtxLogs = (c: LocalCluster) => INSTANCES.map((i) => c.instanceOutput(i.name)).join("\n");

  it("publishes over RTMP with a publisher's password; HLS reads need a reader's Basic credentials", async () => {
    const c = cluster();
    const stream = "studio/ok";
    const ffmpeg = publishRtmp(withCreds(rtmpUrl(c, stream), ALICE.user, ALICE.password));
    try {
      const ready = await waitReady(c.instances, stream, 20_000);
      expect(ffmpeg.exitCode).toBeNull();
      // HLS: the cookie check redirect needs no credentials; the playlist after it does.
      const first = await fetch(hlsUrl(c, stream), { redirect: "manual" });
      expect(first.status).toBe(302);
      const cookie = first.headers
        .getSetCookie()
        .map((x) => x.split(";")[0])
        .join("; ");
      const next = new URL(first.headers.get("location") ?? "", hlsUrl(c, stream)).toString();
      const anonymous = await fetch(next, { headers: { cookie }, redirect: "manual" });
      expect(anonymous.status).toBe(401);
      const wrong = await fetch(next, {
        headers: { cookie, authorization: basicAuthorization(VIEWER.user, "not-the-password") },
        redirect: "manual",
      });
      expect(wrong.status).toBe(401);
      const viewer = await fetch(next, {
        headers: { cookie, authorization: basicAuthorization(VIEWER.user, VIEWER.password) },
        redirect: "manual",
      });
      expect(viewer.status).toBe(200);
      expect(await viewer.text()).toContain("#EXTM3U");
      await expectLogged(c, `refused read ${stream} on ${ready.owner} from`);
    } finally {
      await stopProcess(ffmpeg);
      await waitGone(c.instances, stream).catch(() => undefined);
    }
  }, 60_000);

  it.each([
    ["no credentials", "cam/none", undefined, "no credentials"],
    [
      "a wrong password",
      "cam/wrong",
      { user: ALICE.user, password: "Wrong-Pass-123" },
      "wrong password for alice",
    ],
    ["an unknown user", "cam/unknown", { user: "mallory", password: ALICE.password }, "unknown user mallory"],
    ["a path outside the user's prefixes", "studio/x", CAMMY, "cammy may not publish studio/x"],
  ])(
    "refuses an RTMP publish with %s, and says why",
    async (_, stream, creds, reason) => {
      const c = cluster();
      const url = creds ? withCreds(rtmpUrl(c, stream), creds.user, creds.password) : rtmpUrl(c, stream);
      const started = Date.now();
      const ffmpeg = publishRtmp(url);
      try {
        // MediaMTX reads the tracks (up to ~2 s), asks the hook, then pauses 0-4 s before closing.
        const code = await exitWithin(ffmpeg, 15_000);
        console.log(
          `refused RTMP publish (${reason}): ffmpeg exited ${code} after ${Date.now() - started} ms`,
        );
        expect(code, "ffmpeg was refused").not.toBe("still running");
        expect(code).not.toBe(0);
        expect(await ownersOf(c.instances, stream)).toEqual([]);
        const line = new RegExp(`refused publish ${stream} on mtx-\\d from [\\d.]+: ${reason}\\n`);
        await eventually(`${line} in HAProxy's log`, async () =>
          line.test(c.haproxyOutput()) ? true : undefined,
        );
        expect(mediamtxLogs(c)).toContain("failed to authenticate: server replied with code 401");
        if (creds) expect(c.haproxyOutput()).not.toContain(creds.password);
      } finally {
        await stopProcess(ffmpeg);
      }
    },
    30_000,
  );

  it("lets a user publish under its prefix (cammy on cam/)", async () => {
    const c = cluster();
    const ffmpeg = publishRtmp(withCreds(rtmpUrl(c, "cam/ok"), CAMMY.user, CAMMY.password));
    try {
      await waitReady(c.instances, "cam/ok", 20_000);
    } finally {
      await stopProcess(ffmpeg);
      await waitGone(c.instances, "cam/ok").catch(() => undefined);
    }
  }, 30_000);

  it("a refused publish of a live name takes nothing over", async () => {
    const c = cluster();
    const stream = "cam/live";
    const first = publishRtmp(withCreds(rtmpUrl(c, stream), ALICE.user, ALICE.password));
    const intruders: ReturnType<typeof publishRtmp>[] = [];
    try {
      const old = await waitReady(c.instances, stream, 20_000);
      // Round-robin: three attempts reach at least one other instance.
      for (let i = 0; i < 3; i++) {
        intruders.push(publishRtmp(withCreds(rtmpUrl(c, stream), ALICE.user, "Wrong-Pass-123")));
      }
      const codes = await Promise.all(intruders.map((p) => exitWithin(p, 15_000)));
      expect(codes).not.toContain("still running");
      expect(first.exitCode, "the first publisher still runs").toBeNull();
      expect(await ownersOf(c.instances, stream)).toEqual([old.owner]);
      expect(await routedTo(c, stream)).toBe(old.owner);
      // No takeover was even attempted (no kick, no "took over"; this cluster runs no takeover test).
      expect(c.haproxyOutput()).not.toContain("took over");
      await expectLogged(c, `refused publish ${stream} on `);
    } finally {
      await stopProcess(first);
      for (const p of intruders) await stopProcess(p);
      await waitGone(c.instances, stream).catch(() => undefined);
    }
  }, 60_000);

  it("publishes over WHIP with Basic credentials; without them gets 401", async () => {
    const c = cluster();
    const url = (stream: string) => `${c.model.local.webrtc}/${stream}/whip`;
    const anonymous = new WhipPublisher(url("cam/whip-none"), { cookies: true });
    const wrong = new WhipPublisher(url("cam/whip-wrong"), {
      cookies: true,
      authorization: basicAuthorization(ALICE.user, "Wrong-Pass-123"),
    });
    const right = new WhipPublisher(url("cam/whip"), {
      cookies: true,
      authorization: basicAuthorization(ALICE.user, ALICE.password),
    });
    try {
      expect(await anonymous.start()).toBe(401);
      expect(anonymous.statusOf("OPTIONS")).toBe(401);
      expect(await wrong.start()).toBe(401);
      expect(await right.start()).toBe(201);
      await waitReady(c.instances, "cam/whip", 20_000);
      await expectLogged(c, "refused publish cam/whip-none on ");
      await expectLogged(c, "refused publish cam/whip-wrong on ");
      expect(await ownersOf(c.instances, "cam/whip-none")).toEqual([]);
    } finally {
      await anonymous.close();
      await wrong.close();
      await right.close();
    }
  }, 60_000);
});
