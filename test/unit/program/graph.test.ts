import * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { LOG_SINK_CPU_SHARES } from "../../../infra/components/log-sink";
import { instanceNames, pairGatewayNames, stackNames } from "../../../infra/config/names";
import { LOG_SINK_CONFIG, LOG_SOCKET, MEDIAMTX_DIR } from "../../../infra/render/paths";
import { readFixtureConfig } from "../../support/stack-fixtures";

// The resource graph under Pulumi mocks: which resources the program declares and with what inputs.
// Real behaviour (routing, reloads) is proven in test/e2e; this checks names, ports and isolation fast.

interface Created {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** Names of the resources it waits for, as the SDK sends them (components expanded to their children). */
  dependsOn: string[];
}

// URN → name: the program's resource names are unique, so the URN's last segment names a resource.
const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

async function runProgram(stack: string, config: Record<string, unknown>): Promise<Created[]> {
  return (await run(stack, config)).created;
}

/** The program's resources and its stack outputs (the module's exports). */
async function run(
  stack: string,
  config: Record<string, unknown>,
): Promise<{ created: Created[]; outputs: Record<string, unknown> }> {
  const created: Created[] = [];
  vi.resetModules();
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        created.push({ type: args.type, name: args.name, inputs: args.inputs, dependsOn: [] });
        return { id: `${args.name}-id`, state: { ...args.inputs } };
      },
      call: (args) => args.inputs,
    },
    "mediamtx-lb",
    stack,
    true,
  );
  // The mocks API does not pass dependencies on: read them off the registration request itself.
  const dependencies = new Map<string, string[]>();
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: { getName(): string; getDependenciesList(): string[] }, cb: unknown): unknown;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    dependencies.set(req.getName(), req.getDependenciesList().map(nameOf).sort());
    return register(req, cb);
  };
  const all: Record<string, string> = { "mediamtx-lb:statsPassword": "s3cret-for-tests" };
  // Pulumi hands the program strings as they are and objects as JSON.
  for (const [k, v] of Object.entries(config))
    all[`mediamtx-lb:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  pulumi.runtime.setAllConfig(all, ["mediamtx-lb:statsPassword"]);
  const program = await import("../../../infra/index");
  // Let every apply and registration settle.
  await new Promise<void>((resolve) => pulumi.all([program.haproxyConfigSha256]).apply(() => resolve()));
  await new Promise((r) => setTimeout(r, 50));
  for (const c of created) c.dependsOn = dependencies.get(c.name) ?? [];
  return { created, outputs: program as Record<string, unknown> };
}

const instancesOf = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `m${i + 1}`, weight: 1 }));
const byType = (created: Created[], type: string) => created.filter((c) => c.type === type);
/** Every resource with what it waits for, one line each, in a stable order. */
const edges = (created: Created[]) =>
  created.map((c) => `${c.name} <- ${c.dependsOn.join(" ")}`.trimEnd()).sort();

describe.each([1, 2, 5])("program with %i instance(s)", (n) => {
  let created: Created[];
  beforeEach(async () => {
    created = await runProgram("graph", { instances: instancesOf(n) });
  });

  it("creates one network, one MediaMTX container per instance, one HAProxy container and its log sink", () => {
    const containers = byType(created, "docker:index/container:Container");
    expect(byType(created, "docker:index/network:Network")).toHaveLength(1);
    expect(containers.map((c) => c.inputs.name).sort()).toEqual(
      [
        ...instancesOf(n).map((i) => instanceNames("graph", "/unused", i.name).containerName),
        stackNames("graph", "/unused").gateway.containerName,
        stackNames("graph", "/unused").logSink.containerName,
      ].sort(),
    );
  });

  it("runs the log sink without a network, on the gateway's run directory, with its config uploaded", () => {
    const names = stackNames("graph", "/unused");
    const [sink] = byType(created, "docker:index/container:Container").filter(
      (c) => c.inputs.name === names.logSink.containerName,
    );
    expect(sink?.inputs.networkMode).toBe("none");
    expect(sink?.inputs.restart).toBe("unless-stopped");
    // The lowest CPU weight: under load it sheds (counted) lines instead of taking the proxy's CPU.
    expect(sink?.inputs.cpuShares).toBe(LOG_SINK_CPU_SHARES);
    expect(sink?.inputs.image).toBe(
      byType(created, "docker:index/container:Container").find(
        (c) => c.inputs.name === names.gateway.containerName,
      )?.inputs.image,
    );
    // The gateway's `log` target is this socket; a gateway that waited for the sink could not start alone.
    expect(sink?.inputs.volumes).toEqual([
      expect.objectContaining({ containerPath: "/usr/local/etc/haproxy/run" }),
    ]);
    const [upload] = sink?.inputs.uploads as { file: string; content: string }[];
    expect(upload?.file).toBe(LOG_SINK_CONFIG);
    expect(upload?.content).toContain(`dgram-bind unix@${LOG_SOCKET}`);
  });

  it("publishes no MediaMTX port to the host and gives each instance its own address", () => {
    const mtx = byType(created, "docker:index/container:Container").filter((c) =>
      String(c.inputs.name).includes("-mediamtx-"),
    );
    const addresses = new Set<string>();
    for (const c of mtx) {
      expect(c.inputs.ports ?? []).toEqual([]);
      const [net] = c.inputs.networksAdvanced as { ipv4Address: string }[];
      addresses.add(net?.ipv4Address ?? "");
    }
    expect(addresses.size).toBe(n);
  });

  it("runs HAProxy on the host network with its config directory bind-mounted, not uploaded", () => {
    const [haproxy] = byType(created, "docker:index/container:Container").filter(
      (c) => c.inputs.name === "graph-haproxy",
    );
    expect(haproxy?.inputs.networkMode).toBe("host");
    expect(haproxy?.inputs.uploads ?? []).toEqual([]);
    expect(haproxy?.inputs.volumes).toEqual([
      expect.objectContaining({ containerPath: "/usr/local/etc/haproxy" }),
    ]);
  });

  // One gateway: the edges existing stacks were deployed with (a pair's ordering must not add any).
  it("keeps its dependency edges", () => {
    expect(edges(created)).toMatchSnapshot();
  });

  it("declares one ICE-TCP frontend per instance on consecutive ports", () => {
    const dirs = byType(created, "pulumi-nodejs:dynamic:Resource").filter((c) =>
      String(c.name).endsWith("haproxy-config"),
    );
    const cfg = String((dirs[0]?.inputs.files as Record<string, string>)["haproxy.cfg"]);
    for (let i = 0; i < n; i++) expect(cfg).toContain(`:${8189 + i}`);
    expect(cfg).not.toContain("s3cret-for-tests");
  });
});

it("prefixes every Docker name with the stack so two stacks can share a host", async () => {
  const a = await runProgram("alpha", { instances: instancesOf(2) });
  const b = await runProgram("beta", { instances: instancesOf(2), subnet: "10.213.99.0/24" });
  const names = (c: Created[]) =>
    c
      .filter(
        (r) =>
          r.type.startsWith("docker:index/") &&
          r.inputs.name !== undefined &&
          !r.type.includes("remoteImage"),
      )
      .map((r) => String(r.inputs.name));
  for (const n of names(a)) expect(n.startsWith("alpha-")).toBe(true);
  for (const n of names(b)) expect(n.startsWith("beta-")).toBe(true);
});

it("fails before creating anything when the config is invalid", async () => {
  await expect(runProgram("bad", { instances: [{ name: "x", weight: 300 }] })).rejects.toThrow(
    "mediamtx-lb:instances[0].weight",
  );
});

describe("program with hosts", () => {
  const hosts = [
    { name: "h1", docker: "unix:///run/h1.sock", address: "198.51.100.11", privateAddress: "10.9.0.11" },
    { name: "h2", docker: "ssh://ops@h2", address: "198.51.100.12", privateAddress: "10.9.0.12" },
    { name: "h3", docker: "tcp://10.9.0.13:2376", address: "198.51.100.13", privateAddress: "10.9.0.13" },
  ];
  let created: Created[];
  beforeEach(async () => {
    created = await runProgram("graph", {
      hosts,
      bindAddress: "0.0.0.0",
      publicHost: "198.51.100.11",
      instances: [
        { name: "a", host: "h1" },
        { name: "b", host: "h2" },
        { name: "c", host: "h2" },
      ],
    });
  });

  it("makes one Docker provider per host that runs something, each with its engine", () => {
    const providers = byType(created, "pulumi:providers:docker");
    expect(providers.map((p) => [p.name, p.inputs.host])).toEqual([
      ["graph-host-h1", "unix:///run/h1.sock"],
      ["graph-host-h2", "ssh://ops@h2"],
    ]);
  });

  it("pulls MediaMTX and makes a network on each host with instances, HAProxy only on the gateway's", () => {
    expect(
      byType(created, "docker:index/remoteImage:RemoteImage")
        .map((i) => i.name)
        .sort(),
    ).toEqual(["graph-image-haproxy-h1", "graph-image-mediamtx-h1", "graph-image-mediamtx-h2"]);
    expect(
      byType(created, "docker:index/network:Network")
        .map((n) => n.name)
        .sort(),
    ).toEqual(["graph-h1-network", "graph-h2-network"]);
  });

  it("publishes each instance's MediaMTX ports on its host's private address and one UDP port on its public one", () => {
    const b = byType(created, "docker:index/container:Container").find(
      (c) => c.inputs.name === instanceNames("graph", "/unused", "b").containerName,
    );
    const ports = b?.inputs.ports as { ip: string; external: number; internal: number; protocol: string }[];
    expect(ports.filter((p) => p.protocol === "tcp").every((p) => p.ip === "10.9.0.12")).toBe(true);
    expect(ports.filter((p) => p.protocol === "udp")).toEqual([
      { ip: "198.51.100.12", external: 8190, internal: 8190, protocol: "udp" },
    ]);
    expect(b?.inputs.volumes).toEqual([
      { volumeName: "graph-mediamtx-b-config", containerPath: MEDIAMTX_DIR, readOnly: true },
    ]);
  });

  // One gateway: the edges existing stacks were deployed with (a pair's ordering must not add any).
  it("keeps its dependency edges", () => {
    expect(edges(created)).toMatchSnapshot();
  });

  it("writes the instances' configs through their engines, the gateway's into a directory here", () => {
    const dynamic = byType(created, "pulumi-nodejs:dynamic:Resource");
    const engineFiles = dynamic.filter((d) => d.inputs.volume !== undefined);
    expect(engineFiles.map((d) => [d.inputs.engine, d.inputs.volume])).toEqual([
      ["unix:///run/h1.sock", "graph-mediamtx-a-config"],
      ["ssh://ops@h2", "graph-mediamtx-b-config"],
      ["ssh://ops@h2", "graph-mediamtx-c-config"],
    ]);
    const gatewayDir = dynamic.find((d) => String(d.name).endsWith("haproxy-config"));
    expect(gatewayDir?.inputs.engine).toBe("unix:///run/h1.sock");
  });
});

// test/fixtures/pair.yaml: ga on h1 and gb on h2 (engines of this machine), instances on all three hosts.
describe("program with a gateway pair", () => {
  const ga = pairGatewayNames("graph", "/unused", "ga");
  const gb = pairGatewayNames("graph", "/unused", "gb");
  const smoke = stackNames("graph", "/unused").smokeChecks;
  let created: Created[];
  let outputs: Record<string, unknown>;
  beforeAll(async () => {
    ({ created, outputs } = await run("graph", readFixtureConfig("pair")));
  });
  const named = (name: string) => {
    const found = created.find((c) => c.name === name);
    if (found === undefined) throw new Error(`no resource ${name}`);
    return found;
  };
  const containers = (role: string) =>
    byType(created, "docker:index/container:Container").filter((c) =>
      (c.inputs.labels as { label: string; value: string }[]).some(
        (l) => l.label === "mediamtx-lb.role" && l.value === role,
      ),
    );

  it("runs one HAProxy and one keepalived container per gateway", () => {
    expect(containers("haproxy").map((c) => c.inputs.name)).toEqual([
      ga.gateway.containerName,
      gb.gateway.containerName,
    ]);
    expect(containers("keepalived").map((c) => c.inputs.name)).toEqual([
      ga.keepalived.containerName,
      gb.keepalived.containerName,
    ]);
  });

  it("runs keepalived on the host network with VRRP's capabilities and its config read-only", () => {
    for (const k of containers("keepalived")) {
      expect(k.inputs.networkMode).toBe("host");
      expect(k.inputs.capabilities).toEqual({ adds: ["NET_ADMIN", "NET_BROADCAST", "NET_RAW"] });
      expect(k.inputs.volumes).toEqual([expect.objectContaining({ readOnly: true })]);
    }
  });

  it("pulls HAProxy and keepalived on each gateway's host only", () => {
    const pulls = byType(created, "docker:index/remoteImage:RemoteImage").map((i) => i.name);
    expect(pulls.filter((n) => /-image-(haproxy|keepalived)-/.test(n)).sort()).toEqual([
      "graph-image-haproxy-h1",
      "graph-image-haproxy-h2",
      "graph-image-keepalived-h1",
      "graph-image-keepalived-h2",
    ]);
  });

  it("checks each gateway under its own name", () => {
    expect(byType(created, "pulumi-nodejs:dynamic:Resource").map((d) => d.name)).toEqual(
      expect.arrayContaining([`${smoke}-ga`, `${smoke}-gb`]),
    );
    expect(created.map((c) => c.name)).not.toContain(smoke);
  });

  // One is always serving: gb's config applies after ga's, and a change that replaces containers
  // touches gb's HAProxy only once ga's passes its smoke checks again, gb's keepalived once ga's is back.
  it("orders the second gateway after the first", () => {
    expect(named(`${gb.gateway.resourceName}-config`).dependsOn).toContain(
      `${ga.gateway.resourceName}-config`,
    );
    expect(named(`${gb.gateway.resourceName}-container`).dependsOn).toContain(`${smoke}-ga`);
    expect(named(`${gb.keepalived.resourceName}-container`).dependsOn).toContain(
      `${ga.keepalived.resourceName}-container`,
    );
    // …and never the other way round.
    for (const c of created.filter((r) => r.name.includes("-ga")))
      expect(c.dependsOn.filter((d) => d.includes("-gb"))).toEqual([]);
  });

  it("outputs the floating address and both gateways", async () => {
    expect(outputs.floatingAddress).toBe("198.51.100.100");
    const gateways = await new Promise((resolve) =>
      pulumi.output(outputs.gateways as unknown[]).apply(resolve),
    );
    expect(gateways).toEqual([
      expect.objectContaining({
        name: "ga",
        host: "h1",
        container: ga.gateway.containerName,
        keepalived: ga.keepalived.containerName,
        requestLog: ga.logSink.containerName,
      }),
      expect.objectContaining({
        name: "gb",
        host: "h2",
        container: gb.gateway.containerName,
        keepalived: gb.keepalived.containerName,
        requestLog: gb.logSink.containerName,
      }),
    ]);
  });
});
