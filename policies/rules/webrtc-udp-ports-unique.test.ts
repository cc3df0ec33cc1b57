import { describe, expect, it } from "vitest";
import type { InstanceModel } from "../../infra/config/model";
import { fixtureModel, haproxyContainer, mediamtxContainer, stackResources } from "../tests/stack-resources";
import { assertHasViolation, assertNoViolations, type FakeResource, runStackPolicy } from "../tests/util";
import { webrtcUdpPortsUnique } from "./webrtc-udp-ports-unique";

describe("#webrtc-udp-ports-unique", () => {
  const hosts = fixtureModel("hosts");
  const instance = (name: string): InstanceModel => {
    const found = hosts.instances.find((i) => i.name === name);
    if (found === undefined) throw new Error(`hosts fixture has no ${name}`);
    return found;
  };
  /** `name`'s container with its UDP port (and optionally its TCP ports) moved. */
  const moved = (name: string, udp: number, tcp?: (port: number) => number): FakeResource => {
    const i = instance(name);
    return mediamtxContainer(hosts, i, {
      ports: i.published.map((p) => ({
        ip: p.ip,
        internal: p.protocol === "udp" ? udp : p.internal,
        external: p.protocol === "udp" ? udp : (tcp?.(p.external) ?? p.external),
        protocol: p.protocol,
      })),
    });
  };
  const replace = (resources: FakeResource[], ...containers: FakeResource[]) =>
    resources.map((r) => containers.find((c) => c.name === r.name) ?? r);

  it.each(["dev", "five", "hosts"])("passes fixture %s as the program declares it", async (name) => {
    assertNoViolations(await runStackPolicy(webrtcUdpPortsUnique, stackResources(fixtureModel(name))));
  });

  it("fails two instances on one host with the same UDP port, naming both, the host and the fix", async () => {
    const b1 = hosts.instances.find((i) => i.name === "b1")?.webrtcUdpPort;
    if (b1 === undefined) throw new Error("b1 has no UDP port");
    const outcome = await runStackPolicy(
      webrtcUdpPortsUnique,
      replace(stackResources(hosts), moved("b2", b1)),
    );
    expect(outcome.violations).toHaveLength(1);
    assertHasViolation(
      outcome,
      `Container "hosts-mediamtx-b2-container" (MediaMTX, host h2, engine ssh://ops@h2.example.net) publishes UDP port ${b1} on 198.51.100.12, which Container "hosts-mediamtx-b1-container" on the same engine publishes too`,
      "mediamtx-lb:instances[].slot",
    );
  });

  it("passes the same UDP port on instances of different hosts", async () => {
    const b1 = instance("b1").webrtcUdpPort ?? 0;
    assertNoViolations(
      await runStackPolicy(webrtcUdpPortsUnique, replace(stackResources(hosts), moved("c1", b1))),
    );
  });

  it("fails a UDP port below 1024", async () => {
    const outcome = await runStackPolicy(
      webrtcUdpPortsUnique,
      replace(stackResources(hosts), moved("a1", 500)),
    );
    assertHasViolation(
      outcome,
      '"hosts-mediamtx-a1-container"',
      "UDP port 500",
      "below 1024",
      "webrtcUdpBase",
    );
  });

  it("fails two instances on one host sharing a TCP (ip, port), a wildcard overlapping the private address", async () => {
    const a1 = instance("a1");
    const a2 = mediamtxContainer(hosts, instance("a2"), {
      ports: [
        { ip: "0.0.0.0", external: a1.dial.rtmp, internal: 1935, protocol: "tcp" },
        { ip: "198.51.100.11", external: 20001, internal: 20001, protocol: "udp" },
      ],
    });
    const outcome = await runStackPolicy(webrtcUdpPortsUnique, replace(stackResources(hosts), a2));
    expect(outcome.violations).toHaveLength(1);
    assertHasViolation(
      outcome,
      `Container "hosts-mediamtx-a2-container" (MediaMTX, host h1, engine unix:///run/mediamtx-lb/h1/docker.sock) publishes TCP port ${a1.dial.rtmp} on every address, which Container "hosts-mediamtx-a1-container" on the same engine publishes too (on 10.9.0.11)`,
      "privateBase",
    );
  });

  it("passes one TCP port on two different specific addresses, and the same port as UDP and TCP", async () => {
    const a1 = instance("a1");
    const a2 = mediamtxContainer(hosts, instance("a2"), {
      ports: [
        { ip: "127.0.0.1", external: a1.dial.rtmp, internal: 1935, protocol: "tcp" },
        { ip: "198.51.100.11", external: a1.dial.api, internal: a1.dial.api, protocol: "udp" },
      ],
    });
    assertNoViolations(await runStackPolicy(webrtcUdpPortsUnique, replace(stackResources(hosts), a2)));
  });

  it("groups by the host label when containers carry no provider, and ignores the gateway", async () => {
    const b1 = instance("b1").webrtcUdpPort ?? 0;
    const strip = (r: FakeResource): FakeResource => ({ type: r.type, name: r.name, props: r.props });
    const resources = [
      ...replace(stackResources(hosts), moved("b2", b1)).map(strip),
      haproxyContainer(hosts, {
        ports: [{ ip: "198.51.100.12", external: b1, internal: b1, protocol: "udp" }],
      }),
    ];
    const outcome = await runStackPolicy(webrtcUdpPortsUnique, resources);
    expect(outcome.violations).toHaveLength(1);
    assertHasViolation(outcome, "(MediaMTX, host h2) publishes UDP port");
  });

  it("puts containers without provider or label on one default provider", async () => {
    const dev = fixtureModel("dev");
    const [first, second] = dev.instances;
    if (first === undefined || second === undefined)
      throw new Error("dev fixture has fewer than two instances");
    const udp = { external: 20000, internal: 20000, protocol: "udp" };
    const outcome = await runStackPolicy(webrtcUdpPortsUnique, [
      mediamtxContainer(dev, first, { ports: [udp] }),
      mediamtxContainer(dev, second, { ports: [{ ...udp, ip: "192.0.2.1" }] }),
    ]);
    assertHasViolation(outcome, "(MediaMTX, the default provider) publishes UDP port 20000 on 192.0.2.1");
  });
});
