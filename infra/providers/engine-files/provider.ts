import * as pulumi from "@pulumi/pulumi";
import { checkReachable, copyIntoVolume, ensureVolume, removeVolume } from "./engine";
import type { EngineFilesInputs, EngineFilesOutputs } from "./inputs";
import { diffEngineFiles, fileNameProblems, planFiles } from "./plan";

// Config files in a named volume on a Docker engine that may be another host: the deployer's filesystem
// is not there to bind-mount (ConfigDir), so the files travel through the Docker API (`docker cp`).
// A changed file must not replace the container that mounts the volume (container `uploads` would):
// MediaMTX watches its config file and reloads in place. A dynamic provider, like ConfigDir: no plugin
// binary to build.
//
// The thin shell: plan (plan.ts) → check the engine answers → ensure the volume → write and remove
// through a helper container (engine.ts, tar.ts). Serialized into the state, so everything it calls is
// self-contained.

const provider: pulumi.dynamic.ResourceProvider = {
  // File names are refused at preview already; contents not known yet are left to the apply.
  async check(_olds: unknown, news: EngineFilesInputs): Promise<pulumi.dynamic.CheckResult> {
    const files = typeof news.files === "object" && news.files !== null ? news.files : {};
    const failures = fileNameProblems(files).map((reason) => ({ property: "files", reason }));
    return { inputs: news, failures };
  },

  async diff(
    _id: string,
    olds: EngineFilesOutputs,
    news: EngineFilesInputs,
  ): Promise<pulumi.dynamic.DiffResult> {
    const d = diffEngineFiles(olds, news);
    return { changes: d.changes, replaces: [...d.replaces], deleteBeforeReplace: d.deleteBeforeReplace };
  },

  async create(inputs: EngineFilesInputs): Promise<pulumi.dynamic.CreateResult> {
    const lastApply = await applyEngineFiles(undefined, inputs);
    return { id: `${inputs.engine}#${inputs.volume}`, outs: { ...inputs, lastApply } };
  },

  async update(
    _id: string,
    olds: EngineFilesOutputs,
    news: EngineFilesInputs,
  ): Promise<pulumi.dynamic.UpdateResult> {
    const lastApply = await applyEngineFiles(olds, news);
    return { outs: { ...news, lastApply } };
  },

  async delete(_id: string, olds: EngineFilesOutputs): Promise<void> {
    await deleteEngineFiles(olds);
  },
};

/**
 * Internal. Exported for testing. Applies `news` over the last applied `olds` (undefined on create) and
 * returns what it did (EngineFilesOutputs.lastApply). Only changed files are written; a volume that
 * went missing since (host rebuilt, volume removed by hand) is created again and gets every file.
 */
export async function applyEngineFiles(
  olds: EngineFilesInputs | undefined,
  news: EngineFilesInputs,
): Promise<string> {
  const problems = fileNameProblems(news.files);
  if (problems.length > 0) throw new Error(problems.join("\n"));
  await checkReachable(news);
  const created = await ensureVolume(news);
  const plan = planFiles(created ? undefined : olds?.files, news.files);
  if (plan.write.length > 0 || plan.remove.length > 0) {
    const write = Object.fromEntries(plan.write.map((name) => [name, news.files[name] ?? ""]));
    await copyIntoVolume(news, write, plan.remove);
  }
  if (olds === undefined) return "created";
  return plan.write.length > 0 || plan.remove.length > 0 ? "updated" : "unchanged";
}

/**
 * Internal. Exported for testing. Removes the volume. An engine that does not answer fails within about
 * a minute with "not reachable"; to drop a dead host from the stack, its resources leave the state
 * without a delete.
 */
export async function deleteEngineFiles(olds: Pick<EngineFilesInputs, "engine" | "volume">): Promise<void> {
  await removeVolume(olds);
}

export class EngineFiles extends pulumi.dynamic.Resource {
  declare readonly engine: pulumi.Output<string>;
  declare readonly volume: pulumi.Output<string>;
  declare readonly image: pulumi.Output<string>;
  declare readonly files: pulumi.Output<Record<string, string>>;
  declare readonly labels: pulumi.Output<Record<string, string>>;
  declare readonly lastApply: pulumi.Output<string>;

  constructor(name: string, args: EngineFilesArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        engine: args.engine,
        volume: args.volume,
        image: args.image,
        files: args.files,
        labels: args.labels ?? {},
        lastApply: undefined,
      },
      opts,
    );
  }
}

export interface EngineFilesArgs {
  /** Docker endpoint for the CLI's -H: unix:///var/run/docker.sock, tcp://host:2376, ssh://user@host. */
  readonly engine: pulumi.Input<string>;
  /** Named volume on that engine; created if missing, removed on delete. */
  readonly volume: pulumi.Input<string>;
  /** An image present on that engine (the MediaMTX image does: FROM scratch is fine). */
  readonly image: pulumi.Input<string>;
  /** Plain file name → content. */
  readonly files: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Docker labels on the volume and the helper containers. */
  readonly labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}
