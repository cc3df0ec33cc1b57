// A plain round-robin HAProxy beside the stack (same image, host network, its own ports), the
// reference for "what does the router add over proxying at all".
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import Mustache from "mustache";
import type { Model } from "../../infra/config/model";
import { MEDIAMTX_PORTS } from "../../infra/config/model";
import { LABELS } from "../../infra/config/names";
import { HTTP_LOG_FORMAT } from "../../infra/render/haproxy";
import { LOG_SOCKET } from "../../infra/render/paths";
import { docker, run } from "./process";
import { BARE_PORT_BASE, BENCH_STACK, PLAIN_PORT_BASE } from "./stack-config";

/** Not part of the stack: the bench's own container, labelled with the bench stack for clean-up. */
export const PLAIN_CONTAINER = "bench-plain-haproxy";
const TEMPLATE = resolve(__dirname, "..", "templates", "plain-haproxy.cfg.mustache");
const CONFIG_DIR_IN_CONTAINER = "/usr/local/etc/haproxy";
/** The stack's run directory (its log sink's socket) inside the plain proxy's container. */
const STACK_RUN_DIR_IN_CONTAINER = "/var/run/mediamtx-lb-stack";
const LOG_SOCKET_NAME = LOG_SOCKET.slice(LOG_SOCKET.lastIndexOf("/") + 1);

export interface PlainListenerView {
  readonly name: string;
  readonly bind: string;
  readonly bareBind: string;
  readonly endpoint: string;
}

/** The logged plain listener for instance `index` (logs like the stack). */
export function plainPort(index: number): number {
  return PLAIN_PORT_BASE + index;
}

/** The bare plain listener for instance `index` (no log). */
export function barePort(index: number): number {
  return BARE_PORT_BASE + index;
}

/** Internal. Exported for testing. */
export function toPlainView(
  model: Model,
  instances: number,
): { listeners: PlainListenerView[]; logSocket: string; logFormat: string } {
  return {
    listeners: model.instances.slice(0, instances).map(({ name, address }, i) => ({
      name,
      bind: `127.0.0.1:${plainPort(i)}`,
      bareBind: `127.0.0.1:${barePort(i)}`,
      endpoint: `${address}:${MEDIAMTX_PORTS.hls}`,
    })),
    logSocket: `${STACK_RUN_DIR_IN_CONTAINER}/${LOG_SOCKET_NAME}`,
    logFormat: HTTP_LOG_FORMAT,
  };
}

export function renderPlainConfig(model: Model, instances: number): string {
  return Mustache.render(
    readFileSync(TEMPLATE, "utf8"),
    toPlainView(model, instances),
    {},
    { escape: String },
  );
}

/** (Re)starts the plain proxy for `instances` instances; waits until the first listener answers. */
export async function startPlainProxy(
  model: Model,
  dir: string,
  image: string,
  instances: number,
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/haproxy.cfg`, renderPlainConfig(model, instances));
  await run("docker", ["rm", "-f", PLAIN_CONTAINER]);
  await docker([
    "run",
    "-d",
    "--name",
    PLAIN_CONTAINER,
    "--network",
    "host",
    "--label",
    `${LABELS.stack}=${BENCH_STACK}`,
    "--label",
    `${LABELS.role}=bench-plain-proxy`,
    "-v",
    `${dir}:${CONFIG_DIR_IN_CONTAINER}:ro`,
    "-v",
    `${model.logSink.runDir}:${STACK_RUN_DIR_IN_CONTAINER}`,
    image,
    "haproxy",
    "-f",
    `${CONFIG_DIR_IN_CONTAINER}/haproxy.cfg`,
  ]);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${plainPort(0)}/`).then(
      () => true,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`plain proxy did not answer on 127.0.0.1:${plainPort(0)}`);
}

export async function stopPlainProxy(): Promise<void> {
  await run("docker", ["rm", "-f", PLAIN_CONTAINER]);
}
