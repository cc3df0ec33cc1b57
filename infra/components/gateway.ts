import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { GatewayModel, Model } from "../config/model";
import { ConfigDir, type ReloadSpec, type ServerWeight } from "../providers/config-dir";
import { haproxyConfigFingerprint, haproxyWeights, INITIAL_SERVER_STATE } from "../render/haproxy";
import {
  ADMIN_SOCKET,
  CREDENTIALS_LUA,
  HAPROXY_CONFIG,
  HAPROXY_DIR,
  HAPROXY_SECRETS,
  inHaproxyDir,
  SERVER_STATE_FILE,
  TLS_CA_FILE,
  TLS_CERT_FILE,
} from "../render/paths";

export interface GatewayArgs {
  readonly model: Model;
  /** Which gateway (model.gateways): its container, config directory and labels. */
  readonly gateway: GatewayModel;
  /** Files by name in HAPROXY_DIR: renderGatewayFiles(model) (infra/render/gateway-files.ts). */
  readonly files: Readonly<Record<string, string>>;
  /** Shown by `preview --diff` beside the files (see render/routing-table.ts). */
  readonly routingTable: string;
  /** secrets.cfg (the stats userlist). */
  readonly secretsConfig: pulumi.Input<string>;
  /**
   * credentials.lua (publish/read credentials as salted hashes), only when the stack has `publishers` or
   * `readers`: haproxy.cfg lua-loads it exactly then (infra/render/credentials.ts).
   */
  readonly credentialsLua?: pulumi.Input<string>;
  /**
   * With TLS: HAProxy's crt file (certificate chain, then key; a secret) and the CA clients should trust
   * (public, so it stays a plain file that status and smoke checks read as the deploying user).
   */
  readonly tls?: { readonly serverPem: pulumi.Input<string>; readonly caPem?: pulumi.Input<string> };
  readonly image: pulumi.Resource;
  /** Started first so the first health checks find them. */
  readonly instances: readonly pulumi.Resource[];
  /**
   * The gateway before this one (a pair): its config directory applies first, so a routing change
   * validates and reloads one gateway at a time and the other keeps serving meanwhile.
   */
  readonly after?: Gateway;
  /**
   * The previous gateway's smoke checks: this container is replaced only once that gateway serves again,
   * so a change that replaces containers (deleteBeforeReplace) never stops both at once.
   */
  readonly serving?: pulumi.Resource;
  /**
   * With `hosts`: the gateway host's Docker provider and engine. Its config directory is still a
   * directory on this machine, bind-mounted: validation keeps the gateway's host an engine here.
   */
  readonly host?: { readonly provider: docker.Provider; readonly engine: string };
}

/**
 * How ConfigDir signals HAProxy in `container` (master-worker: SIGUSR2 reloads, the master logs the
 * confirmation) and where the gateway directory holds the socket, config and server state. Also used by
 * the tests that drive ConfigDir directly.
 */
export function haproxyReloadSpec(
  container: string,
  weights: readonly ServerWeight[],
  configFingerprint: string,
): ReloadSpec {
  return {
    container,
    signal: "SIGUSR2",
    haproxy: {
      socket: inHaproxyDir(ADMIN_SOCKET),
      config: inHaproxyDir(HAPROXY_CONFIG),
      serverState: inHaproxyDir(SERVER_STATE_FILE),
      successLog: "Loading success.",
      weights,
      configFingerprint,
    },
  };
}

/** Arguments after the image's entrypoint, which adds -W -db (master-worker in the foreground). */
export const HAPROXY_ARGS = ["haproxy", "-f", HAPROXY_CONFIG, "-f", HAPROXY_SECRETS];

/**
 * HAProxy in front of the instances. It uses the host network: frontends bind the host ports directly
 * (so adding an instance's ICE-TCP frontend changes no published ports and never replaces this container)
 * and it dials instances at their static addresses. Its config lives in a bind-mounted directory that
 * ConfigDir validates with `haproxy -c` in this same image and reloads with SIGUSR2.
 */
export class Gateway extends pulumi.ComponentResource {
  readonly containerName: pulumi.Output<string>;
  readonly containerId: pulumi.Output<string>;
  /** The config directory; the log sink waits for it, since it creates the run directory the sink binds in. */
  readonly configDir: pulumi.Resource;

  constructor(name: string, args: GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mediamtx-lb:index:Gateway", name, {}, opts);
    const { model } = args;
    const { containerName, configDir: hostConfigDir, labels } = args.gateway;

    const configDir = new ConfigDir(
      `${name}-config`,
      {
        dir: hostConfigDir,
        ...(args.host === undefined ? {} : { engine: args.host.engine }),
        // A new certificate is a file change like any other: validated with `haproxy -c`, then a
        // seamless reload. The container only mounts the directory, so TLS never replaces it.
        files: {
          ...args.files,
          ...(args.tls?.caPem === undefined ? {} : { [inHaproxyDir(TLS_CA_FILE)]: args.tls.caPem }),
        },
        secretFiles: {
          [inHaproxyDir(HAPROXY_SECRETS)]: args.secretsConfig,
          ...(args.credentialsLua === undefined
            ? {}
            : { [inHaproxyDir(CREDENTIALS_LUA)]: args.credentialsLua }),
          ...(args.tls === undefined ? {} : { [inHaproxyDir(TLS_CERT_FILE)]: args.tls.serverPem }),
        },
        summary: args.routingTable,
        writableDirs: ["run"],
        initialFiles: { [inHaproxyDir(SERVER_STATE_FILE)]: INITIAL_SERVER_STATE },
        validate: { image: model.images.haproxy, mountPath: HAPROXY_DIR, command: [...HAPROXY_ARGS, "-c"] },
        // Weights as data and the rest of haproxy.cfg as a digest, so ConfigDir's planner sends a
        // weights-only change over the Runtime API. Coupling: args.files["haproxy.cfg"] is rendered
        // from this same model.
        reload: haproxyReloadSpec(containerName, haproxyWeights(model), haproxyConfigFingerprint(model)),
      },
      // After the instances: a reload that adds a server should find it already running.
      {
        parent: this,
        dependsOn: [
          args.image,
          ...args.instances,
          ...(args.after === undefined ? [] : [args.after.configDir]),
        ],
      },
    );

    const container = new docker.Container(
      `${name}-container`,
      {
        name: containerName,
        image: model.images.haproxy,
        command: HAPROXY_ARGS,
        networkMode: "host",
        // SIGUSR1 is HAProxy's graceful stop (the official image sets it as STOPSIGNAL; an imported image cannot).
        stopSignal: "SIGUSR1",
        volumes: [{ hostPath: hostConfigDir, containerPath: HAPROXY_DIR }],
        restart: "unless-stopped",
        mustRun: true,
        // Long RTMP sessions: give the old worker time to finish on stop.
        destroyGraceSeconds: 30,
        logOpts: { "max-size": "10m", "max-file": "3" },
        labels: [...labels],
      },
      {
        parent: this,
        dependsOn: [
          configDir,
          args.image,
          ...args.instances,
          ...(args.serving === undefined ? [] : [args.serving]),
        ],
        deleteBeforeReplace: true,
        ...(args.host === undefined ? {} : { provider: args.host.provider }),
      },
    );

    this.configDir = configDir;
    this.containerName = container.name;
    this.containerId = container.id;
    this.registerOutputs({ containerName: this.containerName, containerId: this.containerId });
  }
}
