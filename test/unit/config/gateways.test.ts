import { describe, expect, it } from "vitest";
import { localKeepalivedImage } from "../../../scripts/lib/versions";
import { configErrors as errorsOf, modelOf as model } from "../../support/config-errors";

const HOSTS = [
  { name: "h1", docker: "unix:///run/h1/docker.sock", address: "198.51.100.11", privateAddress: "10.9.0.11" },
  { name: "h2", docker: "unix:///run/h2/docker.sock", address: "198.51.100.12", privateAddress: "10.9.0.12" },
  { name: "h3", docker: "ssh://ops@h3.example.net", address: "198.51.100.13", privateAddress: "10.9.0.13" },
];

const PAIR = {
  hosts: HOSTS,
  gateways: [
    { name: "ga", host: "h1" },
    { name: "gb", host: "h2" },
  ],
  floatingAddress: "198.51.100.100",
  privateFloatingAddress: "10.9.0.100",
  instances: [
    { name: "a", host: "h1" },
    { name: "b", host: "h3" },
  ],
};

describe("validateConfig: gateways", () => {
  it("a stack without the key has one gateway with the names it always had", () => {
    const m = model({ instances: [{ name: "a" }] });
    expect(m.gateways).toHaveLength(1);
    expect(m.gateways[0]).toMatchObject({
      name: "gateway",
      containerName: "dev-haproxy",
      configDir: "/home/ops/.local/state/mediamtx-lb/dev/haproxy",
      keepalived: undefined,
    });
    expect(m.floating).toBeUndefined();
  });

  it("a list of one is the same stack as `gateway: {host}`", () => {
    const one = model({
      hosts: HOSTS,
      gateways: [{ name: "edge", host: "h2" }],
      instances: [{ name: "a", host: "h2" }],
    });
    const old = model({ hosts: HOSTS, gateway: { host: "h2" }, instances: [{ name: "a", host: "h2" }] });
    const { gateways: g1, ...rest1 } = one;
    const { gateways: g0, ...rest0 } = old;
    expect(rest1).toEqual(rest0);
    expect(g1[0]?.name).toBe("edge");
    expect(g1[0]?.containerName).toBe(g0[0]?.containerName);
  });

  const m = model(PAIR);

  it("names each gateway's HAProxy, log sink and keepalived after it", () => {
    expect(
      m.gateways.map((g) => [
        g.name,
        g.host,
        g.containerName,
        g.logSink.containerName,
        g.keepalived?.containerName,
      ]),
    ).toEqual([
      ["ga", "h1", "dev-haproxy-ga", "dev-haproxy-ga-log", "dev-keepalived-ga"],
      ["gb", "h2", "dev-haproxy-gb", "dev-haproxy-gb-log", "dev-keepalived-gb"],
    ]);
    expect(m.gateways[1]?.configDir).toBe("/home/ops/.local/state/mediamtx-lb/dev/haproxy-gb");
    expect(m.gateways[1]?.labels).toContainEqual({ label: "mediamtx-lb.gateway", value: "gb" });
    expect(m.gateway.containerName).toBe("dev-haproxy-ga");
  });

  it("binds every address, tells clients the floating one, and lets each gateway be dialled on its host", () => {
    expect(m.bindAddress).toBe("0.0.0.0");
    expect(m.publicHost).toBe("198.51.100.100");
    expect(m.endpoints.hls).toBe("http://198.51.100.100:8888");
    expect(m.local.host).toBe("198.51.100.100");
    expect(m.gateways.map((g) => g.localHost)).toEqual(["198.51.100.11", "198.51.100.12"]);
    expect(m.floating).toEqual({
      address: "198.51.100.100",
      privateAddress: "10.9.0.100",
      routerId: 100,
      preempt: false,
    });
  });

  it("instances call the hook on the private floating address and trust both gateways' private addresses", () => {
    expect(m.instances.map((i) => i.publishHookUrl)).toEqual([
      "http://10.9.0.100:9990/auth/a",
      "http://10.9.0.100:9990/auth/b",
    ]);
    expect(m.publishHook.bind).toBe("10.9.0.100:9990");
    // Only the private network may call it: no public address among the sources.
    expect(m.publishHook.sources.slice(1)).toEqual(["10.9.0.11", "10.9.0.12", "10.9.0.13"]);
    expect(m.gatewaySources.slice(1)).toEqual(["10.9.0.11", "10.9.0.12"]);
    expect(m.instances.map((i) => i.dial.address)).toEqual(["10.9.0.11", "10.9.0.13"]);
    expect(m.instances[1]?.candidateHosts).toEqual(["198.51.100.13", "198.51.100.100"]);
  });

  it("defaults to the keepalived image scripts/bootstrap builds", () => {
    expect(m.images.keepalived).toBe(localKeepalivedImage());
  });

  it("preempts only when the priorities differ", () => {
    const p = model({
      ...PAIR,
      gateways: [
        { name: "ga", host: "h1", priority: 150 },
        { name: "gb", host: "h2" },
      ],
    });
    expect(p.floating?.preempt).toBe(true);
    expect(p.gateways.map((g) => g.priority)).toEqual([150, 100]);
  });

  it("keeps a publicHost the user gave", () => {
    expect(model({ ...PAIR, publicHost: "media.example.com" }).endpoints.hls).toBe(
      "http://media.example.com:8888",
    );
  });
});

