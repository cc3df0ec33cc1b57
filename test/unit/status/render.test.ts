import { describe, expect, it } from "vitest";
import { renderJson, renderTable, renderText } from "../../../infra/status/render";
import { buildReport } from "../../../infra/status/report";
import { capturedInputs, healthyInputs, hostsInputs, limitedInputs, pairInputs, path } from "./inputs";

describe("renderTable", () => {
  it("pads columns to the widest cell, two spaces apart, without trailing spaces", () => {
    expect(
      renderTable(
        ["A", "LONG HEADER"],
        [
          ["wide cell", "x"],
          ["b", ""],
        ],
      ),
    ).toEqual(["A          LONG HEADER", "wide cell  x", "b"]);
  });
});

describe("renderText", () => {
  it("renders the captured stack with mtx-3 stopped as one screen", () => {
    expect(renderText(buildReport(capturedInputs()), 5000)).toBe(
      `stack e2e-status-x-1e4617 at 2026-11-25T12:52:00.000Z
haproxy  e2e-status-x-1e4617-haproxy running 7m51s · HAProxy 3.0.11-1+deb13u4 up 33s · servers via admin socket
logs     docker logs e2e-status-x-1e4617-haproxy-log · running 8m00s · 1 line dropped (DroppedLogs)
router   polls 1012  pollErrors 28  pollRequests ?  wholeDecodes ?  lookups 2  lookupHits 0  misses 6  learned 0  mapSize 4  lastPollAgeMs 105

INSTANCE  CONTAINER        ADDRESS        WEIGHT  RTMP  HLS   WEBRTC  ICE   CHECK          POLL           STREAMS  READERS
mtx-1     running 7m52s    10.213.204.10  2       UP    UP    UP      UP    L7OK 200 0ms   ok 0.1s        2        1
mtx-2     running 7m52s    10.213.204.11  1       UP    UP    UP      UP    L7OK 200 0ms   ok 0.1s        1        0
mtx-3     exited(0) 7m13s  10.213.204.12  1       DOWN  DOWN  DOWN    DOWN  L4TOUT 1001ms  failing 7m15s  -        -

STREAM  ROUTED TO  BY    MAPPED  LIVE ON  PUBLISHER  TRACKS             READERS
cam/a   mtx-3      poll  7m44s   -        -          -                  0
cam/b   mtx-1      poll  7m44s   mtx-1    rtmpConn   H264,MPEG-4 Audio  1 hlsSession
cam/c   mtx-1      poll  7m44s   mtx-1    rtmpConn   H264,MPEG-4 Audio  0
cam/d   mtx-2      poll  7m44s   mtx-2    rtmpConn   H264,MPEG-4 Audio  0

PROBLEMS (5)
  ! mtx-3: container e2e-status-x-1e4617-mediamtx-mtx-3 exited (exit code 0) 7m13s ago
  ! mtx-3: DOWN in rtmp, hls, webrtc, ice (last check: L4TOUT Layer4 timeout)
  ! router: polls of mtx-3 fail (last success 7m15s ago); its streams keep their owner
  ! cam/a: routed to mtx-3, but live nowhere (unknown on mtx-3: container not running): viewers get 404
  ! cam/a: owner mtx-3 is DOWN in hls: HAProxy redispatches to an instance without it
`,
    );
  });

  it("says so when there is nothing to list, and when HAProxy and the router did not answer", () => {
    const base = healthyInputs();
    const text = renderText(
      buildReport({
        ...base,
        haproxy: { ok: false, error: "admin socket: EACCES" },
        router: { ok: false, error: "401" },
        paths: { a: { ok: true, value: [] }, b: { ok: false, error: "timeout" } },
      }),
      5000,
    );
    expect(text).toContain("\nrouter   unavailable\n");
    // Without HAProxy's answer the dropped lines are unknown, not 0.
    expect(text).toContain(
      "\nlogs     docker logs t-haproxy-log · running 10m00s · dropped ? (DroppedLogs)\n",
    );
    expect(text).toContain("\nno streams: nothing is published and the router's map is empty\n");
    // No server states: status columns vanish, the weight is unknown; b's API did not answer.
    expect(text).toContain(
      "\nINSTANCE  CONTAINER       ADDRESS    WEIGHT          CHECK  POLL  STREAMS  READERS\n",
    );
    expect(text).toContain(
      "\nb         running 10m00s  10.0.0.11  ? (deployed 1)  -      -     ?        ?\n",
    );
    expect(text).toMatch(/PROBLEMS \(3\)\n {2}! haproxy: no server states: admin socket: EACCES\n/);
  });

  it("marks a stale poll and summarises readers of several kinds", () => {
    const base = healthyInputs();
    if (!base.router.ok) throw new Error("fixture");
    const readers = [
      { type: "hlsSession", id: "1" },
      { type: "hlsSession", id: "2" },
      { type: "webRTCSession", id: "3" },
    ];
    const text = renderText(
      buildReport({
        ...base,
        router: {
          ok: true,
          value: {
            ...base.router.value,
            instances: [
              { name: "a", pollOk: true, claimed: 1, lastPollAgeMs: 100, lastPollDecided: 0 },
              { name: "b", pollOk: true, claimed: 0, lastPollAgeMs: 9000, lastPollDecided: 0 },
            ],
          },
        },
        paths: { a: { ok: true, value: [path("s", { readers })] }, b: { ok: true, value: [] } },
      }),
      5000,
    );
    expect(text).toMatch(/\nb +running 10m00s .* stale 9\.0s /);
    expect(text).toContain("3 (2 hlsSession, 1 webRTCSession)");
  });
});

