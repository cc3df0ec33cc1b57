import { describe, expect, it } from "vitest";
import { parseWrkReport, wrkArgs } from "./wrk";

describe("wrkArgs", () => {
  it("builds a one-thread run with the report hook and headers", () => {
    expect(
      wrkArgs(
        { url: "http://127.0.0.1:1/s/x.m3u8", connections: 8, durationS: 3, headers: { Cookie: "a=b" } },
        "/r.lua",
      ),
    ).toEqual([
      "-t1",
      "-c8",
      "-d3s",
      "--timeout",
      "10s",
      "-s",
      "/r.lua",
      "-H",
      "Cookie: a=b",
      "http://127.0.0.1:1/s/x.m3u8",
    ]);
  });
});

describe("parseWrkReport", () => {
  const line =
    'BENCH-WRK {"durationUs":2000000,"requests":5000,"bytes":10000000,"connectErrors":0,"readErrors":1,' +
    '"writeErrors":0,"statusErrors":3,"timeouts":2,"meanUs":400.5,"maxUs":9000,"p50Us":350,"p90Us":700,"p99Us":1500}';

  it("turns the hook's line into rates and milliseconds", () => {
    const r = parseWrkReport(`Running 2s test @ http://x\n  1 threads and 8 connections\n${line}\n`);
    expect(r).toEqual({
      requests: 5000,
      durationS: 2,
      rps: 2500,
      bytesPerRequest: 2000,
      meanMs: 0.4005,
      p50Ms: 0.35,
      p90Ms: 0.7,
      p99Ms: 1.5,
      maxMs: 9,
      non2xx3xx: 3,
      socketErrors: 3,
    });
  });

  it.each([
    ["no line", "Running 2s test\n"],
    ["a missing field", 'BENCH-WRK {"durationUs":1}'],
  ])("rejects %s", (_what, stdout) => {
    expect(() => parseWrkReport(stdout)).toThrow(/wrk/);
  });
});
