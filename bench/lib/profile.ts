// How long and how often each measurement runs. `full` produces docs/benchmarks.md; `quick` is for
// working on the harness (minutes, not half an hour) and never overwrites the document.

export interface Profile {
  readonly name: "full" | "quick";
  readonly dataPlane: { readonly rounds: number; readonly durationS: number; readonly connections: number };
  readonly apiCost: { readonly windowS: number };
  readonly discovery: {
    readonly publishes: number;
    readonly concurrency: number;
    /** Pause between a viewer's attempts while the stream is not playable (an eager player). */
    readonly retryMs: number;
    /** How long a viewer keeps requesting after its first success, to catch flapping. */
    readonly tailMs: number;
  };
  readonly failover: { readonly cycles: number };
  readonly changeApply: {
    readonly reps: number;
    readonly streams: number;
    readonly viewersPerStream: number;
  };
  readonly preview: { readonly runs: number };
  readonly takeover: { readonly cycles: number };
  /** Link cuts of a non-gateway host (bench/scenarios/host-loss.ts), rotating over the other hosts. */
  readonly hostLoss: { readonly cycles: number };
  /** Cuts of the host holding the floating address (bench/scenarios/gateway-failover.ts); --cycles sets it. */
  readonly gatewayFailover: { readonly cycles: number };
  readonly growth: {
    readonly instances: readonly number[];
    readonly paths: readonly number[];
    readonly profileWindowS: number;
    readonly wrkDurationS: number;
    readonly rounds: number;
    /** Stand-in cells (listings replayed behind the real router), for sizes past what publishes reach. */
    readonly standIn: readonly { readonly instances: number; readonly paths: number }[];
  };
}

export const FULL: Profile = {
  name: "full",
  dataPlane: { rounds: 5, durationS: 3, connections: 8 },
  apiCost: { windowS: 20 },
  discovery: { publishes: 100, concurrency: 5, retryMs: 100, tailMs: 1000 },
  failover: { cycles: 3 },
  changeApply: { reps: 3, streams: 4, viewersPerStream: 3 },
  preview: { runs: 5 },
  takeover: { cycles: 10 },
  hostLoss: { cycles: 3 },
  gatewayFailover: { cycles: 3 },
  growth: {
    instances: [2, 4, 8],
    paths: [1, 10, 100, 1000],
    profileWindowS: 10,
    wrkDurationS: 3,
    rounds: 2,
    standIn: [
      { instances: 8, paths: 1000 },
      { instances: 8, paths: 10_000 },
    ],
  },
};

export const QUICK: Profile = {
  name: "quick",
  dataPlane: { rounds: 1, durationS: 2, connections: 8 },
  apiCost: { windowS: 5 },
  discovery: { publishes: 6, concurrency: 3, retryMs: 100, tailMs: 500 },
  failover: { cycles: 1 },
  changeApply: { reps: 1, streams: 2, viewersPerStream: 2 },
  preview: { runs: 1 },
  takeover: { cycles: 2 },
  hostLoss: { cycles: 1 },
  gatewayFailover: { cycles: 1 },
  growth: {
    instances: [2],
    paths: [1, 10, 100],
    profileWindowS: 5,
    wrkDurationS: 2,
    rounds: 1,
    standIn: [{ instances: 8, paths: 1000 }],
  },
};