describe("renderText limits", () => {
  it("shows per frontend its limits, denials, tracked and over-limit addresses, and why a table is unknown", () => {
    const text = renderText(buildReport(limitedInputs()), 5000);
    const from = text.indexOf("FRONTEND");
    expect(text.slice(from, text.indexOf("\n\n", from))).toBe(
      `FRONTEND  LIMITS              DENIED  REFUSED  TRACKED  OVER LIMIT
hls       5 req/10s, 3 conns  8       0        3        2: 127.0.0.2, 127.0.0.3
webrtc    5 req/10s, 3 conns  ?       ?        ?        ?
rtmp      2 conns             11      4        2        0
  webrtc: table unreadable: admin socket /run/x.sock: EACCES`,
    );
  });

  it("says off for a frontend without limits, and leaves the section out when nothing is limited", () => {
    const inputs = limitedInputs();
    const off = renderText(
      buildReport({ ...inputs, limits: [{ frontend: "rtmp", limits: [], table: null }] }),
      5000,
    );
    expect(off).toMatch(/^rtmp {6}off {5}11 {6}4 {8}- {8}-$/m);
    expect(renderText(buildReport({ ...inputs, limits: [] }), 5000)).not.toContain("FRONTEND");
  });
});

describe("renderJson", () => {
  it("is the report itself, indented, with one trailing newline", () => {
    const report = buildReport(capturedInputs());
    const json = renderJson(report);
    expect(JSON.parse(json)).toEqual(report);
    expect(json.endsWith("}\n")).toBe(true);
    expect(json.endsWith("\n\n")).toBe(false);
    expect(Object.keys(JSON.parse(json))).toEqual([
      "stack",
      "collectedAt",
      "haproxy",
      "router",
      "requestLog",
      "instances",
      "streams",
      "limits",
      "endpoints",
      "tls",
      "problems",
    ]);
  });
});

describe("renderText TLS", () => {
  it("shows the served certificate's subject, names and days left, and whether it is trusted", () => {
    const report = buildReport({
      ...healthyInputs(),
      tls: {
        ok: true,
        value: {
          endpoint: "10.0.0.1:8443",
          subject: "CN=stream.example.test",
          subjectAltName: "DNS:stream.example.test, IP Address:10.0.0.1",
          validTo: "2027-01-24T12:10:00.000Z",
          untrusted: null,
        },
      },
    });
    expect(renderText(report, 5000).split("\n")).toContain(
      "tls      10.0.0.1:8443 · CN=stream.example.test · DNS:stream.example.test, IP Address:10.0.0.1 · expires 2027-01-24T12:10:00.000Z (60 days) · trusted",
    );
    expect(renderText(buildReport(healthyInputs()), 5000)).not.toMatch(/^tls /m);
  });
});

