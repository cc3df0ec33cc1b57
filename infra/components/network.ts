import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { Model } from "../config/model";

export interface StackNetworkArgs {
  readonly model: Model;
  /** With `hosts`: the Docker provider of the host this network is on (each host has its own). */
  readonly provider?: docker.Provider;
}

/** The stack's bridge network with a fixed subnet: instances get static addresses that HAProxy (on the host network) dials. */
export class StackNetwork extends pulumi.ComponentResource {
  readonly name: pulumi.Output<string>;

  constructor(name: string, args: StackNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mediamtx-lb:index:StackNetwork", name, {}, opts);
    const { model } = args;
    const network = new docker.Network(
      `${name}-network`,
      {
        name: model.network.name,
        driver: "bridge",
        ipamConfigs: [{ subnet: model.network.subnet, gateway: model.network.gateway }],
        labels: [...model.network.labels],
      },
      { parent: this, ...(args.provider === undefined ? {} : { provider: args.provider }) },
    );
    this.name = network.name;
    this.registerOutputs({ name: this.name });
  }
}
