// bench/run's command line. Pure.

export const SCENARIOS = [
  "data-plane",
  "api-cost",
  "discovery",
  "failover",
  "change-apply",
  "preview",
  "growth",
  "takeover",
  "host-loss",
  "gateway-failover",
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/**
 * Scenarios a run without --only leaves out. host-loss and gateway-failover each build their own lab
 * (three engines in network namespaces) and their own stack: minutes more, root-only lab
 * prerequisites, and the lab's fixed subnets (one lab per machine: run them under the e2e lock). They
 * run only when named.
 */
export const OPT_IN: readonly ScenarioName[] = ["host-loss", "gateway-failover"];
export const DEFAULT_SCENARIOS: readonly ScenarioName[] = SCENARIOS.filter((s) => !OPT_IN.includes(s));

export interface BenchArgs {
  readonly help: boolean;
  readonly quick: boolean;
  readonly only: readonly ScenarioName[];
  /** Minutes to wait for a 1-minute load average below 1 before measuring. */
  readonly waitCalmMin: number;
  readonly keep: boolean;
  /** Where the Markdown goes; undefined: docs/benchmarks.md for a full run, the work dir otherwise. */
  readonly out?: string;
  /** gateway-failover's cycles instead of the profile's. */
  readonly cycles?: number;
}

export const USAGE = `Usage: bench/run [--quick] [--only NAME,...] [--cycles N] [--wait-calm MIN] [--keep] [--out FILE]

Brings up a bench stack (stack "bench", ports 26000-26999, subnet 10.213.206.0/24), runs every
measurement, destroys the stack, prints the targets table and writes docs/benchmarks.md.

  --quick          short runs to work on the harness; writes to the work dir, not docs/
  --only NAMES     comma-separated subset of: ${SCENARIOS.join(", ")}
                   (writes to the work dir, not docs/); without it, all but ${OPT_IN.join(", ")}
                   (host-loss: its own lab of three Docker engines in network namespaces and its
                   own stack, about 3 min; --keep does not keep it; run it under the e2e lock:
                   flock /tmp/mtxlb-e2e.lock bench/run --only host-loss;
                   gateway-failover: the same lab, the gateway pair of test/e2e/gateway-pair,
                   cuts the host holding the floating address, about 5 min, same lock)
  --cycles N       gateway-failover: cuts of the holder, 1-50 (default 3; 1 with --quick)
  --wait-calm MIN  wait up to MIN minutes for the 1-min load average to drop below 1 (default 20)
  --keep           leave the stack running at the end (debugging)
  --out FILE       write the Markdown report here instead

Work files (state backend, configs, clips, logs) live in $MEDIAMTX_LB_BENCH_DIR
(default /tmp/mediamtx-lb-bench).`;

export function parseArgs(argv: readonly string[]): BenchArgs {
  let help = false;
  let quick = false;
  let only: ScenarioName[] = [...DEFAULT_SCENARIOS];
  let waitCalmMin = 20;
  let keep = false;
  let out: string | undefined;
  let cycles: number | undefined;
  const errors: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const value = () => {
      const v = argv[++i];
      if (v === undefined) errors.push(`${arg}: needs a value`);
      return v ?? "";
    };
    switch (arg) {
      case "-h":
      case "--help":
        help = true;
        break;
      case "--quick":
        quick = true;
        break;
      case "--keep":
        keep = true;
        break;
      case "--only": {
        const names = value().split(",").filter(Boolean);
        const unknown = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
        if (unknown.length > 0)
          errors.push(`--only: must be among ${SCENARIOS.join(", ")}, got ${unknown.join(", ")}`);
        only = SCENARIOS.filter((s) => names.includes(s));
        break;
      }
      case "--wait-calm": {
        const v = value();
        const n = Number(v);
        if (!/^\d+$/.test(v) || n > 120)
          errors.push(`--wait-calm: must be whole minutes 0-120, got ${JSON.stringify(v)}`);
        waitCalmMin = n;
        break;
      }
      case "--out":
        out = value();
        break;
      case "--cycles": {
        const v = value();
        const n = Number(v);
        if (!/^\d+$/.test(v) || n < 1 || n > 50)
          errors.push(`--cycles: must be a whole number 1-50, got ${JSON.stringify(v)}`);
        cycles = n;
        break;
      }
      default:
        errors.push(`unknown argument ${JSON.stringify(arg)} (see --help)`);
    }
  }
  if (errors.length > 0) throw new Error(errors.join("\n"));
  return { help, quick, only, waitCalmMin, keep, out, ...(cycles === undefined ? {} : { cycles }) };
}

/** A run whose report may replace docs/benchmarks.md: every default measurement, full durations. */
export function isFullRun(args: BenchArgs): boolean {
  return !args.quick && DEFAULT_SCENARIOS.every((s) => args.only.includes(s));
}
