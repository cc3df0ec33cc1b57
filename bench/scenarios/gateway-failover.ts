// 10. Gateway failover: the gateway pair of test/e2e/gateway-pair.test.ts (ga@h1, gb@h2, both instances
// on h3, keepalived holding the floating address) on a lab of three Docker engines in network
// namespaces and a stack of its own. Each cycle cuts the links of the host that holds the address and
// times cut → the other host holds it (its namespace asked every HOLDER_POLL_MS), cut → the first
// answer to a poller that opens a fresh connection every POLLER_EVERY_MS, and cut → each player-like
// viewer's first answered request; then restores the link and samples who holds the address (equal
// priorities: the holder keeps it). The next cycle cuts the new holder.
// The shared bench stack plays no part; lab and stack are torn down whatever happens.
import type { ChildProcess } from "node:child_process";
import { appendFileSync, mkdirSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { validateConfig } from "../../infra/config/validate";
import { fetchRouterStatus, statsEndpoint } from "../../infra/haproxy/stats-frontend";
import { VRRP_ADVERT_INTERVAL_MS } from "../../infra/render/keepalived-spec";
import type { PlayedViewer } from "../../test/support/hls-play-main";
import { HLSJS_LIKE, isAnswered } from "../../test/support/hls-player";
import {
  cleanupLeftoverTestHosts,
  createTestHosts,
  inNamespace,
  PRIVATE_NET,
  PUBLIC_NET,
  spawnInNamespace,
  type TestHost,
  type TestHosts,
} from "../../test/support/test-hosts";
import { BenchStack, REPO_ROOT, workPaths } from "../lib/bench-stack";
import type { BenchContext } from "../lib/context";
import { Encoder } from "../lib/encoder";
import { holdersLabel, type Probe, parseProbe, pollerOutcome, viewerOutcome } from "../lib/gateway-failover";
import { teardownLab } from "../lib/lab-teardown";
import { sleep, waitFor } from "../lib/process";
import type { GatewayFailoverCycle, GatewayFailoverResult } from "../lib/results";
import {
  durationMs,
  GATEWAY_PAIR_HEALTH,
  GATEWAY_PAIR_STACK,
  gatewayPairStackConfig,
  STATS_PASSWORD,
  STATS_USER,
} from "../lib/stack-config";

const HOSTS = 3;
/** The e2e's floating address: on the lab's public bridge, no host's own. */
const FLOATING = `${PUBLIC_NET}.100`;
const HOLDER_POLL_MS = 50;
const POLLER_EVERY_MS = 50;
/** Short, so a request lost with the old holder ends soon; a fresh connection is answered in a few ms. */
const POLLER_TIMEOUT_MS = 1_000;
const VIEWERS = 3;
/** The viewers' per-request timeout and in-place retries (hls-play-main.ts plays with HLSJS_LIKE). */
const VIEWER_TIMEOUT_MS = HLSJS_LIKE.requestTimeoutMs;
const VIEWER_RETRY = HLSJS_LIKE.retry;
/** Viewers play this long before the cut (their ts-node start included) and this long in all. */
const BEFORE_CUT_MS = 8_000;
const VIEWING_MS = 30_000;
/** After the link comes back: who holds the address, every SETTLE_STEP_MS, SETTLE_SAMPLES times (as the e2e). */
const SETTLE_STEP_MS = 500;
const SETTLE_SAMPLES = 16;
const RECONNECT_DELAY_MS = 1_000;

const ts = ["--require", "ts-node/register/transpile-only"];

/** The poller (bench/lib/poller-main.ts) in `namespace`; its requests as they end. */
function startPoller(namespace: string, url: string, log: string): { proc: ChildProcess; probes: Probe[] } {
  const probes: Probe[] = [];
  const proc = spawnInNamespace(
    namespace,
    process.execPath,
    [
      ...ts,
      resolve(REPO_ROOT, "bench/lib/poller-main.ts"),
      url,
      String(POLLER_EVERY_MS),
      String(POLLER_TIMEOUT_MS),
    ],
    { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env } },
  );
  if (proc.stdout)
    createInterface({ input: proc.stdout }).on("line", (line) => {
      const p = parseProbe(line);
      if (p) probes.push(p);
      appendFileSync(log, `${line}\n`);
    });
  return { proc, probes };
}

async function stopPoller(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once("exit", r));
  proc.kill("SIGTERM");
  await Promise.race([exited, sleep(3_000)]);
  proc.kill("SIGKILL");
}

