import { describe, expect, it } from "vitest";
import { evaluateTargets } from "./analysis";
import {
  holdersLabel,
  parseProbe,
  pollerOutcome,
  runsOf,
  summarizeGatewayFailover,
  viewerOutcome,
} from "./gateway-failover";
import { gatewayFailoverResult } from "./gateway-failover-result";
import type {
  BenchReport,
  GatewayFailoverCycle,
  GatewayFailoverResult,
  GatewayFailoverViewer,
} from "./results";

const CUT = 100_000;
/** The link is down 20 ms after the cut began. */
const DOWN = CUT + 20;

describe("parseProbe", () => {
  it.each([
    ['{"startedAt":1,"endedAt":2,"status":200}', { startedAt: 1, endedAt: 2, status: 200 }],
    ['{"startedAt":1,"endedAt":1001,"status":0}', { startedAt: 1, endedAt: 1001, status: 0 }],
    ['{"startedAt":1,"endedAt":2}', undefined],
    ['{"startedAt":"1","endedAt":2,"status":200}', undefined],
    ["null", undefined],
    ['{"startedAt":1,"end', undefined],
    ["", undefined],
  ])("%s → %j", (line, expected) => {
    expect(parseProbe(line)).toEqual(expected);
  });
});

describe("pollerOutcome", () => {
  const p = (startedAt: number, took: number, status: number) => ({
    startedAt,
    endedAt: startedAt + took,
    status,
  });

  it("the first answer to a request sent once the link was down; the lost ones before it counted", () => {
    const probes = [
      p(CUT - 50, 3, 200),
      p(CUT - 5, 1000, 0), // in flight at the cut
      p(CUT + 10, 2, 200), // sent during the cut: the old holder may still answer, not counted
      p(DOWN + 30, 1000, 0),
      p(DOWN + 80, 1000, 0),
      p(DOWN + 1800, 1000, 0),
      p(DOWN + 1850, 4, 302),
      p(DOWN + 1900, 3, 200),
      p(DOWN + 1950, 1000, 0), // a later loss is not "before the first answer"
    ];
    expect(pollerOutcome(probes, CUT, DOWN)).toEqual({ answeredMs: 1874, unanswered: 3 });
  });

  it("the earliest answer wins, not the earliest request", () => {
    const probes = [p(DOWN + 10, 900, 200), p(DOWN + 60, 5, 200)];
    expect(pollerOutcome(probes, CUT, DOWN).answeredMs).toBe(85);
  });

  it("no answer after the cut: no figure, every request after it unanswered; a 5xx is no answer", () => {
    expect(
      pollerOutcome([p(CUT - 50, 3, 200), p(DOWN + 1, 1000, 0), p(DOWN + 51, 2, 503)], CUT, DOWN),
    ).toEqual({
      unanswered: 2,
    });
  });
});

describe("viewerOutcome", () => {
  it("a viewer waiting on a request at the cut: answered after its timeout and retry, one session kept", () => {
    const v = {
      requests: [
        [CUT - 900, CUT - 400, 200],
        [CUT - 300, CUT + 7700, 0], // blocking reload in flight, timed out at 8 s
        [CUT + 8200, CUT + 8210, 200],
        [CUT + 8210, CUT + 8400, 200],
      ] as const,
      restarts: 0,
      sessions: ["s1"],
    };
    expect(viewerOutcome(v, CUT, DOWN)).toEqual({
      inFlightAtCut: true,
      firstAnsweredMs: 8210,
      requestsAfter: 2,
      unansweredAfter: 0,
      restarts: 0,
      sessions: 1,
    });
  });

  it("a viewer between requests at the cut, one that never got an answer, one that restarted", () => {
    const idle = {
      requests: [
        [CUT - 300, CUT - 290, 200],
        [CUT + 500, CUT + 1500, 0],
        [CUT + 2000, CUT + 2005, 200],
      ] as const,
      restarts: 0,
      sessions: ["a"],
    };
    expect(viewerOutcome(idle, CUT, DOWN)).toMatchObject({
      inFlightAtCut: false,
      firstAnsweredMs: 2005,
      unansweredAfter: 1,
    });
    const lost = { requests: [[CUT + 100, CUT + 8100, 0]] as const, restarts: 2, sessions: ["a", "b"] };
    const o = viewerOutcome(lost, CUT, DOWN);
    expect(o.firstAnsweredMs).toBeUndefined();
    expect(o).toMatchObject({ restarts: 2, sessions: 2, requestsAfter: 1, unansweredAfter: 1 });
  });
});

