import { describe, expect, it } from "vitest";
import type { Model } from "../../../infra/config/model";
import { LIMIT_DEFAULTS } from "../../../infra/config/security";
import {
  HEALTH_CHECK_URI,
  haproxyConfigFingerprint,
  haproxyWeights,
  INITIAL_SERVER_STATE,
  quoteHaproxyWord,
  renderHaproxyConfig,
  renderHaproxySecrets,
  renderStreamFromPathRules,
  toHaproxyView,
  toHttpLimitsView,
  toRtmpLimitsView,
} from "../../../infra/render/haproxy";
import {
  ADMIN_SOCKET,
  LOG_SOCKET,
  ROUTER_LUA,
  SERVER_STATE_FILE,
  STREAMS_MAP,
} from "../../../infra/render/paths";
import { testInstances, testModel } from "../../support/model";

const THREE = testInstances([
  { name: "a", weight: 2 },
  { name: "b", weight: 1 },
  { name: "c", weight: 0, iceTcpPort: 9000 },
]);

function model(overrides: Partial<Model> = {}): Model {
  return testModel({ instances: THREE, ...overrides });
}

interface Section {
  readonly header: string;
  readonly lines: readonly string[];
}

/** haproxy.cfg → sections (`global`, `backend hls`, …) with their trimmed, non-comment lines. */
function sections(cfg: string): Section[] {
  const result: { header: string; lines: string[] }[] = [];
  for (const raw of cfg.split("\n")) {
    if (raw.trim() === "" || raw.trim().startsWith("#")) continue;
    if (/^\S/.test(raw)) result.push({ header: raw, lines: [] });
    else result.at(-1)?.lines.push(raw.trim());
  }
  return result;
}

function section(cfg: string, header: string): Section {
  const found = sections(cfg).find((s) => s.header === header);
  if (found === undefined) throw new Error(`no section "${header}" in:\n${cfg}`);
  return found;
}

const CFG = renderHaproxyConfig(model());
const BALANCED_BACKENDS = [
  ["rtmp", 1935],
  ["hls", 8888],
  ["webrtc", 8889],
] as const;

describe("toHaproxyView", () => {
  it.each([
    ["rtmp", "127.0.0.1:1935"],
    ["hls", "127.0.0.1:8888"],
    ["webrtc", "127.0.0.1:8889"],
  ] as const)("binds the %s frontend on bindAddress:%s", (proxy, bind) => {
    expect(toHaproxyView(model())[proxy].binds).toEqual([bind]);
  });

  it("binds the stats frontend on bindAddress:ports.stats", () => {
    expect(toHaproxyView(model({ bindAddress: "0.0.0.0" })).statsBind).toBe("0.0.0.0:8404");
  });

  it.each(BALANCED_BACKENDS)("lists %s servers in config order with weights and port %i", (proxy, port) => {
    const health = (name: string) => (proxy === "hls" ? "check inter 2s fall 3 rise 2" : `track hls/${name}`);
    expect(toHaproxyView(model())[proxy].servers).toEqual([
      { name: "a", endpoint: `10.213.7.10:${port}`, weight: 2, health: health("a") },
      { name: "b", endpoint: `10.213.7.11:${port}`, weight: 1, health: health("b") },
      { name: "c", endpoint: `10.213.7.12:${port}`, weight: 0, health: health("c") },
    ]);
  });

  it.each([
    [{ intervalMs: 2_000, timeoutMs: 1_000, fall: 3, rise: 2 }, "check inter 2s fall 3 rise 2", "1s"],
    [{ intervalMs: 500, timeoutMs: 250, fall: 1, rise: 1 }, "check inter 500ms fall 1 rise 1", "250ms"],
    [{ intervalMs: 1_500, timeoutMs: 1_500, fall: 5, rise: 4 }, "check inter 1500ms fall 5 rise 4", "1500ms"],
    [
      { intervalMs: 60_000, timeoutMs: 30_000, fall: 100, rise: 100 },
      "check inter 1m fall 100 rise 100",
      "30s",
    ],
  ])("health %o → '%s' on hls servers, timeout check %s", (health, serverCheck, checkTimeout) => {
    const view = toHaproxyView(model({ health }));
    expect(view.hls.servers.map((s) => s.health)).toEqual([serverCheck, serverCheck, serverCheck]);
    expect(view.checkTimeout).toBe(checkTimeout);
  });

  it("checks MediaMTX's control API, not the proxied port", () => {
    expect(toHaproxyView(model()).hls.httpCheck).toEqual([
      "option httpchk",
      "http-check connect port 9997",
      `http-check send meth GET uri ${HEALTH_CHECK_URI}`,
      "http-check expect status 200",
    ]);
  });

  it.each([
    [0, "a", "ice_a", "127.0.0.1:8189", "10.213.7.10:8189"],
    [1, "b", "ice_b", "127.0.0.1:8190", "10.213.7.11:8190"],
    [2, "c", "ice_c", "127.0.0.1:9000", "10.213.7.12:9000"],
  ])("ICE-TCP pair %i: %s → %s on %s to %s", (index, serverName, proxy, bind, endpoint) => {
    expect(toHaproxyView(model()).ice[index]).toEqual({
      proxy,
      bind,
      serverName,
      endpoint,
      health: `track hls/${serverName}`,
    });
  });

  it("uses the container paths", () => {
    const view = toHaproxyView(model());
    expect([view.adminSocket, view.serverStateFile, view.routerLua, view.streamsMap]).toEqual([
      ADMIN_SOCKET,
      SERVER_STATE_FILE,
      ROUTER_LUA,
      STREAMS_MAP,
    ]);
  });
});

