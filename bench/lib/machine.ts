// What the numbers were measured on: machine, versions, date, load.
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { pin } from "../../scripts/lib/versions";
import { run } from "./process";

export interface MachineInfo {
  readonly date: string;
  readonly cores: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly os: string;
  readonly kernel: string;
}

export interface Versions {
  readonly haproxy: string;
  readonly mediamtx: string;
  readonly pulumi: string;
  readonly node: string;
  readonly docker: string;
  readonly wrk: string;
  readonly ffmpeg: string;
}

function firstLine(text: string): string {
  return text.split("\n")[0]?.trim() ?? "";
}

export async function machineInfo(): Promise<MachineInfo> {
  const osRelease = readFileSync("/etc/os-release", "utf8");
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(osRelease)?.[1] ?? "unknown";
  return {
    date: new Date().toISOString(),
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: pretty,
    kernel: firstLine((await run("uname", ["-r"])).stdout),
  };
}

/**
 * HAProxy from the image the stack runs; MediaMTX from a running instance's /v3/info, or the pin the
 * image is built from when no bench stack runs (`mediamtxInfoUrl` undefined: host-loss alone).
 */
export async function versions(
  haproxyImage: string,
  mediamtxInfoUrl: string | undefined,
  pulumiVersion: string,
): Promise<Versions> {
  const haproxy = (await run("docker", ["run", "--rm", "--entrypoint", "haproxy", haproxyImage, "-v"]))
    .stdout;
  const info: { version?: string } =
    mediamtxInfoUrl === undefined
      ? { version: `v${pin("MEDIAMTX_VERSION")} (image pin)` }
      : ((await fetch(mediamtxInfoUrl).then((r) => r.json())) as { version?: string });
  const wrk = (await run("wrk", ["-v"])).stdout + (await run("wrk", ["-v"])).stderr;
  return {
    haproxy: /HAProxy version (\S+)/.exec(haproxy)?.[1] ?? "unknown",
    mediamtx: info.version ?? "unknown",
    pulumi: firstLine(pulumiVersion).replace(/^v/, ""),
    node: process.version,
    docker: firstLine((await run("docker", ["version", "--format", "{{.Server.Version}}"])).stdout),
    wrk: /wrk (\S+)/.exec(wrk)?.[1] ?? "unknown",
    ffmpeg: /ffmpeg version (\S+)/.exec((await run("ffmpeg", ["-version"])).stdout)?.[1] ?? "unknown",
  };
}

export function load1(): number {
  return loadavg()[0] ?? Number.NaN;
}