describe("holders", () => {
  it.each([
    [[], "none"],
    [["h2"], "h2"],
    [["h2", "h1"], "h1+h2"],
  ])("%j → %s", (hosts, label) => {
    expect(holdersLabel(hosts)).toBe(label);
  });

  it("samples as runs, in order", () => {
    expect(runsOf(["h2", "h2", "h1+h2", "h2"])).toBe("h2 ×2, h1+h2 ×1, h2 ×1");
    expect(runsOf([])).toBe("");
  });
});

describe("summarizeGatewayFailover", () => {
  const viewer = (
    firstAnsweredMs: number | undefined,
    inFlightAtCut: boolean,
    restarts = 0,
  ): GatewayFailoverViewer => ({
    inFlightAtCut,
    ...(firstAnsweredMs === undefined ? {} : { firstAnsweredMs }),
    requestsAfter: 20,
    unansweredAfter: inFlightAtCut ? 1 : 0,
    restarts,
    sessions: restarts + 1,
  });
  const cycle = (
    cutHost: string,
    movedMs: number | undefined,
    viewers: GatewayFailoverViewer[],
    settle: string[] = Array(2).fill(cutHost === "h1" ? "h2" : "h1"),
  ): GatewayFailoverCycle => ({
    from: `g@${cutHost}`,
    to: "other",
    cutHost,
    stream: "via-x",
    cutMs: 15,
    ...(movedMs === undefined ? {} : { movedMs, pollerAnsweredMs: movedMs + 40 }),
    pollerUnanswered: 30,
    viewers,
    settleHolders: settle,
  });
  const result = gatewayFailoverResult;
  const targets = (r: GatewayFailoverResult) =>
    evaluateTargets({ env: {} as BenchReport["env"], gatewayFailover: r }).filter((t) => t.id === "10");

  it("medians and ranges over cycles; viewers split by their own request timeout; every target met", () => {
    const r = result([
      cycle("h1", 1800, [viewer(8600, true), viewer(1900, false)], ["h2", "h2"]),
      cycle("h2", 2100, [viewer(8500, true), viewer(8700, true)], ["h1", "h1"]),
      cycle("h1", 1700, [viewer(2000, false), viewer(8400, true)], ["h2", "h2"]),
    ]);
    const s = summarizeGatewayFailover(r);
    expect(s.movedMs).toEqual({ median: 1800, min: 1700, max: 2100, n: 3 });
    expect(s.pollerAnsweredMs.median).toBe(1840);
    expect(s.viewerAnsweredMs).toEqual({ median: 8450, min: 1900, max: 8700, n: 6 });
    expect(s.viewerAfterTimeoutMs).toEqual({ median: 8550, min: 8400, max: 8700, n: 4 });
    expect(s.viewerBeforeTimeoutMs).toEqual({ median: 1950, min: 1900, max: 2000, n: 2 });
    expect([s.viewersKeptSession, s.viewers, s.tookBack, s.bothHeld]).toEqual([6, 6, 0, 0]);
    expect(s.movedWithinBudget).toBe(true);
    const rows = targets(r);
    expect(rows.map((t) => t.met)).toEqual([true, undefined, undefined, true, true]);
    expect(rows[0]?.measured).toBe("2.10 s (median 1.80 s, 3 of 3 cycles)");
    expect(rows[0]?.target).toBe("≤ 3.0 s");
  });

  it("a move over 3 s, or none at all, fails the bound; a restart or the old holder back fails theirs", () => {
    const late = result([cycle("h1", 3100, [viewer(9000, true)])]);
    expect(targets(late)[0]?.met).toBe(false);
    const never = result([
      cycle("h1", 1500, [viewer(9000, true)]),
      cycle("h2", undefined, [viewer(undefined, true, 1)]),
    ]);
    const s = summarizeGatewayFailover(never);
    expect(s.movedMs.n).toBe(1);
    expect(s.movedWithinBudget).toBe(false);
    expect(s.viewersKeptSession).toBe(1);
    expect(targets(never).map((t) => t.met)).toEqual([false, undefined, undefined, false, true]);
    const back = result([cycle("h1", 1500, [viewer(9000, true)], ["h2", "h1+h2", "h1"])]);
    const b = summarizeGatewayFailover(back);
    expect([b.tookBack, b.bothHeld]).toEqual([1, 1]);
    expect(targets(back)[4]).toMatchObject({
      met: false,
      measured: "1 of 1 cycles (both held it at once in 1)",
    });
  });

  it("no cycle: nothing is met", () => {
    expect(targets(result([])).map((t) => t.met)).toEqual([false, undefined, undefined, false, false]);
  });
});