describe("renderHaproxyConfig", () => {
  it("is deterministic, \\n-only and ends with exactly one newline", () => {
    expect(renderHaproxyConfig(model())).toBe(CFG);
    expect(CFG).not.toContain("\r");
    expect(CFG.endsWith("\n") && !CFG.endsWith("\n\n")).toBe(true);
  });

  it("has one ICE frontend/backend pair per instance", () => {
    for (const { name, iceTcpPort, address } of THREE) {
      expect(section(CFG, `frontend ice_${name}`).lines).toEqual([
        "mode tcp",
        `bind 127.0.0.1:${iceTcpPort}`,
        "option tcplog",
        `default_backend ice_${name}`,
      ]);
      expect(section(CFG, `backend ice_${name}`).lines.filter((l) => l.startsWith("server "))).toEqual([
        `server ${name} ${address}:${iceTcpPort} track hls/${name}`,
      ]);
    }
    expect(sections(CFG).filter((s) => s.header.startsWith("frontend ice_"))).toHaveLength(THREE.length);
  });

  it.each(BALANCED_BACKENDS)("renders weights on every %s server", (proxy, port) => {
    const servers = section(CFG, `backend ${proxy}`).lines.filter((l) => l.startsWith("server "));
    const health = (name: string) => (proxy === "hls" ? "check inter 2s fall 3 rise 2" : `track hls/${name}`);
    expect(servers.map((l) => l.replace(/ cookie \S+/, ""))).toEqual([
      `server a 10.213.7.10:${port} weight 2 ${health("a")}`,
      `server b 10.213.7.11:${port} weight 1 ${health("b")}`,
      `server c 10.213.7.12:${port} weight 0 ${health("c")}`,
    ]);
  });

  it("names servers identically in every backend (the router's map values)", () => {
    const backends = sections(CFG).filter((s) => s.header.startsWith("backend "));
    const names = backends.flatMap((s) =>
      s.lines.filter((l) => l.startsWith("server ")).map((l) => l.split(" ")[1]),
    );
    expect(new Set(names)).toEqual(new Set(["a", "b", "c"]));
    for (const proxy of ["rtmp", "hls", "webrtc"]) {
      const inBackend = section(CFG, `backend ${proxy}`).lines.filter((l) => l.startsWith("server "));
      expect(inBackend.map((l) => l.split(" ")[1])).toEqual(["a", "b", "c"]);
    }
  });

  it("puts the WHIP cookie on the webrtc backend only, with one cookie value per server", () => {
    const webrtc = section(CFG, "backend webrtc").lines;
    expect(webrtc).toContain("cookie WHIP_SESSION insert indirect nocache httponly");
    expect(webrtc.filter((l) => l.startsWith("server ")).map((l) => / cookie (\S+) /.exec(l)?.[1])).toEqual([
      "a",
      "b",
      "c",
    ]);
    const others = sections(CFG).filter(
      (s) => s.header.startsWith("backend ") && s.header !== "backend webrtc",
    );
    for (const other of others) expect(other.lines.join("\n"), other.header).not.toMatch(/cookie/);
  });

  it("checks each instance once, in backend hls, and every other server tracks its namesake there", () => {
    const backends = sections(CFG).filter((s) => s.header.startsWith("backend "));
    expect(backends).toHaveLength(3 + THREE.length);
    for (const backend of backends) {
      const servers = backend.lines.filter((l) => l.startsWith("server "));
      expect(servers.length, backend.header).toBeGreaterThan(0);
      const checked = backend.header === "backend hls";
      for (const line of servers) {
        const name = line.split(" ")[1];
        expect(line, backend.header).toMatch(
          checked ? / check inter 2s fall 3 rise 2$/ : new RegExp(` track hls/${name}$`),
        );
      }
      const httpCheck = toHaproxyView(model()).hls.httpCheck;
      if (checked) expect(backend.lines).toEqual(expect.arrayContaining([...httpCheck]));
      else
        expect(
          backend.lines.filter((l) => httpCheck.includes(l)),
          backend.header,
        ).toEqual([]);
    }
  });

  it("logs every request by default, and only abnormal ones with logging.requests: errors", () => {
    expect(CFG).not.toContain("dontlog-normal");
    const quiet = renderHaproxyConfig(model({ logging: { requests: "errors" } }));
    expect(section(quiet, "defaults").lines).toContain("option dontlog-normal");
  });

  it("serves the publish hook on the stack network's gateway address, to the stack subnet only", () => {
    expect(section(CFG, "frontend publish_hook").lines).toEqual([
      "mode http",
      "bind 10.213.7.1:9990",
      "no log",
      "tcp-request connection reject unless { src 10.213.7.0/24 }",
      "http-request use-service lua.mtx_publish_hook",
    ]);
  });

  it("renders the same haproxy.cfg for routing.republish takeover and refuse (the mode is Lua data)", () => {
    const refuse = model({ routing: { pollIntervalMs: 1_000, republish: "refuse" } });
    expect(renderHaproxyConfig(refuse)).toBe(CFG);
  });

  it("never shuts down sessions when a server is marked down (RTMP publishers would drop)", () => {
    expect(CFG).not.toContain("on-marked-down");
  });

  it("publishes no MediaMTX API or metrics port: no bind or server address uses them", () => {
    const addressLines = sections(CFG)
      .flatMap((s) => s.lines)
      .filter((l) => l.startsWith("bind ") || l.startsWith("server "));
    for (const line of addressLines) expect(line).not.toMatch(/:(9997|9998)\b/);
    expect(CFG.match(/9997/g)).toHaveLength(1); // only `http-check connect port 9997` in backend hls
    expect(CFG).not.toContain("9998");
  });

  it("routes HLS and WebRTC by stream owner: native stream rules, then the Lua router's map and lookup", () => {
    // The partial's rules, as test/unit/router/stream-from-path.test.ts runs them in HAProxy.
    const rules =
      sections(`frontend x\n${renderStreamFromPathRules().replace(/^/gm, "    ")}`)[0]?.lines ?? [];
    expect(rules.length).toBeGreaterThan(5);
    expect(CFG).not.toContain("lua.mtx_stream");
    for (const proxy of ["hls", "webrtc"]) {
      const lines = section(CFG, `frontend ${proxy}`).lines;
      const first = lines.indexOf(rules[0] ?? "");
      expect(lines.slice(first, first + rules.length + 2)).toEqual([
        ...rules,
        `http-request set-var(txn.mtx_owner) var(txn.mtx_stream),map(${STREAMS_MAP})`,
        "http-request lua.mtx_lookup unless { var(txn.mtx_owner) -m found }",
      ]);
      // After the rules only the abuse limits' 429 denies (before them: "abuse limits" below).
      const routing = lines.filter(
        (l) => l.startsWith("http-request") && !rules.includes(l) && !l.includes("deny_status 429"),
      );
      expect(routing[0]).toBe(`http-request set-var(txn.mtx_owner) var(txn.mtx_stream),map(${STREAMS_MAP})`);
      expect(section(CFG, `backend ${proxy}`).lines).toContain(
        "use-server %[var(txn.mtx_owner)] if { var(txn.mtx_owner) -m found }",
      );
      expect(section(CFG, `frontend ${proxy}`).lines.find((l) => l.startsWith("log-format "))).toContain(
        "%b/%s",
      );
    }
    expect(section(CFG, "backend hls").lines).toEqual(
      expect.arrayContaining(["balance hash var(txn.mtx_stream)", "hash-type consistent"]),
    );
    expect(section(CFG, "backend webrtc").lines).toContain(
      "http-response lua.mtx_learn if { var(txn.mtx_whip_new) -m bool } { status 201 }",
    );
  });

  it("protects every stats endpoint with the stats userlist", () => {
    const stats = section(CFG, "frontend stats").lines;
    expect(stats[0]).toBe("mode http");
    expect(stats.filter((l) => l.startsWith("http-request"))[0]).toBe(
      "http-request auth realm mediamtx-lb unless { http_auth(stats_users) }",
    );
  });

  it("loads global settings from the container paths", () => {
    expect(section(CFG, "global").lines).toEqual(
      expect.arrayContaining([
        // The request log goes to the log sink's datagram socket, never to the worker's stdout.
        `log ${LOG_SOCKET} format raw local0`,
        `stats socket ${ADMIN_SOCKET} mode 660 level admin expose-fd listeners`,
        `server-state-file ${SERVER_STATE_FILE}`,
        `lua-load ${ROUTER_LUA}`,
      ]),
    );
    expect(section(CFG, "defaults").lines).toEqual(
      expect.arrayContaining([
        "load-server-state-from-file global",
        "option redispatch",
        "default-server init-addr last,libc,none fastinter 1s",
        "timeout connect 1s",
        "timeout check 1s",
      ]),
    );
  });

  it("never contains the stats secret", () => {
    const secrets = renderHaproxySecrets("admin", "s3cret-value");
    expect(secrets).toContain("s3cret-value");
    expect(CFG).not.toContain("s3cret-value");
    expect(CFG).not.toMatch(/insecure-password|^userlist/m);
  });
});

