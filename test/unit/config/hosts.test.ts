import { describe, expect, it } from "vitest";
import { configErrors as errorsOf, modelOf as model } from "../../support/config-errors";

const HOSTS = [
  { name: "h1", docker: "unix:///run/h1/docker.sock", address: "198.51.100.11", privateAddress: "10.9.0.11" },
  { name: "h2", docker: "ssh://ops@h2.example.net", address: "198.51.100.12", privateAddress: "10.9.0.12" },
  { name: "h3", docker: "tcp://10.9.0.13:2376", address: "198.51.100.13", privateAddress: "10.9.0.13" },
];

describe("validateConfig: hosts", () => {
  const m = model({
    hosts: HOSTS,
    bindAddress: "0.0.0.0",
    publicHost: "198.51.100.11",
    instances: [
      { name: "a", host: "h1" },
      { name: "b", host: "h2" },
      { name: "c", host: "h3", slot: 7 },
      { name: "d" },
    ],
  });

  it("keeps the hosts in config order with one provider name each", () => {
    expect(m.hosts.map((h) => [h.name, h.index, h.providerName])).toEqual([
      ["h1", 0, "dev-host-h1"],
      ["h2", 1, "dev-host-h2"],
      ["h3", 2, "dev-host-h3"],
    ]);
    expect(m.hosts[1]?.resources).toEqual({
      images: {
        haproxy: "dev-image-haproxy-h2",
        mediamtx: "dev-image-mediamtx-h2",
        keepalived: "dev-image-keepalived-h2",
      },
      network: "dev-h2",
    });
  });

  it("places an instance without `host`, and the gateway, on the first host", () => {
    expect(m.instances.map((i) => i.host)).toEqual(["h1", "h2", "h3", "h1"]);
    expect(m.gatewayHost).toBe("h1");
  });

  it("dials each instance on its host's private address at privateBase + 8 × slot + k", () => {
    const c = m.instances[2];
    expect(c?.dial).toEqual({
      address: "10.9.0.13",
      rtmp: 19056,
      hls: 19057,
      webrtc: 19058,
      api: 19059,
      metrics: 19060,
      iceTcp: 19061,
    });
  });

  it("publishes the MediaMTX ports on the private address only, and one UDP port on the public one", () => {
    expect(m.instances[1]?.published).toEqual([
      { ip: "10.9.0.12", external: 19008, internal: 1935, protocol: "tcp" },
      { ip: "10.9.0.12", external: 19009, internal: 8888, protocol: "tcp" },
      { ip: "10.9.0.12", external: 19010, internal: 8889, protocol: "tcp" },
      { ip: "10.9.0.12", external: 19011, internal: 9997, protocol: "tcp" },
      { ip: "10.9.0.12", external: 19012, internal: 9998, protocol: "tcp" },
      { ip: "10.9.0.12", external: 19013, internal: 8190, protocol: "tcp" },
      { ip: "198.51.100.12", external: 8190, internal: 8190, protocol: "udp" },
    ]);
    expect(m.instances[1]?.webrtcUdpPort).toBe(8190);
  });

  it("advertises the instance's host and the public host in its candidates", () => {
    expect(m.instances[1]?.candidateHosts).toEqual(["198.51.100.12", "198.51.100.11"]);
    expect(m.instances[0]?.candidateHosts).toEqual(["198.51.100.11"]);
  });

  it("serves the publish hook on the gateway host's private address, to every host's private address", () => {
    expect(m.publishHook.bind).toBe("10.9.0.11:9990");
    expect(m.publishHook.sources).toEqual(["10.213.57.0/24", "10.9.0.11", "10.9.0.12", "10.9.0.13"]);
    expect(m.instances[2]?.publishHookUrl).toBe("http://10.9.0.11:9990/auth/c");
    expect(m.gatewaySources).toEqual(["10.213.57.0/24", "10.9.0.11"]);
  });

  it("labels each instance container with its host", () => {
    expect(m.instances[1]?.labels).toContainEqual({ label: "mediamtx-lb.host", value: "h2" });
  });

  it("checks the gateway from this machine at the gateway host's address when bound to every address", () => {
    expect(m.local.host).toBe("198.51.100.11");
  });

  it("binds an instance on the gateway's host without a private address to loopback", () => {
    const local = model({
      hosts: [{ name: "solo", docker: "unix:///var/run/docker.sock", address: "198.51.100.20" }],
      instances: [{ name: "a" }],
    });
    expect(local.instances[0]?.dial.address).toBe("127.0.0.1");
    expect(local.publishHook.bind).toBe(`${local.network.gateway}:9990`);
    expect(local.gatewaySources).toEqual([local.network.subnet]);
  });

  it("places the gateway where gateway.host says", () => {
    const placed = model({ hosts: HOSTS, gateway: { host: "h1" }, instances: [{ name: "a", host: "h3" }] });
    expect(placed.gatewayHost).toBe("h1");
  });

  it("leaves a stack without hosts as it was", () => {
    const plain = model({ instances: [{ name: "a" }] });
    expect(plain.hosts).toEqual([]);
    expect(plain.gatewayHost).toBeUndefined();
    expect(plain.instances[0]?.published).toEqual([]);
    expect(plain.instances[0]?.host).toBeUndefined();
  });
});

