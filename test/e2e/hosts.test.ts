// Several Docker hosts (issue 15), simulated on this machine: three network namespaces with a dockerd
// each (test/support/test-hosts.ts), joined by a public and a private bridge, and a client namespace on
// the public bridge only. One `pulumi up` places two instances on each host and the gateway on the
// first; clients in the client namespace publish over RTMP, read over HLS and WebRTC (Chromium), and
// probe every MediaMTX port. Then a host's link is cut: its instances go DOWN in every backend, viewers
// of streams elsewhere see no failure, and a reconnecting publisher lands on a surviving host.

import { type ChildProcess, execFile } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverStatus } from "../../infra/haproxy/stats-csv";
import { fetchRouterStatus, fetchStats, statsEndpoint } from "../../infra/haproxy/stats-frontend";
import type { StatusReport } from "../../infra/status/report";
import { localImages } from "../../scripts/lib/versions";
import { Chromium, chromiumAvailable } from "../support/chromium";
import { whepReadFrom } from "../support/namespace-clients";
import { eventually, rtmpPublishArgs, stopProcess } from "../support/publisher";
import { REPO_ROOT, removeLeftoverE2eObjects, TEST_STATS_PASSWORD, TestStack } from "../support/stack";
import {
  cleanupLeftoverTestHosts,
  createTestHosts,
  inNamespace,
  spawnInNamespace,
  type TestHosts,
} from "../support/test-hosts";

const run = promisify(execFile);
/** `docker -H <engine> …`: its trimmed stdout. */
async function docker(engine: string, args: readonly string[]): Promise<string> {
  return (await run("docker", ["-H", engine, ...args])).stdout.trim();
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const HEALTH = { interval: "1s", timeout: "500ms", fall: 2, rise: 1 };
const STREAMS = ["s1", "s2", "s3", "s4", "s5", "s6"];

/** ffmpeg in `namespace` publishing a small test pattern with AAC to `url` (as publishRtmp does). */
function publishFrom(namespace: string, url: string): ChildProcess {
  return spawnInNamespace(namespace, "ffmpeg", rtmpPublishArgs(url), { stdio: ["ignore", "ignore", "pipe"] });
}

/**
 * GET from the client namespace as a player: follows redirects (MediaMTX's cookie check) with a cookie
 * jar per stream. Status and body (curl), or status 0 when nothing answered.
 */
async function clientGet(
  namespace: string,
  url: string,
  jar: string,
): Promise<{ status: number; body: string }> {
  try {
    const { stdout } = await inNamespace(
      namespace,
      "curl",
      ["-sS", "-L", "-m", "4", "-b", jar, "-c", jar, "-w", "\n%{http_code}", url],
      { timeoutMs: 10_000 },
    );
    const cut = stdout.lastIndexOf("\n");
    return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) };
  } catch {
    return { status: 0, body: "" };
  }
}

const uriLines = (playlist: string) =>
  playlist
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));

/** One HLS read as a player does: the multivariant playlist, its first media playlist, the newest segment. */
async function readHlsOnce(namespace: string, base: string, stream: string): Promise<number[]> {
  const jar = join(tmpdir(), `mediamtx-lb-hosts-${process.pid}-${stream.replace(/\W/g, "_")}.jar`);
  const statuses: number[] = [];
  const index = await clientGet(namespace, `${base}/${stream}/index.m3u8`, jar);
  statuses.push(index.status);
  const media = uriLines(index.body)[0];
  if (media === undefined) return statuses;
  const playlist = await clientGet(namespace, new URL(media, `${base}/${stream}/`).toString(), jar);
  statuses.push(playlist.status);
  const last = uriLines(playlist.body).at(-1);
  if (last !== undefined)
    statuses.push((await clientGet(namespace, new URL(last, `${base}/${stream}/`).toString(), jar)).status);
  return statuses;
}

