import { describe, expect, it } from "vitest";
import type { GatewayInput } from "../../../infra/status/gateways";
import {
  buildReport,
  formatAge,
  MAX_LISTED_ADDRESSES,
  type StatusInputs,
  staleAfterMs,
} from "../../../infra/status/report";
import {
  capturedInputs,
  container,
  healthyInputs,
  hostsInputs,
  limitedInputs,
  pairInputs,
  path,
  type server,
} from "./inputs";

/** What the status reads from a TLS listener: a certificate valid until `validTo`, trusted. */
const served = (validTo: string) => ({
  endpoint: "10.0.0.1:8443",
  subject: "CN=stream.example.test",
  subjectAltName: "DNS:stream.example.test, IP Address:10.0.0.1",
  validTo,
  untrusted: null,
});

/** healthyInputs() with one change. */
function breakWith(change: (i: StatusInputs) => Partial<StatusInputs>): StatusInputs {
  const base = healthyInputs();
  return { ...base, ...change(base) };
}

const withServers = (i: StatusInputs, map: (s: ReturnType<typeof server>) => ReturnType<typeof server>) => {
  if (!i.haproxy.ok) throw new Error("fixture");
  const snapshot = i.haproxy.value;
  return {
    haproxy: {
      ok: true as const,
      value: { ...snapshot, stats: { ...snapshot.stats, servers: snapshot.stats.servers.map(map) } },
    },
  };
};

const withRouter = (i: StatusInputs, change: Record<string, unknown>) => {
  if (!i.router.ok) throw new Error("fixture");
  return { router: { ok: true as const, value: { ...i.router.value, ...change } } };
};

describe("formatAge", () => {
  it.each([
    [0, "0.0s"],
    [1234, "1.2s"],
    [42_900, "42s"],
    [307_000, "5m07s"],
    [7_380_000, "2h03m"],
    [273_600_000, "3d04h"],
    [-5, "0.0s"],
  ])("%d ms → %s", (ms, text) => {
    expect(formatAge(ms)).toBe(text);
  });
});

describe("staleAfterMs", () => {
  it("allows three poll intervals plus 2 s", () => {
    expect(staleAfterMs(1000)).toBe(5000);
    expect(staleAfterMs(250)).toBe(2750);
  });
});

describe("buildReport on captured data (mtx-3 stopped)", () => {
  const report = buildReport(capturedInputs());

  it("merges container, HAProxy, router and MediaMTX facts per instance", () => {
    const [one, , three] = report.instances;
    expect(one).toMatchObject({
      name: "mtx-1",
      address: "10.213.204.10",
      weight: { deployed: 2, haproxy: 2 },
      container: { state: "running", running: true, exitCode: null },
      api: { ok: true, error: null },
      streams: ["cam/b", "cam/c"],
      readers: 1,
      router: { name: "mtx-1", pollOk: true, claimed: 2 },
      metricsUrl: "http://10.213.204.10:9998/metrics",
    });
    expect(one?.backends.map((b) => `${b.backend}:${b.status}:${b.check}`)).toEqual([
      "rtmp:UP:L7OK 200",
      "hls:UP:L7OK 200",
      "webrtc:UP:L7OK 200",
      "ice_mtx-1:UP:L7OK 200",
    ]);
    expect(three).toMatchObject({
      container: { state: "exited", running: false, exitCode: 0, since: "2026-11-25T12:44:46.496174426Z" },
      api: { ok: false, error: "container not running" },
      streams: null,
      readers: null,
      router: { pollOk: false },
    });
    expect(three?.backends.every((b) => b.status === "DOWN")).toBe(true);
    expect(three?.container.sinceMs).toBe(
      Date.parse("2026-11-25T12:52:00Z") - Date.parse("2026-11-25T12:44:46.496Z"),
    );
  });

  it("lists every stream the map routes or an instance holds, with owner, placement and readers", () => {
    expect(report.streams.map((s) => [s.name, s.routedTo, s.liveOn, s.readers.length])).toEqual([
      ["cam/a", "mtx-3", [], 0],
      ["cam/b", "mtx-1", ["mtx-1"], 1],
      ["cam/c", "mtx-1", ["mtx-1"], 0],
      ["cam/d", "mtx-2", ["mtx-2"], 0],
    ]);
    expect(report.streams[1]).toMatchObject({
      routeSource: "poll",
      routeAgeMs: 464703,
      publisher: "rtmpConn",
      tracks: ["H264", "MPEG-4 Audio"],
      readers: [{ instance: "mtx-1", type: "hlsSession" }],
      problems: [],
    });
  });

  it("says what is wrong, most basic first", () => {
    expect(report.problems).toEqual([
      "mtx-3: container e2e-status-x-1e4617-mediamtx-mtx-3 exited (exit code 0) 7m13s ago",
      "mtx-3: DOWN in rtmp, hls, webrtc, ice (last check: L4TOUT Layer4 timeout)",
      "router: polls of mtx-3 fail (last success 7m15s ago); its streams keep their owner",
      "cam/a: routed to mtx-3, but live nowhere (unknown on mtx-3: container not running): viewers get 404",
      "cam/a: owner mtx-3 is DOWN in hls: HAProxy redispatches to an instance without it",
    ]);
  });

  it("says where the request log is read and how many lines HAProxy dropped (show info DroppedLogs)", () => {
    expect(report.requestLog).toMatchObject({
      container: { name: "e2e-status-x-1e4617-haproxy-log", running: true },
      droppedLines: 1,
    });
  });

  it("carries HAProxy's version, uptime, source and backend summary", () => {
    expect(report.haproxy).toMatchObject({ version: "3.0.11-1+deb13u4", via: "admin socket", error: null });
    expect(report.haproxy.uptimeS).toBeGreaterThan(0);
    expect(report.haproxy.backends.find((b) => b.backend === "ice_mtx-3")).toEqual({
      backend: "ice_mtx-3",
      status: "DOWN",
      activeServers: 0,
    });
  });
});