describe("validateConfig: bad gateways", () => {
  const noPrivate = HOSTS.map((h) => (h.name === "h2" ? { ...h, privateAddress: undefined } : h));
  const cases: readonly [string, Readonly<Record<string, unknown>>, string][] = [
    [
      "both keys",
      { ...PAIR, gateway: { host: "h1" } },
      "mediamtx-lb:gateway: cannot be used with mediamtx-lb:gateways: place each gateway with gateways[].host",
    ],
    [
      "empty list",
      { ...PAIR, gateways: [] },
      "mediamtx-lb:gateways: must be a list of 1-4 objects {name, host?, priority?}, got an empty list",
    ],
    [
      "two gateways without hosts",
      {
        gateways: [{ name: "ga" }, { name: "gb" }],
        floatingAddress: "198.51.100.100",
        instances: [{ name: "a" }],
      },
      "mediamtx-lb:gateways: more than one gateway needs mediamtx-lb:hosts: each gateway runs on its own host",
    ],
    [
      "same name",
      {
        ...PAIR,
        gateways: [
          { name: "ga", host: "h1" },
          { name: "ga", host: "h2" },
        ],
      },
      'mediamtx-lb:gateways[1].name: must be unique, got "ga" (also mediamtx-lb:gateways[0].name)',
    ],
    [
      "same host",
      {
        ...PAIR,
        gateways: [
          { name: "ga", host: "h1" },
          { name: "gb", host: "h1" },
        ],
      },
      'mediamtx-lb:gateways[1].host: must differ from mediamtx-lb:gateways[0].host ("h1"): two gateways on one host fail together',
    ],
    [
      "priority out of range",
      {
        ...PAIR,
        gateways: [
          { name: "ga", host: "h1", priority: 255 },
          { name: "gb", host: "h2" },
        ],
      },
      "mediamtx-lb:gateways[0].priority: must be an integer 1-254, got 255",
    ],
    [
      "unknown key",
      {
        ...PAIR,
        gateways: [
          { name: "ga", host: "h1", weight: 2 },
          { name: "gb", host: "h2" },
        ],
      },
      "mediamtx-lb:gateways[0].weight: unknown key (allowed: host, name, priority)",
    ],
    [
      "no floating address",
      { ...PAIR, floatingAddress: undefined },
      "mediamtx-lb:floatingAddress: required with 2 gateways (an IPv4 address on the hosts' public network that no host has (clients connect to it)), got nothing",
    ],
    [
      "floating address with one gateway",
      { hosts: HOSTS, floatingAddress: "198.51.100.100", instances: [{ name: "a" }] },
      "mediamtx-lb:floatingAddress: needs two or more mediamtx-lb:gateways (it moves between them), got one gateway",
    ],
    [
      "floating address a host has",
      { ...PAIR, floatingAddress: "198.51.100.12" },
      'mediamtx-lb:floatingAddress: must not be a host\'s own address, got "198.51.100.12" (also mediamtx-lb:hosts[1]): keepalived adds and removes it',
    ],
    [
      "floating address .0",
      { ...PAIR, floatingAddress: "198.51.100.0" },
      `mediamtx-lb:floatingAddress: must be an IPv4 address on the hosts' public network that no host has (clients connect to it), got "198.51.100.0"`,
    ],
    [
      "no private floating address",
      { ...PAIR, privateFloatingAddress: undefined },
      "mediamtx-lb:privateFloatingAddress: required with 2 gateways (an IPv4 address on the hosts' private network that no host has (the publish hook listens there)), got nothing",
    ],
    [
      "private floating address a host has",
      { ...PAIR, privateFloatingAddress: "10.9.0.13" },
      'mediamtx-lb:privateFloatingAddress: must not be an address in use, got "10.9.0.13" (also mediamtx-lb:hosts[2]): keepalived adds and removes it',
    ],
    [
      "private floating address the same as the public one",
      { ...PAIR, privateFloatingAddress: "198.51.100.100" },
      'mediamtx-lb:privateFloatingAddress: must not be an address in use, got "198.51.100.100" (also mediamtx-lb:floatingAddress): keepalived adds and removes it',
    ],
    [
      "private floating address with one gateway",
      { hosts: HOSTS, privateFloatingAddress: "10.9.0.100", instances: [{ name: "a" }] },
      "mediamtx-lb:privateFloatingAddress: needs two or more mediamtx-lb:gateways (it moves between them), got one gateway",
    ],
    [
      "bind address not 0.0.0.0",
      { ...PAIR, bindAddress: "198.51.100.11" },
      'mediamtx-lb:bindAddress: must be 0.0.0.0 with mediamtx-lb:floatingAddress (each gateway listens on its host\'s addresses and on the floating one while it holds it), got "198.51.100.11"',
    ],
    [
      "gateway host without private address",
      { ...PAIR, hosts: noPrivate },
      'mediamtx-lb:hosts[1].privateAddress: required: mediamtx-lb:gateways[1] runs on "h2" and dials every instance over the private network',
    ],
    [
      "gateway on a remote engine",
      {
        ...PAIR,
        gateways: [
          { name: "ga", host: "h1" },
          { name: "gb", host: "h3" },
        ],
      },
      'mediamtx-lb:hosts[2].docker: must be a unix:// engine on this machine: the gateway runs on "h3" and its config directory is a directory here (place it with gateways[1].host), got "ssh://ops@h3.example.net"',
    ],
  ];
  it.each(cases)("%s: one line naming the key", (_name, raw, error) => {
    expect(errorsOf(raw)).toEqual([error]);
  });
});
