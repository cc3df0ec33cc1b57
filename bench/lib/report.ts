// The report: docs/benchmarks.md and the table printed at the end of a run. Pure: formats what
// analysis.ts computes, in a fixed order.
import {
  type DataPlaneRatio,
  type DataPlaneRow,
  type Distribution,
  evaluateTargets,
  summarizeApiCost,
  summarizeChanges,
  summarizeDataPlane,
  summarizeDiscovery,
  summarizeFailover,
  summarizeGrowth,
  summarizeHostLoss,
  summarizePreview,
  summarizeTakeover,
  type TargetRow,
} from "./analysis";
import { runsOf, summarizeGatewayFailover } from "./gateway-failover";
import type { BenchReport } from "./results";
import { IMAGES } from "./stack-config";
import type { Spread } from "./summary";

function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "n/a";
}

/** "median (min–max)", or just the value for a single run. */
export function fmtSpread(s: Spread, digits = 2, scale = 1): string {
  if (s.n <= 1) return fmt(s.median * scale, digits);
  return `${fmt(s.median * scale, digits)} (${fmt(s.min * scale, digits)}–${fmt(s.max * scale, digits)})`;
}

function fmtDist(d: Distribution, digits = 0): string {
  return d.n === 0 ? "n/a" : `${fmt(d.p50, digits)} / ${fmt(d.p95, digits)} / ${fmt(d.max, digits)}`;
}

