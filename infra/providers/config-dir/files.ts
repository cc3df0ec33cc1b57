// The generic half of ConfigDir: a host directory of config files that a container bind-mounts, written
// so the container never sees a half-done change: stage beside the live directory → validate the staged
// files in the image that runs them → swap file by file (rename is atomic) → act (signal the container)
// → on failure put the previous files back. Knows nothing about HAProxy; what "act" means is the
// caller's (haproxy.ts).
// Self-contained: the dynamic provider is serialized into the state, so Node built-ins are required
// inside each function and nothing here refers to module-level values but functions.

import { dockerEnv } from "./haproxy";
import type { ConfigDirInputs } from "./inputs";

/** The file that marks a directory as written by mediamtx-lb; nothing else is ever written into or removed. */
function markerPath(dir: string): string {
  const path = require("node:path") as typeof import("node:path");
  return path.join(dir, ".mediamtx-lb-managed");
}

/** Plain and secret files together: name → content. */
export function allFiles(inputs: ConfigDirInputs): Record<string, string> {
  return { ...inputs.files, ...inputs.secretFiles };
}

/**
 * Throws, before anything is written, for a file name that is not a plain name and for a directory that
 * holds files mediamtx-lb did not write (a mistyped hostDir such as /etc).
 */
export function checkTarget(news: ConfigDirInputs): void {
  const fs = require("node:fs") as typeof import("node:fs");
  for (const name of Object.keys(allFiles(news))) {
    // A plain name, or one subdirectory deep (tls/server.pem): never absolute, `..` or hidden, so every
    // file stays inside the directory and away from the marker.
    const parts = name.split("/");
    if (parts.length > 2 || parts.some((part) => part === "" || part.startsWith("."))) {
      throw new Error(`config file name not allowed: ${name}`);
    }
  }
  if (
    fs.existsSync(news.dir) &&
    !fs.existsSync(markerPath(news.dir)) &&
    fs.readdirSync(news.dir).length > 0
  ) {
    throw new Error(
      `${news.dir} exists, is not empty and was not created by mediamtx-lb; choose another hostDir or empty it`,
    );
  }
}

/**
 * What the directory holds now: the new inputs' files, writable dirs and initial files (`next`), and
 * the last applied inputs' files (`old`, false on create).
 */
export function inspectLive(
  olds: ConfigDirInputs | undefined,
  news: ConfigDirInputs,
): { readonly next: boolean; readonly old: boolean } {
  const fs = require("node:fs") as typeof import("node:fs");
  const path = require("node:path") as typeof import("node:path");
  const holds = (files: Readonly<Record<string, string>>) =>
    Object.entries(files).every(([name, content]) => {
      const file = path.join(news.dir, name);
      return fs.existsSync(file) && fs.readFileSync(file, "utf8") === content;
    });
  const scaffolding = [...news.writableDirs, ...Object.keys(news.initialFiles)].every((p) =>
    fs.existsSync(path.join(news.dir, p)),
  );
  return {
    next: holds(allFiles(news)) && scaffolding,
    old: olds !== undefined && holds(allFiles(olds)),
  };
}

/**
 * Stages, validates and swaps in `news`' files, removes the files only `olds` had, then runs `act`.
 * Throws before touching the directory when validation fails; when `act` throws, puts the previous files
 * back (content, mode, owner) so the disk keeps matching what the running container serves, and the next
 * update tries again instead of finding "unchanged" files.
 */
