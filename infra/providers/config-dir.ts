import * as pulumi from "@pulumi/pulumi";
import {
  configuredWeights,
  stateWithConfiguredWeights,
  weightCommands,
  weightOnlyChanges,
} from "./haproxy-runtime";

// A host directory of rendered config files that a container bind-mounts. Changing the files
// must not replace the container (uploads/envs would), so this resource writes them itself:
// stage → validate in the image that runs them → swap atomically → signal a graceful reload.
// @pulumi/command would be the usual tool; its plugin cannot be built from the module mirror,
// so this is a dynamic provider (it runs in the engine's Node process, no plugin binary).
//
// Dynamic providers are serialized into the state, so the implementation below is self-contained:
// it requires only Node built-ins, inside the methods.

export interface ValidateSpec {
  /** Image that runs the files; validation uses the same binary. */
  readonly image: string;
  /** Where the container mounts the directory; staged files are validated at that exact path. */
  readonly mountPath: string;
  /** Command run as the entrypoint's arguments, e.g. ["haproxy", "-c", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]. */
  readonly command: readonly string[];
}

export interface ReloadSpec {
  /** Container to signal after a change, if it is running. */
  readonly container: string;
  /** e.g. "SIGUSR2" for HAProxy's master-worker reload. */
  readonly signal: string;
  /** HAProxy only; paths relative to the directory. */
  readonly haproxy?: {
    /** Admin Runtime API socket: weight-only changes go through it with no reload at all. */
    readonly socket: string;
    /** The config whose weight-only changes the socket can apply. */
    readonly config: string;
    /** Saved with `show servers state` before a reload, so health state survives it. */
    readonly serverState: string;
    /** Master log line that confirms a reload (checked in `docker logs`). */
    readonly successLog: string;
  };
}

export interface ConfigDirInputs {
  readonly dir: string;
  /** File name → content. Plain, so `preview --diff` shows line diffs of each file. */
  readonly files: Readonly<Record<string, string>>;
  /** File name → content, kept secret in state and previews. */
  readonly secretFiles: Readonly<Record<string, string>>;
  /** Subdirectories the container writes to (sockets, state files); created mode 0777. */
  readonly writableDirs: readonly string[];
  /** File name (may be inside a writable dir) → content, written only when the file is missing. */
  readonly initialFiles: Readonly<Record<string, string>>;
  readonly validate?: ValidateSpec;
  readonly reload?: ReloadSpec;
  /** Not written anywhere: a human summary of what the files mean, shown by `preview --diff`. */
  readonly summary: string;
}

export interface ConfigDirOutputs extends ConfigDirInputs {
  /** What the last apply did, for logs and tests: "unchanged" | "written" | "written+reloaded". */
  readonly lastApply: string;
}

/** Internal. Exported for testing: the provider runs the same code against a temp dir. */
export const configDirProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: ConfigDirOutputs, news: ConfigDirInputs): Promise<pulumi.dynamic.DiffResult> {
    const changed = (a: unknown, b: unknown) => JSON.stringify(a ?? null) !== JSON.stringify(b ?? null);
    const keys = [
      "dir",
      "files",
      "secretFiles",
      "writableDirs",
      "initialFiles",
      "validate",
      "reload",
      "summary",
    ] as const;
    const diffs = keys.filter((k) => changed(olds[k], news[k]));
    return {
      changes: diffs.length > 0,
      replaces: diffs.includes("dir") ? ["dir"] : [],
      deleteBeforeReplace: false,
    };
  },

  async create(inputs: ConfigDirInputs): Promise<pulumi.dynamic.CreateResult> {
    const lastApply = await applyConfigDir(undefined, inputs);
    return { id: inputs.dir, outs: { ...inputs, lastApply } };
  },

  async update(
    _id: string,
    olds: ConfigDirOutputs,
    news: ConfigDirInputs,
  ): Promise<pulumi.dynamic.UpdateResult> {
    const lastApply = await applyConfigDir(olds, news);
    return { outs: { ...news, lastApply } };
  },

  async delete(_id: string, olds: ConfigDirOutputs): Promise<void> {
    const fs = require("node:fs") as typeof import("node:fs");
    // Only a directory this resource manages is removed (the marker guards against a mistyped hostDir).
    if (fs.existsSync(`${olds.dir}/.mediamtx-lb-managed`)) {
      fs.rmSync(olds.dir, { recursive: true, force: true });
    }
    // The stack's hostDir goes with its last config directory.
    try {
      fs.rmdirSync(require("node:path").dirname(olds.dir));
    } catch {
      // not empty (other instances) or already gone
    }
  },
};

