// Routing scenarios with real clients, written once and run against any proxy design in front of any
// cluster of MediaMTX instances: our rendered haproxy.cfg + router.lua (fast lane: host HAProxy and
// MediaMTX processes on loopback; e2e: the stack `pulumi up` built) and the seed design (e2e only).
//
// Every scenario returns a Measurement (ok out of total, in the unit the scenario names) instead of
// asserting, so the same run can both fail a test for our design and report the seed's rate. Ground
// truth never comes from the proxy under test: owners are read from each instance's control API.

import type { ChildProcess } from "node:child_process";
import { isMarkedDown, isMarkedUp } from "../../infra/haproxy/stats-csv";
import type { StatsEndpoint } from "../../infra/haproxy/stats-frontend";
import { serverSessions, timeUntilStatus } from "./haproxy-stats";
import { HlsPlayer, isAnswered, type PlayerRequest } from "./hls-player";
import { type ApiInstance, getPath, waitGone, waitReady } from "./instance-api";
import { publishRtmp, stopProcess } from "./publisher";
import { rawHttp } from "./raw-http";
import { WhepReader, WhipPublisher } from "./webrtc";

export interface ClusterInstance extends ApiInstance {
  readonly weight: number;
  /** The ICE-TCP port this instance listens on and advertises. */
  readonly iceTcpPort: number;
}

/** The MediaMTX instances, and a way to kill and restart one (docker kill/start, or a process). */
export interface Cluster {
  /** In config order: the first is "the first instance". */
  readonly instances: readonly ClusterInstance[];
  kill(name: string): Promise<void>;
  start(name: string): Promise<void>;
}

/** A proxy design under test: its client-facing ports and what can be observed of it. */
export interface Design {
  readonly label: string;
  readonly host: string;
  readonly ports: { readonly rtmp: number; readonly hls: number; readonly webrtc: number };
  /**
   * Set when the design puts every instance behind one balanced ICE-TCP port (the seed): answers'
   * candidates are rewritten to it, as if every instance advertised that port. Unset for ours: clients
   * dial the per-instance port each instance advertises.
   */
  readonly sharedIcePort?: number;
  readonly stats: StatsEndpoint;
  /** A backend whose server lines carry the design's health checks (same server names as the instances). */
  readonly healthProxy: string;
  /** Backends the HLS and WebRTC frontends forward to (their server counters show any contact). */
  readonly httpBackends: readonly string[];
  readonly health: { readonly intervalMs: number; readonly fall: number; readonly rise: number };
  /** The access log so far, append-only (one line per request; `%ci:%cp … %b/%s …`). */
  logs(): Promise<string>;
  /** True while the proxy process that started the run is still serving (no crash, no restart). */
  alive(): Promise<boolean>;
}

export interface Measurement {
  readonly ok: number;
  readonly total: number;
  /** Human-readable details of what failed (for test output, not for the published table). */
  readonly notes: readonly string[];
}

export function rate(m: Measurement): number {
  return m.total === 0 ? 0 : m.ok / m.total;
}

/** "12/12" style summary plus the first notes, for assertion messages. */
export function describeMeasurement(m: Measurement): string {
  return `${m.ok}/${m.total}${m.notes.length > 0 ? `: ${m.notes.slice(0, 8).join("; ")}` : ""}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function url(design: Design, port: number, path: string, scheme = "http"): string {
  return `${scheme}://${design.host}:${port}${path}`;
}

function failures(requests: readonly PlayerRequest[]): PlayerRequest[] {
  return requests.filter((r) => !isAnswered(r.status));
}

function summariseFailures(requests: readonly PlayerRequest[], base: number): string[] {
  return requests
    .slice(0, 6)
    .map((r) => `${r.status} +${r.startedAt - base}ms ${new URL(r.url).pathname}${new URL(r.url).search}`);
}

// ---------------------------------------------------------------------------------------------
// 1 + 2: RTMP placement and HLS playback from the first request after the publish
// ---------------------------------------------------------------------------------------------

