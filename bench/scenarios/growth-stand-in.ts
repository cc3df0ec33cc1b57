// 7. Growth past what this machine publishes: stand-in cells. N ready paths spread round-robin over
// `instances` stand-ins, each answering an instance's control API with a MediaMTX 1.20-shaped listing
// (bench/lib/stand-in-listing.ts) and its HLS port with one small fixed playlist, behind the REAL
// gateway: the product's own haproxy.cfg and router Lua, rendered for a model whose instances are the
// stand-ins' loopback addresses and run from the bench's HAProxy image (test/support/local-cluster.ts,
// host network, a random 127.B.C.0/24). What is real: the poller, its JSON decoding and map updates,
// the routing of each request. What is not: the listings (recorded shape, not live MediaMTX) and the
// backend's answer (a fixed playlist, the same for router and plain proxy, so the ratio stays fair).
//
// Per cell: wait until /router's mapSize is N, then an idle window (Lua CPU per poll by task profiling,
// the stand-ins' list requests per second, HAProxy's CPU), one full listing per instance timed from the
// host, and router vs plain proxy on one stream's playlist (c=1 latency, c=8 throughput).
import { createServer, type Server } from "node:http";
import type { Model } from "../../infra/config/model";
import { MEDIAMTX_PORTS } from "../../infra/config/model";
import { requiredCounter } from "../../infra/haproxy/router-status";
import { runtimeApi } from "../../infra/haproxy/runtime-api";
import { fetchRouterStatus, type StatsEndpoint } from "../../infra/haproxy/stats-frontend";
import { PATHS_PER_PAGE } from "../../infra/render/router";
import { LocalCluster } from "../../test/support/local-cluster";
import { containerCpuNs } from "../lib/cgroup";
import type { BenchContext } from "../lib/context";
import type { HlsSession } from "../lib/hls";
import { listPaths } from "../lib/instances";
import { PLAIN_CONTAINER, plainPort, startPlainProxy } from "../lib/plain-proxy";
import { sleep } from "../lib/process";
import { type GrowthCell, type LoadMode, unreachedGrowthCell, type WrkSample } from "../lib/results";
import { DEFAULT_HEALTH, IMAGES } from "../lib/stack-config";
import { type StandInListing, standInNames, startStandInListing } from "../lib/stand-in-listing";
import { median, rotation } from "../lib/summary";
import { parseTaskProfile, taskCpu } from "../lib/task-profile";
import { measure, type TargetEndpoint } from "./data-plane";

/** 10 000 paths take ceil(1250 / 100) = 13 polls per instance at one page a poll; generous. */
const MAP_TIMEOUT_MS = 120_000;
const ADMIN_TIMEOUT_MS = 10_000;
/** A small live playlist, as MediaMTX's media playlists look (no cookie check: the stand-in has none). */
const PLAYLIST =
  "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:41\n" +
  "#EXTINF:2.000,\nseg41.ts\n#EXTINF:2.000,\nseg42.ts\n#EXTINF:2.000,\nseg43.ts\n";

/** The names instance `index` of `instances` lists: round-robin, as publishes through the rtmp frontend spread. */
function shareOf(names: readonly string[], index: number, instances: number): string[] {
  return names.filter((_, i) => i % instances === index);
}

/** The instance's HLS port: `/<stream>/index.m3u8` → PLAYLIST, anything else 404. */
async function startPlaylistServer(host: string): Promise<Server> {
  const server = createServer((req, res) => {
    const ok = req.method === "GET" && (req.url ?? "").split("?")[0]?.endsWith("/index.m3u8");
    res.writeHead(ok ? 200 : 404, { "content-type": "application/vnd.apple.mpegurl" });
    res.end(ok ? PLAYLIST : "");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(MEDIAMTX_PORTS.hls, host, () => resolve());
  });
  return server;
}

async function waitMapSize(stats: StatsEndpoint, paths: number): Promise<number> {
  const deadline = Date.now() + MAP_TIMEOUT_MS;
  let last = -1;
  while (Date.now() < deadline) {
    last = requiredCounter(await fetchRouterStatus(stats), "mapSize");
    if (last === paths) return last;
    await sleep(500);
  }
  return last;
}

