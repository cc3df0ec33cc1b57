// The routing suites' own pure helpers, table-tested: if one of these is wrong, a routing number is
// wrong. Milliseconds; no processes except one `haproxy -c` on the seed design's config.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderSeedConfig } from "../e2e/routing/seed-proxy";
import { HOST_HAPROXY } from "../support/haproxy-check";
import { isAnswered, parseMediaPlaylist } from "../support/hls-player";
import { bindListeners } from "../support/local-cluster";
import { hostileRequests, placementAgainstWeights } from "../support/routing-scenarios";
import { labNames } from "../support/test-hosts";
import { candidateEndpoints, iceFragment, rewriteCandidatePorts } from "../support/webrtc";

const LL_PLAYLIST = `#EXTM3U
#EXT-X-VERSION:10
#EXT-X-TARGETDURATION:1
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.50000,CAN-SKIP-UNTIL=6.00000
#EXT-X-PART-INF:PART-TARGET=0.20000
#EXT-X-MEDIA-SEQUENCE:8
#EXT-X-MAP:URI="p_video1_init.mp4"
#EXTINF:1.00000,
p_video1_seg8.mp4
#EXT-X-PART:DURATION=0.20000,URI="p_video1_part40.mp4",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.20000,URI="p_video1_part41.mp4"
#EXTINF:1.00000,
p_video1_seg9.mp4
#EXT-X-PART:DURATION=0.20000,URI="p_video1_part45.mp4",INDEPENDENT=YES
#EXT-X-PART:DURATION=0.20000,URI="p_video1_part46.mp4"
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="p_video1_part47.mp4"
`;

describe("parseMediaPlaylist", () => {
  it("finds init, segments, parts and the next blocking-reload target of an LL-HLS playlist", () => {
    expect(parseMediaPlaylist(LL_PLAYLIST)).toEqual({
      targetDuration: 1,
      maps: ["p_video1_init.mp4"],
      segments: ["p_video1_seg8.mp4", "p_video1_seg9.mp4"],
      parts: ["p_video1_part40.mp4", "p_video1_part41.mp4", "p_video1_part45.mp4", "p_video1_part46.mp4"],
      trailingParts: ["p_video1_part45.mp4", "p_video1_part46.mp4"],
      nextMsn: 10,
      nextPart: 2,
    });
  });

  it("asks for part 0 of the next segment when the playlist ends on a complete segment", () => {
    const p = parseMediaPlaylist("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:3\n#EXTINF:1,\na.mp4\n#EXTINF:1,\nb.mp4\n");
    expect([p.nextMsn, p.nextPart, p.trailingParts]).toEqual([5, 0, []]);
  });

  it("reads an mpegts playlist (no parts, no map)", () => {
    const p = parseMediaPlaylist(
      "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:2,\nx_main_seg0.ts?session=s\n",
    );
    expect(p).toMatchObject({
      targetDuration: 2,
      maps: [],
      parts: [],
      segments: ["x_main_seg0.ts?session=s"],
    });
  });
});

describe("isAnswered", () => {
  it.each([
    [200, true],
    [204, true],
    [302, true],
    [399, true],
    [400, false],
    [401, false],
    [404, false],
    [503, false],
    [0, false],
  ])("%i → %s", (status, expected) => {
    expect(isAnswered(status)).toBe(expected);
  });
});

describe("placementAgainstWeights", () => {
  const cluster = {
    instances: [
      { name: "a", weight: 2, iceTcpPort: 1, apiUrl: "" },
      { name: "b", weight: 1, iceTcpPort: 2, apiUrl: "" },
      { name: "c", weight: 1, iceTcpPort: 3, apiUrl: "" },
    ],
  };
  it.each([
    ["exactly weighted", ["a", "a", "a", "a", "b", "b", "c", "c"], 8],
    ["plain round-robin", ["a", "b", "c", "a", "b", "c", "a", "b"], 7],
    ["all on one", ["b", "b", "b", "b", "b", "b", "b", "b"], 2],
    ["one missing", ["a", "a", "a", "a", "b", "b", "c"], 7],
  ])("%s scores %d of 8", (_name, owners, score) => {
    expect(placementAgainstWeights(cluster, owners, 8).ok).toBe(score);
  });
});

describe("rewriteCandidatePorts / candidateEndpoints", () => {
  const answer = [
    "v=0",
    "a=candidate:984861677 1 tcp 1671430143 127.0.0.1 22190 typ host tcptype passive",
    "a=candidate:984861677 2 tcp 1671430143 127.0.0.1 22190 typ host tcptype passive",
    "a=end-of-candidates",
    "",
  ].join("\r\n");

  it("rewrites only the candidates' port", () => {
    const rewritten = rewriteCandidatePorts(answer, 22289);
    expect(candidateEndpoints(rewritten)).toEqual(["tcp 127.0.0.1:22289", "tcp 127.0.0.1:22289"]);
    expect(rewritten.replace(/22289/g, "22190")).toBe(answer);
  });
});