/** Internal. Exported for testing. Returns what it did. Throws before touching `dir` when validation fails. */
export async function applyConfigDir(
  olds: ConfigDirInputs | undefined,
  news: ConfigDirInputs,
): Promise<string> {
  const fs = require("node:fs") as typeof import("node:fs");
  const path = require("node:path") as typeof import("node:path");
  const { execFileSync } = require("node:child_process") as typeof import("node:child_process");

  const all: Record<string, string> = { ...news.files, ...news.secretFiles };
  for (const name of Object.keys(all)) {
    if (name.includes("/") || name.startsWith(".")) throw new Error(`config file name not allowed: ${name}`);
  }
  const marker = path.join(news.dir, ".mediamtx-lb-managed");
  // Never write into (and later delete) a directory someone else owns: a mistyped hostDir such as /etc.
  if (fs.existsSync(news.dir) && !fs.existsSync(marker) && fs.readdirSync(news.dir).length > 0) {
    throw new Error(
      `${news.dir} exists, is not empty and was not created by mediamtx-lb; choose another hostDir or empty it`,
    );
  }
  const sameContent = Object.entries(all).every(([name, content]) => {
    const file = path.join(news.dir, name);
    return fs.existsSync(file) && fs.readFileSync(file, "utf8") === content;
  });
  const dirsReady = [...news.writableDirs, ...Object.keys(news.initialFiles)].every((d) =>
    fs.existsSync(path.join(news.dir, d)),
  );
  // "Unchanged" needs the files on disk *and* the last applied files to equal the new ones: files that
  // reached the disk without a confirmed reload (an interrupted update) are applied again.
  const appliedSame =
    olds !== undefined && JSON.stringify({ ...olds.files, ...olds.secretFiles }) === JSON.stringify(all);
  if (sameContent && dirsReady && appliedSame) return "unchanged";

  // Stage beside the live directory, validate there, and only then swap file by file (rename is atomic).
  fs.mkdirSync(path.dirname(news.dir), { recursive: true });
  const staging = `${news.dir}.staging`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  for (const [name, content] of Object.entries(all)) fs.writeFileSync(path.join(staging, name), content);
  for (const d of news.writableDirs) fs.mkdirSync(path.join(staging, d), { recursive: true });
  for (const [name, content] of Object.entries(news.initialFiles)) {
    const live = path.join(news.dir, name);
    fs.writeFileSync(path.join(staging, name), fs.existsSync(live) ? fs.readFileSync(live) : content);
  }

  // Modes do not depend on the deployer's umask: configs world-readable, secrets (the stats password)
  // readable only by the user the image runs as, which validation below also runs as.
  for (const name of Object.keys(news.files)) fs.chmodSync(path.join(staging, name), 0o644);
  const imageUser = news.validate ? imageUserIds(news.validate.image) : undefined;
  for (const name of Object.keys(news.secretFiles)) {
    const file = path.join(staging, name);
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
        { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 },
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
  fs.writeFileSync(marker, "files in this directory are written by mediamtx-lb\n");
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
  const previousConfig = (() => {
    const h = news.reload?.haproxy;
    const file = h ? path.join(news.dir, h.config) : "";
    return h && fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
  })();
  // What the swap replaces, so a failed reload can put it back: the disk then keeps matching what the
  // running proxy serves, and the next update tries again instead of finding "unchanged" files.
  const previousFiles = new Map<
    string,
    { content: Buffer; mode: number; uid: number; gid: number } | undefined
  >();
  for (const name of Object.keys({ ...all, ...olds?.files, ...olds?.secretFiles })) {
    const live = path.join(news.dir, name);
    const st = fs.existsSync(live) ? fs.statSync(live) : undefined;
    previousFiles.set(
      name,
      st && { content: fs.readFileSync(live), mode: st.mode & 0o777, uid: st.uid, gid: st.gid },
    );
  }
  for (const name of Object.keys(all)) {
    fs.renameSync(path.join(staging, name), path.join(news.dir, name));
  }
  for (const name of Object.keys({ ...olds?.files, ...olds?.secretFiles })) {
    if (!(name in all)) fs.rmSync(path.join(news.dir, name), { force: true });
  }
  fs.rmSync(staging, { recursive: true, force: true });
  const restorePrevious = () => {
    for (const [name, previous] of previousFiles) {
      const live = path.join(news.dir, name);
      if (previous === undefined) {
        fs.rmSync(live, { force: true });
        continue;
      }
      const tmp = `${live}.restore`;
      fs.writeFileSync(tmp, previous.content, { mode: previous.mode });
      fs.chownSync(tmp, previous.uid, previous.gid);
      fs.chmodSync(tmp, previous.mode);
      fs.renameSync(tmp, live);
    }
  };

  try {
    return await signalChange(olds, news, all, previousConfig);
  } catch (err) {
    restorePrevious();
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`${message}\n(the previous config files were put back in ${news.dir})`);
  }
}

