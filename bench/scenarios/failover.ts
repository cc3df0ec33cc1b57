// 4. Failover: `docker kill` an instance, time until HAProxy's stats mark it DOWN in each backend that
// carries it; `docker start` it, time until UP again. Compared with inter × fall and inter × rise.
import { backendsOf, type HaproxyStats, isDown, isUp, serverStatus } from "../../infra/haproxy/stats-csv";
import { fetchStats } from "../../infra/haproxy/stats-frontend";
import type { BenchContext } from "../lib/context";
import { docker, sleep, waitFor } from "../lib/process";
import type { FailoverCycle, FailoverResult } from "../lib/results";
import { DEFAULT_HEALTH, durationMs } from "../lib/stack-config";

const STEP_MS = 100;

/** Polls stats every STEP_MS until every backend satisfies `done`; ms from `since` per backend. */
async function timeUntil(
  ctx: BenchContext,
  server: string,
  backends: readonly string[],
  done: (status: string | undefined) => boolean,
  since: number,
  timeoutMs: number,
): Promise<Record<string, number>> {
  const at: Record<string, number> = {};
  const deadline = since + timeoutMs;
  while (Object.keys(at).length < backends.length && Date.now() < deadline) {
    let stats: HaproxyStats = { servers: [], backends: [], frontends: [] };
    try {
      stats = await fetchStats(ctx.stats);
    } catch {
      // A stats fetch that fails is simply retried on the next step.
    }
    const now = Date.now();
    for (const b of backends)
      if (at[b] === undefined && done(serverStatus(stats, b, server))) at[b] = now - since;
    await sleep(STEP_MS);
  }
  for (const b of backends) if (at[b] === undefined) at[b] = Number.NaN;
  return at;
}

export async function runFailover(ctx: BenchContext): Promise<FailoverResult> {
  const health = ctx.stack.spec.health ?? DEFAULT_HEALTH;
  const intervalMs = durationMs(health.interval);
  const timeoutMs = durationMs(health.timeout);
  // The last instance of the running spec.
  const killed = ctx.model.instances[ctx.stack.spec.instances - 1];
  if (killed === undefined) throw new Error("failover: the bench stack has no instance");
  const { name: server, containerName: container } = killed;
  const backends = backendsOf(await fetchStats(ctx.stats), server);
  ctx.log(
    `failover: ${ctx.profile.failover.cycles} × kill/start ${container} (backends ${backends.join(", ")})`,
  );
  const allUp = async () => {
    const stats = await fetchStats(ctx.stats);
    return backends.every((b) => isUp(serverStatus(stats, b, server))) ? true : undefined;
  };
  const cycles: FailoverCycle[] = [];
  for (let c = 0; c < ctx.profile.failover.cycles; c++) {
    await waitFor(`${server} UP everywhere`, allUp, 60_000, 200);
    // A random phase against the check timers, as a real crash would have.
    await sleep(Math.floor(Math.random() * intervalMs));
    await docker(["kill", container]);
    const killedAt = Date.now();
    const downMs = await timeUntil(ctx, server, backends, isDown, killedAt, 10 * intervalMs * health.fall);
    await sleep(Math.floor(Math.random() * intervalMs));
    await docker(["start", container]);
    const startedAt = Date.now();
    const upMs = await timeUntil(ctx, server, backends, isUp, startedAt, 10 * intervalMs * (health.rise + 1));
    cycles.push({ server, downMs, upMs });
    ctx.log(`  cycle ${c}: down ${JSON.stringify(downMs)} up ${JSON.stringify(upMs)}`);
  }
  return { intervalMs, timeoutMs, fall: health.fall, rise: health.rise, cycles };
}
