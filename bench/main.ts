// bench/run: brings up the bench stack, runs every measurement, tears the stack down, writes the report.
// Wiring only; each measurement lives in bench/scenarios/, the arithmetic in bench/lib/analysis.ts.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { MEDIAMTX_PORTS } from "../infra/config/model";
import { statsEndpoint } from "../infra/haproxy/stats-frontend";
import { isFullRun, OPT_IN, parseArgs, type ScenarioName, USAGE } from "./lib/args";
import { BenchStack, pulumi, REPO_ROOT, workPaths } from "./lib/bench-stack";
import type { BenchContext } from "./lib/context";
import { load1, machineInfo, versions } from "./lib/machine";
import { Publishers, prepareClips } from "./lib/media";
import { buildNotes } from "./lib/notes";
import { startPlainProxy, stopPlainProxy } from "./lib/plain-proxy";
import { sleep } from "./lib/process";
import { FULL, QUICK } from "./lib/profile";
import { renderMarkdown, renderSummary } from "./lib/report";
import type { BenchReport, Environment } from "./lib/results";
import { benchModel, IMAGES, STATS_PASSWORD, STATS_USER } from "./lib/stack-config";
import { runApiCost } from "./scenarios/api-cost";
import { runChangeApply } from "./scenarios/change-apply";
import { runDataPlane } from "./scenarios/data-plane";
import { runDiscovery } from "./scenarios/discovery";
import { runFailover } from "./scenarios/failover";
import { runGatewayFailover } from "./scenarios/gateway-failover";
import { runGrowth } from "./scenarios/growth";
import { runHostLoss } from "./scenarios/host-loss";
import { runPreview } from "./scenarios/preview";
import { runTakeover } from "./scenarios/takeover";

type Results = Omit<BenchReport, "env">;

const SCENARIO_RUNNERS: Record<ScenarioName, (ctx: BenchContext) => Promise<Partial<Results>>> = {
  "data-plane": async (ctx) => ({ dataPlane: await runDataPlane(ctx) }),
  "api-cost": async (ctx) => ({ apiCost: await runApiCost(ctx) }),
  discovery: async (ctx) => ({ discovery: await runDiscovery(ctx) }),
  failover: async (ctx) => ({ failover: await runFailover(ctx) }),
  "change-apply": async (ctx) => ({ changeApply: await runChangeApply(ctx) }),
  preview: async (ctx) => ({ preview: await runPreview(ctx) }),
  growth: async (ctx) => ({ growth: await runGrowth(ctx) }),
  takeover: async (ctx) => ({ takeover: await runTakeover(ctx) }),
  "host-loss": async (ctx) => ({ hostLoss: await runHostLoss(ctx) }),
  "gateway-failover": async (ctx) => ({ gatewayFailover: await runGatewayFailover(ctx) }),
};

const started = performance.now();
function log(message: string): void {
  const s = ((performance.now() - started) / 1000).toFixed(0).padStart(5);
  process.stderr.write(`[${s} s] ${message}\n`);
}