/** After the swap: nothing, a Runtime API weight change, or a confirmed graceful reload. */
async function signalChange(
  olds: ConfigDirInputs | undefined,
  news: ConfigDirInputs,
  all: Readonly<Record<string, string>>,
  previousConfig: string | undefined,
): Promise<string> {
  const fs = require("node:fs") as typeof import("node:fs");
  const path = require("node:path") as typeof import("node:path");
  const { execFileSync } = require("node:child_process") as typeof import("node:child_process");
  if (news.reload && olds !== undefined) {
    const r = news.reload;
    let running = "false";
    try {
      running = execFileSync("docker", ["inspect", "-f", "{{.State.Running}}", r.container], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }).trim();
    } catch {
      // No container yet: it reads the new files when it starts.
    }
    if (running !== "true") return "written";
    const h = r.haproxy;
    if (h) {
      const socketPath = path.join(news.dir, h.socket);
      const otherFilesSame = Object.entries(all).every(
        ([name, content]) =>
          name === h.config ||
          ({ ...olds.files, ...olds.secretFiles } as Record<string, string>)[name] === content,
      );
      const weights =
        otherFilesSame && previousConfig !== undefined
          ? weightOnlyChanges(previousConfig, all[h.config] ?? "")
          : undefined;
      if (weights !== undefined && weights.length > 0) {
        // Weights only: the Runtime API changes them in place; no worker restarts, no connection moves.
        for (const cmd of weightCommands(weights)) {
          const answer = (await runtimeApi(socketPath, cmd)).trim();
          if (answer !== "") throw new Error(`HAProxy Runtime API refused "${cmd}": ${answer}`);
        }
        return "written+runtime-api";
      }
      // Keep health state across the reload (load-server-state-from-file), with the new config's weights.
      const state = await runtimeApi(socketPath, "show servers state");
      const configured = configuredWeights(all[h.config] ?? "");
      fs.writeFileSync(path.join(news.dir, h.serverState), stateWithConfiguredWeights(state, configured));
    }
    // Fractional seconds: a confirmation logged by an earlier reload in the same second must not count.
    const since = (Date.now() / 1000).toFixed(3);
    execFileSync("docker", ["kill", "--signal", r.signal, r.container], { stdio: "ignore" });
    if (h) await waitForLog(r.container, since, h.successLog);
    return "written+reloaded";
  }
  return "written";
}

/** The uid and gid an image runs as (its USER), read with `id` inside it. */
function imageUserIds(image: string): { uid: number; gid: number } {
  const { execFileSync } = require("node:child_process") as typeof import("node:child_process");
  const out = execFileSync(
    "docker",
    ["run", "--rm", "--network", "none", "--entrypoint", "sh", image, "-c", "id -u; id -g"],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 },
  );
  const [uid, gid] = out.trim().split("\n").map(Number);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new Error(`cannot tell which user ${image} runs as (id printed: ${out.trim()})`);
  }
  return { uid: uid as number, gid: gid as number };
}

async function runtimeApi(socketPath: string, command: string): Promise<string> {
  const net = require("node:net") as typeof import("node:net");
  return new Promise((resolve, reject) => {
    let out = "";
    const sock = net.connect(socketPath, () => sock.write(`${command}\n`));
    sock.setEncoding("utf8");
    sock.setTimeout(5000, () => sock.destroy(new Error(`no answer from ${socketPath}`)));
    sock.on("data", (d: string) => {
      out += d;
    });
    sock.on("end", () => resolve(out));
    sock.on("error", reject);
  });
}

/** Waits for the master to confirm the reload; a failed reload keeps the old workers and fails the update. */
async function waitForLog(container: string, sinceEpochSeconds: string, success: string): Promise<void> {
  const { spawnSync } = require("node:child_process") as typeof import("node:child_process");
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    // The master logs to stderr (-db); read both streams.
    const r = spawnSync("docker", ["logs", "--since", sinceEpochSeconds, container], {
      encoding: "utf8",
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

export class ConfigDir extends pulumi.dynamic.Resource {
  declare readonly dir: pulumi.Output<string>;
  declare readonly lastApply: pulumi.Output<string>;

  constructor(
    name: string,
    args: {
      dir: pulumi.Input<string>;
      files: pulumi.Input<Record<string, pulumi.Input<string>>>;
      secretFiles?: pulumi.Input<Record<string, pulumi.Input<string>>>;
      writableDirs?: string[];
      initialFiles?: Record<string, string>;
      summary?: string;
      validate?: ValidateSpec;
      reload?: ReloadSpec;
    },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(
      configDirProvider,
      name,
      {
        dir: args.dir,
        files: args.files,
        secretFiles: pulumi.secret(args.secretFiles ?? {}),
        writableDirs: args.writableDirs ?? [],
        initialFiles: args.initialFiles ?? {},
        summary: args.summary ?? "",
        validate: args.validate,
        reload: args.reload,
        lastApply: undefined,
      },
      { ...opts, additionalSecretOutputs: ["secretFiles"] },
    );
  }
}
