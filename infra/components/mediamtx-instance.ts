import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { InstanceModel, Model } from "../config/model";
import { LABELS } from "../config/names";
import { ConfigDir } from "../providers/config-dir";
import { EngineFiles } from "../providers/engine-files";
import { MEDIAMTX_CONFIG, MEDIAMTX_DIR } from "../render/paths";

export interface MediamtxInstanceArgs {
  readonly model: Model;
  readonly instance: InstanceModel;
  /** Rendered mediamtx.yml for this instance. */
  readonly config: string;
  readonly networkName: pulumi.Input<string>;
  /** The image resource, so the container waits for a pull; the container itself takes the pinned name. */
  readonly image: pulumi.Resource;
  /**
   * With `hosts`: the Docker provider of the instance's host and its engine endpoint. The config then
   * travels through that engine into a named volume (EngineFiles): the host's filesystem is not this
   * machine's. Moving an instance to another host changes its provider: Pulumi replaces it, nothing else.
   */
  readonly host?: { readonly provider: docker.Provider; readonly engine: string };
}

/**
 * One MediaMTX server. Nothing is published to the host: HAProxy reaches it at its static address,
 * and the control API answers only loopback and the stack subnet (see templates/mediamtx.yml.mustache).
 */
export class MediamtxInstance extends pulumi.ComponentResource {
  readonly containerName: pulumi.Output<string>;
  readonly containerId: pulumi.Output<string>;

  constructor(name: string, args: MediamtxInstanceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mediamtx-lb:index:MediamtxInstance", name, {}, opts);
    const { model, instance } = args;

    // MediaMTX watches its config file and reloads it in place, so a changed file needs no restart.
    const files = { "mediamtx.yml": args.config };
    const host = args.host;
    const onHost = host === undefined ? {} : { provider: host.provider };
    const config =
      host === undefined
        ? new ConfigDir(`${name}-config`, { dir: instance.configDir, files }, { parent: this })
        : new EngineFiles(
            `${name}-config`,
            {
              engine: host.engine,
              volume: `${instance.containerName}-config`,
              image: model.images.mediamtx,
              files,
              // Not the instance's own labels: a leftover helper container must not look like an
              // instance to anything that selects containers by role or instance.
              labels: {
                [LABELS.project]: "mediamtx-lb",
                [LABELS.stack]: model.stack,
                [LABELS.host]: instance.host ?? "",
                [LABELS.configOf]: instance.name,
              },
            },
            // On the host's provider as well: `pulumi state delete --target-dependents <provider>`
            // (taking a dead host out of the stack, README) then forgets this volume with the host's
            // containers, instead of a later `up` trying to delete it on an engine that is gone.
            { parent: this, dependsOn: [args.image, host.provider] },
          );
    const source = host === undefined ? instance.configDir : `${instance.containerName}-config`;

    const container = new docker.Container(
      `${name}-container`,
      {
        name: instance.containerName,
        image: model.images.mediamtx,
        command: [MEDIAMTX_CONFIG],
        ...(host === undefined
          ? { volumes: [{ hostPath: source, containerPath: MEDIAMTX_DIR, readOnly: true }] }
          : {
              volumes: [{ volumeName: source, containerPath: MEDIAMTX_DIR, readOnly: true }],
              // The private path and the WebRTC UDP port (config/hosts.ts): nothing else is published.
              ports: instance.published.map((p) => ({
                ip: p.ip,
                external: p.external,
                internal: p.internal,
                protocol: p.protocol,
              })),
            }),
        networksAdvanced: [
          { name: args.networkName, ipv4Address: instance.address, aliases: [instance.name] },
        ],
        restart: "unless-stopped",
        mustRun: true,
        destroyGraceSeconds: 10,
        logOpts: { "max-size": "10m", "max-file": "3" },
        labels: [...instance.labels],
      },
      { parent: this, dependsOn: [config, args.image], deleteBeforeReplace: true, ...onHost },
    );

    this.containerName = container.name;
    this.containerId = container.id;
    this.registerOutputs({ containerName: this.containerName, containerId: this.containerId });
  }
}
