import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { GatewayModel, Model } from "../config/model";
import { HAPROXY_RUN_DIR, LOG_SINK_CONFIG } from "../render/paths";

export interface LogSinkArgs {
  readonly model: Model;
  /** The gateway this sink serves (its names: container, run directory, labels). */
  readonly gateway: GatewayModel;
  /** log-sink.cfg: renderLogSinkConfig(model) (infra/render/log-sink.ts). */
  readonly config: string;
  readonly image: pulumi.Resource;
  /** The gateway's config directory: it creates the run directory the sink binds its socket in. */
  readonly configDir: pulumi.Resource;
  /** With `hosts`: the gateway host's Docker provider (the sink runs beside the gateway). */
  readonly provider?: docker.Provider;
}

/** Arguments after the image's entrypoint (which adds -W -db, as for the gateway). */
const LOG_SINK_ARGS = ["haproxy", "-f", LOG_SINK_CONFIG];

/**
 * How many datagrams may wait in the sink's socket before the gateway's send fails with EAGAIN (a
 * dropped, counted line). Linux's default net.unix.max_dgram_qlen is 10: a sink descheduled for a
 * millisecond would already cost lines at 10k req/s. The limit is the receiver's, taken from the network
 * namespace the socket was created in, so the sink's own namespace (networkMode none) may raise it
 * without touching the host. The sender's socket buffer (net.core.wmem_default, 208 KiB here: about 200
 * lines in flight) is the other bound, and HAProxy does not set it.
 */
const LOG_SINK_QUEUE = 1024;

/**
 * The sink's CPU weight (Docker `--cpu-shares`; the gateway and the instances have the default 1024).
 * Every line costs CPU three times: the sink's receive and write, containerd-shim reading the pipe, and
 * dockerd's JSON log driver. On a busy host that competes with the proxy itself: measured by hand on the
 * 2-core test host (small HLS-sized response, wrk -c20, gateway CPU per request from its cgroup, six
 * rounds; README, Logs), no log 43–66 µs, `log stdout` 65–86 µs, this socket with a sink at the default
 * weight 79–106 µs (the kernel wakes the sink for every datagram, in the sender's time), and 54–85 µs
 * with the sink at weight 2, which then logged 21–88 % of the lines. At the lowest weight the sink only gets CPU nothing else wants: when the host is idle every line is
 * written, when the proxy needs the CPU the sink falls behind, its queue fills and the gateway's sends
 * fail at once (EAGAIN, a counted drop) instead of waking it.
 */
export const LOG_SINK_CPU_SHARES = 2;

/**
 * The request-log sink: HAProxy's log-forward, from the gateway's own image, receiving the gateway's
 * per-request lines on a Unix datagram socket in the gateway's run directory and writing them to its
 * stdout, so `docker logs <sink>` is where the lines are read. A separate process so that a slow stdout
 * (Docker's log driver) holds up this process, never a proxied request. The gateway does not depend on
 * it: until the sink is up its sends fail at once and the lines are lost (see haproxy.cfg's `log`).
 */
export class LogSink extends pulumi.ComponentResource {
  readonly containerName: pulumi.Output<string>;
  readonly containerId: pulumi.Output<string>;

  constructor(name: string, args: LogSinkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mediamtx-lb:index:LogSink", name, {}, opts);
    const { model } = args;
    const { containerName, runDir, labels } = args.gateway.logSink;

    const container = new docker.Container(
      `${name}-container`,
      {
        name: containerName,
        image: model.images.haproxy,
        command: LOG_SINK_ARGS,
        // No network at all: the socket is a file in the shared run directory. Its own namespace is also
        // what lets sysctls raise the datagram queue (LOG_SINK_QUEUE).
        networkMode: "none",
        sysctls: { "net.unix.max_dgram_qlen": String(LOG_SINK_QUEUE) },
        cpuShares: LOG_SINK_CPU_SHARES,
        stopSignal: "SIGUSR1",
        volumes: [{ hostPath: runDir, containerPath: HAPROXY_RUN_DIR }],
        // A changed config replaces the sink (a few lines lost); it holds no state worth a reload path.
        uploads: [{ file: LOG_SINK_CONFIG, content: args.config }],
        restart: "unless-stopped",
        mustRun: true,
        // Unlike the gateway's log (a few lines a minute), this is the request log: larger files.
        logOpts: { "max-size": "50m", "max-file": "5" },
        labels: [...labels],
      },
      {
        parent: this,
        dependsOn: [args.configDir, args.image],
        deleteBeforeReplace: true,
        ...(args.provider === undefined ? {} : { provider: args.provider }),
      },
    );

    this.containerName = container.name;
    this.containerId = container.id;
    this.registerOutputs({ containerName: this.containerName, containerId: this.containerId });
  }
}
