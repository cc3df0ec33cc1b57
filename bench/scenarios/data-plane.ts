// 1. Data plane: the same playlist and segment fetched through the stream router, through a plain
// round-robin HAProxy (single-server backend on the owner: pure proxy cost) that logs each request the
// way the stack does (routing cost), through the same plain proxy without a log (routing and logging
// cost), and straight from the owner instance, by the same wrk, interleaved round by round.
import type { Model } from "../../infra/config/model";
import { MEDIAMTX_PORTS } from "../../infra/config/model";
import { containerCpuNs } from "../lib/cgroup";
import { type BenchContext, waitPlayable } from "../lib/context";
import { fetchText, type HlsSession, newestSegment, openSession, segmentCount } from "../lib/hls";
import type { Owner } from "../lib/instances";
import { barePort, PLAIN_CONTAINER, plainPort } from "../lib/plain-proxy";
import { waitFor } from "../lib/process";
import type { Content, DataPlaneResult, LoadMode, Target, WrkSample } from "../lib/results";
import { rotation } from "../lib/summary";
import { runWrk } from "../lib/wrk";

export const DATA_PLANE_STREAM = "bench/dp";

export interface TargetEndpoint {
  readonly target: Target;
  readonly base: string;
  /** Container whose CPU the run is charged to (the proxy); none for direct. */
  readonly container?: string;
  /** Use that target's HLS session (the same gateway sees the same client address) instead of opening one. */
  readonly sessionOf?: Target;
}

function dataPlaneTargets(model: Model, ownerIndex: number, ownerAddress: string): TargetEndpoint[] {
  return [
    { target: "router", base: model.local.hls, container: model.gateway.containerName },
    ...(model.tls === undefined
      ? []
      : [
          {
            target: "tls" as const,
            base: `https://127.0.0.1:${model.ports.hlsTls}`,
            container: model.gateway.containerName,
            sessionOf: "router" as const,
          },
        ]),
    { target: "plain", base: `http://127.0.0.1:${plainPort(ownerIndex)}`, container: PLAIN_CONTAINER },
    { target: "bare", base: `http://127.0.0.1:${barePort(ownerIndex)}`, container: PLAIN_CONTAINER },
    { target: "direct", base: `http://${ownerAddress}:${MEDIAMTX_PORTS.hls}` },
  ];
}

/** One wrk run against one target, with the proxy's CPU per request. */
export async function measure(
  endpoint: TargetEndpoint,
  url: string,
  session: HlsSession,
  connections: number,
  durationS: number,
): Promise<{ wrk: Awaited<ReturnType<typeof runWrk>>; proxyCpuUsPerRequest?: number }> {
  const cpuBefore = endpoint.container ? await containerCpuNs(endpoint.container) : 0;
  const wrk = await runWrk({ url, connections, durationS, headers: { Cookie: session.cookie } });
  if (!endpoint.container) return { wrk };
  const cpuNs = (await containerCpuNs(endpoint.container)) - cpuBefore;
  return { wrk, proxyCpuUsPerRequest: wrk.requests > 0 ? cpuNs / 1000 / wrk.requests : Number.NaN };
}

/** Publishes the data-plane stream and waits until it plays through the router. */
export async function startDataPlaneStream(ctx: BenchContext): Promise<Owner> {
  ctx.publishers.one(ctx.clips.main, DATA_PLANE_STREAM);
  return waitPlayable(ctx.model, ctx.stack.spec.instances, DATA_PLANE_STREAM);
}

export async function runDataPlane(ctx: BenchContext): Promise<DataPlaneResult> {
  const { rounds, durationS, connections } = ctx.profile.dataPlane;
  const instances = ctx.stack.spec.instances;
  const owner = await startDataPlaneStream(ctx);
  const targets = dataPlaneTargets(ctx.model, owner.index, owner.address);
  const direct = targets.find((t) => t.target === "direct");
  if (!direct) throw new Error("data plane: no direct target");
  const dir = (base: string) => `${base}/${DATA_PLANE_STREAM}`;

  // A full window: the newest segment then stays listed (and fetchable) for several segment durations.
  const warm = await openSession(direct.base, DATA_PLANE_STREAM);
  await waitFor(
    "4 segments in the data-plane playlist",
    async () => {
      const p = await fetchText(`${dir(direct.base)}/${warm.variant}`, warm.cookie);
      return segmentCount(p.text) >= 4 ? true : undefined;
    },
    90_000,
    1000,
  );
  ctx.log(
    `data plane: ${DATA_PLANE_STREAM} on ${owner.name}; ${rounds} rounds × 2 contents × 2 modes × 4 targets`,
  );

  const modes: { mode: LoadMode; connections: number }[] = [
    { mode: "throughput", connections },
    { mode: "latency", connections: 1 },
  ];
  const samples: WrkSample[] = [];
  for (let round = 0; round < rounds; round++) {
    // Fresh sessions each round: MediaMTX binds a session to the client address the instance sees
    // (the router forwards X-Forwarded-For, the plain proxy and the host do not), so each target has its own.
    const sessions = new Map<Target, HlsSession>();
    for (const t of targets.filter((x) => x.sessionOf === undefined))
      sessions.set(t.target, await openSession(t.base, DATA_PLANE_STREAM));
    for (const t of targets)
      if (t.sessionOf !== undefined) sessions.set(t.target, sessions.get(t.sessionOf) as HlsSession);
    for (const content of ["playlist", "segment"] as Content[]) {
      for (const { mode, connections: c } of modes) {
        const directSession = sessions.get("direct") as HlsSession;
        let file = directSession.variant;
        if (content === "segment") {
          // Chosen once for all three targets of this slot: the same bytes through each path.
          const playlist = await fetchText(
            `${dir(direct.base)}/${directSession.variant}`,
            directSession.cookie,
          );
          file = newestSegment(playlist.text) ?? "";
          if (!file) throw new Error("data plane: no segment in the playlist");
        }
        for (const t of rotation(targets, round)) {
          const session = sessions.get(t.target) as HlsSession;
          const r = await measure(t, `${dir(t.base)}/${file}`, session, c, durationS);
          samples.push({ round, content, mode, connections: c, target: t.target, ...r });
          ctx.log(
            `  r${round} ${content.padEnd(8)} ${mode.padEnd(10)} ${t.target.padEnd(6)} ` +
              `${r.wrk.rps.toFixed(0).padStart(6)} req/s p50 ${r.wrk.p50Ms.toFixed(3)} ms p99 ${r.wrk.p99Ms.toFixed(3)} ms` +
              `${r.wrk.non2xx3xx + r.wrk.socketErrors > 0 ? ` ERRORS ${r.wrk.non2xx3xx}/${r.wrk.socketErrors}` : ""}`,
          );
        }
      }
    }
  }
  return { owner: owner.name, instances, durationS, samples };
}