describe("validateConfig: bad hosts", () => {
  const cases: readonly [string, Readonly<Record<string, unknown>>, string][] = [
    [
      "instance host without hosts",
      { instances: [{ name: "a", host: "h1" }] },
      "mediamtx-lb:instances[0].host: needs mediamtx-lb:hosts (without it every container runs on the local engine)",
    ],
    [
      "gateway host without hosts",
      { instances: [{ name: "a" }], gateway: { host: "h1" } },
      "mediamtx-lb:gateway.host: needs mediamtx-lb:hosts (without it every container runs on the local engine)",
    ],
    [
      "unknown host",
      { hosts: HOSTS, instances: [{ name: "a", host: "h9" }] },
      'mediamtx-lb:instances[0].host: must name one of mediamtx-lb:hosts (h1, h2, h3), got "h9"',
    ],
    [
      "empty hosts",
      { hosts: [], instances: [{ name: "a" }] },
      "mediamtx-lb:hosts: must be a list of 1-16 objects {name, docker, address, privateAddress?}, got 0 items",
    ],
    [
      "bad engine endpoint",
      { hosts: [{ ...HOSTS[0], docker: "http://h1:2375" }], instances: [{ name: "a" }] },
      'mediamtx-lb:hosts[0].docker: must be a Docker engine endpoint: unix:///path, tcp://host:port or ssh://user@host[:port], got "http://h1:2375"',
    ],
    [
      "address not an IPv4 address",
      { hosts: [{ ...HOSTS[0], address: "h1.example.net" }], instances: [{ name: "a" }] },
      'mediamtx-lb:hosts[0].address: must be the IPv4 address clients reach this machine at (its WebRTC UDP ports bind there; not 0.0.0.0, loopback, link-local or multicast), got "h1.example.net"',
    ],
    [
      "address on loopback",
      { hosts: [{ ...HOSTS[0], address: "127.0.0.1" }], instances: [{ name: "a" }] },
      'mediamtx-lb:hosts[0].address: must be the IPv4 address clients reach this machine at (its WebRTC UDP ports bind there; not 0.0.0.0, loopback, link-local or multicast), got "127.0.0.1"',
    ],
    [
      "private address unspecified (would publish the API everywhere)",
      { hosts: [{ ...HOSTS[0], privateAddress: "0.0.0.0" }], instances: [{ name: "a" }] },
      'mediamtx-lb:hosts[0].privateAddress: must be an IPv4 address on the network only the hosts share (MediaMTX ports bind there; not 0.0.0.0, loopback, link-local or multicast), got "0.0.0.0"',
    ],
    [
      "private address link-local",
      { hosts: [{ ...HOSTS[0], privateAddress: "169.254.1.1" }], instances: [{ name: "a" }] },
      'mediamtx-lb:hosts[0].privateAddress: must be an IPv4 address on the network only the hosts share (MediaMTX ports bind there; not 0.0.0.0, loopback, link-local or multicast), got "169.254.1.1"',
    ],
    [
      "two hosts on one engine",
      { hosts: [HOSTS[0], { ...HOSTS[1], docker: HOSTS[0]?.docker }], instances: [{ name: "a" }] },
      'mediamtx-lb:hosts[1].docker: must be unique, got "unix:///run/h1/docker.sock" (also mediamtx-lb:hosts[0].docker)',
    ],
    [
      "private ports without hosts",
      { ports: { privateBase: 20000 }, instances: [{ name: "a" }] },
      "mediamtx-lb:ports.privateBase: needs mediamtx-lb:hosts (without it nothing is published on a host)",
    ],
    [
      "missing docker",
      { hosts: [{ name: "h1", address: "198.51.100.11" }], instances: [{ name: "a" }] },
      "mediamtx-lb:hosts[0].docker: required (a Docker engine endpoint: unix:///path, tcp://host:port or ssh://user@host[:port]), got nothing",
    ],
    [
      "duplicate host name",
      { hosts: [HOSTS[0], { ...HOSTS[1], name: "h1" }], instances: [{ name: "a" }] },
      'mediamtx-lb:hosts[1].name: must be unique, got "h1" (also mediamtx-lb:hosts[0].name)',
    ],
    [
      "duplicate address",
      { hosts: [HOSTS[0], { ...HOSTS[1], address: "198.51.100.11" }], instances: [{ name: "a" }] },
      'mediamtx-lb:hosts[1].address: must be unique, got "198.51.100.11" (also mediamtx-lb:hosts[0].address)',
    ],
    [
      "private address equal to the public one",
      { hosts: [{ ...HOSTS[0], privateAddress: "198.51.100.11" }], instances: [{ name: "a" }] },
      'mediamtx-lb:hosts[0].privateAddress: must differ from mediamtx-lb:hosts[0].address (clients reach that one), got "198.51.100.11" for both',
    ],
    [
      "remote instance on a host without a private address",
      {
        hosts: [HOSTS[0], { name: "h2", docker: "tcp://10.9.0.12:2376", address: "198.51.100.12" }],
        instances: [{ name: "a", host: "h2" }],
      },
      'mediamtx-lb:hosts[1].privateAddress: required: mediamtx-lb:instances[0] runs on "h2", which the gateway (on "h1") reaches only over a private network',
    ],
    [
      "gateway on a remote engine",
      { hosts: HOSTS, gateway: { host: "h2" }, instances: [{ name: "a", host: "h2" }] },
      'mediamtx-lb:hosts[1].docker: must be a unix:// engine on this machine: the gateway runs on "h2" and its config directory is a directory here (place it with gateway.host), got "ssh://ops@h2.example.net"',
    ],
    [
      "private ports over a frontend port",
      { hosts: HOSTS, ports: { privateBase: 8884 }, instances: [{ name: "a" }] },
      "mediamtx-lb:instances[0].slot: its private ports 8884-8889 (ports.privateBase + 8 × slot 0) must not include 8888, which mediamtx-lb:ports.hls uses: move ports.privateBase",
    ],
    [
      "private ports past 65535",
      { hosts: HOSTS, ports: { privateBase: 65530 }, instances: [{ name: "a", slot: 1 }] },
      "mediamtx-lb:instances[0].slot: its private ports 65538-65543 (ports.privateBase 65530 + 8 × slot 1) must be at most 65535: lower ports.privateBase",
    ],
    [
      "UDP port past 65535",
      { hosts: HOSTS, ports: { webrtcUdpBase: 65535 }, instances: [{ name: "a", slot: 1 }] },
      "mediamtx-lb:instances[0].slot: its WebRTC UDP port 65536 (ports.webrtcUdpBase + slot) must be at most 65535: lower ports.webrtcUdpBase",
    ],
  ];
  it.each(cases)("%s: one line naming the key", (_name, raw, error) => {
    expect(errorsOf(raw)).toEqual([error]);
  });
});
