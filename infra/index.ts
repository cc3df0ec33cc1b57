// Wires the stages, nothing else: stack config → validated model → rendered files → resources → smoke checks.
import { createHash } from "node:crypto";
import { homedir } from "node:os";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { SmokeChecks } from "./checks/smoke";
import { Gateway } from "./components/gateway";
import { Keepalived } from "./components/keepalived";
import { LogSink } from "./components/log-sink";
import { MediamtxInstance } from "./components/mediamtx-instance";
import { StackNetwork } from "./components/network";
import type { GatewayModel, Model } from "./config/model";
import { readStackConfig } from "./config/read";
import { ConfigError, validateConfig } from "./config/validate";
import { SelfSignedCertificate } from "./providers/self-signed";
import { serverPemFile } from "./providers/self-signed/generate";
import { credentialsConfigured, passwordsFrom, renderCredentialsLua } from "./render/credentials";
import { renderGatewayFiles } from "./render/gateway-files";
import { renderHaproxySecrets } from "./render/haproxy";
import { renderKeepalivedConfig } from "./render/keepalived";
import { keepalivedSpec } from "./render/keepalived-spec";
import { renderLogSinkConfig } from "./render/log-sink";
import { renderMediamtxConfig } from "./render/mediamtx";
import { HAPROXY_CONFIG, inHaproxyDir } from "./render/paths";
import { renderRoutingTable } from "./render/routing-table";

// @pulumi/pulumi's runner installs source-map-support, which maps every stack trace through the .map
// files of its frames; the SDK takes one trace per resource (its source position), about half a second
// of a no-op preview. This program runs as JavaScript without source maps (scripts/pulumi builds it), so
// V8's own traces say the same thing.
Reflect.deleteProperty(Error, "prepareStackTrace");

function loadModel(): Model {
  const { raw, statsPasswordSet, secretKeys } = readStackConfig();
  try {
    return validateConfig(raw, {
      stack: pulumi.getStack(),
      homeDir: homedir(),
      statsPasswordSet,
      secretKeys,
    });
  } catch (err) {
    // RunError prints the message alone: one line per bad key, no stack trace.
    if (err instanceof ConfigError) throw new pulumi.RunError(`invalid stack config:\n${err.message}`);
    throw err;
  }
}

const model = loadModel();
const stackConfig = new pulumi.Config("mediamtx-lb");
const statsPassword = stackConfig.requireSecret("statsPassword");

// Passwords never enter the model: read here as secrets, they only reach the secret credentials.lua
// (salted hashes). loadModel has already checked every entry.
type Credentials = { user: string; password: string; paths?: string[] }[];
const credentialsLua = credentialsConfigured(model)
  ? pulumi.secret(
      pulumi
        .all([
          stackConfig.getSecretObject<Credentials>("publishers"),
          stackConfig.getSecretObject<Credentials>("readers"),
        ])
        .apply(([publishers, readers]) =>
          renderCredentialsLua(model, passwordsFrom({ publishers, readers })),
        ),
    )
  : undefined;

/**
 * With TLS: HAProxy's crt file and the CA to trust. A self-signed certificate is a resource of the stack;
 * a provided one is read from the secret config here (validation checked it without ever putting the
 * PEM text into the model).
 */
function gatewayTls(): { serverPem: pulumi.Output<string>; caPem?: pulumi.Output<string> } | undefined {
  const { tls } = model;
  if (tls === undefined) return undefined;
  if (tls.source === "selfSigned") {
    const cert = new SelfSignedCertificate(model.resources.tlsCertificate, {
      commonName: `mediamtx-lb ${model.stack} CA`,
      dnsNames: tls.dnsNames,
      ipAddresses: tls.ipAddresses,
    });
    return {
      serverPem: pulumi.secret(
        pulumi.all([cert.certPem, cert.keyPem]).apply(([c, k]) => serverPemFile(c, k)),
      ),
      caPem: cert.caPem,
    };
  }
  const given = new pulumi.Config("mediamtx-lb").requireSecretObject<{
    certificate: string;
    key: string;
    ca?: string;
  }>("tls");
  return {
    serverPem: given.apply((t) => serverPemFile(t.certificate, t.key)),
    // A CA certificate is public: unsecret, so tls/ca.pem is a plain file and previews still diff the
    // other plain files (one secret value would hide them all).
    caPem: tls.caFile === undefined ? undefined : pulumi.unsecret(given.apply((t) => t.ca ?? "")),
  };
}

