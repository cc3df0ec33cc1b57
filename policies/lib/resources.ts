// What the rules know about the program's resources: type tokens, labels and the HAProxy config
// directory. Only plain values come in (policy args are deserialized JSON), so every reader takes
// `unknown` and checks shapes itself.
//
// Couplings (checked in resources.test.ts against the program's own constants):
// - MEDIAMTX_ROLE: the role infra/config/names.ts gives instance containers.
// - CONFIG_DIR_TYPE and the `files` / `secretFiles` inputs: infra/providers/config-dir/ (ConfigDir).
// - HAPROXY_CFG: the file name infra/index.ts hands the gateway's ConfigDir.
// - MEDIAMTX_YML: the file name infra/components/mediamtx-instance.ts hands each instance's ConfigDir.

import * as docker from "@pulumi/docker";
import type { ResourceValidationArgs } from "@pulumi/policy";
import { parseImageReference } from "../../infra/config/image-ref";
import { LABELS } from "../../infra/config/names";
import { isRecord } from "../../infra/lib/untyped";
import { type HaproxyCfg, parseHaproxyCfg } from "./haproxy-cfg";

/** Type token of every `pulumi.dynamic.Resource`; ConfigDir is one. */
export const CONFIG_DIR_TYPE = "pulumi-nodejs:dynamic:Resource";
const HAPROXY_CFG = "haproxy.cfg";
const MEDIAMTX_YML = "mediamtx.yml";

export const ROLE_LABEL = LABELS.role;
export const MEDIAMTX_ROLE = "mediamtx";
/** Last path component of MediaMTX images: bluenviron/mediamtx, mediamtx-lb/mediamtx. */
const MEDIAMTX_REPOSITORY = "mediamtx";

/** Value of Docker label `key` in a Container's `labels` input ([{label, value}]); undefined if absent. */
export function labelValue(labels: unknown, key: string): string | undefined {
  if (!Array.isArray(labels)) return undefined;
  for (const item of labels) {
    if (isRecord(item) && item.label === key && typeof item.value === "string") return item.value;
  }
  return undefined;
}

/**
 * A MediaMTX container: labelled `mediamtx-lb.role=mediamtx` by the program. The image is a second
 * signal (`…/mediamtx:<tag>`), so a container that lost its label is still recognised.
 */
export function isMediamtxContainer(props: { readonly labels?: unknown; readonly image?: unknown }): boolean {
  if (labelValue(props.labels, ROLE_LABEL) === MEDIAMTX_ROLE) return true;
  const ref = typeof props.image === "string" ? parseImageReference(props.image) : undefined;
  return (
    ref !== undefined && (ref.path === MEDIAMTX_REPOSITORY || ref.path.endsWith(`/${MEDIAMTX_REPOSITORY}`))
  );
}

/** haproxy.cfg text when `props` are a ConfigDir's inputs carrying one; otherwise undefined. */
export function haproxyCfgOf(type: string, props: Record<string, unknown>): string | undefined {
  if (type !== CONFIG_DIR_TYPE || !isRecord(props.files)) return undefined;
  const cfg = props.files[HAPROXY_CFG];
  return typeof cfg === "string" ? cfg : undefined;
}

/** mediamtx.yml text when `props` are an instance ConfigDir's inputs carrying one; otherwise undefined. */
export function mediamtxYmlOf(type: string, props: Record<string, unknown>): string | undefined {
  if (type !== CONFIG_DIR_TYPE || !isRecord(props.files)) return undefined;
  const yml = props.files[MEDIAMTX_YML];
  return typeof yml === "string" ? yml : undefined;
}

/** The ConfigDir's secret files as name → content (never shown in messages); {} if absent or malformed. */
export function secretFilesOf(props: Record<string, unknown>): Record<string, string> {
  if (!isRecord(props.secretFiles)) return {};
  const files: Record<string, string> = {};
  for (const [name, content] of Object.entries(props.secretFiles)) {
    if (typeof content === "string") files[name] = content;
  }
  return files;
}

/** `ConfigDir "dev-haproxy-config": files["haproxy.cfg"] line 12` — where a config finding is. */
export function cfgLocation(resourceName: string, lineNo: number): string {
  return fileLocation(resourceName, HAPROXY_CFG, lineNo);
}

/** `ConfigDir "<resource>": files["<file>"] line <n>` (or without the line when `lineNo` is undefined). */
export function fileLocation(resourceName: string, file: string, lineNo?: number): string {
  return `ConfigDir "${resourceName}": files["${file}"]${lineNo === undefined ? "" : ` line ${lineNo}`}`;
}

/** Where a resource names an image: Container.image or RemoteImage.name. */
export interface ImageUse {
  /** `Container "dev-haproxy-container"`, for messages. */
  readonly resource: string;
  readonly field: "image" | "name";
  /** As found: normally a string, but the rules must not trust that. */
  readonly image: unknown;
}

/** The image a Container or RemoteImage uses; undefined for every other resource type. */
export function imageUseOf(args: ResourceValidationArgs): ImageUse | undefined {
  const container = args.asType(docker.Container);
  if (container !== undefined) {
    return { resource: `Container "${args.name}"`, field: "image", image: container.image };
  }
  const remote = args.asType(docker.RemoteImage);
  if (remote !== undefined) {
    return { resource: `RemoteImage "${args.name}"`, field: "name", image: remote.name };
  }
  return undefined;
}

/** The parsed haproxy.cfg of a ConfigDir; marks the policy not applicable for any other resource. */
export function requireHaproxyCfg(args: ResourceValidationArgs): HaproxyCfg {
  const text = haproxyCfgOf(args.type, args.props);
  if (text === undefined) return args.notApplicable(`not a ConfigDir with files["${HAPROXY_CFG}"]`);
  return parseHaproxyCfg(text);
}

/** Addresses a published port listens on every interface with: Docker's default (no `ip`) included. */
const WILDCARD_IPS: readonly string[] = ["", "0.0.0.0", "::", "[::]"];

/** One entry of a Container's `ports` input, normalised: Docker's defaults filled in. */
export interface PublishedPortInput {
  /** As given; "" when absent (Docker binds every address then). */
  readonly ip: string;
  /** Every interface: no ip, 0.0.0.0 or ::. */
  readonly wildcard: boolean;
  /** Host port; undefined when Docker picks a random one. */
  readonly external: number | undefined;
  /** Container port, as found (a number normally; the rules must not trust that). */
  readonly internal: unknown;
  /** "tcp" (Docker's default), "udp" or "sctp". */
  readonly protocol: string;
}

/** A Container's `ports` input ([{internal, external?, ip?, protocol?}]) normalised; [] if absent or malformed. */
export function publishedPorts(ports: unknown): PublishedPortInput[] {
  if (!Array.isArray(ports)) return [];
  return ports.filter(isRecord).map((p) => {
    const ip = typeof p.ip === "string" ? p.ip : "";
    return {
      ip,
      wildcard: WILDCARD_IPS.includes(ip),
      external: typeof p.external === "number" ? p.external : undefined,
      internal: p.internal,
      protocol: typeof p.protocol === "string" && p.protocol !== "" ? p.protocol : "tcp",
    };
  });
}
