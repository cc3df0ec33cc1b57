// scripts/status as the e2e tests run it: the real script from the repository, its exit code and output.

import { execFile } from "node:child_process";
import { resolve } from "node:path";
import type { StatusReport } from "../../infra/status/report";
import { REPO_ROOT } from "./stack";

const STATUS = resolve(REPO_ROOT, "scripts", "status");

export interface StatusRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `scripts/status <args>`; never rejects: a failure is a non-zero code with its stderr. */
export function runStatus(args: readonly string[]): Promise<StatusRun> {
  return new Promise((done) => {
    execFile(STATUS, [...args], { cwd: REPO_ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      done({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** `scripts/status <stack> --json`, parsed; throws when the script fails. */
export async function statusReport(stack: string): Promise<StatusReport> {
  const r = await runStatus([stack, "--json"]);
  if (r.code !== 0) throw new Error(`scripts/status --json exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as StatusReport;
}