/** Waits for the 1-minute load average to drop below 1; returns whether it did and how long it took. */
async function waitForCalm(minutes: number): Promise<{ calm: boolean; waitedS: number }> {
  const start = Date.now();
  while (load1() >= 1 && Date.now() - start < minutes * 60_000) {
    log(`waiting for a quiet machine: 1-min load ${load1().toFixed(2)} (up to ${minutes} min)`);
    await sleep(30_000);
  }
  return { calm: load1() < 1, waitedS: (Date.now() - start) / 1000 };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const base = args.quick ? QUICK : FULL;
  const profile = args.cycles === undefined ? base : { ...base, gatewayFailover: { cycles: args.cycles } };
  // The opt-in scenarios (host-loss, gateway-failover) bring up a lab and a stack of their own: alone, they need no
  // bench stack, and bringing one up would only cost a minute and load the machine.
  const benchStackNeeded = args.only.some((name) => !OPT_IN.includes(name));
  const work = workPaths(process.env.MEDIAMTX_LB_BENCH_DIR ?? "/tmp/mediamtx-lb-bench");
  mkdirSync(work.root, { recursive: true });
  const model = benchModel(work.host);
  const stack = new BenchStack(work);
  const publishers = new Publishers(
    model.endpoints.rtmp ?? `rtmp://${model.local.host}:${model.ports.rtmp}`,
    work.logs,
  );
  const results: Results = {};
  const errors: string[] = [];
  const loadPerScenario: Record<string, number> = {};
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await publishers.stopAll();
    if (args.keep) {
      log(`--keep: stack ${stack.name} left running (state in ${work.state})`);
      return;
    }
    if (benchStackNeeded) {
      log("destroying the bench stack");
      await stopPlainProxy();
      const d = await stack.destroy();
      if (d.code !== 0) log(`destroy failed (leftovers are removed by label on the next run):\n${d.stderr}`);
    }
    for (const dir of [work.state, work.project, work.host, work.floor, work.plain]) {
      rmSync(dir, { recursive: true, force: true });
    }
    rmSync(work.configFile, { force: true });
  };
  process.once("SIGINT", () => {
    log("interrupted: cleaning up");
    void cleanup().then(() => process.exit(130));
  });

  log(`profile ${profile.name}: ${args.only.join(", ")}`);
  await stack.removeLeftovers();
  const clips = await prepareClips(work.media);
  const calm = await waitForCalm(args.waitCalmMin);
  log(
    calm.calm
      ? `machine is quiet (load ${load1().toFixed(2)})`
      : `load still ${load1().toFixed(2)}: running anyway`,
  );
  const loadAtStart = load1();
  let env: Environment | undefined;
  try {
    if (benchStackNeeded) {
      await stack.init();
      const up = await stack.mustUp({ instances: 2 });
      log(`bench stack up in ${(up.durationMs / 1000).toFixed(1)} s`);
      await startPlainProxy(model, work.plain, IMAGES.haproxy, 2);
    }
    const pulumiVersion = (await pulumi(work, ["version"])).stdout;
    const machine = await machineInfo();
    const v = await versions(
      IMAGES.haproxy,
      benchStackNeeded ? `http://${model.instances[0]?.address}:${MEDIAMTX_PORTS.api}/v3/info` : undefined,
      pulumiVersion,
    );
    const ctx: BenchContext = {
      model,
      work,
      stack,
      stats: statsEndpoint(model.local.stats, STATS_USER, STATS_PASSWORD),
      publishers,
      clips,
      profile,
      log,
    };
    for (const name of args.only) {
      loadPerScenario[name] = load1();
      log(`== ${name} (1-min load ${load1().toFixed(2)})`);
      try {
        Object.assign(results, await SCENARIO_RUNNERS[name](ctx));
      } catch (err) {
        errors.push(`${name}: ${(err as Error).message.split("\n")[0]}`);
        log(`${name} FAILED: ${(err as Error).stack ?? err}`);
      }
      await publishers.stopAll();
    }
    env = {
      machine,
      versions: v,
      load1AtStart: loadAtStart,
      load1AtEnd: load1(),
      calmReached: calm.calm,
      calmWaitedS: calm.waitedS,
      profile: profile.name,
      totalMinutes: (performance.now() - started) / 60_000,
      loadPerScenario,
    };
  } finally {
    await cleanup();
  }
  if (!env) throw new Error("bench: no environment recorded");
  const report: BenchReport = { env, ...results };
  const markdown = renderMarkdown(report, { notes: buildNotes(report, errors) });
  const out =
    args.out ??
    (isFullRun(args) ? resolve(REPO_ROOT, "docs", "benchmarks.md") : `${work.root}/benchmarks.md`);
  writeFileSync(out, markdown);
  console.log(renderSummary(report));
  console.log(`\nreport: ${out}${errors.length ? `\nFAILED: ${errors.join("; ")}` : ""}`);
  return errors.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
