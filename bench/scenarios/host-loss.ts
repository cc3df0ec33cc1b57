// 9. Host loss: a lab of three Docker engines in network namespaces (test/support/test-hosts.ts) and a
// stack of its own (two instances per host, the gateway on h1). Publishers and HLS viewers run in the
// client namespace. Each cycle cuts a non-gateway host's links (veths down: packets vanish) and times
// cut → the host's instances DOWN in every backend, cut → a reconnecting encoder's stream plays again,
// counts the failed requests of viewers of streams on the other hosts, restores the link and times → UP.
// The shared bench stack plays no part; lab and stack are torn down whatever happens.
import type { ChildProcess } from "node:child_process";
import { appendFileSync, closeSync, mkdirSync, openSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { validateConfig } from "../../infra/config/validate";
import { backendsOf, isDown, isUp, serverStatus } from "../../infra/haproxy/stats-csv";
import {
  fetchRouterStatus,
  fetchStats,
  type StatsEndpoint,
  statsEndpoint,
} from "../../infra/haproxy/stats-frontend";
import {
  cleanupLeftoverTestHosts,
  createTestHosts,
  spawnInNamespace,
  type TestHosts,
} from "../../test/support/test-hosts";
import { BenchStack, REPO_ROOT, workPaths } from "../lib/bench-stack";
import type { BenchContext } from "../lib/context";
import { Encoder } from "../lib/encoder";
import { teardownLab } from "../lib/lab-teardown";
import { sleep, waitFor } from "../lib/process";
import type { HostLossCycle, HostLossResult } from "../lib/results";
import {
  DEFAULT_HEALTH,
  DEFAULT_POLL_INTERVAL,
  durationMs,
  HOST_LOSS_STACK,
  hostLossStackConfig,
  STATS_PASSWORD,
  STATS_USER,
} from "../lib/stack-config";
import { firstPlayable, parseViewerEvent, type ViewerEvent, viewerWindow } from "../lib/viewer-events";

const HOSTS = 3;
const PER_HOST = 2;
/** h1 carries the gateway: cutting it cuts every client off, with nothing left to measure. */
const GATEWAY_HOST = "h1";
const STEP_MS = 100;
/** OBS retries after a few seconds by default; ffmpeg has no loop of its own. One second keeps cycles short. */
const RECONNECT_DELAY_MS = 1_000;
const VIEWER_PAUSE_MS = 250;
/** A player gives up on a request after a few seconds; a request hung on the cut host ends here. */
const VIEWER_TIMEOUT_MS = 4_000;
/** How long the survivors' viewers keep being counted after the stream played again. */
const TAIL_MS = 2_000;

/** HLS viewers of every stream in the client namespace (bench/lib/viewer-main.ts); their requests as events. */
function startViewers(
  namespace: string,
  base: string,
  streams: readonly string[],
  log: string,
): { proc: ChildProcess; events: ViewerEvent[] } {
  const events: ViewerEvent[] = [];
  const fd = openSync(log, "a");
  const proc = spawnInNamespace(
    namespace,
    process.execPath,
    [
      ...["--require", "ts-node/register/transpile-only", resolve(REPO_ROOT, "bench/lib/viewer-main.ts")],
      ...["--base", base, "--pause", String(VIEWER_PAUSE_MS), "--timeout", String(VIEWER_TIMEOUT_MS)],
      ...streams,
    ],
    { cwd: REPO_ROOT, stdio: ["ignore", "pipe", fd], env: { ...process.env } },
  );
  closeSync(fd);
  if (proc.stdout)
    createInterface({ input: proc.stdout }).on("line", (line) => {
      const e = parseViewerEvent(line);
      if (e) events.push(e);
      appendFileSync(`${log}.jsonl`, `${line}\n`);
    });
  return { proc, events };
}

async function owners(stats: StatsEndpoint): Promise<Map<string, string>> {
  return new Map((await fetchRouterStatus(stats, 2_000)).entries.map((e) => [e.stream, e.server]));
}

/** Polls stats every STEP_MS until every `instance/backend` key satisfies `done`; ms from `since` each. */
async function timeUntil(
  stats: StatsEndpoint,
  keys: readonly string[],
  done: (status: string | undefined) => boolean,
  since: number,
  timeoutMs: number,
  alsoUntil: () => boolean = () => true,
): Promise<Record<string, number>> {
  const at: Record<string, number> = {};
  const deadline = since + timeoutMs;
  while ((Object.keys(at).length < keys.length || !alsoUntil()) && Date.now() < deadline) {
    const csv = await fetchStats(stats, 2_000).catch(() => undefined);
    const now = Date.now();
    if (csv)
      for (const k of keys) {
        const [server, backend] = k.split("/");
        if (at[k] === undefined && done(serverStatus(csv, backend ?? "", server ?? ""))) at[k] = now - since;
      }
    await sleep(STEP_MS);
  }
  for (const k of keys) at[k] ??= Number.NaN;
  return at;
}

export async function runHostLoss(ctx: BenchContext): Promise<HostLossResult> {
  const health = DEFAULT_HEALTH;
  const intervalMs = durationMs(health.interval);
  const work = workPaths(`${ctx.work.root}/host-loss`);
  rmSync(work.root, { recursive: true, force: true });
  // Logs (ffmpeg, viewers' requests as JSON lines) stay after teardown, beside the bench's own.
  const logs = `${ctx.work.logs}/host-loss`;
  rmSync(logs, { recursive: true, force: true });
  mkdirSync(logs, { recursive: true });
  // The lab's subnets are fixed: whatever an interrupted run (bench or e2e) left goes first.
  await cleanupLeftoverTestHosts();
  let lab: TestHosts | undefined;
  let stack: BenchStack | undefined;
  const encoders = new Map<string, Encoder>();
  let viewers: { proc: ChildProcess; events: ViewerEvent[] } | undefined;
  const cycles: HostLossCycle[] = [];
  let labMs = 0;
  let upMs = 0;
  let teardownMs = 0;
  try {
    const labStart = performance.now();
    lab = await createTestHosts({ hosts: HOSTS, client: true });
    labMs = performance.now() - labStart;
    const client = lab.client?.namespace;
    if (client === undefined) throw new Error("host-loss: the lab has no client namespace");
    ctx.log(`host-loss: lab ${lab.id} up in ${(labMs / 1000).toFixed(1)} s`);

    stack = new BenchStack(work, HOST_LOSS_STACK);
    await stack.init();
    const config = hostLossStackConfig(lab.hosts, PER_HOST, work.host, health);
    stack.writeConfig(config);
    upMs = (await stack.mustUpWritten()).durationMs;
    ctx.log(`host-loss: stack up in ${(upMs / 1000).toFixed(1)} s`);
    const model = validateConfig(config, {
      stack: HOST_LOSS_STACK,
      homeDir: work.host,
      statsPasswordSet: true,
    });
    const gw = lab.hosts[0]?.address ?? "";
    const stats = statsEndpoint(`http://${gw}:${model.ports.stats}`, STATS_USER, STATS_PASSWORD);
    const hostOf = (instance: string | undefined) => model.instances.find((i) => i.name === instance)?.host;
    const labHost = (host: string) => lab?.hosts[Number(host.slice(1)) - 1] ?? host;

    // One stream per instance, placed one at a time: each connection takes the next server in the
    // weighted round-robin, so every instance ends up with one.
    const streams = model.instances.map((_, i) => `s${i + 1}`);
    for (const s of streams) {
      encoders.set(
        s,
        new Encoder(
          client,
          ctx.clips.tiny,
          `rtmp://${gw}:${model.ports.rtmp}/${s}`,
          `${logs}/ffmpeg-${s}.log`,
          RECONNECT_DELAY_MS,
        ),
      );
      await waitFor(
        `${s} has an owner`,
        async () => ((await owners(stats)).has(s) ? true : undefined),
        30_000,
      );
    }
    viewers = startViewers(client, `http://${gw}:${model.ports.hls}`, streams, `${logs}/viewers.log`);
    const events = viewers.events;
    const allPlaying = async () => {
      const placed = await owners(stats);
      const since = Date.now() - 3_000;
      return streams.every((s) => placed.has(s) && firstPlayable(events, s, since) !== undefined)
        ? placed
        : undefined;
    };
    const placed = await waitFor("every stream owned and playing in the client", allPlaying, 90_000, 500);
    ctx.log(`host-loss: owners ${streams.map((s) => `${s}→${placed.get(s)}`).join(" ")}`);

    const candidates = [...new Set(model.instances.map((i) => i.host))].filter(
      (h): h is string => h !== undefined && h !== GATEWAY_HOST,
    );
    const firstStats = await fetchStats(stats);
    for (let c = 0; c < ctx.profile.hostLoss.cycles; c++) {
      const host = candidates[c % candidates.length] ?? "";
      const lost = model.instances.filter((i) => i.host === host).map((i) => i.name);
      const keys = lost.flatMap((server) => backendsOf(firstStats, server).map((b) => `${server}/${b}`));
      await waitFor(
        `${host}'s instances UP everywhere`,
        async () => {
          const csv = await fetchStats(stats);
          return keys.every((k) => isUp(serverStatus(csv, k.split("/")[1] ?? "", k.split("/")[0] ?? "")))
            ? true
            : undefined;
        },
        60_000,
        200,
      );
      const before = await waitFor("every stream owned and playing", allPlaying, 90_000, 500);
      const onHost = streams.filter((s) => hostOf(before.get(s)) === host);
      const stream = onHost[0];
      if (stream === undefined) throw new Error(`host-loss: no stream owned on ${host} (${[...before]})`);
      const untouched = onHost.slice(1);
      const survivors = streams.filter((s) => !onHost.includes(s));
      const encoder = encoders.get(stream);
      const startsBefore = new Map(untouched.map((s) => [s, encoders.get(s)?.starts ?? 0]));

      // A random phase against the check timers, as a real loss would have.
      await sleep(Math.floor(Math.random() * intervalMs));
      const cutAt = Date.now();
      await lab.cutLink(labHost(host));
      const encoderStartsBefore = encoder?.starts ?? 0;
      encoder?.restartNow();

      let routedMs: number | undefined;
      let to: string | undefined;
      let playableAt: number | undefined;
      // Diagnostic: a survivor's entry in the router's map gone or naming another server, first time each.
      const mapChanges = new Map<string, string>();
      const progress = async () => {
        while (Date.now() < cutAt + 60_000 && (playableAt === undefined || routedMs === undefined)) {
          const now = await owners(stats).catch(() => undefined);
          const at = Date.now() - cutAt;
          for (const s of survivors)
            if (now !== undefined && !mapChanges.has(s) && now.get(s) !== before.get(s))
              mapChanges.set(s, `${s} ${before.get(s)} → ${now.get(s) ?? "(none)"} at +${at} ms`);
          if (routedMs === undefined) {
            const owner = now?.get(stream);
            if (owner !== undefined && hostOf(owner) !== host) {
              routedMs = at;
              to = owner;
            }
          }
          playableAt ??= firstPlayable(events, stream, cutAt);
          await sleep(STEP_MS);
        }
      };
      const [downMs] = await Promise.all([
        timeUntil(stats, keys, isDown, cutAt, 10 * intervalMs * health.fall),
        progress(),
      ]);
      const encoderStarts = (encoder?.starts ?? 0) - encoderStartsBefore;
      const encoderStartMs = (encoder?.startedAt ?? []).slice(encoderStartsBefore).map((t) => t - cutAt);
      await sleep(TAIL_MS);
      const window = viewerWindow(events, survivors, cutAt, Date.now());

      // Publishers left alone on the cut host: did their ffmpeg ever notice? (no new start, still running)
      const untouchedStillRunning = untouched.map(
        (s) => encoders.get(s)?.alive === true && encoders.get(s)?.starts === startsBefore.get(s),
      );
      await lab.restoreLink(labHost(host));
      const restoredAt = Date.now();
      const up = await timeUntil(stats, keys, isUp, restoredAt, 10 * intervalMs * (health.rise + 1));
      // An encoder that never noticed would hold its name on a connection that may never carry data
      // again; the next cycle starts from every stream playing, so those encoders dial again now.
      for (const [i, s] of untouched.entries()) if (untouchedStillRunning[i]) encoders.get(s)?.restartNow();

      const cycle: HostLossCycle = {
        host,
        stream,
        from: before.get(stream) ?? "?",
        ...(to === undefined ? {} : { to }),
        downMs,
        ...(routedMs === undefined ? {} : { routedMs }),
        ...(playableAt === undefined ? {} : { playableMs: playableAt - cutAt }),
        encoderStarts,
        encoderStartMs,
        survivorStreams: survivors,
        survivorMapChanges: [...mapChanges.values()],
        survivorRequests: window.requests,
        survivorFailed: window.failed,
        failureSamples: window.samples,
        untouchedStillRunning,
        upMs: up,
      };
      cycles.push(cycle);
      ctx.log(
        `  cycle ${c}: cut ${host}; DOWN ${JSON.stringify(downMs)}; ${stream} ${cycle.from} → ${to ?? "?"} routed ${routedMs ?? "never"} ms, ` +
          `plays ${cycle.playableMs ?? "never"} ms (ffmpeg starts at ${JSON.stringify(encoderStartMs)} ms); survivors ${window.failed}/${window.requests} failed ${JSON.stringify(window.samples)}; map ${JSON.stringify(cycle.survivorMapChanges)}; ` +
          `untouched still running ${JSON.stringify(untouchedStillRunning)}; UP ${JSON.stringify(up)}`,
      );
    }
  } finally {
    for (const e of encoders.values()) e.stop();
    if (viewers && viewers.proc.exitCode === null) {
      const exited = new Promise((r) => viewers?.proc.once("exit", r));
      viewers.proc.kill("SIGTERM");
      await Promise.race([exited, sleep(VIEWER_TIMEOUT_MS + 1_000)]);
      viewers.proc.kill("SIGKILL");
    }
    // destroy needs every engine: a failed cycle may have left a link down.
    if (lab) for (const h of lab.hosts) await lab.restoreLink(h).catch(() => undefined);
    const teardownStart = performance.now();
    await teardownLab(ctx, "host-loss", stack, lab, work.root);
    teardownMs = performance.now() - teardownStart;
  }
  return {
    hosts: HOSTS,
    instancesPerHost: PER_HOST,
    gatewayHost: GATEWAY_HOST,
    intervalMs,
    timeoutMs: durationMs(health.timeout),
    fall: health.fall,
    rise: health.rise,
    pollIntervalMs: durationMs(DEFAULT_POLL_INTERVAL),
    reconnectDelayMs: RECONNECT_DELAY_MS,
    viewerPauseMs: VIEWER_PAUSE_MS,
    viewerTimeoutMs: VIEWER_TIMEOUT_MS,
    labMs,
    upMs,
    teardownMs,
    cycles,
  };
}
