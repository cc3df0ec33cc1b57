import { describe, expect, it } from "vitest";
import { backendsOf, isDown, isUp, parseStatsCsv, serverStatus } from "./haproxy-stats";

const csv = [
  "# pxname,svname,qcur,status,weight,",
  "hls,FRONTEND,,OPEN,,",
  "hls,a,0,UP,1,",
  "hls,b,0,DOWN,1,",
  "rtmp,b,0,DOWN 1/2,1,",
  "ice_b,b,0,UP 2/3,,",
  "",
].join("\n");

describe("stats CSV", () => {
  const rows = parseStatsCsv(csv);
  it("reads cells by column name", () => {
    expect(serverStatus(rows, "hls", "a")).toBe("UP");
    expect(serverStatus(rows, "hls", "c")).toBeUndefined();
    expect(backendsOf(rows, "b")).toEqual(["hls", "rtmp", "ice_b"]);
  });
  it("rejects text without the header", () => {
    expect(() => parseStatsCsv("hls,a,UP\n")).toThrow(/header/);
  });
  it.each([
    ["UP", false, true],
    ["UP 2/3", false, false],
    ["DOWN", true, false],
    ["DOWN 1/2", false, false],
    ["MAINT", false, false],
    [undefined, false, false],
  ])("%s: down=%s up=%s", (status, down, up) => {
    expect(isDown(status)).toBe(down);
    expect(isUp(status)).toBe(up);
  });
});
