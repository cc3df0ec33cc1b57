// A plain round-robin HAProxy beside the stack (same image, host network, its own ports), the
// reference for "what does the router add over proxying at all".
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import Mustache from "mustache";
import { docker, run } from "./process";
import { BENCH_STACK, instanceAddress, instanceNames, PLAIN_PORT_BASE } from "./stack-config";

export const PLAIN_CONTAINER = `${BENCH_STACK}-plain-haproxy`;
const TEMPLATE = resolve(__dirname, "..", "templates", "plain-haproxy.cfg.mustache");
const CONFIG_DIR_IN_CONTAINER = "/usr/local/etc/haproxy";

export interface PlainListenerView {
  readonly name: string;
  readonly bind: string;
  readonly endpoint: string;
}

export function plainPort(index: number): number {
  return PLAIN_PORT_BASE + index;
}

/** Internal. Exported for testing. */
export function toPlainView(instances: number): { listeners: PlainListenerView[] } {
  return {
    listeners: instanceNames(instances).map((name, i) => ({
      name,
      bind: `127.0.0.1:${plainPort(i)}`,
      endpoint: `${instanceAddress(i)}:8888`,
    })),
  };
}

export function renderPlainConfig(instances: number): string {
  return Mustache.render(readFileSync(TEMPLATE, "utf8"), toPlainView(instances), {}, { escape: String });
}

/** (Re)starts the plain proxy for `instances` instances; waits until the first listener answers. */
export async function startPlainProxy(dir: string, image: string, instances: number): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/haproxy.cfg`, renderPlainConfig(instances));
  await run("docker", ["rm", "-f", PLAIN_CONTAINER]);
  await docker([
    "run",
    "-d",
    "--name",
    PLAIN_CONTAINER,
    "--network",
    "host",
    "--label",
    `mediamtx-lb.stack=${BENCH_STACK}`,
    "--label",
    "mediamtx-lb.role=bench-plain-proxy",
    "-v",
    `${dir}:${CONFIG_DIR_IN_CONTAINER}:ro`,
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
