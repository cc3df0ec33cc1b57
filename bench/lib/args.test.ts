import { describe, expect, it } from "vitest";
import { isFullRun, parseArgs, SCENARIOS } from "./args";

describe("parseArgs", () => {
  it("runs everything by default, waiting up to 20 minutes for a calm machine", () => {
    const a = parseArgs([]);
    expect(a).toEqual({
      help: false,
      quick: false,
      only: [...SCENARIOS],
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
      "--only: must be among data-plane, api-cost, discovery, failover, change-apply, preview, growth, takeover, got speed",
    ],
    [["--wait-calm", "soon"], '--wait-calm: must be whole minutes 0-120, got "soon"'],
    [["--out"], "--out: needs a value"],
    [["--fast"], 'unknown argument "--fast" (see --help)'],
  ])("%j fails with one line naming the option", (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(message);
  });

  it("a quick run never counts as full", () => {
    expect(isFullRun(parseArgs(["--quick"]))).toBe(false);
  });
});
