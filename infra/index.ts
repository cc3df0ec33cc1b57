// Wires the stages, nothing else: stack config → validated model → rendered files → resources → smoke checks.
import { createHash } from "node:crypto";
import { homedir } from "node:os";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { SmokeChecks } from "./checks/smoke";
import { Gateway } from "./components/gateway";
import { MediamtxInstance } from "./components/mediamtx-instance";
import { StackNetwork } from "./components/network";
import type { Model } from "./config/model";
import { readStackConfig } from "./config/read";
import { ConfigError, validateConfig } from "./config/validate";
import { renderGatewayFiles } from "./render/gateway-files";
import { renderHaproxyConfig, renderHaproxySecrets } from "./render/haproxy";
import { renderMediamtxConfig } from "./render/mediamtx";
import { renderRoutingTable } from "./render/routing-table";

function loadModel(): Model {
  const { raw, statsPasswordSet } = readStackConfig();
  try {
    return validateConfig(raw, { stack: pulumi.getStack(), homeDir: homedir(), statsPasswordSet });
  } catch (err) {
    // RunError prints the message alone: one line per bad key, no stack trace.
    if (err instanceof ConfigError) throw new pulumi.RunError(`invalid stack config:\n${err.message}`);
    throw err;
  }
}

const model = loadModel();
const stack = model.stack;
const statsPassword = new pulumi.Config("mediamtx-lb").requireSecret("statsPassword");

const haproxyConfig = renderHaproxyConfig(model);
const gatewayFiles = renderGatewayFiles(model);

// keepLocally: images are shared with other stacks on the host; a local image is used as is.
const mediamtxImage = new docker.RemoteImage(`${stack}-image-mediamtx`, {
  name: model.images.mediamtx,
  keepLocally: true,
});
const haproxyImage = new docker.RemoteImage(`${stack}-image-haproxy`, {
  name: model.images.haproxy,
  keepLocally: true,
});

const network = new StackNetwork(`${stack}`, { model });

const instanceResources = model.instances.map(
  (instance) =>
    new MediamtxInstance(`${stack}-mediamtx-${instance.name}`, {
      model,
      instance,
      config: renderMediamtxConfig(model, instance),
      networkName: network.name,
      image: mediamtxImage,
    }),
);

const gateway = new Gateway(`${stack}-haproxy`, {
  model,
  files: gatewayFiles,
  routingTable: renderRoutingTable(model),
  secretsConfig: pulumi.secret(statsPassword.apply((pw) => renderHaproxySecrets(model.stats.user, pw))),
  image: haproxyImage,
  instances: instanceResources,
});

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
export const haproxyConfigSha256 = sha256(haproxyConfig);

const host = model.publicHost;
// Checks dial the bind address (0.0.0.0 is dialled as loopback), not the public name, which may not resolve here.
const checkHost = model.bindAddress === "0.0.0.0" ? "127.0.0.1" : model.bindAddress;
const serverNames = model.instances.map((i) => i.name);

new SmokeChecks(
  `${stack}-smoke`,
  {
    statsUrl: `http://${checkHost}:${model.ports.stats}`,
    statsUser: model.stats.user,
    statsPassword,
    hlsUrl: `http://${checkHost}:${model.ports.hls}`,
    webrtcUrl: `http://${checkHost}:${model.ports.webrtc}`,
    tcpPorts: [
      { name: "rtmp", host: checkHost, port: model.ports.rtmp },
      ...model.instances.map((i) => ({ name: `ice_${i.name}`, host: checkHost, port: i.iceTcpPort })),
    ],
    servers: {
      rtmp: serverNames,
      hls: serverNames,
      webrtc: serverNames,
      ...Object.fromEntries(model.instances.map((i) => [`ice_${i.name}`, [i.name]])),
    },
    trigger: pulumi
      .all([gateway.containerId, ...instanceResources.map((i) => i.containerId)])
      .apply((ids) => sha256([sha256(JSON.stringify(gatewayFiles)), ...ids].join("\n"))),
    timeoutMs: Math.max(60_000, model.health.intervalMs * (model.health.rise + 2) * 3),
  },
  { dependsOn: [gateway, ...instanceResources] },
);

export const endpoints = {
  rtmp: `rtmp://${host}:${model.ports.rtmp}`,
  hls: `http://${host}:${model.ports.hls}`,
  webrtc: `http://${host}:${model.ports.webrtc}`,
  stats: `http://${host}:${model.ports.stats}/stats`,
  metrics: `http://${host}:${model.ports.stats}/metrics`,
};

export const instances = model.instances.map((i, n) => ({
  name: i.name,
  weight: i.weight,
  iceTcpPort: i.iceTcpPort,
  container: instanceResources[n]?.containerName,
}));
