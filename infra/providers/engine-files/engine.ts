// The Docker side of EngineFiles: every call goes through the docker CLI with -H <engine>, so unix://,
// tcp:// (with DOCKER_TLS_VERIFY/DOCKER_CERT_PATH from the environment) and ssh:// (the CLI's own ssh
// helper) all work the same, and each call has a deadline: a host that stopped answering fails the step
// with a one-line error instead of hanging `pulumi up` or `destroy`.
// Self-contained: the dynamic provider is serialized into the state, so Node built-ins are required
// inside each function and nothing here refers to module-level values but functions.

import type { EngineFilesInputs } from "./inputs";
import { isRemovalError, removeStream, writeStream } from "./tar";

export interface DockerResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `docker -H engine args…`, with `input` on stdin; rejects only when the deadline passes. */
function docker(
  engine: string,
  args: readonly string[],
  timeoutMs: number,
  input?: Buffer,
): Promise<DockerResult & { readonly timedOut: boolean }> {
  const { spawn } = require("node:child_process") as typeof import("node:child_process");
  return new Promise((resolve) => {
    // -H wins over DOCKER_HOST and DOCKER_CONTEXT from the deployer's environment.
    const child = spawn("docker", ["-H", engine, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    // A CLI that exits before reading all of stdin (engine gone) must not crash the provider with EPIPE.
    child.stdin.on("error", () => undefined);
    child.on("error", (e) => err.push(Buffer.from(`${e.message}\n`)));
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        timedOut,
      });
    });
    child.stdin.end(input ?? Buffer.alloc(0));
  });
}

/** docker's first non-empty error line, without the "Error response from daemon: " boilerplate. */
function firstLine(r: DockerResult): string {
  const line = `${r.stderr}\n${r.stdout}`
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l !== "");
  return (line ?? `docker exited with ${r.code}`).replace(/^Error response from daemon: /, "");
}

/**
 * Runs one docker command for `target`; throws a one-line error naming the engine and the volume when
 * it fails, "not reachable" when the deadline passed.
 */
async function must(
  target: Pick<EngineFilesInputs, "engine" | "volume">,
  what: string,
  args: readonly string[],
  timeoutMs: number,
  input?: Buffer,
): Promise<DockerResult> {
  const r = await docker(target.engine, args, timeoutMs, input);
  if (r.timedOut) {
    throw new Error(
      `EngineFiles: engine ${target.engine} not reachable (volume ${target.volume}): no answer to docker ${args[0]} within ${timeoutMs / 1000}s`,
    );
  }
  if (r.code !== 0) {
    throw new Error(
      `EngineFiles: ${what} failed on engine ${target.engine} (volume ${target.volume}): ${firstLine(r)}`,
    );
  }
  return r;
}

/** Fails fast, and clearly, when the engine does not answer (daemon down, host gone, ssh refused). */
export async function checkReachable(target: Pick<EngineFilesInputs, "engine" | "volume">): Promise<void> {
  // 20 s: an ssh:// engine opens a connection per CLI call, a tcp:// one may wait for a dial timeout.
  const r = await docker(target.engine, ["version", "--format", "{{.Server.Version}}"], 20_000);
  if (r.code === 0 && !r.timedOut) return;
  const reason = r.timedOut ? "no answer within 20s" : firstLine(r);
  throw new Error(`EngineFiles: engine ${target.engine} not reachable (volume ${target.volume}): ${reason}`);
}

/** Creates the volume (with `labels`) if missing; returns whether it had to. */
export async function ensureVolume(target: EngineFilesInputs): Promise<boolean> {
  const seen = await docker(
    target.engine,
    ["volume", "inspect", "--format", "{{.Name}}", target.volume],
    30_000,
  );
  if (seen.code === 0 && !seen.timedOut) return false;
  // Docker volume labels are fixed at creation: a later `labels` change reaches the helpers only.
  const labels = Object.entries(target.labels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .flatMap(([k, v]) => ["--label", `${k}=${v}`]);
  await must(target, "volume create", ["volume", "create", ...labels, target.volume], 30_000);
  return true;
}

/**
 * Writes `write` (name → content) into the volume and removes `remove` from it, through a helper
 * container created from `image` (never started: the image needs no shell) that mounts the volume. The
 * helper has a unique name and the labels, and is removed whatever happens.
 */
export async function copyIntoVolume(
  target: EngineFilesInputs,
  write: Readonly<Record<string, string>>,
  remove: readonly string[],
): Promise<void> {
  const { randomBytes } = require("node:crypto") as typeof import("node:crypto");
  const helper = `mlb-files-${target.volume}-${randomBytes(4).toString("hex")}`;
  const labels = Object.entries({ ...target.labels, "mediamtx-lb.helper": "engine-files" })
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .flatMap(([k, v]) => ["--label", `${k}=${v}`]);
  const mount = "/mediamtx-lb-files";
  const mtime = Math.floor(Date.now() / 1000);
  let failure: unknown;
  try {
    await must(
      target,
      "create helper container",
      [
        ...["create", "--name", helper, ...labels, "--network", "none"],
        // Never started; an entrypoint that does not exist says so, and an image without one still works.
        ...["--entrypoint", "/engine-files-helper-is-never-started", "-v", `${target.volume}:${mount}`],
        target.image,
      ],
      60_000,
    );
    if (Object.keys(write).length > 0) {
      await must(target, "docker cp", ["cp", "-", `${helper}:${mount}`], 120_000, writeStream(write, mtime));
    }
    for (const name of remove) {
      const r = await docker(
        target.engine,
        ["cp", "-", `${helper}:${mount}`],
        60_000,
        removeStream(name, mtime),
      );
      // The removal stream always fails, on purpose (tar.ts); any other failure is real.
      if (r.code !== 0 && !r.timedOut && isRemovalError(r.stderr)) continue;
      if (r.timedOut) {
        throw new Error(
          `EngineFiles: engine ${target.engine} not reachable (volume ${target.volume}): no answer to docker cp within 60s`,
        );
      }
      throw new Error(
        `EngineFiles: removing ${name} failed on engine ${target.engine} (volume ${target.volume}): ${r.code === 0 ? "docker cp did not remove it" : firstLine(r)}`,
      );
    }
  } catch (err) {
    failure = err;
  }
  const rm = await docker(target.engine, ["rm", "-f", "-v", helper], 30_000);
  // -v is harmless here (named volumes are never removed with a container) and drops anonymous ones.
  if (failure !== undefined) throw failure;
  if (rm.code !== 0 || rm.timedOut) {
    const missing = /No such container/i.test(rm.stderr);
    if (!missing) {
      throw new Error(
        `EngineFiles: helper container ${helper} not removed on engine ${target.engine} (volume ${target.volume}): ${rm.timedOut ? "no answer within 30s" : firstLine(rm)}`,
      );
    }
  }
}

/** Removes the volume; one that is already gone is fine. */
export async function removeVolume(target: Pick<EngineFilesInputs, "engine" | "volume">): Promise<void> {
  await checkReachable(target);
  const r = await docker(target.engine, ["volume", "rm", target.volume], 60_000);
  if (r.timedOut) {
    throw new Error(
      `EngineFiles: engine ${target.engine} not reachable (volume ${target.volume}): no answer to docker volume rm within 60s`,
    );
  }
  if (r.code !== 0 && !/no such volume/i.test(r.stderr)) {
    throw new Error(
      `EngineFiles: volume rm failed on engine ${target.engine} (volume ${target.volume}): ${firstLine(r)}`,
    );
  }
}
