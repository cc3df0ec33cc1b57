// scripts/status command line → what to do. Pure.

import { STACK_PATTERN } from "../config/names";

const DEFAULT_STACK = "dev";

export const USAGE = `Usage: scripts/status [STACK] [--json] [--stream NAME]

One screen on a running stack (default: ${DEFAULT_STACK}): per instance its container, HAProxy server
state in every backend (status, weight, last check), the router's polls, live streams and readers;
per stream where the router sends it, where it is live and who reads it; the router's counters; and
every problem found, in words. With mediamtx-lb:hosts also each host's Docker engine (reachable or
not, asked with a deadline), and the instances grouped by host. With mediamtx-lb:floatingAddress
also every gateway (its HAProxy and keepalived, whether it holds the address, its stream map),
whether their maps agree, and which gateway the rest is read from (the holder).

  --json           the same report as JSON, for scripts
  --stream NAME    only this stream in the stream table (listed even when nothing publishes it)
  -h, --help       this text

Exit status: 0 when the report was made (problems included), 1 when the stack is not up or a
prerequisite is missing, 2 on a usage error.
`;

export type StatusCommand =
  | { readonly kind: "help" }
  | { readonly kind: "run"; readonly stack: string; readonly json: boolean; readonly stream?: string }
  | { readonly kind: "error"; readonly message: string };

// Pulumi stack names as validateConfig accepts them.
const STACK = STACK_PATTERN;

export function parseStatusArgs(argv: readonly string[]): StatusCommand {
  let stack: string | undefined;
  let json = false;
  let stream: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "-h" || arg === "--help") return { kind: "help" };
    if (arg === "--json") {
      json = true;
    } else if (arg === "--stream" || arg.startsWith("--stream=")) {
      const value = arg === "--stream" ? argv[++i] : arg.slice("--stream=".length);
      if (value === undefined || value === "")
        return { kind: "error", message: "--stream needs a stream name" };
      stream = value;
    } else if (arg.startsWith("-")) {
      return { kind: "error", message: `unknown option ${arg} (see --help)` };
    } else if (stack === undefined) {
      if (!STACK.test(arg)) {
        return {
          kind: "error",
          message: `stack name must match ${STACK.source}, got ${JSON.stringify(arg)}`,
        };
      }
      stack = arg;
    } else {
      return { kind: "error", message: `one stack at a time, got ${stack} and ${arg}` };
    }
  }
  return { kind: "run", stack: stack ?? DEFAULT_STACK, json, ...(stream === undefined ? {} : { stream }) };
}