describe("buildReport problems", () => {
  it("finds none on a healthy stack", () => {
    const report = buildReport(healthyInputs());
    expect(report.problems).toEqual([]);
    expect(report.streams).toHaveLength(1);
    expect(report.instances.map((i) => i.weight)).toEqual([
      { deployed: 2, haproxy: 2 },
      { deployed: 1, haproxy: 1 },
    ]);
  });

  it.each<[string, (i: StatusInputs) => Partial<StatusInputs>, string[]]>([
    [
      "TLS certificate expiring in 29 days",
      () => ({ tls: { ok: true, value: served("2026-12-24T12:10:00.000Z") } }),
      [
        "tls: the certificate expires in 29 days (2026-12-24T12:10:00.000Z): renew it (a self-signed one: scripts/pulumi up --stack t)",
      ],
    ],
    [
      "TLS certificate with 31 days left",
      () => ({ tls: { ok: true, value: served("2026-12-26T12:10:00.000Z") } }),
      [],
    ],
    [
      "TLS certificate expired",
      () => ({ tls: { ok: true, value: served("2026-11-20T00:00:00.000Z") } }),
      ["tls: the certificate expired on 2026-11-20T00:00:00.000Z"],
    ],
    [
      "TLS certificate not trusted",
      () => ({
        tls: {
          ok: true,
          value: { ...served("2028-01-01T00:00:00.000Z"), untrusted: "SELF_SIGNED_CERT_IN_CHAIN" },
        },
      }),
      ["tls: 10.0.0.1:8443 serves a certificate that is not trusted: SELF_SIGNED_CERT_IN_CHAIN"],
    ],
    [
      "TLS listener not answering",
      () => ({ tls: { ok: false, error: "connect ECONNREFUSED 10.0.0.1:8443" } }),
      ["tls: no certificate: connect ECONNREFUSED 10.0.0.1:8443"],
    ],
    [
      "config changed after the last up",
      () => ({ drift: ["c in the config but not deployed"] }),
      ["config: c in the config but not deployed (see scripts/pulumi preview --stack t)"],
    ],
    [
      "HAProxy container gone",
      (i) => ({ containers: i.containers.filter((c) => c.name !== "t-haproxy") }),
      ["haproxy: container t-haproxy does not exist"],
    ],
    [
      "log sink stopped",
      (i) => ({
        containers: i.containers.map((c) =>
          c.name === "t-haproxy-log"
            ? container(c.name, {
                status: "exited",
                running: false,
                exitCode: 0,
                finishedAt: "2026-11-25T12:09:00Z",
              })
            : c,
        ),
      }),
      [
        "log sink: container t-haproxy-log exited (exit code 0) 1m00s ago: request log lines are lost, uncounted",
      ],
    ],
    [
      "an instance OOM-killed",
      (i) => ({
        containers: i.containers.map((c) =>
          c.name === "t-mediamtx-b"
            ? container(c.name, {
                status: "exited",
                running: false,
                exitCode: 137,
                oomKilled: true,
                finishedAt: "2026-11-25T12:09:30Z",
              })
            : c,
        ),
        paths: { ...i.paths, b: { ok: false, error: "container not running" } },
      }),
      ["b: container t-mediamtx-b exited (exit code 137, OOM-killed) 30s ago"],
    ],
    [
      "an instance restart-looping",
      (i) => ({
        containers: i.containers.map((c) =>
          c.name === "t-mediamtx-b"
            ? container(c.name, { status: "restarting", running: true, restartCount: 7 })
            : c,
        ),
      }),
      ["b: container t-mediamtx-b is restarting (7 restarts)"],
    ],
    [
      "an instance that restarted once",
      (i) => ({
        containers: i.containers.map((c) =>
          c.name === "t-mediamtx-b"
            ? container(c.name, { restartCount: 1, startedAt: "2026-11-25T12:08:00Z" })
            : c,
        ),
      }),
      ["b: container t-mediamtx-b restarted once, running for 2m00s"],
    ],
    [
      "an instance in maintenance in one backend, failing checks in another",
      (i) =>
        withServers(i, (s) =>
          s.server !== "b"
            ? s
            : s.backend === "rtmp"
              ? { ...s, status: "MAINT", checkStatus: "", checkCode: "", checkDesc: "" }
              : s.backend === "hls"
                ? {
                    ...s,
                    status: "UP 1/2",
                    checkStatus: "L4TOUT",
                    checkCode: "",
                    checkDesc: "Layer4 timeout",
                  }
                : s,
        ),
      ["b: MAINT in rtmp", "b: UP 1/2 in hls (last check: L4TOUT Layer4 timeout)"],
    ],
    [
      "a weight set at runtime that the deployment does not have",
      (i) => withServers(i, (s) => (s.server === "a" ? { ...s, weight: 5 } : s)),
      ["a: HAProxy weight 5, deployed 2"],
    ],
    [
      "an instance HAProxy does not know",
      (i) => withServers(i, (s) => ({ ...s, server: s.server === "b" ? "old" : s.server })),
      ["b: no server in HAProxy's config (reload pending?)"],
    ],
    [
      "HAProxy unreachable",
      () => ({ haproxy: { ok: false, error: "admin socket /x: connect ENOENT" } }),
      ["haproxy: no server states: admin socket /x: connect ENOENT"],
    ],
    [
      "an API that does not answer on a running instance",
      (i) => ({ paths: { ...i.paths, b: { ok: false, error: "fetch failed (EHOSTUNREACH)" } } }),
      ["b: MediaMTX API: fetch failed (EHOSTUNREACH)"],
    ],
    [
      "the router unreachable",
      () => ({ router: { ok: false, error: "GET http://127.0.0.1:8404/router answered 401" } }),
      // The map is unknown then, not empty: no "not in the map" finding for s.
      ["router: no status: GET http://127.0.0.1:8404/router answered 401"],
    ],
    [
      "a poll hanging (router still reports the previous one ok)",
      (i) =>
        withRouter(i, {
          instances: [
            { name: "a", pollOk: true, claimed: 1, lastPollAgeMs: 100 },
            { name: "b", pollOk: true, claimed: 0, lastPollAgeMs: 12_400 },
          ],
        }),
      ["router: last successful poll of b was 12s ago (a poll is hanging)"],
    ],
    [
      "an instance the router never polled or does not know",
      (i) => withRouter(i, { instances: [{ name: "a", pollOk: false, claimed: 0, lastPollAgeMs: null }] }),
      [
        "router: no successful poll of a yet",
        "router: does not poll b (router.lua older than the instance list?)",
      ],
    ],
    [
      "a stream routed to one instance but live on another",
      () => ({ paths: { a: { ok: true, value: [] }, b: { ok: true, value: [path("s")] } } }),
      ["s: routed to a, but live on b"],
    ],
    [
      "a stream published twice",
      (i) => ({ paths: { ...i.paths, b: { ok: true, value: [path("s")] } } }),
      ["s: published on 2 instances (a, b)"],
    ],
    [
      "a stream whose path waits for a publisher",
      () => ({
        paths: {
          a: { ok: true, value: [path("s", { ready: false, sourceType: undefined })] },
          b: { ok: true, value: [] },
        },
      }),
      ["s: routed to a, but live nowhere: viewers get 404", "s: exists on a without a ready publisher"],
    ],
    [
      "a stream whose owner is down in hls",
      (i) => withServers(i, (s) => (s.server === "a" && s.backend === "hls" ? { ...s, status: "DOWN" } : s)),
      [
        "a: DOWN in hls (last check: L7OK 200 Layer7 check passed)",
        "s: owner a is DOWN in hls: HAProxy redispatches to an instance without it",
      ],
    ],
    [
      "an instance down everywhere whose tracking servers carry no check result of their own",
      (i) =>
        withServers(i, (s) =>
          s.server !== "a"
            ? s
            : s.backend === "hls"
              ? {
                  ...s,
                  status: "DOWN",
                  checkStatus: "L4CON",
                  checkCode: "",
                  checkDesc: "Layer4 connection problem",
                }
              : { ...s, status: "DOWN", checkStatus: "", checkCode: "", checkDesc: "" },
        ),
      [
        "a: DOWN in rtmp, hls, webrtc (last check: L4CON Layer4 connection problem)",
        "s: owner a is DOWN in hls: HAProxy redispatches to an instance without it",
      ],
    ],
    [
      "asking about a stream nobody publishes",
      () => ({ stream: "ghost" }),
      ["ghost: not in the router's map and live nowhere: nothing publishes it"],
    ],
  ])("%s", (_what, change, problems) => {
    expect(buildReport(breakWith(change)).problems).toEqual(problems);
  });

  it("says a stream is not in the map only when the router answered", () => {
    const inputs = breakWith(() => ({ router: { ok: false, error: "down" }, stream: "ghost" }));
    expect(buildReport(inputs).problems).toEqual([
      "router: no status: down",
      "ghost: live nowhere: nothing publishes it",
    ]);
  });

  it("--stream keeps only that stream's row", () => {
    const report = buildReport(breakWith(() => ({ stream: "s" })));
    expect(report.streams.map((s) => s.name)).toEqual(["s"]);
    expect(report.streams[0]?.readers).toEqual([{ instance: "a", type: "hlsSession", id: "r1" }]);
  });

  it("is deterministic: the same inputs give the same report", () => {
    expect(JSON.stringify(buildReport(capturedInputs()))).toBe(JSON.stringify(buildReport(capturedInputs())));
  });
});