const gatewayFiles = renderGatewayFiles(model);
const haproxyConfig = gatewayFiles[inHaproxyDir(HAPROXY_CONFIG)];
if (haproxyConfig === undefined) throw new Error("renderGatewayFiles: no haproxy.cfg");

// keepLocally: images are shared with other stacks on the host; a local image is used as is.
const pullImage = (resourceName: string, name: string, provider?: docker.Provider) =>
  new docker.RemoteImage(
    resourceName,
    { name, keepLocally: true },
    provider === undefined ? undefined : { provider },
  );

/**
 * Where a container runs. Without `hosts`: the default provider (the local engine), one image pull and
 * one network, as before the key existed. With `hosts`: per host its own provider, pulls and network,
 * made only on hosts that run something.
 */
interface Placement {
  readonly host?: { readonly provider: docker.Provider; readonly engine: string };
  /** On hosts that run instances. */
  readonly mediamtxImage?: pulumi.Resource;
  readonly networkName?: pulumi.Output<string>;
  /** On a gateway's host. */
  readonly haproxyImage?: pulumi.Resource;
  /** On a gateway's host when gateways share a floating address. */
  readonly keepalivedImage?: pulumi.Resource;
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`internal error: no ${what}`);
  return value;
}

function placements(): (host: string | undefined) => Placement {
  if (model.hosts.length === 0) {
    const local: Placement = {
      mediamtxImage: pullImage(model.resources.images.mediamtx, model.images.mediamtx),
      haproxyImage: pullImage(model.resources.images.haproxy, model.images.haproxy),
      networkName: new StackNetwork(model.network.resourceName, { model }).name,
    };
    return () => local;
  }
  const withInstances = new Set(model.instances.map((i) => i.host));
  const byHost = new Map<string, Placement>();
  for (const host of model.hosts) {
    const runsInstances = withInstances.has(host.name);
    const runsGateway = model.gateways.some((g) => g.host === host.name);
    if (!runsInstances && !runsGateway) continue;
    const provider = new docker.Provider(host.providerName, { host: host.docker });
    byHost.set(host.name, {
      host: { provider, engine: host.docker },
      ...(runsInstances
        ? {
            mediamtxImage: pullImage(host.resources.images.mediamtx, model.images.mediamtx, provider),
            networkName: new StackNetwork(host.resources.network, { model, provider }).name,
          }
        : {}),
      ...(runsGateway
        ? { haproxyImage: pullImage(host.resources.images.haproxy, model.images.haproxy, provider) }
        : {}),
      ...(runsGateway && model.floating !== undefined
        ? { keepalivedImage: pullImage(host.resources.images.keepalived, model.images.keepalived, provider) }
        : {}),
    });
  }
  return (host) => {
    const placement = host === undefined ? undefined : byHost.get(host);
    if (placement === undefined) throw new Error(`internal error: no placement for host ${host}`);
    return placement;
  };
}

const placementOf = placements();

const instanceResources = model.instances.map((instance) => {
  const placement = placementOf(instance.host);
  return new MediamtxInstance(instance.resourceName, {
    model,
    instance,
    config: renderMediamtxConfig(model, instance),
    networkName: required(placement.networkName, "network"),
    image: required(placement.mediamtxImage, "MediaMTX image"),
    ...(placement.host === undefined ? {} : { host: placement.host }),
  });
});
const routingTable = renderRoutingTable(model);
const secretsConfig = pulumi.secret(statsPassword.apply((pw) => renderHaproxySecrets(model.stats.user, pw)));
const tls = gatewayTls();

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
export const haproxyConfigSha256 = sha256(haproxyConfig);

// Checks dial the bind address (model.local), not the public name, which may not resolve here. A pair
// checks each gateway on its own host's address (both must serve, whichever holds the floating one).
const serverNames = model.instances.map((i) => i.name);
const { proxies } = model;