describe("renderText hosts", () => {
  it("lists each host's engine, then the instances grouped by host with the API endpoint asked", () => {
    const text = renderText(buildReport(hostsInputs()), 5000);
    expect(text).toBe(
      `stack hosts at 2026-11-25T12:10:00.000Z
haproxy  hosts-haproxy running 10m00s · HAProxy 3.0.11 up 10m00s · servers via admin socket
logs     docker -H unix:///run/mediamtx-lb/h1/docker.sock logs hosts-haproxy-log · running 10m00s · 0 lines dropped (DroppedLogs)
router   polls 60  pollErrors 8  pollRequests 60  wholeDecodes 0  lookups 0  lookupHits 0  misses 0  learned 0  mapSize 1  lastPollAgeMs 100

HOST  ADDRESS        PRIVATE    RUNS             ENGINE                                  STATE
h1    198.51.100.11  10.9.0.11  gateway, a1, a2  unix:///run/mediamtx-lb/h1/docker.sock  reachable (Docker 27.3.1)
h2    198.51.100.12  10.9.0.12  b1, b2           ssh://ops@h2.example.net                reachable (Docker 20.10.24)
h3    198.51.100.13  10.9.0.13  c1, c2           tcp://10.9.0.13:2376                    UNREACHABLE: docker version failed: error during connect: Get "http://10.9.0.13:2376/v1.47/version": dial tcp 10.9.0.13:2376: connect: connection refused

INSTANCE  HOST  CONTAINER          API              WEIGHT  RTMP  HLS   WEBRTC  CHECK         POLL           STREAMS  READERS
a1        h1    running 10m00s     10.9.0.11:19003  1       UP    UP    UP      L7OK 200 1ms  ok 0.1s        0        0
a2        h1    running 10m00s     10.9.0.11:19011  1       UP    UP    UP      L7OK 200 1ms  ok 0.1s        0        0
b1        h2    running 10m00s     10.9.0.12:19019  1       UP    UP    UP      L7OK 200 1ms  ok 0.1s        1        1
b2        h2    exited(137) 2m00s  10.9.0.12:19075  1       DOWN  DOWN  DOWN    L4CON 1ms     failing 2m00s  -        -
c1        h3    unknown            10.9.0.13:19035  1       UP    UP    UP      L7OK 200 1ms  ok 0.1s        0        0
c2        h3    unknown            10.9.0.13:19043  1       DOWN  DOWN  DOWN    L4CON 1ms     failing 2m00s  ?        ?

STREAM  ROUTED TO  BY    MAPPED  LIVE ON  PUBLISHER  TRACKS  READERS
cam/1   b1         poll  5.0s    b1       rtmpConn   H264    1 webRTCSession

PROBLEMS (7)
  ! host h3: engine tcp://10.9.0.13:2376 unreachable: docker version failed: error during connect: Get "http://10.9.0.13:2376/v1.47/version": dial tcp 10.9.0.13:2376: connect: connection refused (container states unknown: c1, c2)
  ! b2: container hosts-mediamtx-b2 exited (exit code 137) 2m00s ago
  ! b2: DOWN in rtmp, hls, webrtc (last check: L4CON Connection refused)
  ! c2: DOWN in rtmp, hls, webrtc (last check: L4CON Connection refused)
  ! c2: MediaMTX API: GET http://10.9.0.13:19043/v3/paths/list?itemsPerPage=500&page=0: timeout
  ! router: polls of b2 fail (last success 2m00s ago); its streams keep their owner
  ! router: polls of c2 fail (last success 2m00s ago); its streams keep their owner
`,
    );
  });

  it("groups rows by host in the hosts' order, whatever the deployment's order", () => {
    const inputs = hostsInputs();
    const report = buildReport({ ...inputs, instances: [...inputs.instances].reverse() });
    const rows = renderText(report, 5000)
      .split("\n")
      .filter((l) => /^[abc][12] /.test(l))
      .map((l) => l.split(/ +/).slice(0, 2).join(" "));
    expect(rows).toEqual(["a2 h1", "a1 h1", "b2 h2", "b1 h2", "c2 h3", "c1 h3"]);
  });

  it("names the gateway's host when every engine is down, with every state unknown", () => {
    const inputs = hostsInputs();
    const report = buildReport({
      ...inputs,
      containers: [],
      hosts: (inputs.hosts ?? []).map((h) => ({
        ...h,
        engine: { ok: false, error: "no answer to docker version within 5s" },
      })),
    });
    const text = renderText(report, 5000);
    expect(text).toContain("\nhaproxy  hosts-haproxy unknown · HAProxy 3.0.11");
    expect(text).toContain("· unknown · 0 lines dropped");
    expect(text).toMatch(/^h2 +198\.51\.100\.12 .* UNREACHABLE: no answer to docker version within 5s$/m);
    expect(report.problems.slice(0, 3)).toEqual([
      "host h1: engine unix:///run/mediamtx-lb/h1/docker.sock unreachable: no answer to docker version within 5s (container states unknown: haproxy, log sink, a1, a2)",
      "host h2: engine ssh://ops@h2.example.net unreachable: no answer to docker version within 5s (container states unknown: b1, b2)",
      "host h3: engine tcp://10.9.0.13:2376 unreachable: no answer to docker version within 5s (container states unknown: c1, c2)",
    ]);
    expect(report.problems.join("\n")).not.toContain("does not exist");
  });
});