describe("buildReport TLS", () => {
  it("has no TLS section without TLS, and the served certificate with days left with it", () => {
    expect(buildReport(healthyInputs()).tls).toBeNull();
    const report = buildReport({
      ...healthyInputs(),
      tls: { ok: true, value: served("2027-01-24T12:10:00.000Z") },
    });
    expect(report.tls).toEqual({
      ...served("2027-01-24T12:10:00.000Z"),
      daysLeft: 60,
      error: null,
    });
  });
});

describe("buildReport limits", () => {
  it("joins each limited frontend's denials (show stat) with its table (show table)", () => {
    const report = buildReport(limitedInputs());
    expect(report.limits).toEqual([
      {
        frontend: "hls",
        limits: { http_req_rate: 5, conn_cur: 3 },
        deniedRequests: 8,
        deniedConnections: 0,
        trackedAddresses: 3,
        overLimit: 2,
        overLimitAddresses: ["127.0.0.2", "127.0.0.3"],
        error: null,
      },
      {
        frontend: "webrtc",
        limits: { http_req_rate: 5, conn_cur: 3 },
        deniedRequests: null,
        deniedConnections: null,
        trackedAddresses: null,
        overLimit: null,
        overLimitAddresses: [],
        error: "admin socket /run/x.sock: EACCES",
      },
      {
        frontend: "rtmp",
        limits: { conn_cur: 2 },
        deniedRequests: 11,
        deniedConnections: 4,
        trackedAddresses: 2,
        overLimit: 0,
        overLimitAddresses: [],
        error: null,
      },
    ]);
    // Limits at work are no problem: refusing an abuser is what they are for.
    expect(report.problems).toEqual([]);
  });

  it("lists at most MAX_LISTED_ADDRESSES addresses but counts them all", () => {
    const inputs = limitedInputs();
    const many = Array.from({ length: 25 }, (_, i) => `10.0.0.${i + 10}`);
    const report = buildReport({
      ...inputs,
      limits: [
        {
          frontend: "hls",
          limits: [],
          table: { ok: true, value: { trackedAddresses: 30, overLimit: many } },
        },
      ],
    });
    expect(report.limits[0]?.overLimit).toBe(25);
    expect(report.limits[0]?.overLimitAddresses).toEqual(many.slice(0, MAX_LISTED_ADDRESSES));
  });
});

