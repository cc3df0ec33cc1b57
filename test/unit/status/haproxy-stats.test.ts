import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { isDown, parseShowInfo, parseStatCsv, splitCsvLine } from "../../../infra/status/haproxy-stats";

const fixture = (name: string) => readFileSync(resolve(__dirname, "fixtures", name), "utf8");

describe("splitCsvLine", () => {
  it.each([
    ["a,b,,c", ["a", "b", "", "c"]],
    ["", [""]],
    ['hls,mtx-1,"Layer7 wrong status, code: 404",x', ["hls", "mtx-1", "Layer7 wrong status, code: 404", "x"]],
    ['"say ""hi""",2', ['say "hi"', "2"]],
    ["trailing,", ["trailing", ""]],
  ])("%j", (line, fields) => {
    expect(splitCsvLine(line)).toEqual(fields);
  });
});

describe("parseStatCsv", () => {
  it("reads HAProxy 3.0 `show stat` with one instance down (captured from a stack)", () => {
    const { servers, backends } = parseStatCsv(fixture("show-stat-3.0-one-down.csv"));
    expect(servers.map((s) => `${s.backend}/${s.server}=${s.status}`)).toEqual([
      "rtmp/mtx-1=UP",
      "rtmp/mtx-2=UP",
      "rtmp/mtx-3=DOWN",
      "hls/mtx-1=UP",
      "hls/mtx-2=UP",
      "hls/mtx-3=DOWN",
      "webrtc/mtx-1=UP",
      "webrtc/mtx-2=UP",
      "webrtc/mtx-3=DOWN",
      "ice_mtx-1/mtx-1=UP",
      "ice_mtx-2/mtx-2=UP",
      "ice_mtx-3/mtx-3=DOWN",
    ]);
    expect(servers.find((s) => s.backend === "rtmp" && s.server === "mtx-1")).toEqual({
      backend: "rtmp",
      server: "mtx-1",
      status: "UP",
      weight: 2,
      checkStatus: "L7OK",
      checkCode: "200",
      checkDurationMs: 0,
      checkDesc: "Layer7 check passed",
      lastChangeS: 44,
      sessions: 2,
      address: "10.213.204.10:1935",
    });
    // "* L4TOUT": the star marks a check in progress; the result is the same.
    expect(servers.find((s) => s.backend === "webrtc" && s.server === "mtx-3")).toMatchObject({
      checkStatus: "L4TOUT",
      checkCode: "",
      checkDurationMs: 1001,
      checkDesc: "Layer4 timeout",
    });
    expect(backends).toEqual([
      { backend: "rtmp", status: "UP", activeServers: 2 },
      { backend: "hls", status: "UP", activeServers: 2 },
      { backend: "webrtc", status: "UP", activeServers: 2 },
      { backend: "ice_mtx-1", status: "UP", activeServers: 1 },
      { backend: "ice_mtx-2", status: "UP", activeServers: 1 },
      { backend: "ice_mtx-3", status: "DOWN", activeServers: 0 },
    ]);
  });

  it("reads HAProxy 2.6 `show stat` (other column set): L7 status, connection refused, maintenance", () => {
    const { servers, backends } = parseStatCsv(fixture("show-stat-2.6.csv"));
    expect(
      servers.map((s) => [s.server, s.status, s.weight, s.checkStatus, s.checkCode, s.checkDesc]),
    ).toEqual([
      ["up1", "DOWN", 2, "L7STS", "503", "Layer7 wrong status"],
      ["dead", "DOWN", 1, "L4CON", "", "Layer4 connection problem"],
      ["off", "MAINT", 1, "", "", ""],
    ]);
    expect(backends).toEqual([{ backend: "hls", status: "DOWN", activeServers: 0 }]);
  });

  it("prefers uweight (the set weight) over weight (the effective one)", () => {
    const csv = "# pxname,svname,status,weight,uweight\nhls,a,UP,1,4\nhls,b,UP,3,\n";
    expect(parseStatCsv(csv).servers.map((s) => s.weight)).toEqual([4, 3]);
  });

  it.each([
    ["an error from the socket", "Permission denied.\n", /no "# pxname,svname,\.\.\." header/],
    ["a header without status", "# pxname,svname,weight\n", /no status column/],
  ])("rejects %s", (_what, text, message) => {
    expect(() => parseStatCsv(text)).toThrow(message);
  });
});

describe("parseShowInfo", () => {
  it("reads version and uptime of the captured 3.0 answer", () => {
    const info = parseShowInfo(fixture("show-info-3.0.txt"));
    expect(info.Version).toBe("3.0.11-1+deb13u4");
    expect(info.Uptime_sec).toMatch(/^\d+$/);
    expect(info.Uptime).toMatch(/^\d+d \d+h\d+m\d+s$/);
  });
});

describe("isDown", () => {
  it.each([
    ["UP", false],
    ["UP 1/2", false],
    ["DRAIN", false],
    ["NOLB", false],
    ["no check", false],
    ["DOWN", true],
    ["DOWN 1/2", true],
    ["MAINT", true],
    ["MAINT (via hls/a)", true],
    ["MAINT (resolution)", true],
  ])("%s → %s", (status, down) => {
    expect(isDown(status)).toBe(down);
  });
});
