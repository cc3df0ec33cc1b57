// Two gateways behind one floating address (issue 16), on Docker hosts simulated as network namespaces
// (test/support/test-hosts.ts): gateway ga on h1, gb on h2, two instances on h3, clients in their own
// namespace. keepalived (VRRP, unicast) holds the floating address on one gateway's host. The active
// gateway's host is cut off: the standby takes the address, viewers carry on in their HLS sessions on the
// same instance, and a reconnecting encoder is live again. Then the old active returns (no second
// failover) and a weights change and an interval change apply to both gateways under load.

import { type ChildProcess, execFile } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverStatus } from "../../infra/haproxy/stats-csv";
import { fetchRouterStatus, fetchStats, statsEndpoint } from "../../infra/haproxy/stats-frontend";
import type { StatusReport } from "../../infra/status/report";
import { localImages, localKeepalivedImage } from "../../scripts/lib/versions";
import type { PlayedViewer } from "../support/hls-play-main";
import { isAnswered } from "../support/hls-player";
import { playFrom, whepReadFrom } from "../support/namespace-clients";
import { eventually, rtmpPublishArgs, stopProcess } from "../support/publisher";
import { REPO_ROOT, removeLeftoverE2eObjects, TEST_STATS_PASSWORD, TestStack } from "../support/stack";
import {
  cleanupLeftoverTestHosts,
  createTestHosts,
  inNamespace,
  PRIVATE_NET,
  PUBLIC_NET,
  spawnInNamespace,
  type TestHost,
  type TestHosts,
} from "../support/test-hosts";

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const FLOATING = `${PUBLIC_NET}.100`;
const HEALTH = { interval: "1s", timeout: "500ms", fall: 2, rise: 1 };
/** The issue's bound: cut → the standby holds the address. */
const TAKEOVER_BUDGET_MS = 3_000;

/** Single-quotes `arg` for bash. */
const shellQuote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;

/** Where a reconnecting publisher logs each attempt's start and end (ms epoch) and ffmpeg's errors. */
const publisherLog = (stream: string) => join(tmpdir(), `mediamtx-lb-pair-${process.pid}-${stream}.log`);

/** An encoder that reconnects: ffmpeg in a loop, half a second between attempts, as encoders retry. */
function reconnectingPublisher(namespace: string, url: string): ChildProcess {
  const ffmpeg = ["ffmpeg", ...rtmpPublishArgs(url)].map(shellQuote).join(" ");
  const log = shellQuote(publisherLog(url.split("/").at(-1) ?? "stream"));
  const loop = `while true; do echo "start $(date +%s%3N)" >>${log}; ${ffmpeg} 2>>${log}; echo "exit $? $(date +%s%3N)" >>${log}; sleep 0.5; done`;
  return spawnInNamespace(namespace, "bash", ["-c", loop], {
    stdio: "ignore",
    detached: true,
  });
}