describe("renderHaproxySecrets", () => {
  it("renders only the stats userlist", () => {
    const lines = sections(renderHaproxySecrets("ops", "pw"));
    expect(lines).toEqual([{ header: "userlist stats_users", lines: ["user ops insecure-password 'pw'"] }]);
  });

  it.each([
    ["plain", "'plain'"],
    ["with space", "'with space'"],
    ["hash#not-a-comment", "'hash#not-a-comment'"],
    ["$HOME", "'$HOME'"],
    ['dq"uote', "'dq\"uote'"],
    ["it's", "'it'\\''s'"],
    ["back\\slash", "'back\\slash'"],
  ])("quotes %s as %s", (password, quoted) => {
    expect(quoteHaproxyWord(password)).toBe(quoted);
    expect(renderHaproxySecrets("admin", password)).toContain(`insecure-password ${quoted}\n`);
  });

  it.each([
    ["", "empty"],
    ["two\nlines", "newline"],
    ["cr\rhere", "carriage return"],
    ["nul\0here", "NUL"],
  ])("rejects the password %j (%s) without echoing it", (password) => {
    expect(() => renderHaproxySecrets("admin", password)).toThrow(/password must be non-empty/);
    try {
      renderHaproxySecrets("admin", password);
    } catch (error) {
      if (password.length > 0) expect(String(error)).not.toContain(password);
    }
  });

  it.each(["", "with space", "new\nline", "x".repeat(65)])("rejects the user %j", (user) => {
    expect(() => renderHaproxySecrets(user, "pw")).toThrow(/user must match/);
  });
});

