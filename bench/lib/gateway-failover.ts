// Gateway failover (bench/scenarios/gateway-failover.ts): raw observations of one cycle → its figures,
// cycles → medians and ranges. Pure: the scenario records times and requests, report.ts formats this.
import { isAnswered } from "../../test/support/hls-player";
import type { GatewayFailoverResult, GatewayFailoverViewer } from "./results";
import { type Spread, spread } from "./summary";
import { jsonObjectLine } from "./viewer-events";

/** The bound: cut → the standby holds the floating address. */
export const MOVED_BUDGET_MS = 3_000;

/** One request of the poller (bench/lib/poller-main.ts): when it was sent, when it ended, its status (0: none). */
export interface Probe {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly status: number;
}

/** A poller output line → a probe; anything else (a stray line, a partial write) → undefined. */
export function parseProbe(line: string): Probe | undefined {
  const fields = jsonObjectLine(line);
  if (fields === undefined) return undefined;
  const { startedAt, endedAt, status } = fields;
  const ok = [startedAt, endedAt, status].every((x) => typeof x === "number" && Number.isFinite(x));
  return ok
    ? { startedAt: startedAt as number, endedAt: endedAt as number, status: status as number }
    : undefined;
}

/**
 * The poller around one cut. Only requests sent once the link was down count (`linkDownAt`): one sent in
 * the few ms the cut takes can still be answered by the old holder, which says nothing of the failover.
 */
export function pollerOutcome(
  probes: readonly Probe[],
  cutAt: number,
  linkDownAt: number,
): { readonly answeredMs?: number; readonly unanswered: number } {
  const after = probes.filter((p) => p.startedAt >= linkDownAt);
  const first = after.filter((p) => isAnswered(p.status)).sort((a, b) => a.endedAt - b.endedAt)[0];
  const unanswered = after.filter(
    (p) => !isAnswered(p.status) && (first === undefined || p.startedAt < first.startedAt),
  ).length;
  return first === undefined ? { unanswered } : { answeredMs: first.endedAt - cutAt, unanswered };
}

/** What test/support/hls-play-main.ts prints of a viewer (requests as [startedAt, endedAt, status]). */
export interface PlayedRequests {
  readonly requests: readonly (readonly [number, number, number])[];
  readonly restarts: number;
  readonly sessions: readonly string[];
}

/** One viewer around one cut (same rule as the poller: requests sent once the link was down). */
export function viewerOutcome(v: PlayedRequests, cutAt: number, linkDownAt: number): GatewayFailoverViewer {
  const after = v.requests.filter(([started]) => started >= cutAt);
  const answered = v.requests
    .filter(([started, , status]) => started >= linkDownAt && isAnswered(status))
    .sort((a, b) => a[1] - b[1])[0];
  return {
    inFlightAtCut: v.requests.some(([started, ended]) => started < cutAt && ended > linkDownAt),
    ...(answered === undefined ? {} : { firstAnsweredMs: answered[1] - cutAt }),
    requestsAfter: after.length,
    unansweredAfter: after.filter(([, , status]) => !isAnswered(status)).length,
    restarts: v.restarts,
    sessions: v.sessions.length,
  };
}

/** Host names holding the address → "h1", "h1+h2" (both: a split brain), "none". */
export function holdersLabel(hosts: readonly string[]): string {
  return hosts.length === 0 ? "none" : [...hosts].sort().join("+");
}

/** Samples as runs, in order: ["h2","h2","h1+h2","h2"] → "h2 ×2, h1+h2 ×1, h2 ×1". */
export function runsOf(samples: readonly string[]): string {
  const runs: [string, number][] = [];
  for (const x of samples) {
    const last = runs.at(-1);
    if (last !== undefined && last[0] === x) last[1]++;
    else runs.push([x, 1]);
  }
  return runs.map(([x, n]) => `${x} ×${n}`).join(", ");
}

export interface GatewayFailoverSummary {
  readonly cycles: number;
  readonly movedMs: Spread;
  readonly pollerAnsweredMs: Spread;
  /**
   * Every viewer of every cycle; and split by the viewers' own request timeout: answered before it (a
   * request lost with the old holder was reset by the new one, or none was lost) or only after it.
   */
  readonly viewerAnsweredMs: Spread;
  readonly viewerBeforeTimeoutMs: Spread;
  readonly viewerAfterTimeoutMs: Spread;
  readonly viewers: number;
  /** Viewers that kept one session: no restart, one MediaMTX session over the cycle. */
  readonly viewersKeptSession: number;
  /** Cycles in which the host cut held the address again at some point after its link came back. */
  readonly tookBack: number;
  /** Cycles in which two hosts held the address at once after the link came back. */
  readonly bothHeld: number;
  /** Every cycle moved the address, within the budget. */
  readonly movedWithinBudget: boolean;
}

export function summarizeGatewayFailover(r: GatewayFailoverResult): GatewayFailoverSummary {
  const defined = (xs: readonly (number | undefined)[]) => xs.filter((x): x is number => x !== undefined);
  const viewers = r.cycles.flatMap((c) => c.viewers);
  const answered = (vs: readonly GatewayFailoverViewer[]) =>
    spread(defined(vs.map((v) => v.firstAnsweredMs)));
  const moved = r.cycles.map((c) => c.movedMs);
  return {
    cycles: r.cycles.length,
    movedMs: spread(defined(moved)),
    pollerAnsweredMs: spread(defined(r.cycles.map((c) => c.pollerAnsweredMs))),
    viewerAnsweredMs: answered(viewers),
    viewerBeforeTimeoutMs: answered(
      viewers.filter((v) => (v.firstAnsweredMs ?? Infinity) < r.viewerTimeoutMs),
    ),
    viewerAfterTimeoutMs: answered(viewers.filter((v) => (v.firstAnsweredMs ?? 0) >= r.viewerTimeoutMs)),
    viewers: viewers.length,
    viewersKeptSession: viewers.filter((v) => v.restarts === 0 && v.sessions === 1).length,
    tookBack: r.cycles.filter((c) => c.settleHolders.some((h) => h.split("+").includes(c.cutHost))).length,
    bothHeld: r.cycles.filter((c) => c.settleHolders.some((h) => h.includes("+"))).length,
    movedWithinBudget: moved.length > 0 && moved.every((ms) => ms !== undefined && ms <= MOVED_BUDGET_MS),
  };
}