/** Stops a reconnecting publisher: its whole process group (bash and the ffmpeg it runs). */
async function stopGroup(p: ChildProcess): Promise<void> {
  if (p.pid !== undefined && p.exitCode === null) {
    try {
      process.kill(-p.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await stopProcess(p).catch(() => undefined);
}

const failures = (v: PlayedViewer) => v.requests.filter(([, , status]) => !isAnswered(status));

describe("two gateways behind one floating address (network namespaces, real keepalived)", () => {
  let lab: TestHosts;
  let stack: TestStack;
  let config: Record<string, unknown>;
  const publishers: ChildProcess[] = [];

  const client = () => {
    if (lab.client === undefined) throw new Error("the lab has no client namespace");
    return lab.client.namespace;
  };
  const host = (n: number): TestHost => {
    const h = lab.hosts[n];
    if (h === undefined) throw new Error(`no host ${n}`);
    return h;
  };
  /** h1 and h2 run the gateways. */
  const gatewayHosts = () => [host(0), host(1)];
  const statsOf = (h: TestHost) => statsEndpoint(`http://${h.address}:8404`, "admin", TEST_STATS_PASSWORD);
  const ownersOn = async (h: TestHost) =>
    new Map((await fetchRouterStatus(statsOf(h))).entries.map((e) => [e.stream, e.server]));
  /** The gateway hosts whose interfaces hold the floating address now. */
  const holders = async (): Promise<TestHost[]> => {
    const held: TestHost[] = [];
    for (const h of gatewayHosts()) {
      const { stdout } = await inNamespace(h.namespace, "ip", ["-o", "-4", "addr", "show"]);
      if (stdout.includes(` ${FLOATING}/`)) held.push(h);
    }
    return held;
  };
  const soleHolder = () =>
    eventually("exactly one gateway holds the floating address", async () => {
      const held = await holders();
      return held.length === 1 ? held[0] : undefined;
    });

  beforeAll(async () => {
    await cleanupLeftoverTestHosts();
    await removeLeftoverE2eObjects();
    lab = await createTestHosts({ hosts: 3, client: true });
    config = {
      images: { ...localImages(), keepalived: localKeepalivedImage() },
      hosts: lab.hosts.map((h, n) => ({
        name: `h${n + 1}`,
        docker: h.docker,
        address: h.address,
        privateAddress: h.privateAddress,
      })),
      gateways: [
        { name: "ga", host: "h1" },
        { name: "gb", host: "h2" },
      ],
      floatingAddress: FLOATING,
      privateFloatingAddress: `${PRIVATE_NET}.100`,
      // Both on h3: cutting either gateway's host loses no instance.
      instances: [
        { name: "h3-a", host: "h3" },
        { name: "h3-b", host: "h3" },
      ],
      hostDir: `/tmp/mediamtx-lb-e2e/pair-${process.pid}`,
      health: HEALTH,
      routing: { pollInterval: "1s" },
    };
    stack = new TestStack("pair", config);
    await stack.init();
    const up = await stack.up();
    if (up.code !== 0) throw new Error(`pulumi up failed:\n${up.stdout}\n${up.stderr}`);
  }, 900_000);

  afterAll(async () => {
    for (const p of publishers) await stopGroup(p);
    for (const stream of ["live", "steady"]) rmSync(publisherLog(stream), { force: true });
    if (lab !== undefined) for (const h of lab.hosts) await lab.restoreLink(h).catch(() => undefined);
    if (stack !== undefined) {
      const down = await stack.destroy();
      if (down.code !== 0) console.log(`pair e2e: destroy failed:\n${down.stdout}\n${down.stderr}`);
    }
    if (lab !== undefined) await lab.destroy();
  }, 600_000);

  it("one `pulumi up`: both gateways serve every instance, exactly one holds the floating address, outputs name it", async () => {
    const outputs = await stack.outputs();
    expect(outputs.floatingAddress).toBe(FLOATING);
    expect((outputs.endpoints as { hls: string }).hls).toBe(`http://${FLOATING}:8888`);
    const gateways = outputs.gateways as {
      name: string;
      host: string;
      container: string;
      keepalived: string;
    }[];
    expect(gateways.map((g) => `${g.name}@${g.host}`)).toEqual(["ga@h1", "gb@h2"]);
    for (const h of gatewayHosts()) {
      const csv = await fetchStats(statsOf(h));
      for (const i of stack.model.instances) expect(serverStatus(csv, "hls", i.name), h.name).toMatch(/^UP/);
    }
    const holder = await soleHolder();
    console.log(`pair e2e: ${holder.name} holds ${FLOATING}`);
  }, 120_000);

  it("publishes through the floating address; both gateways route every stream to the same owner", async () => {
    const holder = await soleHolder();
    const standby = gatewayHosts().find((h) => h !== holder) ?? host(1);
    // `live` comes in through the floating address, as every encoder does. `steady` comes in through the
    // standby's own address, so its session outlives the cut below: its viewers show what a failover does
    // to a viewer alone.
    publishers.push(reconnectingPublisher(client(), `rtmp://${FLOATING}:1935/live`));
    publishers.push(reconnectingPublisher(client(), `rtmp://${standby.address}:1935/steady`));
    const agreed = await eventually(
      "both gateways know both streams, with the same owners",
      async () => {
        const [a, b] = [await ownersOn(host(0)), await ownersOn(host(1))];
        const same = ["live", "steady"].every((s) => a.get(s) !== undefined && a.get(s) === b.get(s));
        return same ? a : undefined;
      },
      60_000,
    );
    console.log(
      `pair e2e: owners on both gateways: live→${agreed.get("live")} steady→${agreed.get("steady")}`,
    );
    await eventually(
      "both streams play through the floating address",
      async () => {
        const viewers = await playFrom(client(), 3_000, [
          `http://${FLOATING}:8888/live/index.m3u8`,
          `http://${FLOATING}:8888/steady/index.m3u8`,
        ]);
        return viewers.every((v) => v.mediaBytes > 0 && failures(v).length === 0) ? true : undefined;
      },
      60_000,
    );
  }, 180_000);

  it("WHEP reads (werift) through the floating address: every signalling request answered, RTP flows", async () => {
    const urls = ["live", "steady"].map((st) => `http://${FLOATING}:8889/${st}/whep`);
    const reads = await whepReadFrom(client(), urls, 120_000);
    for (const read of reads) {
      console.log(
        `pair e2e: WHEP ${read.url}: ${read.requests.map((r) => r.status).join(" ")}, ${read.rtpPackets} RTP via ${read.selected}`,
      );
      expect(
        read.requests.every((r) => r.status >= 200 && r.status < 400),
        read.url,
      ).toBe(true);
      expect(read.connected, read.url).toBe(true);
      expect(read.rtpPackets, read.url).toBeGreaterThanOrEqual(10);
    }
    expect(reads).toHaveLength(2);
  }, 180_000);

  it("scripts/status on a gateway's host: both gateways, the holder, maps that agree", async () => {
    const holder = await soleHolder();
    // Run where an operator runs it: on a gateway's host (the instances' API answers only the gateways).
    const { stdout } = await inNamespace(
      host(1).namespace,
      join(REPO_ROOT, "scripts", "status"),
      [stack.name, "--json"],
      {
        timeoutMs: 120_000,
      },
    );
    const report = JSON.parse(stdout) as StatusReport;
    const gatewayName = (h: TestHost) => (h === host(0) ? "ga" : "gb");
    expect(report.floating?.address).toBe(FLOATING);
    expect(report.floating?.holders).toEqual([gatewayName(holder)]);
    expect(report.floating?.maps.agree).toBe(true);
    expect(
      report.gateways?.map((g) => `${g.name} ${g.haproxy.state} ${g.keepalived.state} ${g.holdsAddress}`),
    ).toEqual([host(0), host(1)].map((h) => `${gatewayName(h)} running running ${h === holder}`));
    const { stdout: text } = await inNamespace(host(1).namespace, join(REPO_ROOT, "scripts", "status"), [
      stack.name,
    ]);
    console.log(`pair e2e: scripts/status (text):\n${text}`);
  }, 180_000);

  it("the active gateway's host cut off: the standby holds the address within 3 s, viewers keep their sessions, the encoder is live again", async () => {
    const holder = await soleHolder();
    const standby = gatewayHosts().find((h) => h !== holder) ?? host(1);
    const urls = [
      `http://${FLOATING}:8888/steady/index.m3u8`,
      `http://${FLOATING}:8888/steady/index.m3u8`,
      `http://${FLOATING}:8888/live/index.m3u8`,
    ];
    const playing = playFrom(client(), 30_000, urls);
    await sleep(8_000);

    const cutAt = Date.now();
    await lab.cutLink(holder);
    // Sampled every 50 ms (one `ip` in the standby's namespace), so the figure is not the poll's step.
    let movedAfter: number | undefined;
    while (movedAfter === undefined && Date.now() - cutAt < 20_000) {
      const { stdout } = await inNamespace(standby.namespace, "ip", [
        "-o",
        "-4",
        "addr",
        "show",
        "to",
        `${FLOATING}/32`,
      ]);
      if (stdout.trim() !== "") movedAfter = Date.now() - cutAt;
      else await sleep(50);
    }
    if (movedAfter === undefined) throw new Error(`${standby.name} did not take ${FLOATING} within 20 s`);
    console.log(`pair e2e: cut ${holder.name} → ${standby.name} holds ${FLOATING} after ${movedAfter} ms`);
    expect(movedAfter).toBeLessThanOrEqual(TAKEOVER_BUDGET_MS);

    const viewers = await playing;
    for (const v of viewers) {
      const after = v.requests.filter(([started, , status]) => started >= cutAt && isAnswered(status));
      const firstAnswered = after[0] === undefined ? undefined : after[0][1] - cutAt;
      console.log(
        `pair e2e: viewer ${new URL(v.url).pathname}: ${v.requests.length} requests, ${failures(v).length} unanswered, ` +
          `restarts ${v.restarts}, sessions ${v.sessions.length}, first answer after the cut at ${firstAnswered} ms`,
      );
      for (const f of v.failed)
        console.log(`pair e2e:   unanswered ${f.status} at ${f.startedAt - cutAt} ms: ${f.path}`);
      expect(after.length, v.url).toBeGreaterThan(5);
    }
    // A viewer alone (its stream's encoder untouched): the same session on the same instance throughout.
    for (const v of viewers.filter((x) => x.url.includes("/steady/"))) {
      expect(v.restarts, v.url).toBe(0);
      expect(v.sessions, v.url).toHaveLength(1);
    }

    // The encoder that came in through the lost gateway saw its connection reset once the address moved
    // (TCP resent to the new holder, which has no such connection) and reconnected through the new
    // active. Its log: attempts' starts and exits in ms since the cut, and ffmpeg's errors.
    const attempts = readFileSync(publisherLog("live"), "utf8")
      .split("\n")
      .map((line) => line.replace(/\b(\d{13})\b/, (ms) => `${Number(ms) - cutAt} ms`))
      .filter((line) => line.trim() !== "");
    console.log(`pair e2e: the encoder's attempts around the cut:\n${attempts.slice(-8).join("\n")}`);
    const restartedAt = attempts
      .map((line) => /^start (-?\d+) ms$/.exec(line)?.[1])
      .map(Number)
      .find((ms) => ms > 0);
    expect(restartedAt, "the encoder reconnected after the cut").toBeDefined();
    // Its viewer (in the 30 s play above) started over once (a new publisher is a new muxer) and played
    // again; a new viewer plays it through the floating address too.
    const liveViewer = viewers.find((v) => v.url.includes("/live/"));
    const replayed = liveViewer?.requests.find(
      ([started, , status]) => started >= cutAt && isAnswered(status),
    );
    expect(replayed, "the live viewer was answered after the cut").toBeDefined();
    const [fresh] = await playFrom(client(), 3_000, [`http://${FLOATING}:8888/live/index.m3u8`]);
    expect(fresh?.mediaBytes ?? 0).toBeGreaterThan(0);
    console.log(
      `pair e2e: the encoder reconnected ${restartedAt} ms after the cut; its viewer was answered again at ${
        (replayed?.[1] ?? 0) - cutAt
      } ms; a new viewer got ${fresh?.mediaBytes} bytes of media`,
    );
  }, 240_000);

  it("the old active back: no second failover with equal priorities", async () => {
    const [holder] = await holders();
    const returning = gatewayHosts().find((h) => h !== holder);
    if (holder === undefined || returning === undefined) throw new Error("no holder before the return");
    await lab.restoreLink(returning);
    // Long enough for the returning keepalived to leave FAULT, hear the master and settle.
    const seen: string[] = [];
    for (let n = 0; n < 16; n++) {
      await sleep(500);
      seen.push((await holders()).map((h) => h.name).join("+") || "none");
    }
    console.log(`pair e2e: ${returning.name} back; holders every 500 ms: ${seen.join(" ")}`);
    expect(new Set(seen)).toEqual(new Set([holder.name]));
  }, 60_000);

  it("a weights change and an interval change under load reach both gateways with 0 failed requests", async () => {
    const urls = [0, 1, 2, 3].map(
      (n) => `http://${FLOATING}:8888/${n % 2 === 0 ? "steady" : "live"}/index.m3u8`,
    );
    const playing = playFrom(client(), 60_000, urls);
    await sleep(5_000);
    stack.writeConfig({
      ...config,
      instances: [
        { name: "h3-a", host: "h3", weight: 3 },
        { name: "h3-b", host: "h3" },
      ],
    });
    const weights = await stack.up();
    expect(weights.code, weights.stdout + weights.stderr).toBe(0);
    for (const h of gatewayHosts()) {
      const stats = await fetchStats(statsOf(h));
      const weight = stats.servers.find((x) => x.backend === "hls" && x.server === "h3-a")?.weight;
      expect(weight, h.name).toBe(3);
    }
    stack.writeConfig({
      ...config,
      instances: [
        { name: "h3-a", host: "h3", weight: 3 },
        { name: "h3-b", host: "h3" },
      ],
      health: { ...HEALTH, interval: "2s" },
    });
    const interval = await stack.up();
    expect(interval.code, interval.stdout + interval.stderr).toBe(0);
    const viewers = await playing;
    const total = viewers.reduce((n, v) => n + v.requests.length, 0);
    const failed = viewers.reduce((n, v) => n + failures(v).length, 0);
    console.log(`pair e2e: under the two changes: ${total - failed}/${total} requests answered`);
    expect(total).toBeGreaterThan(100);
    expect(failed).toBe(0);
    for (const v of viewers) expect(v.restarts, v.url).toBe(0);
    // Both gateways reloaded for the interval change (the master logs each reload's success).
    for (const [n, g] of stack.model.gateways.entries()) {
      const logs = await run("docker", ["-H", host(n).docker, "logs", g.containerName]);
      const reloads = (`${logs.stdout}${logs.stderr}`.match(/Loading success/g) ?? []).length;
      console.log(`pair e2e: ${g.name}: ${reloads} "Loading success" lines`);
      // Its start and the interval change's reload: the weights change went over the Runtime API.
      expect(reloads, g.name).toBe(2);
    }
  }, 300_000);

  it("previews no change when nothing changed; a priority change reloads keepalived in place and the preferred gateway takes the address", async () => {
    const current = {
      ...config,
      instances: [
        { name: "h3-a", host: "h3", weight: 3 },
        { name: "h3-b", host: "h3" },
      ],
      health: { ...HEALTH, interval: "2s" },
    };
    const same = await stack.preview(["--expect-no-changes"]);
    expect(same.code, same.stdout + same.stderr).toBe(0);

    const [holder] = await holders();
    const other = gatewayHosts().find((h) => h !== holder);
    if (holder === undefined || other === undefined) throw new Error("no holder");
    const started = async () =>
      Promise.all(
        stack.model.gateways.map(async (g, n) =>
          (
            await run("docker", [
              "-H",
              host(n).docker,
              "inspect",
              "-f",
              "{{.State.StartedAt}}",
              g.containerName,
              g.keepalived?.containerName ?? "",
            ])
          ).stdout.trim(),
        ),
      );
    const before = await started();
    // Prefer the gateway that does not hold the address: different priorities mean preempt.
    stack.writeConfig({
      ...current,
      gateways: [
        { name: "ga", host: "h1", priority: other === host(0) ? 150 : 100 },
        { name: "gb", host: "h2", priority: other === host(1) ? 150 : 100 },
      ],
    });
    const up = await stack.up();
    expect(up.code, up.stdout + up.stderr).toBe(0);
    const tookOver = await eventually(
      `${other.name} (now preferred) holds the address`,
      async () => {
        const held = await holders();
        return held.length === 1 && held[0] === other ? true : undefined;
      },
      20_000,
    );
    expect(tookOver).toBe(true);
    // keepalived re-read its config (SIGHUP); no container was replaced.
    expect(await started()).toEqual(before);
    console.log(`pair e2e: priority change: ${other.name} took the address, no container replaced`);
  }, 180_000);
});
