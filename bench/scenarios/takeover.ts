// 8. Takeover: a name that is live on one instance is published again on another (an encoder that
// reconnects and is balanced elsewhere). The stack keeps one live instance per name: the publish hook
// kicks the old publisher and routes the name to the new instance. Per cycle:
// - the first publisher goes through the stack's RTMP frontend and the stream becomes playable;
// - the second publishes the same name straight at another instance (the bench host reaches every
//   instance on the stack network), so the cycle always crosses instances;
// - from the second ffmpeg's spawn: when the router names the new owner, when a viewer's playlist
//   request through the gateway succeeds after that (viewers on the new owner), when the old instance
//   no longer lists the name as ready, and how long both listed it at once.
import { MEDIAMTX_PORTS } from "../../infra/config/model";
import { fetchRouterStatus } from "../../infra/haproxy/stats-frontend";
import { type BenchContext, waitPlayable } from "../lib/context";
import { Publishers } from "../lib/media";
import { sleep } from "../lib/process";
import type { TakeoverCycle, TakeoverResult } from "../lib/results";

const STEP_MS = 10;
const CYCLE_TIMEOUT_MS = 15_000;

async function readyOn(address: string, stream: string): Promise<boolean> {
  const res = await fetch(`http://${address}:${MEDIAMTX_PORTS.api}/v3/paths/get/${stream}`, {
    signal: AbortSignal.timeout(2000),
  }).catch(() => undefined);
  if (!res) return false;
  if (res.status !== 200) {
    await res.arrayBuffer();
    return false;
  }
  const path = (await res.json()) as { ready?: boolean; available?: boolean };
  return path.ready === true || path.available === true;
}

async function playlistOk(base: string, stream: string): Promise<boolean> {
  const res = await fetch(`${base}/${stream}/index.m3u8`, { signal: AbortSignal.timeout(5000) }).catch(
    () => undefined,
  );
  if (!res) return false;
  await res.arrayBuffer();
  return res.status === 200;
}

async function cycle(ctx: BenchContext, instances: number, i: number): Promise<TakeoverCycle> {
  const stream = `takeover/${String(i).padStart(3, "0")}`;
  const first = ctx.publishers.one(ctx.clips.tiny, stream);
  const owner = await waitPlayable(ctx.model, instances, stream);
  const target = ctx.model.instances[(owner.index + 1) % instances];
  if (!target) throw new Error("takeover: no second instance");
  const direct = new Publishers(`rtmp://${target.address}:${MEDIAMTX_PORTS.rtmp}`, ctx.work.logs);
  const started = performance.now();
  direct.one(ctx.clips.tiny, stream);
  const since = () => performance.now() - started;
  let routedMs: number | undefined;
  let viewerMs: number | undefined;
  let oldGoneMs: number | undefined;
  let newReadyMs: number | undefined;
  try {
    while (since() < CYCLE_TIMEOUT_MS && (viewerMs === undefined || oldGoneMs === undefined)) {
      const [status, oldReady, newReady] = await Promise.all([
        fetchRouterStatus(ctx.stats).catch(() => undefined),
        readyOn(owner.address, stream),
        readyOn(target.address, stream),
      ]);
      const at = since();
      if (newReady && newReadyMs === undefined) newReadyMs = at;
      if (!oldReady && oldGoneMs === undefined) oldGoneMs = at;
      const entry = status?.entries.find((e) => e.stream === stream);
      if (routedMs === undefined && entry?.server === target.name) routedMs = at;
      if (routedMs !== undefined && viewerMs === undefined && (await playlistOk(ctx.model.local.hls, stream)))
        viewerMs = since();
      await sleep(STEP_MS);
    }
  } finally {
    await direct.stopAll();
    await ctx.publishers.stop(first);
  }
  // Both instances listed the name ready between the new one's ready and the old one's end.
  const overlapMs =
    newReadyMs !== undefined && oldGoneMs !== undefined ? Math.max(0, oldGoneMs - newReadyMs) : undefined;
  ctx.log(
    `  ${stream}: ${owner.name} → ${target.name}: routed ${routedMs?.toFixed(0) ?? "never"} ms, viewer ${viewerMs?.toFixed(0) ?? "never"} ms, old gone ${oldGoneMs?.toFixed(0) ?? "never"} ms`,
  );
  return { stream, from: owner.name, to: target.name, routedMs, viewerMs, oldGoneMs, overlapMs };
}

export async function runTakeover(ctx: BenchContext): Promise<TakeoverResult> {
  // The bench stack runs two instances outside the growth scenario (main.ts).
  const instances = 2;
  const cycles: TakeoverCycle[] = [];
  ctx.log(`takeover: ${ctx.profile.takeover.cycles} cycles over ${instances} instances`);
  for (let i = 0; i < ctx.profile.takeover.cycles; i++) cycles.push(await cycle(ctx, instances, i));
  return { cycles };
}
