// Realistic policy inputs from the test fixtures (test/fixtures/<case>.yaml): the model comes from the
// program's own validateConfig, haproxy.cfg and secrets.cfg from its renderers, container inputs from
// the components' own helpers. Only the fields the program passes are set, with the program's values;
// policies/tests/program.test.ts checks the real program's resources against the same rules.

import type { PolicyProviderResource } from "@pulumi/policy";
import { HAPROXY_ARGS } from "../../infra/components/gateway";
import type { InstanceModel, Model } from "../../infra/config/model";
import { renderHaproxyConfig, renderHaproxySecrets } from "../../infra/render/haproxy";
import { renderMediamtxConfig } from "../../infra/render/mediamtx";
import { HAPROXY_DIR, MEDIAMTX_CONFIG, MEDIAMTX_DIR } from "../../infra/render/paths";
import { loadFixtureModel } from "../../test/support/stack-fixtures";
import { CONFIG_DIR_TYPE } from "../lib/resources";
import type { FakeResource } from "./util";

// Written out, as the engine sends them; util.ts's isTypeOf proves the docker classes match them.
export const CONTAINER_TYPE = "docker:index/container:Container";
const PROVIDER_TYPE = "pulumi:providers:docker";
const REMOTE_IMAGE_TYPE = "docker:index/remoteImage:RemoteImage";

/** Stands in for the stats password (a Pulumi secret, which policies receive unwrapped). */
export const TEST_STATS_PASSWORD = "s3cret-for-tests";

/** The validated model of fixture `name`, optionally edited (as if validation had been bypassed). */
export function fixtureModel(name: string, edit: (model: Model) => Model = (model) => model): Model {
  return edit(loadFixtureModel(name));
}

/** `model` with every instance passed through `edit`. */
export function withInstances(model: Model, edit: (instance: InstanceModel) => InstanceModel): Model {
  return { ...model, instances: model.instances.map(edit) };
}

/** Replaces the first match of `pattern` in `text`; throws when there is none, so a stale edit fails loudly. */
export function editText(
  text: string,
  pattern: string | RegExp,
  replacement: string | ((match: string) => string),
): string {
  const edited =
    typeof replacement === "string" ? text.replace(pattern, replacement) : text.replace(pattern, replacement);
  if (edited === text) throw new Error(`editText: ${String(pattern)} not found`);
  return edited;
}

export interface ConfigDirOverrides {
  /** haproxy.cfg text; defaults to renderHaproxyConfig(model). */
  readonly haproxyCfg?: string;
  readonly secretFiles?: Record<string, string>;
  readonly additionalSecretOutputs?: string[];
}

/** The gateway's ConfigDir inputs (infra/components/gateway.ts), as the analyzer sees them. */
export function haproxyConfigDir(model: Model, overrides: ConfigDirOverrides = {}): FakeResource {
  return {
    type: CONFIG_DIR_TYPE,
    name: `${model.gateway.resourceName}-config`,
    props: {
      dir: model.gateway.configDir,
      files: { "haproxy.cfg": overrides.haproxyCfg ?? renderHaproxyConfig(model) },
      secretFiles: overrides.secretFiles ?? {
        "secrets.cfg": renderHaproxySecrets(model.stats.user, TEST_STATS_PASSWORD),
      },
      writableDirs: ["run"],
      validate: { image: model.images.haproxy, mountPath: HAPROXY_DIR, command: [...HAPROXY_ARGS, "-c"] },
      reload: { container: model.gateway.containerName, signal: "SIGUSR2" },
    },
    opts: { additionalSecretOutputs: overrides.additionalSecretOutputs ?? ["secretFiles"] },
  };
}