describe("iceFragment", () => {
  it("carries ufrag, pwd, the first media line with mid 0 and every candidate, as MediaMTX reads it", () => {
    const offer = [
      "v=0",
      "o=- 1 0 IN IP4 0.0.0.0",
      "s=-",
      "t=0 0",
      "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
      "c=IN IP4 0.0.0.0",
      "a=ice-ufrag:abcd",
      "a=ice-pwd:secretsecretsecretsecret",
      "a=mid:0",
      "a=candidate:1 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active",
      "",
    ].join("\r\n");
    expect(iceFragment(offer)).toBe(
      [
        "a=ice-ufrag:abcd",
        "a=ice-pwd:secretsecretsecretsecret",
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
        "a=mid:0",
        "a=candidate:1 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active",
        "",
      ].join("\r\n"),
    );
  });
});

describe("bindListeners", () => {
  it("binds every `…Address: :port` listener to the instance address and nothing else", () => {
    const yml = [
      "apiAddress: :9997",
      "rtmpAddress: :1935",
      'webrtcLocalUDPAddress: ""',
      "webrtcLocalTCPAddress: :8190",
      'webrtcAdditionalHosts: ["127.0.0.1"]',
      "",
    ].join("\n");
    expect(bindListeners(yml, "127.1.2.10")).toBe(
      [
        "apiAddress: 127.1.2.10:9997",
        "rtmpAddress: 127.1.2.10:1935",
        'webrtcLocalUDPAddress: ""',
        "webrtcLocalTCPAddress: 127.1.2.10:8190",
        'webrtcAdditionalHosts: ["127.0.0.1"]',
        "",
      ].join("\n"),
    );
  });
});

describe("hostileRequests", () => {
  it("covers both frontends, every kind named in the issue, and never a plain valid stream URL", () => {
    const requests = hostileRequests("cam/a");
    expect(new Set(requests.map((r) => r.frontend))).toEqual(new Set(["hls", "webrtc"]));
    const targets = requests.map((r) =>
      typeof r.target === "string" ? r.target : r.target.toString("utf8"),
    );
    for (const marker of ["..", "%2F", "a".repeat(4096), "é", "%C3%A9", "//"]) {
      expect(
        targets.some((t) => t.includes(marker)),
        marker,
      ).toBe(true);
    }
    expect(targets).not.toContain("/cam/a/index.m3u8");
    expect(new Set(requests.map((r) => r.method))).toEqual(new Set(["GET", "POST", "PATCH", "DELETE"]));
  });
});

describe("seed design config", () => {
  it("passes haproxy -c on the host's HAProxy", () => {
    const dir = mkdtempSync(join(tmpdir(), "mediamtx-lb-seed-check-"));
    try {
      const file = join(dir, "haproxy.cfg");
      writeFileSync(
        file,
        renderSeedConfig("127.0.0.1", { rtmp: 1, hls: 2, webrtc: 3, ice: 4, stats: 5 }, [
          { name: "mtx-1", address: "10.0.0.10", iceTcpPort: 8189 },
          { name: "mtx-2", address: "10.0.0.11", iceTcpPort: 8190 },
        ]),
      );
      const r = spawnSync(HOST_HAPROXY, ["-c", "-f", file], { encoding: "utf8" });
      expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("labNames (test hosts)", () => {
  it("keeps every interface name within IFNAMSIZ (15) at the longest id and host count", () => {
    const n = labNames("abcd", 89);
    const names = [
      n.publicBridge,
      n.privateBridge,
      n.clientVeth,
      ...n.hosts.flatMap((h) => [h.publicVeth, h.privateVeth]),
    ];
    for (const name of names) expect(name.length, name).toBeLessThanOrEqual(15);
    expect(new Set(names).size).toBe(names.length);
  });

  it("names and addresses hosts by position", () => {
    const [h1, h2] = labNames("t1", 2).hosts;
    expect(h1).toMatchObject({
      name: "host-1",
      namespace: "mtxlb-t1-host-1",
      docker: "unix:///run/mtxlb-hosts/t1/host-1/docker.sock",
      address: "10.254.90.11",
      privateAddress: "10.254.91.11",
    });
    expect(h2?.address).toBe("10.254.90.12");
  });

  it.each([
    ["ABCD", 1, "id: must be 1-4 lowercase letters or digits, got ABCD"],
    ["abcde", 1, "got abcde"],
    ["a-b", 1, "got a-b"],
    ["ab", 0, "hosts must be an integer 1-89, got 0"],
    ["ab", 90, "got 90"],
    ["ab", 1.5, "got 1.5"],
  ])("refuses id %j with %j hosts", (id, hosts, message) => {
    expect(() => labNames(id, hosts)).toThrow(message);
  });
});
