// CPU time a container has used, from its cgroup (v1 cpuacct on this Debian host, v2 cpu.stat
// elsewhere): the proxy's CPU per request and its idle cost, independent of what else runs.
import { existsSync, readFileSync } from "node:fs";
import { docker } from "./process";

/** Cumulative CPU time of the container in nanoseconds. */
export async function containerCpuNs(name: string): Promise<number> {
  const id = await docker(["inspect", "-f", "{{.Id}}", name]);
  const v1 = `/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`;
  if (existsSync(v1)) return Number(readFileSync(v1, "utf8").trim());
  const v2 = `/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`;
  if (existsSync(v2)) {
    const usec = /^usage_usec (\d+)$/m.exec(readFileSync(v2, "utf8"))?.[1];
    if (usec) return Number(usec) * 1000;
  }
  throw new Error(`no cgroup CPU accounting found for container ${name}`);
}
