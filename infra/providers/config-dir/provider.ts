import * as pulumi from "@pulumi/pulumi";
import { allFiles, checkTarget, inspectLive, removeConfigDir, writeConfigFiles } from "./files";
import { carryOut, containerRunning } from "./haproxy";
import type { ConfigDirInputs, ConfigDirOutputs, ReloadSpec, ValidateSpec } from "./inputs";
import { planApply } from "./plan";

// A host directory of rendered config files that a container bind-mounts. Changing the files must not
// replace the container (uploads/envs would), so this resource writes them itself. @pulumi/command would
// be the usual tool; its plugin cannot be built from the module mirror, so this is a dynamic provider
// (it runs in the engine's Node process, no plugin binary).
//
// The thin shell: gather facts (checkTarget, inspectLive, containerRunning) → planApply decides →
// writeConfigFiles stages, validates and swaps → carryOut signals, and a failure puts the files back.
// Dynamic providers are serialized into the state, so everything the provider calls is self-contained:
// Node built-ins are required inside functions.

const provider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: ConfigDirOutputs, news: ConfigDirInputs): Promise<pulumi.dynamic.DiffResult> {
    const changed = (a: unknown, b: unknown) => JSON.stringify(a ?? null) !== JSON.stringify(b ?? null);
    const keys = [
      "dir",
      "engine",
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
    removeConfigDir(olds.dir);
  },
};

/**
 * Internal. Exported for testing. Applies `news` over the last applied `olds` (undefined on create) and
 * returns what it did (ConfigDirOutputs.lastApply). Throws before touching `dir` when validation fails.
 */
export async function applyConfigDir(
  olds: ConfigDirInputs | undefined,
  news: ConfigDirInputs,
): Promise<string> {
  checkTarget(news);
  const live = inspectLive(olds, news);
  const plan = planApply({
    old: olds && { files: allFiles(olds), reload: olds.reload },
    next: { files: allFiles(news), reload: news.reload },
    liveIsNext: live.next,
    liveIsOld: live.old,
    running:
      news.reload !== undefined && olds !== undefined && containerRunning(news.reload.container, news.engine),
  });
  if (plan.action === "unchanged") return "unchanged";
  return writeConfigFiles(olds, news, () => carryOut(plan, news));
}

export class ConfigDir extends pulumi.dynamic.Resource {
  declare readonly dir: pulumi.Output<string>;
  declare readonly lastApply: pulumi.Output<string>;

  constructor(
    name: string,
    args: {
      dir: pulumi.Input<string>;
      engine?: string;
      files: pulumi.Input<Record<string, pulumi.Input<string>>>;
      secretFiles?: Readonly<Record<string, pulumi.Input<string>>>;
      writableDirs?: string[];
      initialFiles?: Record<string, string>;
      summary?: string;
      validate?: ValidateSpec;
      reload?: ReloadSpec;
    },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(
      provider,
      name,
      {
        dir: args.dir,
        ...(args.engine === undefined ? {} : { engine: args.engine }),
        files: args.files,
        // Each file a secret of its own, not the map as one Output: a file not known yet at preview (a
        // certificate made during the `up`) leaves the others, secrets.cfg included, visible to the
        // policy pack instead of turning the whole map unknown.
        secretFiles: Object.fromEntries(
          Object.entries(args.secretFiles ?? {}).map(([name, content]) => [name, pulumi.secret(content)]),
        ),
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