/** A Markdown table; cells must not contain "|". Internal. Exported for testing. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

function verdict(met: boolean | undefined): string {
  if (met === undefined) return "—";
  return met ? "met" : "**not met**";
}

function targetsTable(rows: readonly TargetRow[]): string {
  return table(
    ["#", "measurement", "target", "measured", "verdict"],
    rows.map((r) => [r.id, r.what, r.target, r.measured, verdict(r.met)]),
  );
}

function environmentSection(r: BenchReport): string {
  const { machine: m, versions: v } = r.env;
  const calm = r.env.calmReached
    ? `yes: 1-min load ${fmt(r.env.load1AtStart)} before the stack came up (waited ${fmt(r.env.calmWaitedS / 60, 1)} min for < 1)`
    : `**no**: 1-min load ${fmt(r.env.load1AtStart)} before the stack came up, after waiting ${fmt(r.env.calmWaitedS / 60, 1)} min for < 1 (other work on the machine); ran anyway`;
  const perScenario = Object.entries(r.env.loadPerScenario)
    .map(([k, x]) => `${k} ${fmt(x)}`)
    .join(", ");
  return [
    "## Machine and versions",
    "",
    table(
      ["", ""],
      [
        ["date (UTC)", m.date],
        ["machine", `${m.cores} cores (${m.cpuModel}), ${fmt(m.memoryGiB, 1)} GiB memory`],
        ["OS", `${m.os}, kernel ${m.kernel}`],
        ["HAProxy", `${v.haproxy} (image ${IMAGES.haproxy}, stack and plain proxy alike)`],
        ["MediaMTX", v.mediamtx],
        ["Pulumi CLI", v.pulumi],
        ["Node", v.node],
        ["Docker engine", v.docker],
        ["load generator", `wrk ${v.wrk} (Debian), one thread; ffmpeg ${v.ffmpeg} publishers`],
        ["quiet machine", calm],
        ["1-min load when each measurement began", perScenario || "n/a"],
        ["1-min load at the end", fmt(r.env.load1AtEnd)],
        ["profile / wall time", `${r.env.profile}, ${fmt(r.env.totalMinutes, 1)} min`],
      ],
    ),
  ].join("\n");
}

function dataPlaneRows(rows: readonly DataPlaneRow[]): string {
  return table(
    ["content", "load", "target", "req/s", "p50 ms", "p99 ms", "proxy CPU µs/req", "bytes/req", "errors"],
    rows.map((r) => [
      r.content,
      r.mode === "latency" ? "c=1" : `c=${r.connections}`,
      r.target,
      fmtSpread(r.rps, 0),
      fmtSpread(r.p50Ms, 3),
      fmtSpread(r.p99Ms, 3),
      r.proxyCpuUs ? fmtSpread(r.proxyCpuUs, 1) : "—",
      fmt(r.bytesPerRequest, 0),
      String(r.errors),
    ]),
  );
}

function dataPlaneRatios(ratios: readonly DataPlaneRatio[]): string {
  return table(
    [
      "content",
      "load",
      "router/plain req/s",
      "router/bare req/s",
      "router/direct req/s",
      "p50 added vs plain ms",
      "p99 added vs plain ms",
      "p99 added vs direct ms",
      "router/plain CPU per req",
      "https/http req/s",
    ],
    ratios.map((r) => [
      r.content,
      r.mode === "latency" ? "c=1" : "saturated",
      fmtSpread(r.routerPlainRps, 3),
      fmtSpread(r.routerBareRps, 3),
      fmtSpread(r.routerDirectRps, 3),
      fmtSpread(r.p50AddedVsPlainMs, 3),
      fmtSpread(r.p99AddedVsPlainMs, 3),
      fmtSpread(r.p99AddedVsDirectMs, 3),
      r.cpuRouterPlain ? fmtSpread(r.cpuRouterPlain, 2) : "—",
      r.tlsRouterRps ? fmtSpread(r.tlsRouterRps, 3) : "—",
    ]),
  );
}

function dataPlaneSection(r: BenchReport): string[] {
  if (!r.dataPlane) return [];
  const d = r.dataPlane;
  const { rows, ratios } = summarizeDataPlane(d);
  const rounds = new Set(d.samples.map((s) => s.round)).size;
  return [
    "## 1. Data plane: router vs plain HAProxy vs direct",
    "",
    `One stream (\`bench/dp\`, 640x360 H.264 1.5 Mbit/s + AAC, a keyframe every 4 s, republished with \`-c copy\`) on instance \`${d.owner}\` of ${d.instances}. ` +
      "The same file is fetched through the stack's router (`hls` frontend: native stream rules, map lookup, " +
      "`use-server`, one log line per request to the stack's log sink), through a plain round-robin HAProxy (same image, host network, " +
      "a single-server backend pointing at the owner, no Lua, no map) that logs each request the same way (same log-format, same sink socket: `plain`), " +
      "through the same plain proxy without a log (`bare`), through the router's HTTPS listener (`tls`: the same `hls` frontend, " +
      "TLS 1.3 ended in HAProxy with the stack's self-signed ECDSA P-256 certificate, HTTP/1.1 keep-alive; it reuses the router's session), and straight from the " +
      "owner's `:8888`. Each target has its own HLS session (MediaMTX binds a session to the client address). " +
      `${rounds} rounds; in every round each (content, load) slot runs the four targets back to back for ${d.durationS} s each, ` +
      "in an order rotated per round; the segment slot fetches one segment, picked once for all four. " +
      "`c=1` is one connection (per-request latency without queueing); the other load is wrk at saturation. " +
      "Cells: median over rounds (min–max). Proxy CPU is the proxy container's cgroup CPU time over the run ÷ requests.",
    "",
    dataPlaneRows(rows),
    "",
    "Ratios and differences, computed per round from side-by-side runs (median, min–max):",
    "",
    dataPlaneRatios(ratios),
  ];
}

function apiCostSection(r: BenchReport): string[] {
  if (!r.apiCost) return [];
  const a = r.apiCost;
  const s = summarizeApiCost(a);
  const row = (name: string, w: typeof a.idle) => [
    name,
    fmt(w.seconds, 1),
    String(w.viewerRequests),
    String(w.calls.poll),
    String(w.calls.lookup),
    String(w.calls.health),
    String(w.calls.other),
    `${w.routerPolls} / ${w.routerLookups}`,
  ];
  return [
    "## 2. Control-API cost",
    "",
    `Every GET to an instance's \`:9997\` counted with tcpdump on the stack's bridge (independent of the router), ${a.instances} instances, ` +
      `poll interval ${a.pollIntervalMs} ms, health-check interval ${a.healthIntervalMs} ms; the router's own /router counters alongside. ` +
      "Idle: no viewers. Load: wrk fetching the media playlist through the router at saturation.",
    "",
    table(
      [
        "window",
        "seconds",
        "viewer requests",
        "polls (pages)",
        "lookups",
        "health checks",
        "other",
        "router counters polls / lookups",
      ],
      [row("idle", a.idle), row("load", a.load)],
    ),
    "",
    table(
      ["", "value"],
      [
        ["viewer requests/s under load", fmt(s.viewerRps, 0)],
        ["router API calls (poll pages + lookups) per 10 000 viewer requests", fmt(s.routerCallsPer10k, 2)],
        ["…of which lookups (the only per-request kind)", fmt(s.lookupsPer10k, 2)],
        ["router calls added by the load over the idle rate, per 10 000 requests", fmt(s.addedPer10k, 2)],
        [
          "router calls/s: idle / load / bound (instances ÷ poll interval)",
          `${fmt(s.idle.routerPerS)} / ${fmt(s.load.routerPerS)} / ${fmt(s.boundPerS)}`,
        ],
        [
          "health-check calls/s: measured / from config (4 backends per instance ÷ inter)",
          `${fmt(s.load.healthPerS)} / ${fmt(s.expectedHealthPerS)}`,
        ],
      ],
    ),
  ];
}

function discoverySection(r: BenchReport): string[] {
  if (!r.discovery) return [];
  const kinds = [
    ["after ready", summarizeDiscovery(r.discovery.afterReady)],
    ["eager", summarizeDiscovery(r.discovery.eager)],
  ] as const;
  return [
    "## 3. Discovery",
    "",
    "Each publish is a fresh RTMP publisher (160x90 H.264 at 5 fps, `-c copy`) through the stack's rtmp frontend " +
      "(weighted round-robin picks the instance). A viewer plays the stream through the router as a player starts: " +
      "`index.m3u8` (302 to `?cookieCheck=1` from any instance) then `index.m3u8?cookieCheck=1` (200 only from the owner). " +
      `*After ready*: the viewer starts when the owner's API reports the path ready. *Eager*: the viewer starts with the publish and retries every ${r.discovery.retryMs} ms. ` +
      "\"Ready\" is MediaMTX's `readyTime`; which instance served each request comes from the hls frontend's log (a `bid` query tag per request). " +
      "A miss is a request sent after ready answered outside 2xx/3xx; misrouted is a request sent after ready forwarded to a non-owner. " +
      "Times are p50 / p95 / max in ms.",
    "",
    table(
      [
        "viewers",
        "publishes (ready)",
        "publish → ready",
        "publish → first routed",
        "ready → first routed",
        "ready → first 200",
        "requests after ready",
        "misses",
        "misrouted",
        "streams with misses",
        "requests before ready",
      ],
      kinds.map(([name, d]) => [
        name,
        `${d.publishes} (${d.ready})`,
        fmtDist(d.publishToReadyMs),
        fmtDist(d.publishToRoutedMs),
        fmtDist(d.readyToRoutedMs),
        fmtDist(d.readyToPlayableMs),
        String(d.requestsAfterReady),
        String(d.misses),
        String(d.misrouted),
        String(d.streamsWithMisses),
        String(d.requestsBeforeReady),
      ]),
    ),
  ];
}

function failoverSection(r: BenchReport): string[] {
  if (!r.failover) return [];
  const f = r.failover;
  const s = summarizeFailover(f);
  const server = f.cycles[0]?.server ?? "?";
  return [
    "## 4. Failover",
    "",
    `\`docker kill\` of instance \`${server}\` at a random phase of the check timers, then the stats CSV polled every 100 ms until the server is DOWN in every backend that carries it (rtmp, hls, webrtc, ice_${server}); ` +
      `then \`docker start\` and the same until UP. Checks: inter ${f.intervalMs} ms, timeout ${f.timeoutMs} ms, fall ${f.fall}, rise ${f.rise}. ` +
      `Nominal: inter × fall = ${fmt(s.nominalDownMs / 1000, 1)} s, inter × rise = ${fmt(s.nominalUpMs / 1000, 1)} s; the first check after the event comes anywhere in one interval, and the last failing check can take the timeout.`,
    "",
    table(
      ["cycle", "→ DOWN (hls) s", "→ DOWN (all backends) s", "→ UP (hls) s", "→ UP (all backends) s"],
      s.cycles.map((c, i) => [
        String(i + 1),
        fmt(c.hlsDown / 1000, 2),
        fmt(c.maxDown / 1000, 2),
        fmt(c.hlsUp / 1000, 2),
        fmt(c.maxUp / 1000, 2),
      ]),
    ),
  ];
}

function changeSection(r: BenchReport): string[] {
  if (!r.changeApply) return [];
  const rows = summarizeChanges(r.changeApply);
  const name = {
    weights: "weights-only `pulumi up`",
    interval: "health-interval-only `pulumi up`",
    restart: "seed's way: `docker restart bench-haproxy`",
  };
  return [
    "## 5. Change apply under load",
    "",
    `${r.changeApply.viewers} player-like viewers (session, then media playlist → newest segment every 100 ms, keep-alive connections) on RTMP-published streams through the router. ` +
      "Weights toggle `b` 1↔2 (runtime API, no reload); the interval toggles 2s↔3s (validated config, graceful reload); " +
      "the restart is how the seed applied any change. The three kinds are interleaved, rep by rep. Failed = requests sent from the start of the change to 2 s after it ended that got no 2xx/3xx or a network error.",
    "",
    table(
      [
        "change",
        "runs",
        "duration s",
        "requests",
        "failed",
        "(re)loads",
        "publishers lost",
        "failure samples",
      ],
      rows.map((c) => [
        name[c.kind],
        String(c.runs),
        fmtSpread(c.durationMs, 1, 1 / 1000),
        String(c.requests),
        String(c.failed),
        String(c.reloads),
        String(c.publishersLost),
        c.failureSamples.length ? c.failureSamples.map((x) => `\`${x}\``).join(", ") : "—",
      ]),
    ),
  ];
}

function previewSection(r: BenchReport): string[] {
  if (!r.preview) return [];
  const p = summarizePreview(r.preview);
  return [
    "## 6. Preview cost",
    "",
    `\`scripts/pulumi preview --expect-no-changes\` of the bench stack (${fmt(r.preview.benchResources, 0)} resources) against the same CLI's preview of an empty TypeScript program ` +
      "(scratch project, same runtime options, same plugins, backend and environment via `scripts/pulumi --cwd`). " +
      "The bench program runs as JavaScript that `scripts/pulumi` transpiles into `.build/program/` (only changed files; type-checking is the lint lane's), " +
      "so no preview type-checks or compiles TypeScript. Diagnostic third series: that no-op build step alone. One warm-up each, then interleaved.",
    "",
    table(
      ["program", "runs", "seconds (median, min–max)"],
      [
        ["bench stack (no-op)", String(p.bench.n), fmtSpread(p.bench, 2, 1 / 1000)],
        ["empty program (floor)", String(p.floor.n), fmtSpread(p.floor, 2, 1 / 1000)],
        [
          "no-op build of the program (diagnostic, inside every bench run)",
          String(p.build.n),
          fmtSpread(p.build, 2, 1 / 1000),
        ],
        ["ratio of medians: bench ÷ floor", "", `${fmt(p.ratio, 2)}×`],
      ],
    ),
  ];
}

function takeoverSection(r: BenchReport): string[] {
  if (!r.takeover) return [];
  const t = summarizeTakeover(r.takeover);
  const ms = (v: number | undefined) => (v === undefined ? "never" : fmt(v, 0));
  return [
    "## 8. Takeover",
    "",
    `${t.cycles} cycles: a stream published through the stack's RTMP frontend and playable, then the same name published straight at the other instance ` +
      "(an encoder reconnecting elsewhere). Times from the second ffmpeg's spawn (process start and RTMP handshake included): " +
      "the router names the new owner; a playlist request through the gateway succeeds after that (viewers on the new owner); " +
      "the old instance stops listing the name as ready (its publisher kicked); both listed it ready at once.",
    "",
    table(
      ["", "p50 ms", "min–max ms"],
      [
        [
          "router names the new owner",
          fmt(t.routedMs.median, 0),
          `${fmt(t.routedMs.min, 0)}–${fmt(t.routedMs.max, 0)}`,
        ],
        [
          "viewers on the new owner",
          fmt(t.viewerMs.median, 0),
          `${fmt(t.viewerMs.min, 0)}–${fmt(t.viewerMs.max, 0)}`,
        ],
        [
          "old instance no longer live",
          fmt(t.oldGoneMs.median, 0),
          `${fmt(t.oldGoneMs.min, 0)}–${fmt(t.oldGoneMs.max, 0)}`,
        ],
        [
          "both live at once",
          fmt(t.overlapMs.median, 0),
          `${fmt(t.overlapMs.min, 0)}–${fmt(t.overlapMs.max, 0)}`,
        ],
      ],
    ),
    "",
    table(
      ["stream", "from → to", "routed ms", "viewer ms", "old gone ms"],
      r.takeover.cycles.map((c) => [
        c.stream,
        `${c.from} → ${c.to}`,
        ms(c.routedMs),
        ms(c.viewerMs),
        ms(c.oldGoneMs),
      ]),
    ),
  ];
}

function hostLossSection(r: BenchReport): string[] {
  if (!r.hostLoss) return [];
  const h = r.hostLoss;
  const s = summarizeHostLoss(h);
  const sec = (ms: number) => fmt(ms / 1000, 2);
  const spreadS = (x: typeof s.downMs) =>
    x.n === 0 ? "n/a" : `${sec(x.median)} (${sec(x.min)}–${sec(x.max)})`;
  const perHost = h.instancesPerHost;
  return [
    "## 9. Host loss",
    "",
    `**Simulated hosts**: ${h.hosts} Docker engines, each in its own network namespace on this one machine (\`test/support/test-hosts.ts\`), ` +
      `on a public and a private bridge, plus a client namespace on the public bridge only; one \`pulumi up\` of a stack of its own places ${perHost} instances on each host and the gateway on ${h.gatewayHost}. ` +
      "Cutting a host's link sets both its veths down: its packets vanish (no RST, no ICMP), as when a real host loses power or its network; " +
      "it shares the CPU with everything else, so this measures the stack's detection and rerouting, not a real network's latency. " +
      `The gateway's host is never cut: it is the only entry point, so every viewer would fail and there would be nothing to reroute to. The other hosts are cut in turn. ` +
      `One RTMP publisher per instance (the small \`-c copy\` clip) and one player-like HLS viewer per stream run in the client namespace (session, then media playlist → newest segment, ${h.viewerPauseMs} ms apart, each request timed out after ${h.viewerTimeoutMs} ms). ` +
      `At the cut the encoder of one stream on the cut host reconnects through the gateway, as one that notices its connection died at once does (a new ffmpeg ${h.reconnectDelayMs} ms after the previous one exits, until it plays); ` +
      "the other publishers on that host are left alone. " +
      `Checks: inter ${h.intervalMs} ms, timeout ${h.timeoutMs} ms, fall ${h.fall}, rise ${h.rise} (the project defaults, as in section 4); router poll ${h.pollIntervalMs} ms. ` +
      `Budget for DOWN: inter × fall + timeout = ${sec(s.budgetDownMs)} s. ` +
      "*DOWN*: every instance of the host DOWN in every backend that carries it (stats CSV every 100 ms). *routed*: the router's /router names an owner on another host. " +
      "*plays*: a segment answered 200 in the client namespace after its playlist did. *survivors*: requests of the viewers of streams owned on other hosts, from the cut to 2 s after the stream played. " +
      "*UP*: from the link restored to every instance UP everywhere.",
    "",
    table(
      [
        "cycle",
        "host cut",
        "stream (from → to)",
        "→ DOWN (hls) s",
        "→ DOWN (all) s",
        "→ routed s",
        "→ plays s",
        "ffmpeg starts, s after the cut",
        "survivors failed / requests",
        "untouched publishers still running at restore",
        "restore → UP s",
      ],
      h.cycles.map((c, i) => {
        const x = s.cycles[i];
        return [
          String(i + 1),
          c.host,
          `${c.stream} (${c.from} → ${c.to ?? "?"})`,
          sec(x?.hlsDownMs ?? Number.NaN),
          sec(x?.downMs ?? Number.NaN),
          sec(x?.routedMs ?? Number.NaN),
          sec(x?.playableMs ?? Number.NaN),
          c.encoderStartMs.map((ms) => fmt(ms / 1000, 1)).join(", ") || "—",
          `${c.survivorFailed} / ${c.survivorRequests}`,
          c.untouchedStillRunning.length
            ? `${c.untouchedStillRunning.filter(Boolean).length} of ${c.untouchedStillRunning.length}`
            : "—",
          sec(x?.upMs ?? Number.NaN),
        ];
      }),
    ),
    "",
    table(
      ["", "median (min–max) s"],
      [
        ["cut → DOWN in every backend", spreadS(s.downMs)],
        ["cut → router names a survivor", spreadS(s.routedMs)],
        ["cut → the reconnected stream plays", spreadS(s.playableMs)],
        ["link restored → UP everywhere", spreadS(s.upMs)],
        ["survivors' failed requests (all cycles)", `${s.survivorFailed} of ${s.survivorRequests}`],
      ],
    ),
    ...(h.cycles.some((c) => c.survivorMapChanges.length > 0)
      ? [
          "",
          `Router map entries of survivors that went away or changed after the cut (diagnostic, /router polled every 100 ms): ${h.cycles
            .flatMap((c, i) => c.survivorMapChanges.map((x) => `cycle ${i + 1}: \`${x}\``))
            .join(", ")}.`,
        ]
      : []),
    ...(h.cycles.some((c) => c.failureSamples.length > 0)
      ? [
          "",
          `Survivor failures (first five per cycle; +ms after the cut): ${h.cycles
            .flatMap((c, i) => c.failureSamples.map((x) => `cycle ${i + 1}: \`${x}\``))
            .join(", ")}.`,
        ]
      : []),
    "",
    `Lab ${sec(h.labMs)} s, \`pulumi up\` ${sec(h.upMs)} s${h.teardownMs === undefined ? "" : `, teardown ${sec(h.teardownMs)} s`}.`,
  ];
}

function gatewayFailoverSection(r: BenchReport): string[] {
  if (!r.gatewayFailover) return [];
  const g = r.gatewayFailover;
  const s = summarizeGatewayFailover(g);
  const sec = (ms: number | undefined) => fmt((ms ?? Number.NaN) / 1000, 2);
  const spreadS = (x: Spread) =>
    x.n === 0 ? "n/a" : `${sec(x.median)} (${sec(x.min)}–${sec(x.max)}), n = ${x.n}`;
  return [
    "## 10. Gateway failover",
    "",
    `**Simulated hosts**: ${g.hosts} Docker engines in network namespaces on this one machine, as in host loss, and a stack of its own: the gateway pair of \`test/e2e/gateway-pair.test.ts\` ` +
      `(${g.gateways.join(", ")}, equal priorities, both instances on h3), keepalived holding ${g.floatingAddress} (VRRP advert every ${g.advertIntervalMs} ms). ` +
      `Checks: inter ${g.intervalMs} ms, timeout ${g.timeoutMs} ms, fall ${g.fall}, rise ${g.rise}. ` +
      "Each cycle cuts the links of the host that holds the address (its packets vanish: no RST, no ICMP) and the next cycle cuts the new holder. " +
      "The stream viewed is published (reconnecting `-c copy` ffmpeg) through the *other* gateway's own host address, so its publisher does not pass through the cut host. " +
      `*moved*: the other host's namespace shows the address (\`ip -o -4 addr show\` every ${g.holderPollMs} ms). ` +
      `*new connection*: a poller in the client namespace opens a fresh connection to \`http://${g.floatingAddress}:8888/<stream>/index.m3u8\` every ${g.pollerEveryMs} ms, each given up after ${g.pollerTimeoutMs} ms; the first answer to one sent after the link went down. ` +
      `*viewers*: ${g.viewersPerCycle} player-like HLS viewers (\`test/support/hls-play-main.ts\`: cookies, LL-HLS blocking reloads, a request timed out after ${g.viewerTimeoutMs} ms, retried in place up to ${g.viewerRetryCount} times ${g.viewerRetryDelayMs} ms apart as hls.js does); ` +
      "the end of each one's first answered request sent after the cut; \\* marks a viewer with a request open at the cut. " +
      "A request lost with the old holder ends at the viewer's timeout, or sooner when TCP resends it after the address moved and the new holder resets it. " +
      `*after restore*: who holds the address every ${g.settleStepMs} ms once the cut host's link is back.`,
    "",
    table(
      [
        "cycle",
        "cut → standby",
        "stream",
        "cut took ms",
        "→ moved s",
        "→ new connection answered s (unanswered before)",
        "→ viewers answered s",
        "viewers restarts / sessions",
        "after restore",
      ],
      g.cycles.map((c, i) => [
        String(i + 1),
        `${c.from} → ${c.to}`,
        c.stream,
        String(c.cutMs),
        sec(c.movedMs),
        `${sec(c.pollerAnsweredMs)} (${c.pollerUnanswered})`,
        c.viewers.map((v) => `${sec(v.firstAnsweredMs)}${v.inFlightAtCut ? "\\*" : ""}`).join(", "),
        c.viewers.map((v) => `${v.restarts} / ${v.sessions}`).join(", "),
        runsOf(c.settleHolders),
      ]),
    ),
    "",
    table(
      ["", "median (min–max) s"],
      [
        ["cut → the other gateway holds the address", spreadS(s.movedMs)],
        ["cut → a new connection is answered", spreadS(s.pollerAnsweredMs)],
        ["cut → a viewer's first answered request (all)", spreadS(s.viewerAnsweredMs)],
        [`… answered before their own ${sec(g.viewerTimeoutMs)} s timeout`, spreadS(s.viewerBeforeTimeoutMs)],
        ["… answered only after it", spreadS(s.viewerAfterTimeoutMs)],
        ["viewers that kept one session", `${s.viewersKeptSession} of ${s.viewers}`],
        ["cycles in which the old holder took the address back", `${s.tookBack} of ${s.cycles}`],
      ],
    ),
    "",
    `Lab ${sec(g.labMs)} s, \`pulumi up\` ${sec(g.upMs)} s${g.teardownMs === undefined ? "" : `, teardown ${sec(g.teardownMs)} s`}.`,
  ];
}

function growthSection(r: BenchReport): string[] {
  if (!r.growth) return [];
  const g = r.growth;
  const rows = summarizeGrowth(g);
  const ups = Object.entries(g.upMs)
    .map(([n, ms]) => `${n} instances ${fmt(ms / 1000, 1)} s`)
    .join(", ");
  return [
    "## 7. Growth: live paths × instances",
    "",
    "In *real* cells, live paths are RTMP publishes (ffmpeg's tee muxer, 20 outputs per process, `-c copy` of a tiny clip) through the rtmp frontend, " +
      `so they spread over the instances by round-robin. Poll interval ${g.pollIntervalMs} ms; each poll asks for the whole listing in one page (itemsPerPage 2^31−1). ` +
      "*List ms* and *KB* are one full listing of the busiest instance timed from the host (the requests a poll makes); " +
      "*Lua ms/poll* is the CPU of HAProxy's Lua tasks (task profiling, `hlua_process_task`) per poll, JSON decoding included; " +
      "*API calls/s* are the router's requests (poll pages and lookups) counted on the wire in the same idle window; *idle CPU* is the HAProxy container's CPU with no viewers. Router vs plain: one stream's media playlist, interleaved, c=1 latency and saturated throughput. " +
      `\`pulumi up\` to change the instance count: ${ups}.`,
    "",
    "*Source* says which cells are which. **real**: the paths above, real publishes on the bench stack's MediaMTX. " +
      "**stand-in**: sizes past what this machine publishes: each instance is a stand-in answering the control API with a listing shaped field for field " +
      "like a captured MediaMTX 1.20 one, of its share of the paths (round-robin; `bench/lib/stand-in-listing.ts`) and its HLS port with one small fixed playlist, " +
      "behind the real router and gateway files (the product's haproxy.cfg and Lua, same HAProxy image, run on loopback); " +
      "its *API calls/s* are the list requests the stand-ins answered (health checks excluded), and router and plain proxy share the stand-in backend.",
    "",
    table(
      [
        "source",
        "instances",
        "paths",
        "map",
        "max paths/instance",
        "pages/poll",
        "list ms",
        "list KB",
        "Lua ms/poll",
        "API calls/s",
        "HAProxy idle CPU %",
        "router p50/p99 ms",
        "plain p50/p99 ms",
        "p99 added ms",
        "router/plain req/s",
      ],
      rows.map((x) =>
        x.reached
          ? [
              x.source,
              String(x.instances),
              String(x.paths),
              String(x.mapSize),
              fmt(x.maxPathsPerInstance, 0),
              fmt(x.maxPagesPerPoll, 0),
              fmt(x.maxListMs, 1),
              fmt(x.maxListKB, 0),
              fmt(x.luaCpuMsPerPoll, 3),
              fmt(x.apiCallsPerS, 0),
              fmt(x.idleCpuPct, 1),
              `${fmt(x.routerP50Ms, 3)} / ${fmt(x.routerP99Ms, 3)}`,
              `${fmt(x.plainP50Ms, 3)} / ${fmt(x.plainP99Ms, 3)}`,
              fmt(x.p99AddedMs, 3),
              fmt(x.rpsRatio, 3),
            ]
          : [
              x.source,
              String(x.instances),
              String(x.paths),
              `${x.mapSize} (not reached)`,
              ...Array(11).fill("—"),
            ],
      ),
    ),
    ...(g.note ? ["", `Not reached: ${g.note}.`] : []),
  ];
}

export interface ReportOptions {
  /** Free text (Markdown) appended as "Notes": what the numbers mean and their limits. */
  readonly notes?: readonly string[];
}