export interface PublishAndPlayResult {
  /** Streams whose publish became ready on some instance. */
  readonly published: Measurement;
  /** Placement against the weights: sum over instances of min(actual, expected share), out of `count`. */
  readonly placement: Measurement;
  /** Player requests answered 2xx/3xx, counted from the first one (sent the moment the stream is ready). */
  readonly hls: Measurement;
  /** stream → owner (instance API). */
  readonly owners: ReadonlyMap<string, string>;
  /** Path of every request the players made (for checking the HLS variant that was served). */
  readonly paths: readonly string[];
}

/**
 * Publishes `count` RTMP streams one after another through the design's RTMP frontend. The moment the
 * instance API reports a stream ready (10 ms polling), a player starts on it through the design's HLS
 * frontend, before any router poll can have seen the stream; players alternate cookies/no cookies and
 * each plays `playMs`.
 */
export async function publishAndPlay(
  design: Design,
  cluster: Cluster,
  opts: {
    readonly prefix: string;
    readonly count: number;
    readonly playMs: number;
    /** Called once every stream is published and still live, with stream → owner. */
    readonly whilePublished?: (owners: ReadonlyMap<string, string>) => Promise<void>;
  },
): Promise<PublishAndPlayResult> {
  const publishers: ChildProcess[] = [];
  const players: { stream: string; player: HlsPlayer; startedAt: number }[] = [];
  const owners = new Map<string, string>();
  const notes: string[] = [];
  let publishedOk = 0;
  try {
    for (let i = 0; i < opts.count; i++) {
      const stream = `${opts.prefix}/s${i}`;
      publishers.push(publishRtmp(url(design, design.ports.rtmp, `/${stream}`, "rtmp")));
      const ready = await waitReady(cluster.instances, stream, 20_000).catch((err: Error) => {
        notes.push(`${stream}: ${err.message}`);
        return undefined;
      });
      if (ready === undefined) continue;
      publishedOk++;
      owners.set(stream, ready.owner);
      const player = new HlsPlayer(url(design, design.ports.hls, `/${stream}/index.m3u8`), {
        cookies: i % 2 === 0,
      }).start();
      players.push({ stream, player, startedAt: Date.now() });
    }
    await opts.whilePublished?.(owners);
    for (const p of players) {
      const left = p.startedAt + opts.playMs - Date.now();
      if (left > 0) await sleep(left);
      await p.player.stop();
    }
  } finally {
    await Promise.all(players.map((p) => p.player.stop()));
    await Promise.all(publishers.map(stopProcess));
  }

  let requests = 0;
  let answered = 0;
  const hlsNotes: string[] = [];
  for (const p of players) {
    requests += p.player.requests.length;
    const failed = failures(p.player.requests);
    answered += p.player.requests.length - failed.length;
    if (failed.length > 0) {
      hlsNotes.push(
        `${p.stream} (on ${owners.get(p.stream)}): ${summariseFailures(failed, p.startedAt).join(", ")}`,
      );
    }
    if (p.player.mediaBytes === 0) hlsNotes.push(`${p.stream}: no media received`);
  }
  return {
    published: { ok: publishedOk, total: opts.count, notes },
    placement: placementAgainstWeights(cluster, [...owners.values()], opts.count),
    hls: { ok: answered, total: requests, notes: hlsNotes },
    owners,
    paths: players.flatMap((p) => p.player.requests.map((r) => new URL(r.url).pathname)),
  };
}

/**
 * How closely the owners follow the weights: expected share of instance i = count × w_i / Σw; the score
 * is Σ min(actual_i, expected_i) out of `count` (1.0 = exactly weighted). Internal. Exported for testing.
 */
