import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  backendsOf,
  isDown,
  isMarkedDown,
  isMarkedUp,
  isUp,
  parseShowInfo,
  parseStatCsv,
  serverStatus,
  splitCsvLine,
  takesNoTraffic,
} from "../../../infra/haproxy/stats-csv";

const fixture = (name: string) => readFileSync(resolve(__dirname, "..", "status", "fixtures", name), "utf8");

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
  // Captured with the abuse limits' rules (test/unit/haproxy/stick-table.test.ts has the run): hls
  // answered 8 requests with 429; rtmp closed some connections by content reject (dreq) and refused
  // others of the burst at accept (dcon), how many of each depending on timing.
  it.each([
    ["2.6", 13, 2],
    ["3.0", 11, 4],
  ])("reads every frontend's denials from HAProxy %s by column name", (version, dreq, dcon) => {
    const { frontends } = parseStatCsv(fixture(`show-stat-limits-${version}.csv`));
    expect(frontends).toEqual([
      { frontend: "hls", deniedRequests: 8, deniedConnections: 0 },
      { frontend: "rtmp", deniedRequests: dreq, deniedConnections: dcon },
    ]);
  });

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
      sessionsTotal: 3,
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

describe("columns by header", () => {
  const layouts = [
    ["2.6", fixture("show-stat-2.6.csv")],
    ["3.0", fixture("show-stat-3.0-one-down.csv")],
  ] as const;
  const header = (text: string) => splitCsvLine((text.split("\n")[0] ?? "").slice(2));

  it("the captured 2.6 and 3.0 headers place the same column at different positions", () => {
    const [v26, v30] = layouts.map(([, text]) => header(text));
    // 3.0 inserts srid, sess_other, ..., proto before "-": everything after it moves.
    expect(v26?.indexOf("ssl_sess")).not.toBe(v30?.indexOf("ssl_sess"));
    expect(v26?.includes("proto")).toBe(false);
    expect(v30?.includes("proto")).toBe(true);
  });

  // HAProxy always leads with pxname,svname (the header is found by them); every other column may move.
  it.each(layouts)("%s: the same rows with the columns after svname reversed", (_version, text) => {
    const reversed = text
      .split("\n")
      .map((line) => {
        if (line === "") return line;
        const hash = line.startsWith("# ");
        const [pxname = "", svname = "", ...rest] = splitCsvLine(hash ? line.slice(2) : line);
        const fields = [pxname, svname, ...rest.reverse()].map((f) =>
          /[",]/.test(f) ? `"${f.replaceAll('"', '""')}"` : f,
        );
        return `${hash ? "# " : ""}${fields.join(",")}`;
      })
      .join("\n");
    expect(reversed).not.toBe(text);
    expect(parseStatCsv(reversed)).toEqual(parseStatCsv(text));
  });

  it("reads whatever column set the header names, in its order", () => {
    const csv = "# pxname,svname,status,stot,weight\nhls,a,UP,12,1\nhls,b,DOWN 1/2,3,1\n";
    expect(parseStatCsv(csv).servers.map((s) => [s.backend, s.server, s.status, s.sessionsTotal])).toEqual([
      ["hls", "a", "UP", 12],
      ["hls", "b", "DOWN 1/2", 3],
    ]);
  });
});

describe("lookups", () => {
  const stats = parseStatCsv(
    [
      "# pxname,svname,qcur,status,weight,",
      "hls,FRONTEND,,OPEN,,",
      "hls,a,0,UP,1,",
      "hls,b,0,DOWN,1,",
      "hls,BACKEND,0,UP,1,",
      "rtmp,b,0,DOWN 1/2,1,",
      "ice_b,b,0,UP 2/3,,",
      "",
    ].join("\n"),
  );

  it("finds a server's status by backend and name", () => {
    expect(serverStatus(stats, "hls", "a")).toBe("UP");
    expect(serverStatus(stats, "rtmp", "b")).toBe("DOWN 1/2");
    expect(serverStatus(stats, "hls", "c")).toBeUndefined();
    expect(serverStatus(stats, "hls", "FRONTEND")).toBeUndefined();
  });

  it("lists the backends that carry a server, in HAProxy's order", () => {
    expect(backendsOf(stats, "b")).toEqual(["hls", "rtmp", "ice_b"]);
    expect(backendsOf(stats, "c")).toEqual([]);
  });
});

describe("status predicates", () => {
  it.each([
    // status, isUp, isDown, isMarkedUp, isMarkedDown, takesNoTraffic
    ["UP", true, false, true, false, false],
    ["UP 1/2", false, false, true, false, false],
    ["UP 2/3", false, false, true, false, false],
    ["DOWN", false, true, false, true, true],
    ["DOWN 1/2", false, false, false, true, true],
    ["MAINT", false, false, false, false, true],
    ["MAINT (via hls/a)", false, false, false, false, true],
    ["MAINT (resolution)", false, false, false, false, true],
    ["DRAIN", false, false, false, false, false],
    ["NOLB", false, false, false, false, false],
    ["no check", false, false, false, false, false],
    [undefined, false, false, false, false, false],
  ])("%s", (status, up, down, markedUp, markedDown, noTraffic) => {
    expect([
      isUp(status),
      isDown(status),
      isMarkedUp(status),
      isMarkedDown(status),
      takesNoTraffic(status),
    ]).toEqual([up, down, markedUp, markedDown, noTraffic]);
  });
});
