import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { InstanceModel, Model } from "../config/model";
import { ConfigDir } from "../providers/config-dir";
import { MEDIAMTX_CONFIG, MEDIAMTX_DIR } from "../render/paths";

export interface MediamtxInstanceArgs {
  readonly model: Model;
  readonly instance: InstanceModel;
  /** Rendered mediamtx.yml for this instance. */
  readonly config: string;
  readonly networkName: pulumi.Input<string>;
  /** The image resource, so the container waits for a pull; the container itself takes the pinned name. */
  readonly image: pulumi.Resource;
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
    const configDir = new ConfigDir(
      `${name}-config`,
      { dir: instance.configDir, files: { "mediamtx.yml": args.config } },
      { parent: this },
    );

    const container = new docker.Container(
      `${name}-container`,
      {
        name: instance.containerName,
        image: model.images.mediamtx,
        command: [MEDIAMTX_CONFIG],
        volumes: [{ hostPath: instance.configDir, containerPath: MEDIAMTX_DIR, readOnly: true }],
        networksAdvanced: [
          { name: args.networkName, ipv4Address: instance.address, aliases: [instance.name] },
        ],
        restart: "unless-stopped",
        mustRun: true,
        destroyGraceSeconds: 10,
        logOpts: { "max-size": "10m", "max-file": "3" },
        labels: [...instance.labels],
      },
      { parent: this, dependsOn: [configDir, args.image], deleteBeforeReplace: true },
    );

    this.containerName = container.name;
    this.containerId = container.id;
    this.registerOutputs({ containerName: this.containerName, containerId: this.containerId });
  }
}