export function placementAgainstWeights(
  cluster: Pick<Cluster, "instances">,
  ownerNames: readonly string[],
  count: number,
): Measurement {
  const totalWeight = cluster.instances.reduce((sum, i) => sum + i.weight, 0);
  let matched = 0;
  const parts: string[] = [];
  for (const instance of cluster.instances) {
    const expected = (count * instance.weight) / totalWeight;
    const actual = ownerNames.filter((o) => o === instance.name).length;
    matched += Math.min(actual, expected);
    parts.push(`${instance.name} ${actual} (expected ${expected})`);
  }
  const ok = Math.round(matched * 1000) / 1000;
  return { ok, total: count, notes: ok === count ? [] : [parts.join(", ")] };
}

// ---------------------------------------------------------------------------------------------
// 3: WHIP publish over ICE-TCP, with and without cookies
// ---------------------------------------------------------------------------------------------

/**
 * `count` WHIP sessions, one after another, alternating the two kinds of publisher a cluster sees:
 * a browser on MediaMTX's publish page (keeps cookies; OPTIONS, POST, PATCH, DELETE) and GStreamer's
 * whipclientsink (no cookies, no OPTIONS; POST, PATCH, DELETE). Every session is a fresh client. A
 * session counts only if every step holds: OPTIONS 204 (browser); POST 201 (and a cookie set, for the
 * browser); PATCH of the trickle fragment to the Location 204; ICE+DTLS connect over the owner's own
 * ICE-TCP port (or the shared port for a design that has one); the owner's API shows the path ready
 * with bytes growing; DELETE on the Location answers 200 and the path disappears from the owner.
 */
export async function whipSessions(
  design: Design,
  cluster: Cluster,
  opts: { readonly prefix: string; readonly count: number },
): Promise<{ readonly cookies: Measurement; readonly noCookies: Measurement }> {
  const cookieTally = { ok: 0, total: 0, notes: [] as string[] };
  const plainTally = { ok: 0, total: 0, notes: [] as string[] };
  for (let i = 0; i < opts.count; i++) {
    const cookies = i % 2 === 0;
    const stream = `${opts.prefix}/${cookies ? "c" : "n"}${i}`;
    const tally = cookies ? cookieTally : plainTally;
    tally.total++;
    const problem = await oneWhipSession(design, cluster, stream, cookies);
    if (problem === undefined) tally.ok++;
    else tally.notes.push(`${stream}: ${problem}`);
  }
  return { cookies: cookieTally, noCookies: plainTally };
}

