// Docker image references: registry, repository path, tag and digest. One parser for the config
// validator (which refuses unpinned images) and the policy pack (which also checks HAProxy versions).
// Grammar after github.com/distribution/reference (regexp.go), minus IPv6 registries.

export interface ImageReference {
  /** Registry host (with port) when the reference names one: `ghcr.io`, `localhost:5000`. */
  readonly registry: string | undefined;
  /** Repository path without the registry: `haproxy`, `bluenviron/mediamtx`, `mediamtx-lb/haproxy`. */
  readonly path: string;
  readonly tag: string | undefined;
  /** `sha256:<64 hex>` when pinned by digest. */
  readonly digest: string | undefined;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN =
  /^(?:localhost|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::[0-9]+)?$/;

/** Splits `ref`; undefined when it is not a well-formed reference (blank, bad tag, bad digest, …). */
export function parseImageReference(ref: string): ImageReference | undefined {
  if (ref.length === 0 || /\s/.test(ref)) return undefined;
  const [nameAndTag, digest, ...extra] = ref.split("@");
  if (nameAndTag === undefined || extra.length > 0) return undefined;
  if (digest !== undefined && !DIGEST.test(digest)) return undefined;

  const lastColon = nameAndTag.lastIndexOf(":");
  const hasTag = lastColon > nameAndTag.lastIndexOf("/");
  const name = hasTag ? nameAndTag.slice(0, lastColon) : nameAndTag;
  const tag = hasTag ? nameAndTag.slice(lastColon + 1) : undefined;
  if (tag !== undefined && !TAG.test(tag)) return undefined;

  const components = name.split("/");
  const first = components[0] ?? "";
  // Docker's rule: the first component is a registry only if it looks like a host.
  const hasRegistry =
    components.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
  if (name.length === 0 || name.length > 255 || (hasRegistry && !DOMAIN.test(first))) return undefined;
  const pathComponents = hasRegistry ? components.slice(1) : components;
  if (!pathComponents.every((component) => PATH_COMPONENT.test(component))) return undefined;
  return {
    registry: hasRegistry ? first : undefined,
    path: pathComponents.join("/"),
    tag,
    digest,
  };
}

/** Pinned: a digest, or a tag other than `latest`. A bare name means `latest` to Docker. */
export function isPinned(ref: ImageReference): boolean {
  return ref.digest !== undefined || (ref.tag !== undefined && ref.tag !== "latest");
}

const DOCKER_HUB = new Set([undefined, "docker.io", "index.docker.io", "registry-1.docker.io"]);

/** Whether `ref` is Docker Hub's official image `library/<name>` (written `<name>` or `library/<name>`). */
export function isOfficialImage(ref: ImageReference, name: string): boolean {
  return DOCKER_HUB.has(ref.registry) && (ref.path === name || ref.path === `library/${name}`);
}

/** `[major, minor]` from a tag such as `2.8`, `2.8.5`, `3.0-alpine`, `2.9.1-bookworm`; else undefined. */
export function tagVersion(tag: string): readonly [number, number] | undefined {
  const match = /^([0-9]+)\.([0-9]+)(?:[.-]|$)/.exec(tag);
  return match === null ? undefined : [Number(match[1]), Number(match[2])];
}