/** Captures every RTCPeerConnection a page makes, so its selected candidate pair can be read. */
const CAPTURE_PEER_CONNECTIONS = `(() => {
  const Original = window.RTCPeerConnection;
  window.__pcs = [];
  window.RTCPeerConnection = function (...args) { const pc = new Original(...args); window.__pcs.push(pc); return pc; };
  window.RTCPeerConnection.prototype = Original.prototype;
})();`;

/** The selected pair's remote candidate (protocol, address:port) and the inbound video bytes. */
const SELECTED_PAIR = `(async () => {
  const pc = (window.__pcs || []).at(-1);
  if (!pc) return null;
  const stats = await pc.getStats();
  let pair; let bytes = 0;
  stats.forEach((r) => {
    if (r.type === "transport" && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId);
    if (r.type === "inbound-rtp" && r.kind === "video") bytes = r.bytesReceived;
  });
  if (!pair) return null;
  const remote = stats.get(pair.remoteCandidateId);
  return { protocol: remote.protocol, remote: remote.address + ":" + remote.port, bytes };
})()`;

interface Pair {
  readonly protocol: string;
  readonly remote: string;
  readonly bytes: number;
}

describe("several Docker hosts (network namespaces, real engines)", () => {
  let lab: TestHosts;
  let stack: TestStack;
  let config: {
    hosts: { name: string; docker: string; address: string; privateAddress: string }[];
    instances: { name: string; host: string }[];
    [key: string]: unknown;
  };
  const publishers = new Map<string, ChildProcess>();

  const client = () => {
    if (lab.client === undefined) throw new Error("the lab has no client namespace");
    return lab.client.namespace;
  };
  const gatewayAddress = () => lab.hosts[0]?.address ?? "";
  const hlsBase = () => `http://${gatewayAddress()}:8888`;
  const stats = () => statsEndpoint(`http://${gatewayAddress()}:8404`, "admin", TEST_STATS_PASSWORD);
  const owners = async (): Promise<Map<string, string>> =>
    new Map((await fetchRouterStatus(stats())).entries.map((e) => [e.stream, e.server]));
  const hostOf = (instance: string) => stack.model.instances.find((i) => i.name === instance)?.host;

  beforeAll(async () => {
    await cleanupLeftoverTestHosts();
    await removeLeftoverE2eObjects();
    lab = await createTestHosts({ hosts: 3, client: true });
    config = {
      images: localImages(),
      hosts: lab.hosts.map((h, n) => ({
        name: `h${n + 1}`,
        docker: h.docker,
        address: h.address,
        privateAddress: h.privateAddress,
      })),
      gateway: { host: "h1" },
      bindAddress: "0.0.0.0",
      publicHost: gatewayAddress(),
      instances: ["h1", "h2", "h3"].flatMap((host) => [
        { name: `${host}-a`, host },
        { name: `${host}-b`, host },
      ]),
      hostDir: `/tmp/mediamtx-lb-e2e/hosts-${process.pid}`,
      health: HEALTH,
      routing: { pollInterval: "1s" },
    };
    stack = new TestStack("hosts", config);
    await stack.init();
    const up = await stack.up();
    if (up.code !== 0) throw new Error(`pulumi up failed:\n${up.stdout}\n${up.stderr}`);
  }, 900_000);

  afterAll(async () => {
    for (const p of publishers.values()) await stopProcess(p);
    // A failed host-loss case may have left a link cut: destroy needs every engine.
    if (lab !== undefined) for (const host of lab.hosts) await lab.restoreLink(host).catch(() => undefined);
    if (stack !== undefined) {
      const down = await stack.destroy();
      if (down.code !== 0) console.log(`hosts e2e: destroy failed:\n${down.stdout}\n${down.stderr}`);
    }
    if (lab !== undefined) await lab.destroy();
  }, 600_000);

  it("one `pulumi up` runs two instances on each of three hosts; outputs name each instance's host", async () => {
    const outputs = await stack.outputs();
    const instances = outputs.instances as { name: string; host: string; webrtcUdpPort: number }[];
    expect(instances.map((i) => `${i.name}@${i.host}`)).toEqual([
      "h1-a@h1",
      "h1-b@h1",
      "h2-a@h2",
      "h2-b@h2",
      "h3-a@h3",
      "h3-b@h3",
    ]);
    expect(instances.map((i) => i.webrtcUdpPort)).toEqual([8189, 8190, 8191, 8192, 8193, 8194]);
    const csv = await fetchStats(stats());
    for (const i of stack.model.instances) expect(serverStatus(csv, "hls", i.name)).toMatch(/^UP/);
  });

  it("RTMP publishes from the client spread over all six instances; HLS reads answer 100%", async () => {
    for (const stream of STREAMS) {
      publishers.set(stream, publishFrom(client(), `rtmp://${gatewayAddress()}:1935/${stream}`));
      // One at a time: each new connection takes the next server in the weighted round-robin.
      await eventually(`${stream} has an owner`, async () =>
        (await owners()).has(stream) ? true : undefined,
      );
    }
    const placed = await owners();
    const used = new Set(STREAMS.map((s) => placed.get(s)));
    console.log(`hosts e2e: owners ${STREAMS.map((s) => `${s}→${placed.get(s)}`).join(" ")}`);
    expect(used.size).toBe(6);

    await eventually(
      "every stream plays over HLS",
      async () => {
        for (const stream of STREAMS) {
          const got = await readHlsOnce(client(), hlsBase(), stream);
          if (got.length < 3 || got.some((s) => s !== 200)) throw new Error(`${stream}: ${got.join(" ")}`);
        }
        return true;
      },
      60_000,
    );
    const statuses: number[] = [];
    for (let round = 0; round < 3; round++)
      for (const stream of STREAMS) statuses.push(...(await readHlsOnce(client(), hlsBase(), stream)));
    console.log(
      `hosts e2e: HLS from the client: ${statuses.filter((s) => s === 200).length}/${statuses.length} answered 200`,
    );
    expect(statuses.length).toBe(3 * 3 * STREAMS.length);
    expect(statuses.every((s) => s === 200)).toBe(true);
  }, 240_000);

  it("WHEP reads (werift) from the client through the gateway: every request answered, media over UDP", async () => {
    const urls = STREAMS.map((s) => `http://${gatewayAddress()}:8889/${s}/whep`);
    const reads = await whepReadFrom(client(), urls);
    const requests = reads.flatMap((r) => r.requests);
    const answered = requests.filter((r) => r.status >= 200 && r.status < 400).length;
    console.log(
      `hosts e2e: WHEP from the client: ${answered}/${requests.length} requests answered; ` +
        reads.map((r) => `${r.url.split("/").at(-2)} ${r.rtpPackets} RTP via ${r.selected}`).join(", "),
    );
    expect(reads).toHaveLength(STREAMS.length);
    expect(requests.length).toBeGreaterThanOrEqual(3 * STREAMS.length);
    expect(answered).toBe(requests.length);
    for (const read of reads) {
      expect(read.connected, read.url).toBe(true);
      expect(read.rtpPackets, read.url).toBeGreaterThanOrEqual(10);
      expect(read.selected, read.url).toMatch(/^udp 10\.254\.90\./);
    }
  }, 240_000);

  it("scripts/status on the gateway's host groups instances by host and shows each engine reachable", async () => {
    // Run where an operator runs it: on the gateway's host, whose private address the instances'
    // control API answers (the root namespace's address on the private bridge is not the gateway's).
    const { stdout } = await inNamespace(
      lab.hosts[0]?.namespace ?? "",
      join(REPO_ROOT, "scripts", "status"),
      [stack.name, "--json"],
      { timeoutMs: 120_000 },
    );
    const report = JSON.parse(stdout) as StatusReport;
    expect(report.hosts?.map((h) => [h.name, h.engine.reachable, h.gateway])).toEqual([
      ["h1", true, true],
      ["h2", true, false],
      ["h3", true, false],
    ]);
    expect(report.instances.map((i) => `${i.name}@${i.host} ${i.container.state} api=${i.api.ok}`)).toEqual(
      stack.model.instances.map((i) => `${i.name}@${i.host} running api=true`),
    );
    const live = report.instances.flatMap((i) => i.streams ?? []).sort();
    expect(live).toEqual([...STREAMS].sort());
    const { stdout: text } = await inNamespace(
      lab.hosts[0]?.namespace ?? "",
      join(REPO_ROOT, "scripts", "status"),
      [stack.name],
    );
    console.log(`hosts e2e: scripts/status (text):\n${text}`);
  }, 180_000);

  it("from the client, no MediaMTX port answers on any host, apart from the WebRTC UDP ones", async () => {
    const targets: string[] = [];
    for (const host of lab.hosts) {
      const hostName = `h${lab.hosts.indexOf(host) + 1}`;
      const onHost = stack.model.instances.filter((i) => i.host === hostName);
      const ports = new Set<number>();
      for (const i of onHost) for (const p of i.published) if (p.protocol === "tcp") ports.add(p.external);
      for (const i of stack.model.instances) ports.add(i.iceTcpPort);
      for (const p of [1935, 8888, 8889, 9997, 9998, 9990]) ports.add(p);
      for (const port of ports) {
        targets.push(`${host.privateAddress}:${port}`);
        // The gateway's own frontends answer on h1's public address: they are HAProxy, not MediaMTX.
        const gatewayPort = [1935, 8888, 8889, ...stack.model.instances.map((i) => i.iceTcpPort)].includes(
          port,
        );
        if (!(hostName === "h1" && gatewayPort)) targets.push(`${host.address}:${port}`);
      }
    }
    // One shell in the client namespace: a connect attempt per target, 1 s each.
    const script = targets
      .map((t) => {
        const [ip, port] = t.split(":");
        return `timeout 1 bash -c '</dev/tcp/${ip}/${port}' 2>/dev/null && echo "open ${t}"`;
      })
      .join("; ");
    const { stdout } = await inNamespace(client(), "bash", ["-c", `${script}; true`], { timeoutMs: 600_000 });
    console.log(
      `hosts e2e: probed ${targets.length} TCP ports from the client; open: ${stdout.trim() || "none"}`,
    );
    expect(targets.length).toBeGreaterThan(60);
    expect(stdout.trim()).toBe("");
    // The control: the same probe reaches the gateway's HLS frontend.
    const { stdout: control } = await inNamespace(client(), "bash", [
      "-c",
      `timeout 1 bash -c '</dev/tcp/${gatewayAddress()}/8888' && echo open`,
    ]);
    expect(control.trim()).toBe("open");
  }, 700_000);

  it.skipIf(!chromiumAvailable() && process.env.CI !== "true")(
    "Chromium in the client plays over WebRTC with media on UDP to the instance's host; with UDP blocked, over ICE-TCP",
    async () => {
      const placed = await owners();
      const stream = STREAMS.find((s) => hostOf(placed.get(s) ?? "") === "h2") ?? "s3";
      const owner = stack.model.instances.find((i) => i.name === placed.get(stream));
      const host = lab.hosts[1];
      const selected = async (browser: Chromium): Promise<Pair> => {
        const page = await browser.open(`http://${gatewayAddress()}:8889/${stream}/`, {
          initScript: CAPTURE_PEER_CONNECTIONS,
        });
        return eventually(
          "a selected candidate pair with video",
          async () => {
            const pair = await browser.evaluate<Pair | null>(page, SELECTED_PAIR);
            return pair !== null && pair.bytes > 50_000 ? pair : undefined;
          },
          60_000,
        );
      };

      const udpBrowser = Chromium.launch(undefined, { namespace: client() });
      try {
        const pair = await selected(udpBrowser);
        console.log(`hosts e2e: Chromium WebRTC ${stream} on ${owner?.name}: ${JSON.stringify(pair)}`);
        expect(pair.protocol).toBe("udp");
        expect(pair.remote).toBe(`${host?.address}:${owner?.webrtcUdpPort}`);
      } finally {
        await udpBrowser.close();
      }

      await lab.blockUdp(client());
      const tcpBrowser = Chromium.launch(undefined, { namespace: client() });
      try {
        const pair = await selected(tcpBrowser);
        console.log(`hosts e2e: Chromium WebRTC with UDP blocked: ${JSON.stringify(pair)}`);
        expect(pair.protocol).toBe("tcp");
        expect(pair.remote).toBe(`${gatewayAddress()}:${owner?.iceTcpPort}`);
      } finally {
        await tcpBrowser.close();
        await lab.unblockUdp(client());
      }
    },
    240_000,
  );

  it("a host cut off: its instances DOWN within inter × fall + 1 s, viewers elsewhere 0 failed, a republish lands on a survivor", async () => {
    const placed = await owners();
    const lost = "h3";
    const lostInstances = stack.model.instances.filter((i) => i.host === lost).map((i) => i.name);
    const survivors = STREAMS.filter((s) => hostOf(placed.get(s) ?? "") !== lost);
    const victim = STREAMS.find((s) => hostOf(placed.get(s) ?? "") === lost);
    expect(victim).toBeDefined();

    // Viewers of the surviving streams poll through the cut.
    let polling = true;
    const statuses: number[] = [];
    const viewers = (async () => {
      while (polling)
        for (const s of survivors) statuses.push(...(await readHlsOnce(client(), hlsBase(), s)));
    })();

    const cutAt = Date.now();
    await lab.cutLink(lab.hosts[2] ?? lost);
    const budgetMs = 1_000 * 2 + 1_000; // inter 1 s × fall 2 + 1 s
    const backends = ["rtmp", "hls", "webrtc"];
    const downAfter = await eventually(
      "the lost host's instances DOWN in every backend",
      async () => {
        const csv = await fetchStats(stats());
        const all = lostInstances.every((name) =>
          backends.every((b) => /^(DOWN|MAINT)/.test(serverStatus(csv, b, name) ?? "")),
        );
        return all ? Date.now() - cutAt : undefined;
      },
      20_000,
    );
    console.log(`hosts e2e: cut → DOWN in every backend after ${downAfter} ms (budget ${budgetMs} ms)`);
    expect(downAfter).toBeLessThanOrEqual(budgetMs + 500);

    // The gateway closes the sessions of a server marked DOWN (on-marked-down shutdown-sessions), so
    // the encoder notices at once instead of after `timeout tunnel`; it reconnects, as encoders do.
    const old = publishers.get(victim ?? "");
    if (old === undefined) throw new Error(`no publisher for ${victim}`);
    const exited =
      old.exitCode !== null
        ? Date.now() - cutAt
        : await Promise.race([
            new Promise<number>((resolve) => old.once("exit", () => resolve(Date.now() - cutAt))),
            sleep(15_000).then(() => undefined),
          ]);
    console.log(`hosts e2e: the ${victim} encoder saw its connection closed ${exited} ms after the cut`);
    expect(exited).toBeDefined();
    publishers.set(victim ?? "", publishFrom(client(), `rtmp://${gatewayAddress()}:1935/${victim}`));
    const newOwner = await eventually(
      `${victim} republished on a surviving host`,
      async () => {
        const owner = (await owners()).get(victim ?? "");
        return owner !== undefined && hostOf(owner) !== lost ? owner : undefined;
      },
      60_000,
    );
    const playable = await eventually(
      `${victim} plays again over HLS`,
      async () => {
        const got = await readHlsOnce(client(), hlsBase(), victim ?? "");
        return got.length === 3 && got.every((s) => s === 200) ? Date.now() - cutAt : undefined;
      },
      60_000,
    );
    console.log(
      `hosts e2e: ${victim} republished on ${newOwner} (${hostOf(newOwner)}); playable ${playable} ms after the cut`,
    );
    await sleep(2_000);
    polling = false;
    await viewers;
    const failed = statuses.filter((s) => s !== 200).length;
    console.log(
      `hosts e2e: viewers of ${survivors.length} surviving streams: ${statuses.length - failed}/${statuses.length} answered during the cut`,
    );
    expect(statuses.length).toBeGreaterThan(30);
    expect(failed).toBe(0);
  }, 300_000);

  it("scripts/status says when a host's engine is gone and what ran there", async () => {
    // The link cut leaves h3's engine reachable over its unix socket; a power loss does not.
    await lab.killEngine(lab.hosts[2] ?? "h3");
    const { stdout } = await inNamespace(
      lab.hosts[0]?.namespace ?? "",
      join(REPO_ROOT, "scripts", "status"),
      [stack.name, "--json"],
      { timeoutMs: 120_000 },
    );
    const report = JSON.parse(stdout) as StatusReport;
    const h3 = report.hosts?.find((h) => h.name === "h3");
    console.log(`hosts e2e: status with h3's engine killed: ${JSON.stringify(h3?.engine)}`);
    expect(h3?.engine.reachable).toBe(false);
    expect(report.hosts?.filter((h) => h.engine.reachable).map((h) => h.name)).toEqual(["h1", "h2"]);
    expect(
      report.instances.filter((i) => i.host === "h3").map((i) => `${i.name} ${i.container.state}`),
    ).toEqual(["h3-a unknown", "h3-b unknown"]);
  }, 180_000);

  it("the dead host taken out as the README says: scripts/forget-host, its instances moved, `pulumi up`", async () => {
    // h3's link is still cut and its engine killed: nothing of it can be reached, as after a real loss.
    const gatewayStarted = await docker(lab.hosts[0]?.docker ?? "", [
      "inspect",
      "-f",
      "{{.State.StartedAt}}",
      stack.model.gateway.containerName,
    ]);
    const startedAt = (host: number, container: string) =>
      docker(lab.hosts[host]?.docker ?? "", ["inspect", "-f", "{{.State.StartedAt}}", container]);
    const untouched = [
      [0, "h1-a"],
      [0, "h1-b"],
      [1, "h2-a"],
      [1, "h2-b"],
    ] as const;
    const containerOf = (name: string) => `${stack.name}-mediamtx-${name}`;
    const before = await Promise.all(untouched.map(([h, n]) => startedAt(h, containerOf(n))));
    const forget = await run(join(REPO_ROOT, "scripts", "forget-host"), [stack.name, "h3"], {
      env: { ...process.env, PULUMI_CONFIG_PASSPHRASE: "" },
      cwd: REPO_ROOT,
    }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({
        code: e.code ?? 1,
        out: `${e.stdout ?? ""}${e.stderr ?? ""}`,
      }),
    );
    console.log(`hosts e2e: scripts/forget-host: ${forget.out.split("\n")[0]}`);
    expect(forget.code, forget.out).toBe(0);
    stack.writeConfig({
      ...config,
      hosts: config.hosts.filter((h) => h.name !== "h3"),
      instances: config.instances.map((i) =>
        i.host === "h3" ? { ...i, host: i.name === "h3-a" ? "h1" : "h2" } : i,
      ),
    });
    const started = Date.now();
    const up = await stack.up();
    expect(up.code, `${up.stdout}${up.stderr}`).toBe(0);
    console.log(`hosts e2e: dead host h3 taken out; pulumi up took ${Date.now() - started} ms`);
    const csv = await fetchStats(stats());
    for (const name of ["h3-a", "h3-b"]) expect(serverStatus(csv, "hls", name)).toMatch(/^UP/);
    const outputs = (await stack.outputs()).instances as { name: string; host: string }[];
    expect(outputs.filter((i) => i.name.startsWith("h3-")).map((i) => `${i.name}@${i.host}`)).toEqual([
      "h3-a@h1",
      "h3-b@h2",
    ]);
    // Only the moved instances were created: the others kept their containers.
    expect(await Promise.all(untouched.map(([h, n]) => startedAt(h, containerOf(n))))).toEqual(before);
    // The gateway kept running through it (its config changed: a reload, never a new container).
    expect(
      await docker(lab.hosts[0]?.docker ?? "", [
        "inspect",
        "-f",
        "{{.State.StartedAt}}",
        stack.model.gateway.containerName,
      ]),
    ).toBe(gatewayStarted);
  }, 600_000);
});