function smokeChecks(g: GatewayModel, gateway: Gateway): SmokeChecks {
  const checkHost = g.local.host;
  return new SmokeChecks(
    model.gateways.length === 1 ? model.resources.smokeChecks : `${model.resources.smokeChecks}-${g.name}`,
    {
      statsUrl: g.local.stats,
      statsUser: model.stats.user,
      statsPassword,
      hlsUrl: g.local.hls,
      webrtcUrl: g.local.webrtc,
      ...(model.auth.readers === undefined ? {} : { hlsNeedsCredentials: true }),
      tls: g.local.tls,
      tcpPorts: [
        ...(model.tls === undefined || model.tls.plain === "on"
          ? [{ name: proxies.rtmp, host: checkHost, port: model.ports.rtmp }]
          : []),
        ...(model.tls === undefined
          ? []
          : [{ name: `${proxies.rtmp} (RTMPS)`, host: checkHost, port: model.ports.rtmps }]),
        ...model.instances.map((i) => ({ name: i.iceProxy, host: checkHost, port: i.iceTcpPort })),
      ],
      servers: {
        [proxies.rtmp]: serverNames,
        [proxies.hls]: serverNames,
        [proxies.webrtc]: serverNames,
        ...Object.fromEntries(model.instances.map((i) => [i.iceProxy, [i.name]])),
      },
      trigger: pulumi
        .all([gateway.containerId, ...instanceResources.map((i) => i.containerId)])
        .apply((ids) => sha256([sha256(JSON.stringify(gatewayFiles)), ...ids].join("\n"))),
      timeoutMs: Math.max(60_000, model.health.intervalMs * (model.health.rise + 2) * 3),
    },
    { dependsOn: [gateway, ...instanceResources] },
  );
}

// One gateway per entry of model.gateways, in config order, each after the one before so one always
// serves: its config directory applies after the previous one's (a routing change reloads them one at a
// time), its HAProxy container waits for the previous gateway's smoke checks and its keepalived for the
// previous keepalived (a change that replaces containers replaces them one at a time).
const gateways: { gateway: Gateway; logSink: LogSink; keepalived?: Keepalived; checks: SmokeChecks }[] = [];
for (const g of model.gateways) {
  const placement = placementOf(g.host);
  const image = required(placement.haproxyImage, "HAProxy image");
  const previous = gateways[gateways.length - 1];
  const gateway = new Gateway(g.resourceName, {
    model,
    gateway: g,
    files: gatewayFiles,
    routingTable,
    secretsConfig,
    credentialsLua,
    image,
    instances: instanceResources,
    tls,
    ...(placement.host === undefined ? {} : { host: placement.host }),
    ...(previous === undefined ? {} : { after: previous.gateway, serving: previous.checks }),
  });
  // Not a dependency of the gateway: the gateway starts (and reloads) whether or not the sink is up.
  const logSink = new LogSink(g.logSink.resourceName, {
    model,
    gateway: g,
    config: renderLogSinkConfig(model, g.logSink),
    image,
    configDir: gateway.configDir,
    ...(placement.host === undefined ? {} : { provider: placement.host.provider }),
  });
  const keepalived =
    g.keepalived === undefined
      ? undefined
      : new Keepalived(g.keepalived.resourceName, {
          model,
          gateway: g,
          config: renderKeepalivedConfig(keepalivedSpec(model, g)),
          image: required(placement.keepalivedImage, "keepalived image"),
          host: required(placement.host, "gateway host"),
          haproxy: gateway,
          ...(previous?.keepalived === undefined ? {} : { after: previous.keepalived }),
        });
  const checks = smokeChecks(g, gateway);
  gateways.push({ gateway, logSink, checks, ...(keepalived === undefined ? {} : { keepalived }) });
}
const first = required(gateways[0], "gateway");

export const endpoints = { ...model.endpoints };

// Stack output `tls`, only with TLS: where the CA to trust is on this host (undefined: the system's CAs)
// and the certificate's source. Not `export const tls = undefined` without it: the engine would warn
// "Undefined value (tls) will not show as a stack output" on every preview of such a stack. The engine
// loads this program as CommonJS, so its exports object is module.exports.
if (model.tls !== undefined) {
  module.exports.tls = { caFile: model.tls.caFile, source: model.tls.source };
}

/** Where the per-request lines are read: `docker logs <requestLog>`. */
export const requestLog = first.logSink.containerName;

// Only with a floating address, so existing stacks' outputs stay as they were.
if (model.floating !== undefined) {
  module.exports.floatingAddress = model.floating.address;
  module.exports.gateways = model.gateways.map((g, n) => ({
    name: g.name,
    host: g.host,
    priority: g.priority,
    container: gateways[n]?.gateway.containerName,
    keepalived: gateways[n]?.keepalived?.containerName,
    requestLog: gateways[n]?.logSink.containerName,
  }));
}

// `host` (and the WebRTC UDP port) only with `hosts`, so existing stacks' outputs stay as they were.
export const instances = model.instances.map((i, n) => ({
  name: i.name,
  weight: i.weight,
  iceTcpPort: i.iceTcpPort,
  container: instanceResources[n]?.containerName,
  ...(i.host === undefined ? {} : { host: i.host, webrtcUdpPort: i.webrtcUdpPort }),
}));
