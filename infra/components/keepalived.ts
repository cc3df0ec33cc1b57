import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { GatewayModel, Model } from "../config/model";
import { ConfigDir } from "../providers/config-dir";
import { KEEPALIVED_CONFIG, KEEPALIVED_DIR } from "../render/paths";

/** The config file's name in the mounted directory. */
const CONFIG_FILE = KEEPALIVED_CONFIG.slice(KEEPALIVED_DIR.length + 1);

export interface KeepalivedArgs {
  readonly model: Model;
  /** The gateway this keepalived speaks for (model.gateways[], with `keepalived` names). */
  readonly gateway: GatewayModel;
  /** keepalived.conf: renderKeepalivedConfig(keepalivedSpec(model, gateway)). */
  readonly config: string;
  readonly image: pulumi.Resource;
  /** The gateway's host: its Docker provider and engine (a pair always has `hosts`). */
  readonly host: { readonly provider: docker.Provider; readonly engine: string };
  /** Its HAProxy: started first, so the check finds it before this node asks for the address. */
  readonly haproxy: pulumi.Resource;
  /** The previous gateway's keepalived: replaced containers go one at a time, so one holds the address. */
  readonly after?: Keepalived;
}

/**
 * keepalived beside one gateway of a pair: VRRP with the other gateways' keepalived (unicast), holding
 * the floating address on this host while it is master. It uses the host network (the address goes on
 * the host's interface) with the capabilities VRRP needs: NET_ADMIN to add the address, NET_RAW for
 * VRRP packets and gratuitous ARP, NET_BROADCAST. Its config is a bind-mounted directory like the
 * gateway's: a change is written and keepalived reloads it on SIGHUP, without replacing the container.
 */
export class Keepalived extends pulumi.ComponentResource {
  readonly containerName: pulumi.Output<string>;
  readonly containerId: pulumi.Output<string>;
  /** The next gateway's keepalived waits for it (KeepalivedArgs `after`). */
  readonly container: pulumi.Resource;

  constructor(name: string, args: KeepalivedArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mediamtx-lb:index:Keepalived", name, {}, opts);
    const names = args.gateway.keepalived;
    if (names === undefined)
      throw new Error(`internal error: gateway ${args.gateway.name} has no keepalived`);

    const configDir = new ConfigDir(
      `${name}-config`,
      {
        dir: names.configDir,
        engine: args.host.engine,
        files: { [CONFIG_FILE]: args.config },
        reload: { container: names.containerName, signal: "SIGHUP" },
      },
      { parent: this, dependsOn: [args.image] },
    );

    const container = new docker.Container(
      `${name}-container`,
      {
        name: names.containerName,
        image: args.model.images.keepalived,
        networkMode: "host",
        capabilities: { adds: ["NET_ADMIN", "NET_BROADCAST", "NET_RAW"] },
        volumes: [{ hostPath: names.configDir, containerPath: KEEPALIVED_DIR, readOnly: true }],
        restart: "unless-stopped",
        mustRun: true,
        // SIGTERM: keepalived removes the address and sends a priority-0 advert, so the peer takes over at once.
        destroyGraceSeconds: 10,
        logOpts: { "max-size": "10m", "max-file": "3" },
        labels: [...names.labels],
      },
      {
        parent: this,
        provider: args.host.provider,
        dependsOn: [
          configDir,
          args.image,
          args.haproxy,
          ...(args.after === undefined ? [] : [args.after.container]),
        ],
        deleteBeforeReplace: true,
      },
    );

    this.container = container;
    this.containerName = container.name;
    this.containerId = container.id;
    this.registerOutputs({ containerName: this.containerName, containerId: this.containerId });
  }
}