export function renderMarkdown(r: BenchReport, opts: ReportOptions = {}): string {
  const parts = [
    "# Benchmarks",
    "",
    "Written by `bench/run` (do not edit by hand); every number below comes from that one run. Re-run it to reproduce.",
    "",
    environmentSection(r),
    "",
    "## Targets",
    "",
    targetsTable(evaluateTargets(r)),
    "",
    ...[
      dataPlaneSection(r),
      apiCostSection(r),
      discoverySection(r),
      failoverSection(r),
      changeSection(r),
      previewSection(r),
      growthSection(r),
      takeoverSection(r),
      hostLossSection(r),
      gatewayFailoverSection(r),
    ].flatMap((s) => (s.length ? [...s, ""] : [])),
    ...(opts.notes?.length ? ["## Notes", "", ...opts.notes.map((n) => `- ${n}`), ""] : []),
  ];
  return `${parts
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trimEnd()}\n`;
}

/** The terminal version of the targets table: aligned columns, no Markdown. */
export function renderSummary(r: BenchReport): string {
  const rows = evaluateTargets(r).map((t) => [
    t.id,
    t.what,
    t.target,
    t.measured,
    verdict(t.met).replaceAll("*", ""),
  ]);
  const header = ["#", "measurement", "target", "measured", "verdict"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
