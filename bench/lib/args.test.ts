import { describe, expect, it } from "vitest";
import { DEFAULT_SCENARIOS, isFullRun, parseArgs, SCENARIOS } from "./args";

describe("parseArgs", () => {
  it("runs every default scenario, waiting up to 20 minutes for a calm machine", () => {
    const a = parseArgs([]);
    expect(a).toEqual({
      help: false,
      quick: false,
      only: [...DEFAULT_SCENARIOS],
      waitCalmMin: 20,
      keep: false,
      out: undefined,
    });
    expect(isFullRun(a)).toBe(true);
  });

  it("keeps the scenario order whatever order --only names them in", () => {
    const a = parseArgs(["--only", "growth,data-plane", "--wait-calm", "0", "--keep"]);
    expect(a.only).toEqual(["data-plane", "growth"]);
    expect(a.waitCalmMin).toBe(0);
    expect(isFullRun(a)).toBe(false);
  });

  it.each([
    [
      ["--only", "speed"],
      "--only: must be among data-plane, api-cost, discovery, failover, change-apply, preview, growth, takeover, host-loss, gateway-failover, got speed",
    ],
    [["--wait-calm", "soon"], '--wait-calm: must be whole minutes 0-120, got "soon"'],
    [["--out"], "--out: needs a value"],
    [["--cycles", "0"], '--cycles: must be a whole number 1-50, got "0"'],
    [["--cycles", "three"], '--cycles: must be a whole number 1-50, got "three"'],
    [["--fast"], 'unknown argument "--fast" (see --help)'],
  ])("%j fails with one line naming the option", (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(message);
  });

  it("leaves host-loss out unless named; naming it alone runs only it, and is not a full run", () => {
    expect(SCENARIOS).toContain("host-loss");
    expect(DEFAULT_SCENARIOS).not.toContain("host-loss");
    const a = parseArgs(["--only", "host-loss"]);
    expect(a.only).toEqual(["host-loss"]);
    expect(isFullRun(a)).toBe(false);
    expect(isFullRun(parseArgs(["--only", [...SCENARIOS].join(",")]))).toBe(true);
  });

  it("leaves gateway-failover out unless named; --cycles sets its cycles", () => {
    expect(DEFAULT_SCENARIOS).not.toContain("gateway-failover");
    const a = parseArgs(["--only", "gateway-failover", "--cycles", "5"]);
    expect(a.only).toEqual(["gateway-failover"]);
    expect(a.cycles).toBe(5);
    expect(isFullRun(a)).toBe(false);
    expect(parseArgs([]).cycles).toBeUndefined();
  });

  it("a quick run never counts as full", () => {
    expect(isFullRun(parseArgs(["--quick"]))).toBe(false);
  });
});