describe("buildReport hosts", () => {
  it("counts a container only on its own host's engine: a stale namesake on another host is ignored", () => {
    const inputs = hostsInputs();
    const report = buildReport(inputs);
    expect(report.instances.find((i) => i.name === "a1")?.container.state).toBe("running");
    // Moved to h2 in the inputs' eyes: the running a1 on h1 no longer counts, the exited one on h2 does.
    const moved = buildReport({
      ...inputs,
      instances: inputs.instances.map((i) => (i.name === "a1" ? { ...i, host: "h2" } : i)),
    });
    expect(moved.instances.find((i) => i.name === "a1")?.container.state).toBe("exited");
  });

  it("leaves the states on an unreachable engine unknown, says so once, and still reports their APIs", () => {
    const report = buildReport(hostsInputs());
    expect(report.instances.filter((i) => i.container.state === "unknown").map((i) => i.name)).toEqual([
      "c1",
      "c2",
    ]);
    expect(report.problems.filter((p) => p.startsWith("host "))).toHaveLength(1);
    expect(report.problems.filter((p) => p.startsWith("c1:"))).toEqual([]);
    expect(report.problems).toContain(
      "c2: MediaMTX API: GET http://10.9.0.13:19043/v3/paths/list?itemsPerPage=500&page=0: timeout",
    );
  });

  it("reports a missing gateway on a reachable host as before", () => {
    const inputs = hostsInputs();
    const report = buildReport({
      ...inputs,
      containers: inputs.containers.filter((c) => c.name !== inputs.haproxyContainer),
    });
    expect(report.problems).toContain("haproxy: container hosts-haproxy does not exist");
  });
});