export async function writeConfigFiles<T>(
  olds: ConfigDirInputs | undefined,
  news: ConfigDirInputs,
  act: () => Promise<T>,
): Promise<T> {
  const fs = require("node:fs") as typeof import("node:fs");
  const path = require("node:path") as typeof import("node:path");
  const { execFileSync } = require("node:child_process") as typeof import("node:child_process");
  const all = allFiles(news);
  const stale = olds === undefined ? [] : Object.keys(allFiles(olds)).filter((name) => !(name in all));

  fs.mkdirSync(path.dirname(news.dir), { recursive: true });
  const staging = `${news.dir}.staging`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  // Subdirectories of files (tls/): world-searchable, so the image's user reaches the files in them.
  const subdirs = [...new Set(Object.keys(all).map((name) => path.dirname(name)))].filter((d) => d !== ".");
  for (const d of subdirs) {
    fs.mkdirSync(path.join(staging, d), { recursive: true });
    fs.chmodSync(path.join(staging, d), 0o755);
  }
  // Secret files are created 0600, never briefly world-readable (chowned to the image's user below).
  for (const [name, content] of Object.entries(all))
    fs.writeFileSync(path.join(staging, name), content, { mode: name in news.secretFiles ? 0o600 : 0o644 });
  for (const d of news.writableDirs) fs.mkdirSync(path.join(staging, d), { recursive: true });
  for (const [name, content] of Object.entries(news.initialFiles)) {
    const live = path.join(news.dir, name);
    fs.writeFileSync(path.join(staging, name), fs.existsSync(live) ? fs.readFileSync(live) : content);
  }

  // Modes do not depend on the deployer's umask: configs world-readable, secrets (the stats password)
  // readable only by the user the image runs as, which validation below also runs as.
  for (const name of Object.keys(news.files)) fs.chmodSync(path.join(staging, name), 0o644);
  const imageUser = news.validate ? imageUserIds(news.validate.image, news.engine) : undefined;
  for (const name of Object.keys(news.secretFiles)) {
    const file = path.join(staging, name);
    // No image to take the user from (tests that drive ConfigDir without one): readable as before.
    if (imageUser === undefined) {
      fs.chmodSync(file, 0o644);
      continue;
    }
    fs.chownSync(file, imageUser.uid, imageUser.gid);
    fs.chmodSync(file, 0o600);
  }

  if (news.validate) {
    const v = news.validate;
    try {
      execFileSync(
        "docker",
        ["run", "--rm", "--network", "none", "-v", `${staging}:${v.mountPath}:ro`, v.image, ...v.command],
        { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000, env: dockerEnv(news.engine) },
      );
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      const output = `${e.stdout ?? ""}${e.stderr ?? ""}`.trim() || e.message;
      fs.rmSync(staging, { recursive: true, force: true });
      throw new Error(
        `${v.command.join(" ")} rejected the new config; the running one is untouched:\n${output}`,
      );
    }
  }

  fs.mkdirSync(news.dir, { recursive: true });
  fs.writeFileSync(markerPath(news.dir), "files in this directory are written by mediamtx-lb\n");
  for (const d of news.writableDirs) {
    fs.mkdirSync(path.join(news.dir, d), { recursive: true });
    // The container user (haproxy) writes sockets and state here.
    fs.chmodSync(path.join(news.dir, d), 0o777);
  }
  for (const [name, content] of Object.entries(news.initialFiles)) {
    const live = path.join(news.dir, name);
    if (!fs.existsSync(live)) {
      fs.writeFileSync(live, content);
      fs.chmodSync(live, 0o666);
    }
  }
  // What the swap replaces or removes, so a failed `act` can put it back.
  const previous = new Map<string, { content: Buffer; mode: number; uid: number; gid: number } | undefined>();
  for (const name of [...Object.keys(all), ...stale]) {
    const live = path.join(news.dir, name);
    const st = fs.existsSync(live) ? fs.statSync(live) : undefined;
    previous.set(
      name,
      st && { content: fs.readFileSync(live), mode: st.mode & 0o777, uid: st.uid, gid: st.gid },
    );
  }
  for (const d of subdirs) {
    fs.mkdirSync(path.join(news.dir, d), { recursive: true });
    fs.chmodSync(path.join(news.dir, d), 0o755);
  }
  for (const name of Object.keys(all)) fs.renameSync(path.join(staging, name), path.join(news.dir, name));
  for (const name of stale) fs.rmSync(path.join(news.dir, name), { force: true });
  fs.rmSync(staging, { recursive: true, force: true });

  try {
    return await act();
  } catch (err) {
    for (const [name, before] of previous) {
      const live = path.join(news.dir, name);
      if (before === undefined) {
        fs.rmSync(live, { force: true });
        continue;
      }
      const tmp = `${live}.restore`;
      fs.writeFileSync(tmp, before.content, { mode: before.mode });
      fs.chownSync(tmp, before.uid, before.gid);
      fs.chmodSync(tmp, before.mode);
      fs.renameSync(tmp, live);
    }
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`${message}\n(the previous config files were put back in ${news.dir})`);
  }
}

/** Removes a directory this resource wrote (marker present), and the stack's hostDir once it is empty. */
export function removeConfigDir(dir: string): void {
  const fs = require("node:fs") as typeof import("node:fs");
  const path = require("node:path") as typeof import("node:path");
  if (fs.existsSync(markerPath(dir))) fs.rmSync(dir, { recursive: true, force: true });
  try {
    fs.rmdirSync(path.dirname(dir));
  } catch {
    // not empty (other instances) or already gone
  }
}

/** The uid and gid an image runs as (its USER), read with `id` inside it. */
function imageUserIds(image: string, engine: string | undefined): { uid: number; gid: number } {
  const { execFileSync } = require("node:child_process") as typeof import("node:child_process");
  const out = execFileSync(
    "docker",
    ["run", "--rm", "--network", "none", "--entrypoint", "sh", image, "-c", "id -u; id -g"],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000, env: dockerEnv(engine) },
  );
  const [uid, gid] = out.trim().split("\n").map(Number);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new Error(`cannot tell which user ${image} runs as (id printed: ${out.trim()})`);
  }
  return { uid: uid as number, gid: gid as number };
}
