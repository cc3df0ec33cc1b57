// 5. Change apply under load: a weights-only and an interval-only `pulumi up`, and the seed's way of
// applying any change (`docker restart <stack>-haproxy`), interleaved, while player-like viewers play
// every stream through the router over keep-alive connections and RTMP publishers stay connected.
import type { ChildProcess } from "node:child_process";
import { type BenchContext, waitPlayable } from "../lib/context";
import { HlsViewer } from "../lib/hls";
import { run, sleep } from "../lib/process";
import type { ChangeApplyResult, ChangeKind, ChangeRun } from "../lib/results";
import { type BenchSpec, DEFAULT_HEALTH } from "../lib/stack-config";

const SETTLE_MS = 2000;

/** Master log lines confirming a (re)load; a restart's fresh start logs one too. */
async function loads(gatewayContainer: string): Promise<number> {
  const r = await run("docker", ["logs", "--since", "2h", gatewayContainer]);
  return `${r.stdout}${r.stderr}`.split("Loading success.").length - 1;
}

/** The next spec for a change of `kind`: weights toggle b 1↔2, the health interval toggles 2s↔3s. */
export function changedSpec(base: BenchSpec, kind: "weights" | "interval"): BenchSpec {
  if (kind === "weights") return { ...base, weights: { ...base.weights, b: base.weights?.b === 2 ? 1 : 2 } };
  const health = base.health ?? DEFAULT_HEALTH;
  return { ...base, health: { ...health, interval: health.interval === "3s" ? "2s" : "3s" } };
}

export async function runChangeApply(ctx: BenchContext): Promise<ChangeApplyResult> {
  const { reps, streams: streamCount, viewersPerStream } = ctx.profile.changeApply;
  const instances = ctx.stack.spec.instances;
  const original = ctx.stack.spec;
  const streams = Array.from({ length: streamCount }, (_, i) => `chg/${i + 1}`);
  const publishers = new Map<string, ChildProcess>();
  const ensurePublishers = async () => {
    for (const s of streams) {
      const p = publishers.get(s);
      if (!p || p.exitCode !== null || p.signalCode !== null)
        publishers.set(s, ctx.publishers.one(ctx.clips.tiny, s));
    }
    for (const s of streams) await waitPlayable(ctx.model, instances, s);
  };
  await ensurePublishers();
  const viewers = streams.flatMap((s) =>
    Array.from({ length: viewersPerStream }, () => new HlsViewer(ctx.model.local.hls, s, 100)),
  );
  for (const v of viewers) v.start();
  ctx.log(
    `change apply: ${viewers.length} viewers on ${streams.length} streams; ${reps} × weights, interval, restart`,
  );
  await sleep(3000);

  const runs: ChangeRun[] = [];
  let spec = original;
  try {
    for (let rep = 0; rep < reps; rep++) {
      for (const kind of ["weights", "interval", "restart"] as ChangeKind[]) {
        const loadsBefore = await loads(ctx.model.gateway.containerName);
        const alive = [...publishers.values()].filter((p) => p.exitCode === null && p.signalCode === null);
        const startedAt = Date.now();
        let exitCode = 0;
        if (kind === "restart") {
          const r = await run("docker", ["restart", ctx.model.gateway.containerName]);
          exitCode = r.code;
        } else {
          spec = changedSpec(spec, kind);
          ctx.stack.write(spec);
          exitCode = (await ctx.stack.up()).code;
        }
        const endedAt = Date.now();
        await sleep(SETTLE_MS);
        let requests = 0;
        const failures: string[] = [];
        for (const v of viewers) {
          const w = v.window(startedAt, endedAt + SETTLE_MS);
          requests += w.requests;
          for (const f of w.failures)
            failures.push(`${f.status || f.error} ${f.url.replace(ctx.model.local.hls, "")}`);
        }
        const lost = alive.filter((p) => p.exitCode !== null || p.signalCode !== null).length;
        const result: ChangeRun = {
          kind,
          rep,
          durationMs: endedAt - startedAt,
          exitCode,
          requests,
          failed: failures.length,
          failureSamples: [...new Set(failures)].slice(0, 5),
          reloads: (await loads(ctx.model.gateway.containerName)) - loadsBefore,
          publishersLost: lost,
        };
        runs.push(result);
        ctx.log(
          `  ${kind.padEnd(8)} rep ${rep}: ${(result.durationMs / 1000).toFixed(1)} s, exit ${exitCode}, ` +
            `${result.failed}/${requests} failed, ${result.reloads} (re)loads, ${lost} publishers lost`,
        );
        if (lost > 0 || kind === "restart") await ensurePublishers();
      }
    }
  } finally {
    for (const v of viewers) await v.stop();
    for (const p of publishers.values()) await ctx.publishers.stop(p);
    // Back to the original spec so later measurements (and the no-op preview) see the stack as it began.
    if (JSON.stringify(spec) !== JSON.stringify(original)) await ctx.stack.mustUp(original);
  }
  return { viewers: viewers.length, runs };
}
