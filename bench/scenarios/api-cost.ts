// 2. Control-API cost: every request HAProxy sends to an instance's API, counted on the bridge while
// the stack idles and while wrk fetches a playlist through the router as fast as it can.
import { requiredCounter } from "../../infra/haproxy/router-status";
import { fetchRouterStatus } from "../../infra/haproxy/stats-frontend";
import { countByKind, startApiCapture } from "../lib/api-capture";
import { type BenchContext, bridgeInterface } from "../lib/context";
import { openSession } from "../lib/hls";
import { sleep } from "../lib/process";
import type { ApiCostResult, ApiWindow } from "../lib/results";
import { DEFAULT_HEALTH, DEFAULT_POLL_INTERVAL, durationMs } from "../lib/stack-config";
import { runWrk } from "../lib/wrk";
import { DATA_PLANE_STREAM, startDataPlaneStream } from "./data-plane";

/** Counts API calls while `traffic` runs; `traffic` returns how many viewer requests it made. */
async function window(ctx: BenchContext, iface: string, traffic: () => Promise<number>): Promise<ApiWindow> {
  const capture = await startApiCapture(iface);
  const before = await fetchRouterStatus(ctx.stats);
  const started = performance.now();
  const viewerRequests = await traffic();
  const elapsedS = (performance.now() - started) / 1000;
  const after = await fetchRouterStatus(ctx.stats);
  const calls = await capture.stop();
  return {
    seconds: elapsedS,
    viewerRequests,
    calls: countByKind(calls),
    routerPolls: requiredCounter(after, "polls") - requiredCounter(before, "polls"),
    routerLookups: requiredCounter(after, "lookups") - requiredCounter(before, "lookups"),
  };
}

export async function runApiCost(ctx: BenchContext): Promise<ApiCostResult> {
  const instances = ctx.stack.spec.instances;
  const { windowS } = ctx.profile.apiCost;
  await startDataPlaneStream(ctx);
  const session = await openSession(ctx.model.local.hls, DATA_PLANE_STREAM);
  const iface = await bridgeInterface(ctx.model);
  ctx.log(`api cost: capturing :9997 requests on ${iface}, ${windowS} s idle then ${windowS} s under wrk`);
  const idle = await window(ctx, iface, async () => {
    await sleep(windowS * 1000);
    return 0;
  });
  const load = await window(ctx, iface, async () => {
    const r = await runWrk({
      url: `${ctx.model.local.hls}/${DATA_PLANE_STREAM}/${session.variant}`,
      connections: ctx.profile.dataPlane.connections,
      durationS: windowS,
      headers: { Cookie: session.cookie },
    });
    return r.requests;
  });
  ctx.log(
    `  idle ${JSON.stringify(idle.calls)}; load ${load.viewerRequests} requests, ${JSON.stringify(load.calls)}`,
  );
  return {
    instances,
    pollIntervalMs: durationMs(ctx.stack.spec.pollInterval ?? DEFAULT_POLL_INTERVAL),
    healthIntervalMs: durationMs((ctx.stack.spec.health ?? DEFAULT_HEALTH).interval),
    idle,
    load,
  };
}
