import * as pulumi from "@pulumi/pulumi";
import { weightCommands, weightOnlyChanges } from "./haproxy-runtime";

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
  const sameContent = Object.entries(all).every(([name, content]) => {
    const file = path.join(news.dir, name);
    return fs.existsSync(file) && fs.readFileSync(file, "utf8") === content;
  });
  const dirsReady = [...news.writableDirs, ...Object.keys(news.initialFiles)].every((d) =>
    fs.existsSync(path.join(news.dir, d)),
  );
  if (sameContent && dirsReady && olds !== undefined) return "unchanged";

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

  if (news.validate) {
    const v = news.validate;
    try {
      execFileSync(
        "docker",
        [
          "run",
          "--rm",
          "--network",
          "none",
          "--user",
          "root",
          "-v",
          `${staging}:${v.mountPath}:ro`,
          v.image,
          ...v.command,
        ],
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
  fs.writeFileSync(
    path.join(news.dir, ".mediamtx-lb-managed"),
    "files in this directory are written by mediamtx-lb\n",
  );
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
  for (const name of Object.keys(all)) {
    fs.renameSync(path.join(staging, name), path.join(news.dir, name));
  }
  for (const name of Object.keys({ ...olds?.files, ...olds?.secretFiles })) {
    if (!(name in all)) fs.rmSync(path.join(news.dir, name), { force: true });
  }
  fs.rmSync(staging, { recursive: true, force: true });

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
      // Keep health state across the reload (load-server-state-from-file).
      const state = await runtimeApi(socketPath, "show servers state");
      fs.writeFileSync(path.join(news.dir, h.serverState), state);
    }
    const since = Math.floor(Date.now() / 1000) - 1;
    execFileSync("docker", ["kill", "--signal", r.signal, r.container], { stdio: "ignore" });
    if (h) await waitForLog(r.container, since, h.successLog);
    return "written+reloaded";
  }
  return "written";
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
async function waitForLog(container: string, sinceEpochSeconds: number, success: string): Promise<void> {
  const { spawnSync } = require("node:child_process") as typeof import("node:child_process");
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    // The master logs to stderr (-db); read both streams.
    const r = spawnSync("docker", ["logs", "--since", String(sinceEpochSeconds), container], {
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
