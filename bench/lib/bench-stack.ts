// Drives the bench stack through scripts/pulumi, like an operator, with everything that is not
// source kept out of the repository: its own state backend (MEDIAMTX_LB_STATE), its config in the
// work directory (`--config-file`), and its `stack init` run from a scratch project directory (with
// `--cwd`), because init writes Pulumi.<stack>.yaml into the current project.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { dump, load } from "js-yaml";
import { LABELS } from "../../infra/config/names";
import { type CommandResult, docker, run } from "./process";
import { BENCH_STACK, type BenchSpec, benchStackConfig } from "./stack-config";

export const REPO_ROOT = resolve(__dirname, "..", "..");
const PULUMI = resolve(REPO_ROOT, "scripts", "pulumi");

export interface WorkPaths {
  readonly root: string;
  /** Pulumi file backend of the bench (never the repository's .state). */
  readonly state: string;
  /** Scratch project (same project name) where `stack init` may write its salt file. */
  readonly project: string;
  /** The stack's config, passed with --config-file. */
  readonly configFile: string;
  /** The stack's hostDir (bind-mounted configs, HAProxy admin socket). */
  readonly host: string;
  readonly plain: string;
  readonly floor: string;
  readonly media: string;
  readonly logs: string;
}

export function workPaths(root: string): WorkPaths {
  return {
    root,
    state: `${root}/state`,
    project: `${root}/project`,
    configFile: `${root}/Pulumi.${BENCH_STACK}.yaml`,
    host: `${root}/host`,
    plain: `${root}/plain`,
    floor: `${root}/floor`,
    media: `${root}/media`,
    logs: `${root}/logs`,
  };
}

export interface TimedResult extends CommandResult {
  readonly durationMs: number;
}

function pulumiEnv(work: WorkPaths): NodeJS.ProcessEnv {
  return { ...process.env, MEDIAMTX_LB_STATE: work.state, PULUMI_CONFIG_PASSPHRASE: "" };
}

/** scripts/pulumi with the bench's state backend; wall-clock timed. */
export async function pulumi(
  work: WorkPaths,
  args: readonly string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<TimedResult> {
  const start = performance.now();
  const r = await run(PULUMI, args, { cwd: REPO_ROOT, env: { ...pulumiEnv(work), ...extraEnv } });
  return { ...r, durationMs: performance.now() - start };
}

export class BenchStack {
  private salt: string | undefined;
  private current: BenchSpec | undefined;

  /** `name`: another stack than the shared bench one (host-loss runs its own, in its own work paths). */
  constructor(
    readonly work: WorkPaths,
    readonly name: string = BENCH_STACK,
  ) {}

  get spec(): BenchSpec {
    if (!this.current) throw new Error("bench stack: no spec applied yet");
    return this.current;
  }

  /** Removes what an interrupted earlier run left: the stack (via Pulumi if its state is there), then by label. */
  async removeLeftovers(): Promise<void> {
    if (existsSync(this.work.state) && existsSync(this.work.configFile)) await this.destroyResources();
    await removeLabelled(this.name);
    for (const dir of [this.work.state, this.work.project, this.work.host])
      rmSync(dir, { recursive: true, force: true });
    rmSync(this.work.configFile, { force: true });
  }

  async init(): Promise<void> {
    mkdirSync(this.work.project, { recursive: true });
    mkdirSync(this.work.state, { recursive: true });
    writeFileSync(`${this.work.project}/Pulumi.yaml`, "name: mediamtx-lb\nruntime: nodejs\n");
    const r = await pulumi(this.work, ["--cwd", this.work.project, "stack", "init", this.name]);
    if (r.code !== 0) throw new Error(`stack init ${this.name}: ${r.stderr}${r.stdout}`);
    const written = load(readFileSync(`${this.work.project}/Pulumi.${this.name}.yaml`, "utf8")) as {
      encryptionsalt?: string;
    };
    this.salt = written.encryptionsalt;
  }

  /** Writes the config file for `spec` (the next up/preview applies it). */
  write(spec: BenchSpec): void {
    this.current = spec;
    this.writeConfig(benchStackConfig(spec, this.work.host));
  }

  /** Writes `keys` (`mediamtx-lb:` keys, short) as the stack's config file, for a stack that is no BenchSpec. */
  writeConfig(keys: Readonly<Record<string, unknown>>): void {
    const config: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(keys)) config[`mediamtx-lb:${k}`] = v;
    const doc: Record<string, unknown> = { config };
    if (this.salt) doc.encryptionsalt = this.salt;
    writeFileSync(this.work.configFile, dump(doc, { sortKeys: true }));
  }

  up(): Promise<TimedResult> {
    return pulumi(this.work, ["up", "--stack", this.name, "--yes", "--skip-preview", ...this.configArgs()]);
  }

  async mustUp(spec: BenchSpec): Promise<TimedResult> {
    this.write(spec);
    return this.mustUpWritten();
  }

  /** `pulumi up` of the config already written; throws with the output's tail when it fails. */
  async mustUpWritten(): Promise<TimedResult> {
    const r = await this.up();
    if (r.code !== 0)
      throw new Error(`pulumi up (${this.name}): ${r.stdout.slice(-3000)}${r.stderr.slice(-2000)}`);
    return r;
  }

  preview(extra: readonly string[] = [], extraEnv: NodeJS.ProcessEnv = {}): Promise<TimedResult> {
    return pulumi(this.work, ["preview", "--stack", this.name, ...this.configArgs(), ...extra], extraEnv);
  }

  private destroyResources(): Promise<TimedResult> {
    return pulumi(this.work, [
      "destroy",
      "--stack",
      this.name,
      "--yes",
      "--skip-preview",
      ...this.configArgs(),
    ]);
  }

  async destroy(): Promise<TimedResult> {
    const r = await this.destroyResources();
    if (r.code === 0)
      await pulumi(this.work, ["stack", "rm", this.name, "--yes", "--cwd", this.work.project]);
    await removeLabelled(this.name);
    return r;
  }

  configArgs(): string[] {
    return ["--config-file", this.work.configFile];
  }
}

/** Containers and networks labelled with this stack (the stack's own and the bench's plain proxy). */
async function removeLabelled(stack: string): Promise<void> {
  const filter = `label=${LABELS.stack}=${stack}`;
  const containers = (await docker(["ps", "-aq", "--filter", filter])).split("\n").filter(Boolean);
  if (containers.length > 0) await docker(["rm", "-f", ...containers]);
  const networks = (await docker(["network", "ls", "-q", "--filter", filter])).split("\n").filter(Boolean);
  if (networks.length > 0) await docker(["network", "rm", ...networks]);
}