describe("renderJson hosts", () => {
  it("adds hosts with their engines, and each instance's host and API endpoint", () => {
    const json = JSON.parse(renderJson(buildReport(hostsInputs())));
    expect(Object.keys(json)).toContain("hosts");
    expect(json.hosts).toEqual([
      {
        name: "h1",
        docker: "unix:///run/mediamtx-lb/h1/docker.sock",
        address: "198.51.100.11",
        privateAddress: "10.9.0.11",
        gateway: true,
        engine: { reachable: true, version: "27.3.1" },
      },
      {
        name: "h2",
        docker: "ssh://ops@h2.example.net",
        address: "198.51.100.12",
        privateAddress: "10.9.0.12",
        gateway: false,
        engine: { reachable: true, version: "20.10.24" },
      },
      {
        name: "h3",
        docker: "tcp://10.9.0.13:2376",
        address: "198.51.100.13",
        privateAddress: "10.9.0.13",
        gateway: false,
        engine: { reachable: false, error: expect.stringContaining("connection refused") },
      },
    ]);
    expect(
      json.instances.map((i: { name: string; host: string; dial: string }) => [i.name, i.host, i.dial]),
    ).toEqual([
      ["a1", "h1", "10.9.0.11:19003"],
      ["a2", "h1", "10.9.0.11:19011"],
      ["b1", "h2", "10.9.0.12:19019"],
      ["b2", "h2", "10.9.0.12:19075"],
      ["c1", "h3", "10.9.0.13:19035"],
      ["c2", "h3", "10.9.0.13:19043"],
    ]);
  });

  it("has neither key without hosts", () => {
    const json = JSON.parse(renderJson(buildReport(healthyInputs())));
    expect(json.hosts).toBeUndefined();
    expect(json.instances[0]).not.toHaveProperty("host");
    expect(json.instances[0]).not.toHaveProperty("dial");
  });
});

/** The lines from GATEWAY's header up to the blank line after it. */
function gatewaysBlock(text: string): string {
  const start = text.indexOf("\nGATEWAY ");
  return text.slice(start + 1, text.indexOf("\n\n", start) + 1);
}

