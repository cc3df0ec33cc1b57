import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { dump } from "js-yaml";
import type { Model } from "../../infra/config/model";
import { LABELS } from "../../infra/config/names";
import { validateConfig } from "../../infra/config/validate";

const run = promisify(execFile);
export const REPO_ROOT = resolve(__dirname, "..", "..");
const PULUMI = resolve(REPO_ROOT, "scripts", "pulumi");
export const TEST_STATS_PASSWORD = "e2e-stats-password";

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs scripts/pulumi; never throws on a non-zero exit (tests assert on it). */
export async function pulumi(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await run(PULUMI, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, PULUMI_CONFIG_PASSPHRASE: "", ...env },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 15 * 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

export async function docker(args: string[]): Promise<string> {
  const { stdout } = await run("docker", args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** Removes containers and networks of e2e stacks that an interrupted earlier run left behind (by label). */
export async function removeLeftoverE2eObjects(prefix = "e2e-"): Promise<void> {
  const label = LABELS.stack;
  const containers = (
    await docker(["ps", "-a", "--filter", `label=${label}`, "--format", `{{.ID}} {{.Label "${label}"}}`])
  )
    .split("\n")
    .filter((l) => l.split(" ")[1]?.startsWith(prefix))
    .map((l) => l.split(" ")[0] ?? "");
  if (containers.length > 0) await docker(["rm", "-f", ...containers]);
  const networks = (
    await docker(["network", "ls", "--filter", `label=${label}`, "--format", `{{.ID}} {{.Label "${label}"}}`])
  )
    .split("\n")
    .filter((l) => l.split(" ")[1]?.startsWith(prefix))
    .map((l) => l.split(" ")[0] ?? "");
  if (networks.length > 0) await docker(["network", "rm", ...networks]);
}

/**
 * A throw-away stack: unique name, its own Pulumi.<name>.yaml (git-ignored) and the repo's state dir.
 * `config` holds `mediamtx-lb:` keys without the prefix.
 */
export class TestStack {
  readonly name: string;
  private readonly file: string;

  constructor(
    label: string,
    private config: Record<string, unknown>,
  ) {
    this.name = `e2e-${label}-${randomBytes(3).toString("hex")}`;
    this.file = resolve(REPO_ROOT, `Pulumi.${this.name}.yaml`);
    this.writeConfig(config);
  }

  writeConfig(config: Record<string, unknown>): void {
    this.config = config;
    const entries: Record<string, unknown> = { "mediamtx-lb:statsPassword": TEST_STATS_PASSWORD };
    for (const [k, v] of Object.entries(config)) entries[`mediamtx-lb:${k}`] = v;
    writeFileSync(this.file, dump({ config: entries }, { sortKeys: true }));
  }

  get hostDir(): string {
    return String(this.config.hostDir);
  }

  /** The stack's model as the program derives it from the current config: container names, proxies, URLs. */
  get model(): Model {
    return validateConfig(this.config, { stack: this.name, homeDir: homedir(), statsPasswordSet: true });
  }

  async init(): Promise<void> {
    const r = await pulumi(["stack", "init", this.name]);
    if (r.code !== 0) throw new Error(`stack init ${this.name}: ${r.stderr}${r.stdout}`);
  }

  /**
   * `pulumi config set [--secret] --path <path> <value>` on this stack (after init, which writes the
   * stack's encryption salt). A later writeConfig rewrites the file and drops what this set.
   */
  async setConfig(path: string, value: string, opts: { readonly secret?: boolean } = {}): Promise<void> {
    const r = await pulumi([
      "config",
      "set",
      "--stack",
      this.name,
      ...(opts.secret ? ["--secret"] : []),
      "--path",
      `mediamtx-lb:${path}`,
      "--",
      value,
    ]);
    if (r.code !== 0) throw new Error(`config set ${path}: ${r.stderr}${r.stdout}`);
  }

  up(extra: string[] = []): Promise<CommandResult> {
    return pulumi(["up", "--stack", this.name, "--yes", "--skip-preview", ...extra]);
  }

  preview(extra: string[] = []): Promise<CommandResult> {
    return pulumi(["preview", "--stack", this.name, ...extra]);
  }

  async outputs(): Promise<Record<string, unknown>> {
    const r = await pulumi(["stack", "output", "--stack", this.name, "--json", "--show-secrets"]);
    if (r.code !== 0) throw new Error(`stack output: ${r.stderr}`);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  }

  async destroy(): Promise<CommandResult> {
    const r = await pulumi(["destroy", "--stack", this.name, "--yes", "--skip-preview"]);
    if (r.code === 0) await pulumi(["stack", "rm", this.name, "--yes"]);
    rmSync(this.file, { force: true });
    return r;
  }
}
