// The repository root, found from this file's location, so the program reads templates/ and
// infra/lua/ the same whether it runs from its TypeScript sources (tests, ts-node) or from the
// JavaScript that scripts/pulumi builds into .build/program/ (one directory deeper).

import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/** The nearest directory at or above `start` that holds Pulumi.yaml. */
export function findRepoRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, "Pulumi.yaml"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no Pulumi.yaml at or above ${start}`);
    dir = parent;
  }
}

export const REPO_ROOT = findRepoRoot(__dirname);
