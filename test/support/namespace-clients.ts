// Clients that must run inside a network namespace (the test lab's client): a test/support/*-main.ts
// script started with ts-node through nsenter, printing one JSON line per result. Wiring only.

import { join } from "node:path";
import type { PlayedViewer } from "./hls-play-main";
import { REPO_ROOT } from "./stack";
import { inNamespace } from "./test-hosts";
import type { WhepRead } from "./whep-read-main";

/** Runs test/support/`script` in `namespace` with `args`; its stdout's JSON lines. */
async function runMain<T>(
  namespace: string,
  script: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<T[]> {
  const { stdout } = await inNamespace(
    namespace,
    "env",
    [
      `TS_NODE_PROJECT=${join(REPO_ROOT, "tsconfig.json")}`,
      process.execPath,
      "-r",
      join(REPO_ROOT, "node_modules", "ts-node", "register", "transpile-only.js"),
      join(REPO_ROOT, "test", "support", script),
      ...args,
    ],
    { timeoutMs },
  );
  return stdout
    .trim()
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as T);
}

/** One WHEP read per URL with werift (whep-read-main.ts), from `namespace`. */
export function whepReadFrom(
  namespace: string,
  urls: readonly string[],
  timeoutMs = 180_000,
): Promise<WhepRead[]> {
  return runMain<WhepRead>(namespace, "whep-read-main.ts", urls, timeoutMs);
}

/** Player-like HLS viewers (hls-play-main.ts) in `namespace` for `ms`; what each saw. */
export function playFrom(namespace: string, ms: number, urls: readonly string[]): Promise<PlayedViewer[]> {
  return runMain<PlayedViewer>(namespace, "hls-play-main.ts", [String(ms), ...urls], ms + 60_000);
}
