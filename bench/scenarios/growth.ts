// 7. Growth: how the router's cost grows with live paths (1 → 1000) and instances (2 → 8).
// Live paths are real RTMP publishes through the stack's rtmp frontend, many per ffmpeg process (tee
// muxer, `-c copy` of a tiny clip). Per cell:
// - map size and per-instance claims (/router), pages per poll;
// - one full listing per instance timed from the host (the requests the poller makes);
// - the Lua tasks' CPU per poll (HAProxy task profiling: hlua_process_task) and HAProxy's idle CPU;
// - router vs plain proxy on one stream's media playlist, interleaved (latency at c=1, throughput at c=8).
// Then the stand-in cells (growth-stand-in.ts): larger listings replayed behind the real router.
import { requiredCounter } from "../../infra/haproxy/router-status";
import { runtimeApi } from "../../infra/haproxy/runtime-api";
import { fetchRouterStatus } from "../../infra/haproxy/stats-frontend";
import { PATHS_PER_PAGE } from "../../infra/render/router";
import { countByKind, startApiCapture } from "../lib/api-capture";
import { containerCpuNs } from "../lib/cgroup";
import { type BenchContext, bridgeInterface, waitPlayable } from "../lib/context";
import { type HlsSession, openSession } from "../lib/hls";
import { listPaths } from "../lib/instances";
import { PLAIN_CONTAINER, plainPort, startPlainProxy } from "../lib/plain-proxy";
import { sleep } from "../lib/process";
import {
  type GrowthCell,
  type GrowthResult,
  type LoadMode,
  type Target,
  unreachedGrowthCell,
  type WrkSample,
} from "../lib/results";
import { DEFAULT_POLL_INTERVAL, durationMs, IMAGES } from "../lib/stack-config";
import { median, rotation } from "../lib/summary";
import { parseTaskProfile, taskCpu } from "../lib/task-profile";
import { measure, type TargetEndpoint } from "./data-plane";
import { runStandInCell } from "./growth-stand-in";

const RAMP_TIMEOUT_MS = 240_000;
/** Generous: the bench asks while the proxy is under load. */
const ADMIN_TIMEOUT_MS = 10_000;

function growthStream(i: number): string {
  return `grow/${String(i).padStart(4, "0")}`;
}

/** Polls the router's map size until `done` holds or the time is up; returns the last size seen. */
async function waitMapSize(
  ctx: BenchContext,
  done: (size: number) => boolean,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  while (Date.now() < deadline) {
    last = requiredCounter(await fetchRouterStatus(ctx.stats), "mapSize");
    if (done(last)) return last;
    await sleep(500);
  }
  return last;
}

/** An idle window: the poller's Lua CPU (task profiling), HAProxy's CPU and the router's API calls on the wire. */
async function profileWindow(ctx: BenchContext, seconds: number) {
  const socket = ctx.model.gateway.adminSocket;
  const adminCommand = (command: string) => runtimeApi(socket, command, ADMIN_TIMEOUT_MS);
  const capture = await startApiCapture(await bridgeInterface(ctx.model));
  await adminCommand("set profiling tasks off");
  await adminCommand("set profiling tasks on");
  const before = await fetchRouterStatus(ctx.stats);
  const cpuBefore = await containerCpuNs(ctx.model.gateway.containerName);
  const started = performance.now();
  await sleep(seconds * 1000);
  const profile = parseTaskProfile(await adminCommand("show profiling tasks"));
  const elapsedS = (performance.now() - started) / 1000;
  const cpuNs = (await containerCpuNs(ctx.model.gateway.containerName)) - cpuBefore;
  const after = await fetchRouterStatus(ctx.stats);
  await adminCommand("set profiling tasks off");
  const calls = countByKind(await capture.stop());
  const polls = requiredCounter(after, "polls") - requiredCounter(before, "polls");
  const lua = taskCpu(profile, "hlua_process_task");
  return {
    polls,
    routerCallsPerSecond: (calls.poll + calls.lookup) / elapsedS,
    pollsPerSecond: polls / elapsedS,
    luaCpuMsPerPoll: polls > 0 ? lua.cpuMs / polls : Number.NaN,
    haproxyIdleCpuPct: (cpuNs / 1e9 / elapsedS) * 100,
    claimed: after.instances.map((i) => i.claimed),
    mapSize: requiredCounter(after, "mapSize"),
  };
}

async function routerVsPlain(ctx: BenchContext, instances: number): Promise<WrkSample[]> {
  const { wrkDurationS, rounds } = ctx.profile.growth;
  const stream = growthStream(1);
  const owner = await waitPlayable(ctx.model, instances, stream);
  const targets: TargetEndpoint[] = [
    { target: "router", base: ctx.model.local.hls, container: ctx.model.gateway.containerName },
    { target: "plain", base: `http://127.0.0.1:${plainPort(owner.index)}`, container: PLAIN_CONTAINER },
  ];
  const samples: WrkSample[] = [];
  const modes: { mode: LoadMode; connections: number }[] = [
    { mode: "latency", connections: 1 },
    { mode: "throughput", connections: ctx.profile.dataPlane.connections },
  ];
  for (let round = 0; round < rounds; round++) {
    const sessions = new Map<Target, HlsSession>();
    for (const t of targets) sessions.set(t.target, await openSession(t.base, stream));
    for (const { mode, connections } of modes) {
      for (const t of rotation(targets, round)) {
        const session = sessions.get(t.target) as HlsSession;
        const r = await measure(
          t,
          `${t.base}/${stream}/${session.variant}`,
          session,
          connections,
          wrkDurationS,
        );
        samples.push({ round, content: "playlist", mode, connections, target: t.target, ...r });
      }
    }
  }
  return samples;
}