/** Player-like viewers (test/support/hls-play-main.ts) in `namespace` for `ms`; what each saw. */
function play(namespace: string, ms: number, urls: readonly string[], log: string): Promise<PlayedViewer[]> {
  return new Promise((resolvePlayed, reject) => {
    const proc = spawnInNamespace(
      namespace,
      process.execPath,
      [...ts, resolve(REPO_ROOT, "test/support/hls-play-main.ts"), String(ms), ...urls],
      { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env } },
    );
    const viewers: PlayedViewer[] = [];
    if (proc.stdout)
      createInterface({ input: proc.stdout }).on("line", (line) => {
        appendFileSync(log, `${line}\n`);
        viewers.push(JSON.parse(line) as PlayedViewer);
      });
    const killer = setTimeout(() => proc.kill("SIGKILL"), ms + 60_000);
    proc.once("exit", (code) => {
      clearTimeout(killer);
      if (code === 0) resolvePlayed(viewers);
      else reject(new Error(`hls-play-main exited ${code}`));
    });
  });
}

/** The lab hosts of `hosts` whose namespace holds the floating address now. */
async function holders(hosts: readonly TestHost[]): Promise<TestHost[]> {
  const held: TestHost[] = [];
  for (const h of hosts) {
    const { stdout } = await inNamespace(h.namespace, "ip", ["-o", "-4", "addr", "show"], {
      timeoutMs: 5_000,
    });
    if (stdout.includes(` ${FLOATING}/`)) held.push(h);
  }
  return held;
}

