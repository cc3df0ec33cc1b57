// Carries out an ApplyPlan (plan.ts) once the new files are in place: Runtime API commands, or a signal
// to the container; for HAProxy, health state is saved before the reload and the master's confirmation
// awaited. Decides nothing: every choice is the plan's.
// Self-contained: the dynamic provider is serialized into the state, so Node built-ins are required
// inside each function and the only import is another self-contained function.

import { runtimeApi } from "../../haproxy/runtime-api";
import type { ConfigDirInputs, ServerWeight } from "./inputs";
import type { ApplyPlan } from "./plan";

/** Whether `container` exists and runs; no container (yet) reads the new files when it starts. */
export function containerRunning(container: string, engine?: string): boolean {
  const { execFileSync } = require("node:child_process") as typeof import("node:child_process");
  try {
    const out = execFileSync("docker", ["inspect", "-f", "{{.State.Running}}", container], {
      env: dockerEnv(engine),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return out.trim() === "true";
  } catch {
    return false;
  }
}

/** Runs `plan` for `news`; returns ConfigDirOutputs.lastApply. */
export async function carryOut(plan: ApplyPlan, news: ConfigDirInputs): Promise<string> {
  const fs = require("node:fs") as typeof import("node:fs");
  const path = require("node:path") as typeof import("node:path");
  const { execFileSync } = require("node:child_process") as typeof import("node:child_process");
  switch (plan.action) {
    case "unchanged":
      return "unchanged";
    case "write":
      return "written";
    case "runtime": {
      const h = news.reload?.haproxy;
      if (h === undefined) throw new Error("a Runtime API plan needs reload.haproxy");
      // Weights only: changed in place; no worker restarts, no connection moves.
      for (const command of plan.commands) {
        const answer = (await runtimeApi(path.join(news.dir, h.socket), command)).trim();
        if (answer !== "") throw new Error(`HAProxy Runtime API refused "${command}": ${answer}`);
      }
      return "written+runtime-api";
    }
    case "reload": {
      const r = news.reload;
      if (r === undefined) throw new Error("a reload plan needs a reload spec");
      const h = r.haproxy;
      if (h !== undefined && plan.haproxy !== undefined) {
        // Health state survives the reload (load-server-state-from-file), with the new config's weights.
        const state = await runtimeApi(path.join(news.dir, h.socket), "show servers state");
        fs.writeFileSync(
          path.join(news.dir, h.serverState),
          stateWithConfiguredWeights(state, plan.haproxy.pinWeights),
        );
      }
      // Fractional seconds: a confirmation logged by an earlier reload in the same second must not count.
      const since = (Date.now() / 1000).toFixed(3);
      execFileSync("docker", ["kill", "--signal", r.signal, r.container], {
        stdio: "ignore",
        env: dockerEnv(news.engine),
      });
      if (h !== undefined) await waitForLog(r.container, since, h.successLog, news.engine);
      return "written+reloaded";
    }
  }
}

/**
 * Internal. Exported for testing. `show servers state` output with every listed server's saved weights
 * (srv_uweight and srv_iweight) set to `weights`. HAProxy restores a saved weight only when the saved
 * srv_iweight equals the new config's weight, so a weight once set through the Runtime API (1 → 3) would
 * survive a later reload that returns the config to 1; pinning both columns makes the new config win
 * while health and admin state are still restored.
 */
export function stateWithConfiguredWeights(state: string, weights: readonly ServerWeight[]): string {
  const byServer = new Map(weights.map((w) => [`${w.backend}/${w.server}`, w.weight]));
  let columns: string[] = [];
  return state
    .split("\n")
    .map((line) => {
      if (line.startsWith("#")) {
        columns = line.slice(1).trim().split(/\s+/);
        return line;
      }
      const be = columns.indexOf("be_name");
      const srv = columns.indexOf("srv_name");
      const uw = columns.indexOf("srv_uweight");
      const iw = columns.indexOf("srv_iweight");
      const fields = line.split(" ");
      if (be < 0 || srv < 0 || uw < 0 || iw < 0 || fields.length <= Math.max(be, srv, uw, iw)) return line;
      const w = byServer.get(`${fields[be]}/${fields[srv]}`);
      if (w === undefined) return line;
      fields[uw] = String(w);
      fields[iw] = String(w);
      return fields.join(" ");
    })
    .join("\n");
}

/** Waits for the master to confirm the reload; a failed reload keeps the old workers and fails the update. */
async function waitForLog(
  container: string,
  sinceEpochSeconds: string,
  success: string,
  engine: string | undefined,
): Promise<void> {
  const { spawnSync } = require("node:child_process") as typeof import("node:child_process");
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    // The master logs to stderr (-db); read both streams.
    const r = spawnSync("docker", ["logs", "--since", sinceEpochSeconds, container], {
      encoding: "utf8",
      env: dockerEnv(engine),
    });
    const logs = `${r.stdout ?? ""}${r.stderr ?? ""}`;
    if (/Loading failure|Failed to load/.test(logs)) {
      throw new Error(
        `HAProxy reload failed in ${container}; the previous workers keep serving:\n${logs.trim()}`,
      );
    }
    if (logs.includes(success)) return;
    await new Promise((res) => setTimeout(res, 250));
  }
  throw new Error(`HAProxy in ${container} did not confirm the reload ("${success}") within 15 s`);
}

/** The docker CLI's environment for `engine` (DOCKER_HOST), or this process's own when unset. */
export function dockerEnv(engine: string | undefined): NodeJS.ProcessEnv {
  return engine === undefined ? process.env : { ...process.env, DOCKER_HOST: engine };
}