/** One instance's MediaMTX ConfigDir (a dynamic resource without haproxy.cfg); mediamtx.yml as rendered. */
export function mediamtxConfigDir(model: Model, instance: InstanceModel, mediamtxYml?: string): FakeResource {
  return {
    type: CONFIG_DIR_TYPE,
    name: `${instance.resourceName}-config`,
    props: {
      dir: instance.configDir,
      files: { "mediamtx.yml": mediamtxYml ?? renderMediamtxConfig(model, instance) },
      secretFiles: {},
      writableDirs: [],
    },
    opts: { additionalSecretOutputs: ["secretFiles"] },
  };
}

/** The Docker provider of host `name` (infra/index.ts: one per host, `host` its engine endpoint). */
export function hostProvider(model: Model, name: string): PolicyProviderResource {
  const host = model.hosts.find((h) => h.name === name);
  if (host === undefined) throw new Error(`hostProvider: no host ${name}`);
  return {
    type: PROVIDER_TYPE,
    name: host.providerName,
    urn: `urn:pulumi:test::mediamtx-lb::${PROVIDER_TYPE}::${host.providerName}`,
    props: { host: host.docker },
  };
}

/**
 * A MediaMTX container (infra/components/mediamtx-instance.ts) with `props` merged over it. With `hosts`:
 * on its host's provider, publishing instance.published as the component does.
 */
export function mediamtxContainer(
  model: Model,
  instance: InstanceModel,
  props: Record<string, unknown> = {},
): FakeResource {
  return {
    type: CONTAINER_TYPE,
    name: `${instance.resourceName}-container`,
    ...(instance.host === undefined ? {} : { provider: hostProvider(model, instance.host) }),
    props: {
      ...(instance.published.length === 0
        ? {}
        : {
            ports: instance.published.map((p) => ({
              ip: p.ip,
              external: p.external,
              internal: p.internal,
              protocol: p.protocol,
            })),
          }),
      name: instance.containerName,
      image: model.images.mediamtx,
      command: [MEDIAMTX_CONFIG],
      volumes: [{ hostPath: instance.configDir, containerPath: MEDIAMTX_DIR, readOnly: true }],
      networksAdvanced: [
        { name: model.network.name, ipv4Address: instance.address, aliases: [instance.name] },
      ],
      restart: "unless-stopped",
      mustRun: true,
      destroyGraceSeconds: 10,
      logOpts: { "max-size": "10m", "max-file": "3" },
      labels: [...instance.labels],
      ...props,
    },
  };
}

/** The HAProxy container (infra/components/gateway.ts) with `props` merged over it. */
export function haproxyContainer(model: Model, props: Record<string, unknown> = {}): FakeResource {
  return {
    type: CONTAINER_TYPE,
    name: `${model.gateway.resourceName}-container`,
    props: {
      name: model.gateway.containerName,
      image: model.images.haproxy,
      command: HAPROXY_ARGS,
      networkMode: "host",
      stopSignal: "SIGUSR1",
      volumes: [{ hostPath: model.gateway.configDir, containerPath: HAPROXY_DIR }],
      restart: "unless-stopped",
      mustRun: true,
      destroyGraceSeconds: 30,
      logOpts: { "max-size": "10m", "max-file": "3" },
      labels: [...model.gateway.labels],
      ...props,
    },
  };
}

/** The RemoteImage for `role` (infra/index.ts), optionally with another image name. */
export function remoteImage(model: Model, role: "haproxy" | "mediamtx", name?: string): FakeResource {
  return {
    type: REMOTE_IMAGE_TYPE,
    name: model.resources.images[role],
    props: { name: name ?? model.images[role], keepLocally: true },
  };
}

/** Every resource the analyzer checks for `model` (components and the stack resource left out). */
export function stackResources(model: Model): FakeResource[] {
  return [
    remoteImage(model, "mediamtx"),
    remoteImage(model, "haproxy"),
    ...model.instances.flatMap((instance) => [
      mediamtxConfigDir(model, instance),
      mediamtxContainer(model, instance),
    ]),
    haproxyConfigDir(model),
    haproxyContainer(model),
  ];
}