describe("INITIAL_SERVER_STATE", () => {
  it("is the bare state-file format version", () => {
    expect(INITIAL_SERVER_STATE).toBe("1\n");
  });
});

describe("haproxyWeights", () => {
  it("lists every weighted server, backend by backend in config order", () => {
    const rows = (backend: string) => [
      { backend, server: "a", weight: 2 },
      { backend, server: "b", weight: 1 },
      { backend, server: "c", weight: 0 },
    ];
    expect(haproxyWeights(model())).toEqual([...rows("rtmp"), ...rows("hls"), ...rows("webrtc")]);
  });

  it("names every weight the rendered config sets (the fingerprint ignores exactly these)", () => {
    const written = sections(renderHaproxyConfig(model())).flatMap((section) =>
      section.lines.flatMap((line) => {
        const m = /^server (\S+) .*\bweight (\d+)\b/.exec(line);
        return m ? [`${section.header.replace(/^backend /, "")}/${m[1]} ${m[2]}`] : [];
      }),
    );
    expect(written).toEqual(haproxyWeights(model()).map((w) => `${w.backend}/${w.server} ${w.weight}`));
  });
});

describe("haproxyConfigFingerprint", () => {
  const reweighted = testInstances([
    { name: "a", weight: 7 },
    { name: "b", weight: 0 },
    { name: "c", weight: 256, iceTcpPort: 9000 },
  ]);

  it("ignores the weights", () => {
    expect(haproxyConfigFingerprint(model({ instances: reweighted }))).toBe(
      haproxyConfigFingerprint(model()),
    );
    expect(haproxyConfigFingerprint(model())).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each<[string, Partial<Model>]>([
    ["a health interval", { health: { ...testModel().health, intervalMs: 9000 } }],
    ["an instance more", { instances: testInstances([...THREE, { name: "d", weight: 1 }]) }],
    ["request logging", { logging: { requests: "errors" } }],
  ])("changes with %s", (_label, overrides) => {
    expect(haproxyConfigFingerprint(model(overrides))).not.toBe(haproxyConfigFingerprint(model()));
  });
});

describe("TLS", () => {
  const tls = (plain: "off" | "redirect" | "on"): Model["tls"] => ({
    source: "selfSigned",
    plain,
    dnsNames: ["localhost", "stream.example.test"],
    ipAddresses: ["127.0.0.1"],
    caFile: "/home/tester/.local/state/mediamtx-lb/t/haproxy/tls/ca.pem",
  });
  const withTls = (plain: "off" | "redirect" | "on") =>
    model({ tls: tls(plain), publicHost: "stream.example.test" });
  const CRT = "ssl crt /usr/local/etc/haproxy/tls/server.pem";

  it.each([
    ["off", [], [], []],
    ["redirect", [], [], []],
    ["on", ["127.0.0.1:1935"], ["127.0.0.1:8888"], ["127.0.0.1:8889"]],
  ] as const)("plain: %s binds TLS beside plain listeners %j", (plain, rtmp, hls, webrtc) => {
    const view = toHaproxyView(withTls(plain));
    expect(view.rtmp.binds).toEqual([...rtmp, `127.0.0.1:1936 ${CRT}`]);
    expect(view.hls.binds).toEqual([...hls, `127.0.0.1:8443 ${CRT} alpn h2,http/1.1`]);
    expect(view.webrtc.binds).toEqual([...webrtc, `127.0.0.1:8444 ${CRT} alpn h2,http/1.1`]);
  });

  it("plain: redirect answers 308 to the HTTPS port on publicHost from each plain HTTP port", () => {
    const cfg = renderHaproxyConfig(withTls("redirect"));
    expect(section(cfg, "frontend hls_redirect").lines).toEqual([
      "mode http",
      "bind 127.0.0.1:8888",
      "option httplog",
      "http-request redirect prefix https://stream.example.test:8443 code 308",
    ]);
    expect(section(cfg, "frontend webrtc_redirect").lines).toContain(
      "http-request redirect prefix https://stream.example.test:8444 code 308",
    );
  });

  it.each(["off", "on"] as const)("plain: %s has no redirect frontends", (plain) => {
    expect(toHaproxyView(withTls(plain)).tls?.redirects).toEqual([]);
    expect(renderHaproxyConfig(withTls(plain))).not.toContain("redirect prefix");
  });

  it("sets the minimum TLS version and X-Forwarded-Proto only with TLS", () => {
    const cfg = renderHaproxyConfig(withTls("off"));
    expect(section(cfg, "global").lines).toContain("ssl-default-bind-options ssl-min-ver TLSv1.2");
    for (const proxy of ["hls", "webrtc"]) {
      expect(section(cfg, `frontend ${proxy}`).lines).toContain(
        "http-request set-header X-Forwarded-Proto https if { ssl_fc }",
      );
    }
    expect(CFG).not.toMatch(/ssl|X-Forwarded-Proto|redirect/);
    expect(toHaproxyView(model()).tls).toBeUndefined();
  });

  it("keeps the RTMPS backend plain RTMP to the instances", () => {
    const cfg = renderHaproxyConfig(withTls("off"));
    expect(section(cfg, "backend rtmp").lines.filter((l) => l.startsWith("server"))).toEqual(
      section(CFG, "backend rtmp").lines.filter((l) => l.startsWith("server")),
    );
    expect(section(cfg, "backend rtmp").lines.join("\n")).not.toContain("ssl");
  });
});

describe("abuse limits", () => {
  const OFF = { httpRequestRate: 0, httpConnections: 0, rtmpConnections: 0, rtmpConnectionRate: 0 };

  it("has no HTTP rules when both HTTP limits are 0, and only the rules of limits that are on", () => {
    expect(toHttpLimitsView(OFF)).toBeNull();
    expect(toHttpLimitsView({ ...OFF, httpConnections: 7 })?.denyIf).toEqual(["sc_conn_cur(0) gt 7"]);
    expect(toHttpLimitsView({ ...OFF, httpRequestRate: 300, httpConnections: 7 })).toEqual({
      stickTable: "type ip size 100k expire 30s store http_req_rate(10s),conn_cur",
      denyIf: ["sc_http_req_rate(0) gt 300", "sc_conn_cur(0) gt 7"],
    });
  });

  it("refuses RTMP far over a limit at accept and logs the content reject at the limit", () => {
    expect(toRtmpLimitsView(OFF)).toBeNull();
    expect(toRtmpLimitsView({ ...OFF, rtmpConnectionRate: 9 })).toEqual({
      stickTable: "type ip size 100k expire 30s store conn_cur,conn_rate(10s)",
      connectionRejectIf: "{ sc_conn_rate(0) gt 18 }",
      contentRejectIf: "{ sc_conn_rate(0) gt 9 }",
    });
    expect(toRtmpLimitsView({ ...OFF, rtmpConnections: 3, rtmpConnectionRate: 9 })?.contentRejectIf).toBe(
      "{ sc_conn_cur(0) gt 3 } || { sc_conn_rate(0) gt 9 }",
    );
  });

  it("tracks every client in hls, webrtc and rtmp by default, before any other rule", () => {
    const cfg = renderHaproxyConfig(model({ limits: LIMIT_DEFAULTS }));
    for (const proxy of ["hls", "webrtc"]) {
      const lines = section(cfg, `frontend ${proxy}`).lines;
      const first = lines.findIndex((l) => l.startsWith("http-request"));
      expect(lines.slice(first - 2, first + 2)).toEqual([
        "stick-table type ip size 100k expire 30s store http_req_rate(10s),conn_cur",
        "tcp-request connection track-sc0 src",
        "http-request deny deny_status 429 if { sc_http_req_rate(0) gt 2000 }",
        "http-request deny deny_status 429 if { sc_conn_cur(0) gt 500 }",
      ]);
    }
    expect(section(cfg, "frontend rtmp").lines).toEqual([
      "mode tcp",
      "bind 127.0.0.1:1935",
      "option tcplog",
      "no option dontlognull",
      "stick-table type ip size 100k expire 30s store conn_cur,conn_rate(10s)",
      "tcp-request connection track-sc0 src",
      "tcp-request connection reject if { sc_conn_cur(0) gt 40 } || { sc_conn_rate(0) gt 120 }",
      "tcp-request content reject if { sc_conn_cur(0) gt 20 } || { sc_conn_rate(0) gt 60 }",
      "default_backend rtmp",
    ]);
  });

  it("renders not a line of them when every limit is 0", () => {
    const cfg = renderHaproxyConfig(model({ limits: OFF }));
    expect(cfg).not.toMatch(/stick-table|track-sc0|deny_status 429|reject if|dontlognull\n.*no option/);
    expect(cfg).not.toContain("Abuse limits");
    expect(cfg).not.toContain("no option dontlognull");
  });
});