export async function runGatewayFailover(ctx: BenchContext): Promise<GatewayFailoverResult> {
  const cycleCount = ctx.profile.gatewayFailover.cycles;
  const work = workPaths(`${ctx.work.root}/gateway-failover`);
  rmSync(work.root, { recursive: true, force: true });
  const logs = `${ctx.work.logs}/gateway-failover`;
  rmSync(logs, { recursive: true, force: true });
  mkdirSync(logs, { recursive: true });
  await cleanupLeftoverTestHosts();
  let lab: TestHosts | undefined;
  let stack: BenchStack | undefined;
  const encoders: Encoder[] = [];
  let poller: ChildProcess | undefined;
  const cycles: GatewayFailoverCycle[] = [];
  let labMs = 0;
  let upMs = 0;
  let teardownMs = 0;
  let gatewayNames: string[] = [];
  try {
    const labStart = performance.now();
    lab = await createTestHosts({ hosts: HOSTS, client: true });
    labMs = performance.now() - labStart;
    const client = lab.client?.namespace;
    if (client === undefined) throw new Error("gateway-failover: the lab has no client namespace");
    ctx.log(`gateway-failover: lab ${lab.id} up in ${(labMs / 1000).toFixed(1)} s`);

    stack = new BenchStack(work, GATEWAY_PAIR_STACK);
    await stack.init();
    const config = gatewayPairStackConfig(lab.hosts, FLOATING, `${PRIVATE_NET}.100`, work.host);
    stack.writeConfig(config);
    upMs = (await stack.mustUpWritten()).durationMs;
    ctx.log(`gateway-failover: stack up in ${(upMs / 1000).toFixed(1)} s`);
    const model = validateConfig(config, {
      stack: GATEWAY_PAIR_STACK,
      homeDir: work.host,
      statsPasswordSet: true,
    });
    // Lab host i is config host h{i+1}; the gateways' hosts in config order.
    const labHost = (name: string | undefined) => lab?.hosts[Number(name?.slice(1)) - 1];
    const pair = model.gateways.map((g) => {
      const h = labHost(g.host);
      if (h === undefined) throw new Error(`gateway-failover: no lab host for ${g.name}@${g.host}`);
      return { label: `${g.name}@${g.host}`, host: g.host ?? "", lab: h };
    });
    gatewayNames = pair.map((p) => p.label);
    const byLab = (h: TestHost) => pair.find((p) => p.lab === h);
    const stats = (h: TestHost) =>
      statsEndpoint(`http://${h.address}:${model.ports.stats}`, STATS_USER, STATS_PASSWORD);

    // One stream per gateway, each published through that gateway's own host address: the stream viewed
    // in a cycle comes in through the standby, so its publisher is not on the cut host.
    const streamVia = (p: (typeof pair)[number]) => `via-${p.host}`;
    for (const p of pair)
      encoders.push(
        new Encoder(
          client,
          ctx.clips.tiny,
          `rtmp://${p.lab.address}:${model.ports.rtmp}/${streamVia(p)}`,
          `${logs}/ffmpeg-${streamVia(p)}.log`,
          RECONNECT_DELAY_MS,
        ),
      );

    for (let c = 0; c < cycleCount; c++) {
      const holder = await waitFor(
        "exactly one gateway holds the floating address",
        async () => {
          const held = await holders(pair.map((p) => p.lab));
          return held.length === 1 ? held[0] : undefined;
        },
        60_000,
        500,
      );
      const from = byLab(holder);
      const to = pair.find((p) => p.lab !== holder);
      if (from === undefined || to === undefined) throw new Error("gateway-failover: no standby");
      const stream = streamVia(to);
      const url = `http://${FLOATING}:${model.ports.hls}/${stream}/index.m3u8`;
      await waitFor(
        `both gateways route ${stream} to the same instance`,
        async () => {
          const owners = await Promise.all(
            pair.map(
              async (p) =>
                (await fetchRouterStatus(stats(p.lab), 2_000)).entries.find((e) => e.stream === stream)
                  ?.server,
            ),
          );
          return owners[0] !== undefined && owners.every((o) => o === owners[0]) ? true : undefined;
        },
        90_000,
        500,
      );
      await waitFor(
        `${stream} plays through ${FLOATING}`,
        async () => {
          const [v] = await play(client, 3_000, [url], `${logs}/check.jsonl`);
          return v !== undefined && v.mediaBytes > 0 && v.requests.every(([, , s]) => isAnswered(s))
            ? true
            : undefined;
        },
        90_000,
        500,
      );

      const started = startPoller(client, url, `${logs}/poller-${c + 1}.jsonl`);
      poller = started.proc;
      const viewing = play(client, VIEWING_MS, Array(VIEWERS).fill(url), `${logs}/viewers-${c + 1}.jsonl`);
      await waitFor(
        "the poller's first answer",
        async () => (started.probes.length > 0 ? true : undefined),
        30_000,
        100,
      );
      // A random phase against keepalived's advert timer, as a real loss would have.
      await sleep(BEFORE_CUT_MS + Math.floor(Math.random() * VRRP_ADVERT_INTERVAL_MS));
      const cutAt = Date.now();
      await lab.cutLink(holder);
      const linkDownAt = Date.now();
      let movedMs: number | undefined;
      while (movedMs === undefined && Date.now() - cutAt < 20_000) {
        if ((await holders([to.lab])).length > 0) movedMs = Date.now() - cutAt;
        else await sleep(HOLDER_POLL_MS);
      }
      const viewers = await viewing;
      await stopPoller(started.proc);
      poller = undefined;
      const polled = pollerOutcome(started.probes, cutAt, linkDownAt);

      await lab.restoreLink(holder);
      const settleHolders: string[] = [];
      for (let n = 0; n < SETTLE_SAMPLES; n++) {
        await sleep(SETTLE_STEP_MS);
        const held = await holders(pair.map((p) => p.lab));
        settleHolders.push(holdersLabel(held.map((h) => byLab(h)?.host ?? h.name)));
      }
      const cycle: GatewayFailoverCycle = {
        from: from.label,
        to: to.label,
        cutHost: from.host,
        stream,
        cutMs: linkDownAt - cutAt,
        ...(movedMs === undefined ? {} : { movedMs }),
        ...(polled.answeredMs === undefined ? {} : { pollerAnsweredMs: polled.answeredMs }),
        pollerUnanswered: polled.unanswered,
        viewers: viewers.map((v) => viewerOutcome(v, cutAt, linkDownAt)),
        settleHolders,
      };
      cycles.push(cycle);
      const notBefore = viewers.filter((v) => !v.requests.some(([s]) => s < cutAt)).length;
      ctx.log(
        `  cycle ${c + 1}: cut ${from.label} (${cycle.cutMs} ms); ${to.label} holds after ${movedMs ?? "never"} ms; ` +
          `poller answered ${polled.answeredMs ?? "never"} ms (${polled.unanswered} unanswered); viewers ${JSON.stringify(cycle.viewers)}` +
          `${notBefore > 0 ? `; ${notBefore} viewers had not started before the cut` : ""}; after restore ${settleHolders.join(" ")}`,
      );
    }
  } finally {
    if (poller) await stopPoller(poller);
    for (const e of encoders) e.stop();
    // destroy needs every engine: a failed cycle may have left a link down.
    if (lab) for (const h of lab.hosts) await lab.restoreLink(h).catch(() => undefined);
    const teardownStart = performance.now();
    await teardownLab(ctx, "gateway-failover", stack, lab, work.root);
    teardownMs = performance.now() - teardownStart;
  }
  return {
    hosts: HOSTS,
    gateways: gatewayNames,
    floatingAddress: FLOATING,
    advertIntervalMs: VRRP_ADVERT_INTERVAL_MS,
    intervalMs: durationMs(GATEWAY_PAIR_HEALTH.interval),
    timeoutMs: durationMs(GATEWAY_PAIR_HEALTH.timeout),
    fall: GATEWAY_PAIR_HEALTH.fall,
    rise: GATEWAY_PAIR_HEALTH.rise,
    pollerEveryMs: POLLER_EVERY_MS,
    pollerTimeoutMs: POLLER_TIMEOUT_MS,
    holderPollMs: HOLDER_POLL_MS,
    viewersPerCycle: VIEWERS,
    viewerTimeoutMs: VIEWER_TIMEOUT_MS,
    viewerRetryCount: VIEWER_RETRY.count,
    viewerRetryDelayMs: VIEWER_RETRY.delayMs,
    settleStepMs: SETTLE_STEP_MS,
    labMs,
    upMs,
    teardownMs,
    cycles,
  };
}
