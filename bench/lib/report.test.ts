import { describe, expect, it } from "vitest";
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