/** pairInputs() with gateway `name` changed; the report is still read from ga. */
function pairWith(name: string, change: (g: GatewayInput) => Partial<GatewayInput>): StatusInputs {
  const base = pairInputs();
  const floating = base.floating;
  if (floating === undefined) throw new Error("fixture");
  return {
    ...base,
    floating: {
      ...floating,
      gateways: floating.gateways.map((g) => (g.name === name ? { ...g, ...change(g) } : g)),
    },
  };
}

const ADDRESS = "198.51.100.100";

describe("buildReport gateway pair", () => {
  it("a healthy pair: one holder, the report read from it, the maps agree, no problems", () => {
    const report = buildReport(pairInputs());
    expect(report.problems).toEqual([]);
    expect(report.floating).toEqual({
      address: ADDRESS,
      holders: ["ga"],
      used: { name: "ga", because: `it holds ${ADDRESS}` },
      maps: { agree: true, streams: 1, differences: [], unread: [] },
    });
    expect(
      report.gateways?.map((g) => [
        g.name,
        g.host,
        g.haproxy.state,
        g.keepalived.state,
        g.holdsAddress,
        g.used,
      ]),
    ).toEqual([
      ["ga", "h1", "running", "running", true, true],
      ["gb", "h2", "running", "running", false, false],
    ]);
    expect(report.gateways?.[1]?.map).toEqual({ "cam/1": "b1" });
    expect(report.hosts?.map((h) => [h.name, h.gateway, h.gateways])).toEqual([
      ["h1", true, ["ga"]],
      ["h2", false, ["gb"]],
      ["h3", false, []],
    ]);
  });

  const problemCases: readonly [string, StatusInputs, readonly string[]][] = [
    [
      "nobody holds the address",
      pairWith("ga", () => ({ holds: { ok: true, value: false } })),
      [`gateways: no gateway holds ${ADDRESS}: clients reach no gateway there`],
    ],
    [
      "both hold it",
      pairWith("gb", () => ({ holds: { ok: true, value: true } })),
      [
        `gateways: 2 gateways hold ${ADDRESS} (ga, gb): clients reach either one (VRRP adverts not getting through?)`,
      ],
    ],
    [
      "the other gateway's answer is unknown",
      pairWith("gb", () => ({ holds: { ok: false, error: "docker exec failed: container is not running" } })),
      [`gateway gb: whether it holds ${ADDRESS} is unknown: docker exec failed: container is not running`],
    ],
    [
      "the holder's answer is unknown too",
      pairWith("ga", () => ({ holds: { ok: false, error: "no answer to docker exec within 5s" } })),
      [
        `gateway ga: whether it holds ${ADDRESS} is unknown: no answer to docker exec within 5s`,
        `gateways: no gateway holds ${ADDRESS} (unknown on ga): clients reach no gateway there`,
      ],
    ],
    [
      "a map is unread: not compared",
      pairWith("gb", () => ({ map: { ok: false, error: "admin socket /s/admin.sock: ECONNREFUSED" } })),
      ["gateway gb: stream map unreadable: admin socket /s/admin.sock: ECONNREFUSED"],
    ],
    [
      "a map has not reached a stream yet, another routes one elsewhere",
      pairWith("gb", () => ({ map: { ok: true, value: [{ stream: "cam/2", server: "a1" }] } })),
      ["gateways: stream maps differ on 2 of 2 streams: cam/1 (ga b1, gb -), cam/2 (ga -, gb a1)"],
    ],
  ];
  it.each(problemCases)("%s", (_, inputs, expected) => {
    expect(buildReport(inputs).problems).toEqual(expected);
  });

  it("names each gateway's stopped container once (the used HAProxy not again as `haproxy:`)", () => {
    const base = pairInputs();
    const stopped = new Set(["pair-haproxy-ga", "pair-keepalived-gb"]);
    const report = buildReport({
      ...base,
      containers: base.containers.map((c) =>
        stopped.has(c.name)
          ? { ...c, status: "exited", running: false, exitCode: 1, finishedAt: "2026-11-25T12:09:00Z" }
          : c,
      ),
    });
    expect(report.problems).toEqual([
      "gateway ga: container pair-haproxy-ga exited (exit code 1) 1m00s ago",
      "gateway gb: container pair-keepalived-gb exited (exit code 1) 1m00s ago",
    ]);
  });

  it("an unreachable host: its gateway's states and address unknown, said once for the host", () => {
    const base = pairInputs();
    const report = buildReport({
      ...pairWith("ga", () => ({ holds: { ok: false, error: "engine of h1 unreachable" } })),
      containers: base.containers.filter((c) => c.host !== "h1"),
      hosts: (base.hosts ?? []).map((h) =>
        h.name === "h1" ? { ...h, engine: { ok: false, error: "no answer to docker version within 5s" } } : h,
      ),
      paths: { ...base.paths, a1: { ok: false, error: "timeout" } },
    });
    expect(report.problems.slice(0, 1)).toEqual([
      "host h1: engine unix:///run/mediamtx-lb/h1/docker.sock unreachable: no answer to docker version within 5s (container states unknown: gateway ga, a1)",
    ]);
    expect(report.problems.join("\n")).not.toContain("gateway ga:");
    expect(report.gateways?.[0]).toMatchObject({
      haproxy: { state: "unknown" },
      keepalived: { state: "unknown" },
      holdsAddress: null,
      holdsError: "engine of h1 unreachable",
    });
  });

  it("has neither key without a floating address", () => {
    const report = buildReport(hostsInputs());
    expect(report).not.toHaveProperty("floating");
    expect(report).not.toHaveProperty("gateways");
    expect(report.hosts?.[0]).not.toHaveProperty("gateways");
  });
});
