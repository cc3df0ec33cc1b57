import { describe, expect, it } from "vitest";
import { renderHaproxyConfig } from "../../infra/render/haproxy";
import { fixtureModel } from "../tests/stack-resources";
import {
  bindLines,
  bindPorts,
  hasHealthCheck,
  httpAuthUserlists,
  isHealthFollowed,
  parseHaproxyCfg,
  parseHaproxyDuration,
  sectionsOfKind,
  serverLines,
  serverOption,
  splitCfgWords,
} from "./haproxy-cfg";

describe("splitCfgWords", () => {
  it.each([
    ["    server a 10.0.0.1:80 weight 2 check", ["server", "a", "10.0.0.1:80", "weight", "2", "check"]],
    ["\tbind :80 # comment", ["bind", ":80"]],
    ["# only a comment", []],
    ["", []],
    ['log-format "%ci %{+Q}r" x', ["log-format", "%ci %{+Q}r", "x"]],
    ["acl a path 'it''s' # c", ["acl", "a", "path", "its"]],
    ['acl a path "a\\"b"', ["acl", "a", "path", 'a"b']],
    ["acl a path \\#literal", ["acl", "a", "path", "#literal"]],
    [
      "http-request auth unless { http_auth(stats_users) }",
      ["http-request", "auth", "unless", "{", "http_auth(stats_users)", "}"],
    ],
  ])("%j → %j", (line, words) => {
    expect(splitCfgWords(line)).toEqual(words);
  });
});

describe("parseHaproxyDuration", () => {
  it.each([
    ["2s", 2_000],
    ["500ms", 500],
    ["1500", 1_500],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["1d", 86_400_000],
    ["1000us", 1],
  ])("%s → %i ms", (text, ms) => {
    expect(parseHaproxyDuration(text)).toBe(ms);
  });

  it.each(["", "2 s", "-1s", "1.5s", "2x", "s"])("%j is not a duration", (text) => {
    expect(parseHaproxyDuration(text)).toBeUndefined();
  });
});

describe("bindPorts", () => {
  it.each([
    ["127.0.0.1:8404", [8404]],
    [":80,:443", [80, 443]],
    ["[::]:8189", [8189]],
    ["0.0.0.0:8000-8002", [8000, 8001, 8002]],
    ["*:1935", [1935]],
    ["/run/haproxy.sock", []],
    ["unix@/run/x.sock", []],
    ["abns@name", []],
    ["ipv4@127.0.0.1:9000", [9000]],
  ])("%s → %j", (address, ports) => {
    expect(bindPorts(address)).toEqual(ports);
  });
});

describe("parseHaproxyCfg on the rendered dev config", () => {
  const model = fixtureModel("dev");
  const cfg = parseHaproxyCfg(renderHaproxyConfig(model));

  it("finds every section in order", () => {
    expect(cfg.sections.map((s) => `${s.kind} ${s.name}`.trim())).toEqual([
      "global",
      "defaults",
      "frontend stats",
      "frontend rtmp",
      "backend rtmp",
      "frontend hls",
      "backend hls",
      "frontend webrtc",
      "backend webrtc",
      "frontend ice_mtx-1",
      "backend ice_mtx-1",
      "frontend ice_mtx-2",
      "backend ice_mtx-2",
      "frontend ice_mtx-3",
      "backend ice_mtx-3",
      "frontend publish_hook",
    ]);
  });

  it("reads every server line with its backend, options and a line number pointing at it", () => {
    const text = renderHaproxyConfig(model).split("\n");
    const servers = serverLines(cfg);
    // rtmp, hls and webrtc list every instance; each ICE backend has its own.
    expect(servers).toHaveLength(model.instances.length * 4);
    for (const server of servers) {
      expect(text[server.lineNo - 1]).toContain(`server ${server.name} ${server.address}`);
      expect(isHealthFollowed(server, servers), `${server.section.name}/${server.name}`).toBe(true);
      expect(hasHealthCheck(server)).toBe(server.section.name === "hls");
    }
    const hls = servers.filter((s) => s.section.name === "hls");
    expect(hls.map((s) => [s.name, serverOption(s, "weight"), serverOption(s, "inter")])).toEqual([
      ["mtx-1", "2", "2s"],
      ["mtx-2", "1", "2s"],
      ["mtx-3", "1", "2s"],
    ]);
  });

  it("reads the bind ports of every frontend", () => {
    expect(bindLines(cfg).map((b) => [b.section.name, b.ports])).toEqual([
      ["stats", [8404]],
      ["rtmp", [1935]],
      ["hls", [8888]],
      ["webrtc", [8889]],
      ["ice_mtx-1", [8189]],
      ["ice_mtx-2", [8190]],
      ["ice_mtx-3", [8191]],
      ["publish_hook", [9990]],
    ]);
  });

  it("finds the userlist the stats frontend authenticates against", () => {
    const [stats] = sectionsOfKind(cfg, "frontend").filter((s) => s.name === "stats");
    expect(stats?.lines.flatMap(httpAuthUserlists)).toEqual(["stats_users"]);
  });
});

describe("hasHealthCheck", () => {
  const server = (line: string) => {
    const [first] = serverLines(parseHaproxyCfg(`backend b\n    ${line}\n`));
    if (first === undefined) throw new Error("no server line");
    return first;
  };

  it.each([
    ["server a 10.0.0.1:80 check", true],
    ["server a 10.0.0.1:80 weight 1", false],
    ["server a 10.0.0.1:80 check no-check", false],
    ["server a 10.0.0.1:80 no-check check", true],
    ["server a 10.0.0.1:80 agent-check", false],
  ])("%s → %s", (line, checked) => {
    expect(hasHealthCheck(server(line))).toBe(checked);
  });
});