describe("renderText gateway pair", () => {
  it("shows each gateway on its host, who holds the address, the maps, and which gateway was read", () => {
    const text = renderText(buildReport(pairInputs()), 5000);
    expect(text).toMatch(/^h1 +198\.51\.100\.11 +10\.9\.0\.11 +gateway ga, a1 /m);
    expect(gatewaysBlock(text)).toBe(
      `GATEWAY  HOST  HAPROXY         KEEPALIVED      HOLDS 198.51.100.100  MAP
ga       h1    running 10m00s  running 10m00s  yes                   1 stream
gb       h2    running 10m00s  running 10m00s  no                    1 stream
maps     agree: 1 stream, the same owner on ga and gb
used     ga (it holds 198.51.100.100): servers, router, streams and instances below are its view
`,
    );
    expect(text).toContain("\nhaproxy  pair-haproxy-ga running 10m00s");
    expect(text).toContain("\nno problems found\n");
  });

  it("unknown holder, unread map, differing maps", () => {
    const base = pairInputs();
    const floating = base.floating;
    if (floating === undefined) throw new Error("fixture");
    const [ga, gb] = floating.gateways;
    if (ga === undefined || gb === undefined) throw new Error("fixture");
    const gc = {
      ...gb,
      name: "gc",
      host: "h3",
      haproxyContainer: "pair-haproxy-gc",
      keepalivedContainer: "pair-keepalived-gc",
    };
    const text = renderText(
      buildReport({
        ...base,
        floating: {
          ...floating,
          gateways: [
            { ...ga, holds: { ok: false, error: "no answer to docker exec within 5s" } },
            { ...gb, map: { ok: false, error: "admin socket /s/admin.sock: ENOENT" } },
            { ...gc, map: { ok: true, value: [] } },
          ],
        },
      }),
      5000,
    );
    expect(gatewaysBlock(text)).toBe(
      `GATEWAY  HOST  HAPROXY         KEEPALIVED      HOLDS 198.51.100.100                         MAP
ga       h1    running 10m00s  running 10m00s  unknown: no answer to docker exec within 5s  1 stream
gb       h2    running 10m00s  running 10m00s  no                                           unread: admin socket /s/admin.sock: ENOENT
gc       h3    missing         missing         no                                           0 streams
maps     not compared: gb: admin socket /s/admin.sock: ENOENT · the others differ on 1: cam/1 (ga b1, gc -)
used     ga (no gateway is known to hold 198.51.100.100; first that answered): servers, router, streams and instances below are its view
`,
    );
  });

  it("says DIFFER with every differing stream", () => {
    const base = pairInputs();
    const floating = base.floating;
    if (floating === undefined) throw new Error("fixture");
    const text = renderText(
      buildReport({
        ...base,
        floating: {
          ...floating,
          gateways: floating.gateways.map((g) =>
            g.name === "gb" ? { ...g, map: { ok: true, value: [{ stream: "cam/1", server: "a1" }] } } : g,
          ),
        },
      }),
      5000,
    );
    expect(text).toContain("\nmaps     DIFFER on 1 of 1 stream: cam/1 (ga b1, gb a1)\n");
  });
});

describe("renderJson gateway pair", () => {
  it("adds floating and gateways[] with each gateway's map", () => {
    const json = JSON.parse(renderJson(buildReport(pairInputs())));
    expect(json.floating.used).toEqual({ name: "ga", because: "it holds 198.51.100.100" });
    expect(json.gateways[1]).toMatchObject({
      name: "gb",
      host: "h2",
      haproxy: { name: "pair-haproxy-gb", state: "running" },
      keepalived: { name: "pair-keepalived-gb", state: "running" },
      holdsAddress: false,
      holdsError: null,
      map: { "cam/1": "b1" },
      mapError: null,
      used: false,
    });
  });

  it("has neither key without a floating address", () => {
    const json = JSON.parse(renderJson(buildReport(hostsInputs())));
    expect(json).not.toHaveProperty("floating");
    expect(json).not.toHaveProperty("gateways");
  });
});