export async function runStandInCell(
  ctx: BenchContext,
  instances: number,
  paths: number,
  pollInterval: string,
  pollIntervalMs: number,
): Promise<GrowthCell> {
  const names = standInNames(paths);
  const listings: StandInListing[] = [];
  const playlists: Server[] = [];
  let cluster: LocalCluster | undefined;
  const rampStart = performance.now();
  try {
    cluster = await LocalCluster.launch({
      instances: Array.from({ length: instances }, (_, i) => ({ name: `s${i}`, weight: 1 })),
      variant: ctx.model.hls.variant,
      pollInterval,
      health: DEFAULT_HEALTH,
      haproxyImage: IMAGES.haproxy,
      startInstances: async (model: Model) => {
        for (const [i, instance] of model.instances.entries()) {
          listings.push(
            await startStandInListing({
              host: instance.address,
              port: MEDIAMTX_PORTS.api,
              paths: shareOf(names, i, instances),
            }),
          );
          playlists.push(await startPlaylistServer(instance.address));
        }
      },
    });
    const model = cluster.model;
    const stats = cluster.design().stats;
    const mapSize = await waitMapSize(stats, paths);
    const rampSeconds = (performance.now() - rampStart) / 1000;
    if (mapSize !== paths) return unreachedGrowthCell("stand-in", instances, paths, mapSize, rampSeconds);
    await sleep(2 * pollIntervalMs);

    // The idle window, as growth.ts's profileWindow, with the stand-ins' counters for the wire.
    const adminCommand = (command: string) =>
      runtimeApi(model.gateway.adminSocket, command, ADMIN_TIMEOUT_MS);
    const listed = () => listings.reduce((sum, l) => sum + l.listRequests(), 0);
    await adminCommand("set profiling tasks off");
    await adminCommand("set profiling tasks on");
    const before = await fetchRouterStatus(stats);
    const cpuBefore = await containerCpuNs(cluster.haproxyContainer);
    const listedBefore = listed();
    const started = performance.now();
    await sleep(ctx.profile.growth.profileWindowS * 1000);
    const profile = parseTaskProfile(await adminCommand("show profiling tasks"));
    const calls = listed() - listedBefore;
    const elapsedS = (performance.now() - started) / 1000;
    const cpuNs = (await containerCpuNs(cluster.haproxyContainer)) - cpuBefore;
    const after = await fetchRouterStatus(stats);
    await adminCommand("set profiling tasks off");
    const polls = requiredCounter(after, "polls") - requiredCounter(before, "polls");
    const lua = taskCpu(profile, "hlua_process_task");

    const listingsFromHost = [];
    for (let i = 0; i < instances; i++) {
      const runs = [];
      for (let k = 0; k < 5; k++) runs.push(await listPaths(model, i, PATHS_PER_PAGE));
      listingsFromHost.push({
        pages: runs[0]?.pages ?? 0,
        ms: median(runs.map((r) => r.ms)),
        bytes: runs[0]?.bytes ?? 0,
      });
    }

    await startPlainProxy(model, ctx.work.plain, IMAGES.haproxy, instances);
    const samples = await routerVsPlain(ctx, model, cluster.haproxyContainer, names[0] ?? "");
    return {
      source: "stand-in",
      instances,
      paths,
      rampSeconds,
      reached: true,
      mapSize: requiredCounter(after, "mapSize"),
      claimedPerInstance: after.instances.map((i) => i.claimed),
      pagesPerPoll: listingsFromHost.map((l) => l.pages),
      listMsPerInstance: listingsFromHost.map((l) => l.ms),
      listBytesPerInstance: listingsFromHost.map((l) => l.bytes),
      luaCpuMsPerPoll: polls > 0 ? lua.cpuMs / polls : Number.NaN,
      pollsPerSecond: polls / elapsedS,
      apiCallsPerSecond: calls / elapsedS,
      haproxyIdleCpuPct: (cpuNs / 1e9 / elapsedS) * 100,
      samples,
    };
  } finally {
    await cluster?.stop();
    await Promise.all(listings.map((l) => l.close()));
    await Promise.all(
      playlists.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.closeAllConnections();
            s.close(() => resolve());
          }),
      ),
    );
  }
}

/** `stream` is instance 0's (round-robin share), so the plain proxy's first listener reaches its owner. */
async function routerVsPlain(
  ctx: BenchContext,
  model: Model,
  routerContainer: string,
  stream: string,
): Promise<WrkSample[]> {
  const { wrkDurationS, rounds } = ctx.profile.growth;
  const targets: TargetEndpoint[] = [
    { target: "router", base: model.local.hls, container: routerContainer },
    { target: "plain", base: `http://127.0.0.1:${plainPort(0)}`, container: PLAIN_CONTAINER },
  ];
  const session: HlsSession = { cookie: "hlsSession=stand-in", variant: "index.m3u8" };
  const modes: { mode: LoadMode; connections: number }[] = [
    { mode: "latency", connections: 1 },
    { mode: "throughput", connections: ctx.profile.dataPlane.connections },
  ];
  const samples: WrkSample[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const { mode, connections } of modes) {
      for (const t of rotation(targets, round)) {
        const url = `${t.base}/${stream}/${session.variant}`;
        const r = await measure(t, url, session, connections, wrkDurationS);
        samples.push({ round, content: "playlist", mode, connections, target: t.target, ...r });
      }
    }
  }
  return samples;
}