async function oneWhipSession(
  design: Design,
  cluster: Cluster,
  stream: string,
  cookies: boolean,
): Promise<string | undefined> {
  const publisher = new WhipPublisher(
    url(design, design.ports.webrtc, `/${stream}/whip`),
    design.sharedIcePort === undefined
      ? { cookies, sendOptions: cookies }
      : { cookies, sendOptions: cookies, candidatePort: design.sharedIcePort },
  );
  let closed = false;
  try {
    const post = await publisher.start();
    if (cookies && publisher.statusOf("OPTIONS") !== 204)
      return `OPTIONS answered ${publisher.statusOf("OPTIONS")}`;
    if (post !== 201) return `POST answered ${post}`;
    if (cookies && publisher.cookieCount === 0) return "no cookie set";
    if (publisher.statusOf("PATCH") !== 204) return `PATCH answered ${publisher.statusOf("PATCH")}`;
    if (!(await publisher.waitConnected(10_000))) return "ICE/DTLS did not connect";
    const ready = await waitReady(cluster.instances, stream, 6_000).catch(() => undefined);
    if (ready === undefined) return "path never ready on any instance";
    const owner = cluster.instances.find((i) => i.name === ready.owner);
    const expectedPort = design.sharedIcePort ?? owner?.iceTcpPort;
    const selected = publisher.selectedRemote();
    if (selected === undefined || !selected.endsWith(`:${expectedPort}`)) {
      return `ICE selected ${selected}, expected port ${expectedPort} (${ready.owner})`;
    }
    if (owner === undefined) return `unknown owner ${ready.owner}`;
    const before = (await getPath(owner, stream))?.bytesReceived ?? 0;
    await sleep(1_000);
    const after = (await getPath(owner, stream))?.bytesReceived ?? 0;
    if (!(after > before)) return `bytes not growing on ${owner.name} (${before} → ${after})`;
    const status = await publisher.close();
    closed = true;
    if (status !== 200) return `DELETE answered ${status}`;
    const gone = await waitGone([owner], stream, 3_000).then(
      () => true,
      () => false,
    );
    if (!gone) return `path still on ${owner.name} after DELETE`;
    return undefined;
  } finally {
    if (!closed) await publisher.close().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// 4: WHEP read of RTMP-published streams that live on non-first instances
// ---------------------------------------------------------------------------------------------

/**
 * Publishes RTMP streams through the design until `streams` of them live on instances other than the
 * first, then reads each `readsPerStream` times over WHEP (no cookies). A read counts when the POST
 * answers 201, ICE+DTLS connect and at least 10 RTP packets arrive within 5 s.
 */
export async function whepReads(
  design: Design,
  cluster: Cluster,
  opts: { readonly prefix: string; readonly streams: number; readonly readsPerStream: number },
): Promise<Measurement> {
  const first = cluster.instances[0]?.name;
  const publishers: ChildProcess[] = [];
  const targets: { stream: string; owner: string }[] = [];
  const notes: string[] = [];
  let ok = 0;
  try {
    for (let i = 0; i < opts.streams * 6 && targets.length < opts.streams; i++) {
      const stream = `${opts.prefix}/p${i}`;
      const publisher = publishRtmp(url(design, design.ports.rtmp, `/${stream}`, "rtmp"));
      publishers.push(publisher);
      const ready = await waitReady(cluster.instances, stream, 20_000).catch(() => undefined);
      if (ready === undefined) continue;
      if (ready.owner === first) {
        await stopProcess(publisher);
        continue;
      }
      targets.push({ stream, owner: ready.owner });
    }
    if (targets.length < opts.streams) notes.push(`only ${targets.length} streams landed off ${first}`);
    for (const target of targets) {
      for (let r = 0; r < opts.readsPerStream; r++) {
        const reader = new WhepReader(
          url(design, design.ports.webrtc, `/${target.stream}/whep`),
          design.sharedIcePort === undefined
            ? { cookies: false }
            : { cookies: false, candidatePort: design.sharedIcePort },
        );
        try {
          const post = await reader.start();
          if (post !== 201) {
            notes.push(`${target.stream} (on ${target.owner}): POST answered ${post}`);
            continue;
          }
          if (!(await reader.waitConnected(10_000))) {
            notes.push(`${target.stream} (on ${target.owner}): ICE/DTLS did not connect`);
            continue;
          }
          const deadline = Date.now() + 5_000;
          while (reader.rtpPackets < 10 && Date.now() < deadline) await sleep(50);
          if (reader.rtpPackets >= 10) ok++;
          else notes.push(`${target.stream} (on ${target.owner}): ${reader.rtpPackets} RTP packets`);
        } finally {
          await reader.close().catch(() => undefined);
        }
      }
    }
  } finally {
    await Promise.all(publishers.map(stopProcess));
  }
  return { ok, total: opts.streams * opts.readsPerStream, notes };
}

// ---------------------------------------------------------------------------------------------
// 5a: a stream that moves to another instance
// ---------------------------------------------------------------------------------------------

export interface MoveResult {
  /** Viewer requests sent from `followWithinMs` after the new publish was ready, answered 2xx/3xx. */
  readonly after: Measurement;
  /** ms from the new publish being ready to the last failed viewer request (0 if none failed). */
  readonly lastFailureMs: number;
  readonly from: string;
  readonly to: string;
}

/**
 * Publishes `stream` through the design and plays it; stops the publisher and republishes through the
 * design until the stream lands on another instance (the viewer keeps playing, restarting after
 * failures like a real player). Counts the viewer's requests sent from `followWithinMs` after the new
 * publish was ready until `observeMs` later.
 */
export async function moveStream(
  design: Design,
  cluster: Cluster,
  opts: { readonly stream: string; readonly followWithinMs: number; readonly observeMs: number },
): Promise<MoveResult> {
  const publishUrl = url(design, design.ports.rtmp, `/${opts.stream}`, "rtmp");
  let publisher = publishRtmp(publishUrl);
  const viewer = new HlsPlayer(url(design, design.ports.hls, `/${opts.stream}/index.m3u8`), {
    cookies: true,
    retryDelayMs: 100,
  });
  try {
    const first = await waitReady(cluster.instances, opts.stream, 20_000);
    viewer.start();
    await sleep(2_000);
    let moved: { owner: string; readyAt: number } | undefined;
    for (let attempt = 0; attempt < 6 && moved === undefined; attempt++) {
      await stopProcess(publisher);
      await waitGone(cluster.instances, opts.stream);
      publisher = publishRtmp(publishUrl);
      const ready = await waitReady(cluster.instances, opts.stream, 20_000);
      if (ready.owner !== first.owner) moved = ready;
    }
    if (moved === undefined) throw new Error(`${opts.stream} never left ${first.owner} in 6 republishes`);
    await sleep(opts.followWithinMs + opts.observeMs);
    await viewer.stop();
    const window = viewer.requestsBetween(moved.readyAt + opts.followWithinMs);
    const failed = failures(window);
    const lastFailure = failures(viewer.requestsBetween(moved.readyAt)).at(-1);
    return {
      after: {
        ok: window.length - failed.length,
        total: window.length,
        notes: failed.length > 0 ? summariseFailures(failed, moved.readyAt) : [],
      },
      lastFailureMs: lastFailure ? lastFailure.startedAt - moved.readyAt : 0,
      from: first.owner,
      to: moved.owner,
    };
  } finally {
    await viewer.stop();
    await stopProcess(publisher);
  }
}

// ---------------------------------------------------------------------------------------------
// 5b: an instance dies and comes back
// ---------------------------------------------------------------------------------------------

export interface FaultResult {
  /** 1/1 when the design marked the victim DOWN within inter × fall + 1 s of the kill. */
  readonly down: Measurement;
  /** Viewer requests (streams on the other instances) sent from the kill until the end, answered 2xx/3xx. */
  readonly viewers: Measurement;
  /** 1/1 when the design marked the victim UP within inter × rise + 1 s of the restart. */
  readonly up: Measurement;
  readonly downMs: number | undefined;
  readonly upMs: number | undefined;
}

/**
 * Publishes one RTMP stream per instance (directly to each instance, so every design sees the same
 * placement), starts viewers of the streams NOT on `victim` through every design, kills the victim,
 * times DOWN on every design's stats page, restarts it and times UP. Returns one FaultResult per design.
 */
export async function killAndRestart(
  designs: readonly Design[],
  cluster: Cluster,
  opts: {
    readonly prefix: string;
    readonly victim: string;
    readonly rtmpAddress: (instance: ClusterInstance) => string;
  },
): Promise<Map<string, FaultResult>> {
  const publishers: ChildProcess[] = [];
  const viewers: { design: string; player: HlsPlayer }[] = [];
  const results = new Map<string, FaultResult>();
  try {
    const streams: { stream: string; owner: string }[] = [];
    for (const instance of cluster.instances) {
      const stream = `${opts.prefix}/${instance.name}`;
      publishers.push(publishRtmp(`rtmp://${opts.rtmpAddress(instance)}/${stream}`));
      const ready = await waitReady(cluster.instances, stream, 20_000);
      streams.push({ stream, owner: ready.owner });
    }
    for (const design of designs) {
      for (const s of streams.filter((x) => x.owner !== opts.victim)) {
        viewers.push({
          design: design.label,
          player: new HlsPlayer(url(design, design.ports.hls, `/${s.stream}/index.m3u8`), {
            cookies: true,
          }).start(),
        });
      }
    }
    await sleep(3_000);
    const killedAt = Date.now();
    await cluster.kill(opts.victim);
    const downBound = (d: Design) => d.health.intervalMs * d.health.fall + 1_000;
    const upBound = (d: Design) => d.health.intervalMs * d.health.rise + 1_000;
    const downMs = await Promise.all(
      designs.map((d) =>
        timeUntilStatus(d.stats, d.healthProxy, opts.victim, isMarkedDown, killedAt, downBound(d) + 10_000),
      ),
    );
    await sleep(2_000);
    const startedAt = Date.now();
    await cluster.start(opts.victim);
    const upMs = await Promise.all(
      designs.map((d) =>
        timeUntilStatus(d.stats, d.healthProxy, opts.victim, isMarkedUp, startedAt, upBound(d) + 10_000),
      ),
    );
    await sleep(2_000);
    await Promise.all(viewers.map((v) => v.player.stop()));
    designs.forEach((design, n) => {
      const mine = viewers.filter((v) => v.design === design.label);
      const window = mine.flatMap((v) => v.player.requestsBetween(killedAt));
      const failed = failures(window);
      const down = downMs[n];
      const up = upMs[n];
      results.set(design.label, {
        down: {
          ok: down !== undefined && down <= downBound(design) ? 1 : 0,
          total: 1,
          notes: [`DOWN after ${down ?? "never"} ms (bound ${downBound(design)} ms)`],
        },
        viewers: {
          ok: window.length - failed.length,
          total: window.length,
          notes: failed.length > 0 ? summariseFailures(failed, killedAt) : [],
        },
        up: {
          ok: up !== undefined && up <= upBound(design) ? 1 : 0,
          total: 1,
          notes: [`UP after ${up ?? "never"} ms (bound ${upBound(design)} ms)`],
        },
        downMs: down,
        upMs: up,
      });
    });
    return results;
  } finally {
    await Promise.all(viewers.map((v) => v.player.stop()));
    await Promise.all(publishers.map(stopProcess));
  }
}

// ---------------------------------------------------------------------------------------------
// 6: hostile paths
// ---------------------------------------------------------------------------------------------

export interface HostileRequest {
  readonly frontend: "hls" | "webrtc";
  readonly method: string;
  readonly target: string | Buffer;
  readonly label: string;
}

const LONG_NAME = "a".repeat(4096);
const SESSION = "0f0e0d0c-0b0a-4908-8706-050403020100";

/** Targets every frontend must refuse with a 4xx without asking any instance. */
export function hostileRequests(existingStream: string): HostileRequest[] {
  const hls = (label: string, target: string | Buffer): HostileRequest => ({
    frontend: "hls",
    method: "GET",
    target,
    label,
  });
  const whip = (label: string, target: string | Buffer, method = "POST"): HostileRequest => ({
    frontend: "webrtc",
    method,
    target,
    label,
  });
  const utf8 = (text: string) => Buffer.from(text, "utf8");
  return [
    hls("dot-dot to another stream", `/${existingStream}/../../other/index.m3u8`),
    hls("dot-dot above the root", "/../../etc/passwd"),
    hls("dot-dot segment in a stream", `/${existingStream}/../index.m3u8`),
    hls("dot segment", `/./${existingStream}/index.m3u8`),
    hls("encoded slash", `/${existingStream.replace("/", "%2F")}/index.m3u8`),
    hls("encoded dot-dot", "/%2e%2e/%2e%2e/index.m3u8"),
    hls("encoded NUL", "/cam%00/index.m3u8"),
    hls("4 KiB name", `/${LONG_NAME}/index.m3u8`),
    hls("unicode name (raw UTF-8)", utf8("/caméra/index.m3u8")),
    hls("unicode name (percent-encoded)", "/cam%C3%A9ra/index.m3u8"),
    hls("empty name", "//index.m3u8"),
    hls("no name", "/index.m3u8"),
    hls("backslash", "/cam\\..\\x/index.m3u8"),
    whip("dot-dot POST", `/${existingStream}/../x/whip`),
    whip("encoded slash POST", `/${existingStream.replace("/", "%2F")}/whip`),
    whip("4 KiB name POST", `/${LONG_NAME}/whip`),
    whip("unicode name POST (raw UTF-8)", utf8("/caméra/whip")),
    whip("unicode name POST (percent-encoded)", "/cam%C3%A9ra/whip"),
    whip("empty name POST", "//whip"),
    whip("dot-dot session PATCH", `/${existingStream}/whip/../../x/whip/${SESSION}`, "PATCH"),
    whip("non-uuid session DELETE", `/${existingStream}/whip/..%2F..%2Fx`, "DELETE"),
    whip("4 KiB session DELETE", `/${existingStream}/whip/${LONG_NAME}`, "DELETE"),
  ];
}

/**
 * Sends every hostile request on its own connection, then reads the design's access log. A request
 * counts when it was answered 4xx, no server handled it and the proxy is still the same process
 * afterwards. "No server" is read from the request's log line (`%b/%s` is `<NOSRV>`: refused before
 * routing), found by our client port (`%ci:%cp`). Container logs can arrive late or, when the log pipe
 * is full, not at all; for a request whose line never shows up the servers' session counters decide
 * (no HTTP backend server handled a session during the batch; nothing else talks to them meanwhile).
 */
export async function hostilePaths(
  design: Design,
  opts: { readonly existingStream: string },
): Promise<Measurement & { readonly contacted: readonly string[] }> {
  const requests = hostileRequests(opts.existingStream);
  const before = await serverSessions(design.stats, design.httpBackends);
  // Only lines logged from here on: a client port of this batch may have been used by an earlier
  // request of the run, whose line (sent to a server) must not be taken for this one.
  const logOffset = (await design.logs()).length;
  const sent: { request: HostileRequest; status: number | undefined; localPort: number; error?: string }[] =
    [];
  for (const request of requests) {
    const port = request.frontend === "hls" ? design.ports.hls : design.ports.webrtc;
    const r = await rawHttp(design.host, port, {
      method: request.method,
      target: request.target,
      ...(request.method === "GET" || request.method === "DELETE"
        ? {}
        : { body: "v=0\r\n", headers: { "content-type": "application/sdp" } }),
    });
    sent.push({ request, ...r });
  }
  const lineOf = (log: string, localPort: number) =>
    log
      .slice(logOffset)
      .split("\n")
      .find((l) => l.includes(`:${localPort} [`));
  let log = "";
  const deadline = Date.now() + 5_000;
  do {
    await sleep(250);
    log = await design.logs();
  } while (Date.now() < deadline && sent.some((s) => lineOf(log, s.localPort) === undefined));
  const after = await serverSessions(design.stats, design.httpBackends);
  const touched = [...after]
    .filter(([server, n]) => n !== (before.get(server) ?? 0))
    .map(([server]) => server);
  const alive = await design.alive();
  const notes: string[] = [];
  const contacted: string[] = [];
  let ok = 0;
  for (const s of sent) {
    const line = lineOf(log, s.localPort);
    const server = line?.split(" ")[3]?.split("/")[1];
    const problems: string[] = [];
    if (s.status === undefined || s.status < 400 || s.status >= 500)
      problems.push(`status ${s.status ?? s.error}`);
    if (line !== undefined && server !== "<NOSRV>") {
      problems.push(`sent to ${server}`);
      contacted.push(`${s.request.label} → ${server}`);
    } else if (line === undefined && touched.length > 0) {
      problems.push(`no log line, and servers handled sessions meanwhile: ${touched.join(", ")}`);
    }
    if (!alive) problems.push("proxy not alive afterwards");
    if (problems.length === 0) ok++;
    else notes.push(`${s.request.frontend} ${s.request.label}: ${problems.join(", ")}`);
  }
  return { ok, total: sent.length, notes, contacted };
}