export async function runGrowth(ctx: BenchContext): Promise<GrowthResult> {
  const { instances: instanceSteps, paths: pathSteps, profileWindowS } = ctx.profile.growth;
  const original = ctx.stack.spec;
  const pollInterval = original.pollInterval ?? DEFAULT_POLL_INTERVAL;
  const pollIntervalMs = durationMs(pollInterval);
  const cells: GrowthCell[] = [];
  const upMs: Record<number, number> = {};
  const notes: string[] = [];
  // Only growth paths in the map: earlier measurements' publishers go first.
  await ctx.publishers.stopAll();
  for (const instances of instanceSteps) {
    const spec = { ...original, instances, weights: {} };
    const up = await ctx.stack.mustUp(spec);
    upMs[instances] = up.durationMs;
    await startPlainProxy(ctx.model, ctx.work.plain, IMAGES.haproxy, instances);
    ctx.log(`growth: ${instances} instances (up ${(up.durationMs / 1000).toFixed(1)} s)`);
    await waitMapSize(ctx, (size) => size === 0, 60_000);
    let live = 0;
    let tees: ReturnType<typeof ctx.publishers.many> = [];
    for (const paths of pathSteps) {
      const rampStart = performance.now();
      const names = Array.from({ length: paths - live }, (_, i) => growthStream(live + i + 1));
      tees = [...tees, ...ctx.publishers.many(ctx.clips.tiny, names)];
      live = paths;
      const mapSize = await waitMapSize(ctx, (size) => size >= paths, RAMP_TIMEOUT_MS);
      const rampSeconds = (performance.now() - rampStart) / 1000;
      if (mapSize < paths) {
        notes.push(
          `${instances} instances: the map reached ${mapSize} of ${paths} paths in ${RAMP_TIMEOUT_MS / 1000} s`,
        );
        ctx.log(`  ${paths} paths: NOT reached (map ${mapSize}); stopping this instance count here`);
        cells.push(unreachedGrowthCell("real", instances, paths, mapSize, rampSeconds));
        break;
      }
      await sleep(2 * pollIntervalMs);
      const prof = await profileWindow(ctx, profileWindowS);
      const listings = [];
      for (let i = 0; i < instances; i++) {
        const runs = [];
        for (let k = 0; k < 5; k++) runs.push(await listPaths(ctx.model, i, PATHS_PER_PAGE));
        listings.push({
          pages: runs[0]?.pages ?? 0,
          ms: median(runs.map((r) => r.ms)),
          bytes: runs[0]?.bytes ?? 0,
        });
      }
      const pagesPerPoll = listings.map((l) => l.pages);
      const samples = await routerVsPlain(ctx, instances);
      const cell: GrowthCell = {
        source: "real",
        instances,
        paths,
        reached: true,
        mapSize: prof.mapSize,
        claimedPerInstance: prof.claimed,
        pagesPerPoll,
        listMsPerInstance: listings.map((l) => l.ms),
        listBytesPerInstance: listings.map((l) => l.bytes),
        luaCpuMsPerPoll: prof.luaCpuMsPerPoll,
        pollsPerSecond: prof.pollsPerSecond,
        apiCallsPerSecond: prof.routerCallsPerSecond,
        haproxyIdleCpuPct: prof.haproxyIdleCpuPct,
        samples,
        rampSeconds,
      };
      cells.push(cell);
      const lat = (t: Target) =>
        samples.filter((s) => s.mode === "latency" && s.target === t).map((s) => s.wrk.p99Ms);
      ctx.log(
        `  ${paths} paths: map ${prof.mapSize}, Lua ${prof.luaCpuMsPerPoll.toFixed(3)} ms/poll, ` +
          `idle CPU ${prof.haproxyIdleCpuPct.toFixed(1)}%, list ${listings.map((l) => l.ms.toFixed(1)).join("/")} ms, ` +
          `p99 router ${median(lat("router")).toFixed(3)} plain ${median(lat("plain")).toFixed(3)} ms`,
      );
    }
    await Promise.all(tees.map((t) => ctx.publishers.stop(t)));
    await waitMapSize(ctx, (size) => size === 0, 60_000);
  }
  for (const { instances, paths } of ctx.profile.growth.standIn) {
    ctx.log(`growth: stand-in ${paths} paths × ${instances} instances behind the real router`);
    const cell = await runStandInCell(ctx, instances, paths, pollInterval, pollIntervalMs);
    if (!cell.reached)
      notes.push(`stand-in ${instances} instances: the map reached ${cell.mapSize} of ${paths} paths`);
    cells.push(cell);
    const lat = (t: Target) =>
      cell.samples.filter((s) => s.mode === "latency" && s.target === t).map((s) => s.wrk.p99Ms);
    ctx.log(
      `  map ${cell.mapSize}, Lua ${cell.luaCpuMsPerPoll.toFixed(3)} ms/poll, API ${cell.apiCallsPerSecond.toFixed(2)}/s, ` +
        `p99 router ${median(lat("router")).toFixed(3)} plain ${median(lat("plain")).toFixed(3)} ms`,
    );
  }
  await ctx.stack.mustUp(original);
  await startPlainProxy(ctx.model, ctx.work.plain, IMAGES.haproxy, original.instances);
  return {
    pollIntervalMs,
    profileWindowS,
    upMs,
    cells,
    note: notes.length ? notes.join("; ") : undefined,
  };
}
