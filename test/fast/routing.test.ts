// Fast lane: the product's rendered haproxy.cfg and router.lua in the host's HAProxy (2.6) in front of
// three real MediaMTX processes on loopback (test/support/local-cluster.ts), driven by the same scenarios
// and real clients as the e2e routing suite (test/e2e/routing/). No Docker, no Pulumi: seconds, not
// minutes, so a routing bug in templates/ shows up before anyone brings a stack up.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HlsVariant } from "../../infra/config/model";
import { fetchRouterStatus } from "../../infra/haproxy/stats-frontend";
import { HOST_HAPROXY } from "../support/haproxy-check";
import { LocalCluster, MEDIAMTX_BINARY } from "../support/local-cluster";
import {
  describeMeasurement,
  hostilePaths,
  killAndRestart,
  moveStream,
  publishAndPlay,
  whepReads,
  whipSessions,
} from "../support/routing-scenarios";

const INSTANCES = [
  { name: "mtx-1", weight: 2 },
  { name: "mtx-2", weight: 1 },
  { name: "mtx-3", weight: 1 },
];
const POLL_INTERVAL_MS = 500;
/**
 * Unset: the host's HAProxy (Debian 2.6). Set to an image (e.g. mediamtx-lb/haproxy:3.0) to run the same
 * lane on that HAProxy, in a host-network container like the stack's gateway.
 */
const HAPROXY_IMAGE = process.env.MEDIAMTX_LB_FAST_HAPROXY_IMAGE;
const HEALTH = { interval: "500ms", timeout: "250ms", fall: 2, rise: 2 };

function prerequisites(): string | undefined {
  if (spawnSync(HOST_HAPROXY, ["-v"]).status !== 0) return `${HOST_HAPROXY} is required`;
  if (!existsSync(MEDIAMTX_BINARY)) return `${MEDIAMTX_BINARY} is required (scripts/bootstrap builds it)`;
  if (spawnSync("ffmpeg", ["-version"]).status !== 0) return "ffmpeg is required";
  if (process.getuid?.() !== 0)
    return "root is required (mount namespace for HAProxy, lo addresses for ICE-TCP)";
  return undefined;
}

const missing = prerequisites();

async function routerOwners(cluster: LocalCluster): Promise<Map<string, string>> {
  const status = await fetchRouterStatus(cluster.design().stats);
  return new Map(status.entries.map((e) => [e.stream, e.server]));
}

/** Starts a local cluster for the describe block it is called in; stops it afterwards. */
function useCluster(variant: HlsVariant): () => LocalCluster {
  let cluster: LocalCluster | undefined;
  beforeAll(async () => {
    if (missing) throw new Error(missing);
    cluster = await LocalCluster.launch({
      instances: INSTANCES,
      variant,
      pollInterval: `${POLL_INTERVAL_MS}ms`,
      health: HEALTH,
      ...(HAPROXY_IMAGE === undefined ? {} : { haproxyImage: HAPROXY_IMAGE }),
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

const RUNNER = HAPROXY_IMAGE ?? "host HAProxy";

describe(`routing fast lane (${RUNNER}), HLS lowLatency`, () => {
  const cluster = useCluster("lowLatency");

  it("spreads RTMP publishes by weight and plays every one over LL-HLS from the first request", async () => {
    const c = cluster();
    const r = await publishAndPlay(c.design(), c, {
      prefix: "fast-ll",
      count: 4,
      playMs: 3_000,
      whilePublished: async (owners) => {
        // The router's status page agrees with the instances once a poll has run.
        await new Promise((resolve) => setTimeout(resolve, 1.5 * POLL_INTERVAL_MS));
        const mapped = await routerOwners(c);
        for (const [stream, owner] of owners) expect(mapped.get(stream), stream).toBe(owner);
      },
    });
    expect(r.published.ok, describeMeasurement(r.published)).toBe(r.published.total);
    expect(r.placement.ok, describeMeasurement(r.placement)).toBe(r.placement.total);
    expect(r.hls.total).toBeGreaterThan(4 * 5);
    expect(r.hls.ok, describeMeasurement(r.hls)).toBe(r.hls.total);
    expect(
      r.paths.some((p) => /_part\d+\.mp4$/.test(p)),
      "LL-HLS parts fetched",
    ).toBe(true);
  });

  it("publishes over WHIP with ICE-TCP on the owner's port, browsers (cookies) and GStreamer (none) alike", async () => {
    const c = cluster();
    const r = await whipSessions(c.design(), c, { prefix: "fast-whip", count: 6 });
    expect(r.cookies.ok, `with cookies: ${describeMeasurement(r.cookies)}`).toBe(r.cookies.total);
    expect(r.noCookies.ok, `without cookies: ${describeMeasurement(r.noCookies)}`).toBe(r.noCookies.total);
  });

  it("reads over WHEP a stream that lives on a non-first instance", async () => {
    const c = cluster();
    const m = await whepReads(c.design(), c, { prefix: "fast-whep", streams: 2, readsPerStream: 1 });
    expect(m.ok, describeMeasurement(m)).toBe(m.total);
  });

  it("follows a stream that moves to another instance within the poll interval", async () => {
    const c = cluster();
    const r = await moveStream(c.design(), c, {
      stream: "fast-move/x",
      followWithinMs: POLL_INTERVAL_MS,
      observeMs: 3_000,
    });
    expect(r.to).not.toBe(r.from);
    expect(r.after.total).toBeGreaterThan(5);
    expect(r.after.ok, `${r.from} → ${r.to}, ${describeMeasurement(r.after)}`).toBe(r.after.total);
  });

  it("refuses hostile paths with 4xx before routing and keeps running", async () => {
    const c = cluster();
    const m = await hostilePaths(c.design(), { existingStream: "fast-hostile/x" });
    expect(m.contacted).toEqual([]);
    expect(m.ok, describeMeasurement(m)).toBe(m.total);
  });

  it("marks a killed instance DOWN and back UP in time; viewers elsewhere see no failure", async () => {
    const c = cluster();
    const results = await killAndRestart([c.design()], c, {
      prefix: "fast-fault",
      victim: "mtx-1",
      rtmpAddress: (i) => c.rtmpAddress(i.name),
    });
    const r = results.get("ours");
    expect(r).toBeDefined();
    if (r === undefined) return;
    expect(r.down.ok, describeMeasurement(r.down)).toBe(1);
    expect(r.up.ok, describeMeasurement(r.up)).toBe(1);
    expect(r.viewers.total).toBeGreaterThan(10);
    expect(r.viewers.ok, describeMeasurement(r.viewers)).toBe(r.viewers.total);
    expect(c.haproxyOutput()).not.toMatch(/runtime error|lua.*error/i);
  });
});

describe(`routing fast lane (${RUNNER}), HLS mpegts`, () => {
  const cluster = useCluster("mpegts");

  it("plays every RTMP publish over HLS mpegts from the first request", async () => {
    const c = cluster();
    const r = await publishAndPlay(c.design(), c, { prefix: "fast-ts", count: 4, playMs: 3_000 });
    expect(r.published.ok, describeMeasurement(r.published)).toBe(r.published.total);
    expect(r.hls.total).toBeGreaterThan(4 * 3);
    expect(r.hls.ok, describeMeasurement(r.hls)).toBe(r.hls.total);
    expect(
      r.paths.some((p) => p.endsWith("/main_stream.m3u8")),
      "mpegts playlist served",
    ).toBe(true);
    expect(
      r.paths.some((p) => p.endsWith(".ts")),
      "mpegts segments fetched",
    ).toBe(true);
  });
});
