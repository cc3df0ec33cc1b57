import { describe, expect, it } from "vitest";
import { gatewayFailoverResult } from "./gateway-failover-result";
import { fmtSpread, renderMarkdown, renderSummary, table } from "./report";
import { type BenchReport, unreachedGrowthCell } from "./results";

const report: BenchReport = {
  env: {
    machine: {
      date: "2026-01-01T00:00:00.000Z",
      cores: 2,
      cpuModel: "cpu",
      memoryGiB: 24,
      os: "Debian",
      kernel: "6",
    },
    versions: {
      haproxy: "3.0.11",
      mediamtx: "v1.20.0",
      pulumi: "3.260.0",
      node: "v24.9.0",
      docker: "20.10",
      wrk: "4.1.0",
      ffmpeg: "5.1",
    },
    load1AtStart: 0.5,
    load1AtEnd: 1.5,
    calmReached: true,
    calmWaitedS: 0,
    profile: "full",
    totalMinutes: 30,
    loadPerScenario: { dataPlane: 0.5 },
  },
  preview: { benchMs: [3000, 3200], floorMs: [2000, 2100], buildMs: [120], benchResources: 15 },
};

describe("report", () => {
  it("renders a table", () => {
    expect(table(["a", "b"], [["1", "2"]])).toBe("| a | b |\n| --- | --- |\n| 1 | 2 |");
  });

  it("shows a spread as median (min–max), a single run as its value", () => {
    expect(fmtSpread({ median: 2, min: 1, max: 3, n: 3 }, 1)).toBe("2.0 (1.0–3.0)");
    expect(fmtSpread({ median: 2, min: 2, max: 2, n: 1 }, 1)).toBe("2.0");
  });

  it("writes only the sections that ran, with the environment and a verdict per target", () => {
    const md = renderMarkdown(report, { notes: ["a note"] });
    expect(md).toMatch(/^# Benchmarks\n/);
    expect(md).toContain("| HAProxy | 3.0.11 ");
    expect(md).toContain("## 6. Preview cost");
    expect(md).not.toContain("## 1. Data plane");
    expect(md).toContain(
      "| 6 | no-op preview ÷ empty-program preview (medians) | ≤ 1.5× | 1.51× (3.10 s vs 2.05 s) | **not met** |",
    );
    expect(md).toContain("- a note\n");
    expect(md.endsWith("\n")).toBe(true);
    expect(md).not.toMatch(/\n\n\n/);
    expect(renderMarkdown(report, { notes: ["a note"] })).toBe(md);
  });

  it("prints the targets as aligned text", () => {
    expect(renderSummary(report)).toMatch(/^# +measurement +target +measured +verdict\n/);
  });
});

describe("growth section", () => {
  it("says which cells are real and which are stand-in", () => {
    const md = renderMarkdown({
      env: report.env,
      growth: {
        pollIntervalMs: 1000,
        profileWindowS: 10,
        upMs: { 8: 20_000 },
        cells: [
          unreachedGrowthCell("real", 8, 1000, 900, 120),
          unreachedGrowthCell("stand-in", 8, 10_000, 9000, 120),
        ],
      },
    });
    expect(md).toContain("| source | instances | paths | map |");
    expect(md).toContain("| real | 8 | 1000 | 900 (not reached) |");
    expect(md).toContain("| stand-in | 8 | 10000 | 9000 (not reached) |");
    expect(md).toContain("**stand-in**: sizes past what this machine publishes");
  });
});

describe("host-loss section", () => {
  it("says these are namespaces on one machine, gives each cycle and the medians", () => {
    const md = renderMarkdown({
      env: report.env,
      hostLoss: {
        hosts: 3,
        instancesPerHost: 2,
        gatewayHost: "h1",
        intervalMs: 2000,
        timeoutMs: 1000,
        fall: 3,
        rise: 2,
        pollIntervalMs: 1000,
        reconnectDelayMs: 1000,
        viewerPauseMs: 250,
        viewerTimeoutMs: 4000,
        labMs: 4200,
        upMs: 61_000,
        teardownMs: 30_000,
        cycles: [
          {
            host: "h2",
            stream: "s3",
            from: "h2-a",
            to: "h1-b",
            downMs: { "h2-a/hls": 5500, "h2-a/rtmp": 5600, "h2-b/hls": 5500, "h2-b/rtmp": 5600 },
            routedMs: 6100,
            playableMs: 8250,
            encoderStarts: 1,
            encoderStartMs: [0],
            survivorMapChanges: ["s5 h1-a → (none) at +6500 ms"],
            survivorStreams: ["s1", "s2", "s5", "s6"],
            survivorRequests: 320,
            survivorFailed: 0,
            failureSamples: [],
            untouchedStillRunning: [true],
            upMs: { "h2-a/hls": 2100, "h2-b/hls": 2300 },
          },
        ],
      },
    });
    expect(md).toContain("## 9. Host loss");
    expect(md).toContain("each in its own network namespace on this one machine");
    expect(md).toContain("packets vanish");
    expect(md).toContain(
      "| 1 | h2 | s3 (h2-a → h1-b) | 5.50 | 5.60 | 6.10 | 8.25 | 0.0 | 0 / 320 | 1 of 1 | 2.30 |",
    );
    expect(md).toContain("| cut → DOWN in every backend | 5.60 (5.60–5.60) |");
    expect(md).toContain("cycle 1: `s5 h1-a → (none) at +6500 ms`");
    expect(md).toContain(
      "| 9 | host link cut: failed HLS requests of viewers on the surviving hosts | 0 | 0 of 320 | met |",
    );
  });
});

describe("gateway-failover section", () => {
  it("gives each cycle (viewers with a request open at the cut marked), the medians, the settle runs and the 3 s target", () => {
    const viewer = { requestsAfter: 30, unansweredAfter: 1, restarts: 0, sessions: 1 };
    const md = renderMarkdown({
      env: report.env,
      gatewayFailover: gatewayFailoverResult([
        {
          from: "ga@h1",
          to: "gb@h2",
          cutHost: "h1",
          stream: "via-h2",
          cutMs: 12,
          movedMs: 1850,
          pollerAnsweredMs: 1900,
          pollerUnanswered: 36,
          viewers: [
            { ...viewer, inFlightAtCut: true, firstAnsweredMs: 8600 },
            { ...viewer, inFlightAtCut: false, firstAnsweredMs: 2100 },
          ],
          settleHolders: ["h2", "h2", "h2"],
        },
      ]),
    });
    expect(md).toContain("## 10. Gateway failover");
    expect(md).toContain(
      "| 1 | ga@h1 → gb@h2 | via-h2 | 12 | 1.85 | 1.90 (36) | 8.60\\*, 2.10 | 0 / 1, 0 / 1 | h2 ×3 |",
    );
    expect(md).toContain("| cut → the other gateway holds the address | 1.85 (1.85–1.85), n = 1 |");
    expect(md).toContain("| … answered only after it | 8.60 (8.60–8.60), n = 1 |");
    expect(md).toContain("| … answered before their own 8.00 s timeout | 2.10 (2.10–2.10), n = 1 |");
    expect(md).toContain("\\* marks a viewer with a request open at the cut.");
    expect(md).toContain(
      "| 10 | holder's host cut → the other gateway holds the floating address, max of cycles | ≤ 3.0 s | 1.85 s (median 1.85 s, 1 of 1 cycles) | met |",
    );
  });
});
