import { describe, expect, it } from "vitest";
import { validateConfig } from "../../infra/config/validate";
import {
  benchModel,
  benchStackConfig,
  durationMs,
  GATEWAY_PAIR_STACK,
  gatewayPairStackConfig,
  HOST_LOSS_STACK,
  hostLossStackConfig,
  instanceNames,
} from "./stack-config";

describe("bench stack config", () => {
  it("gives every instance weight 1 unless told, on the bench ports and subnet", () => {
    const c = benchStackConfig({ instances: 2, weights: { b: 3 } }, "/tmp/h");
    expect(c.instances).toEqual([
      { name: "a", weight: 1 },
      { name: "b", weight: 3 },
    ]);
    expect(c.subnet).toBe("10.213.206.0/24");
    expect(c.health).toEqual({ interval: "2s", timeout: "1s", fall: 3, rise: 2 });
    expect(c.routing).toEqual({ pollInterval: "1s" });
    expect(c.hostDir).toBe("/tmp/h");
  });

  it.each([0, 9])("refuses %d instances", (n) => {
    expect(() => instanceNames(n)).toThrow(/instances must be 1-8/);
  });

  it("is a valid stack config; the program places instance i at .10 + i", () => {
    const model = benchModel("/tmp/h");
    expect(model.instances.map((i) => i.address)).toEqual(
      Array.from({ length: 8 }, (_, i) => `10.213.206.${10 + i}`),
    );
    expect(model.gateway.containerName).toBe("bench-haproxy");
    expect(model.gateway.adminSocket).toBe("/tmp/h/haproxy/run/admin.sock");
    expect(model.local.hls).toBe("http://127.0.0.1:26888");
  });

  it.each([
    ["2s", 2000],
    ["500ms", 500],
  ])("%s is %d ms", (text, ms) => {
    expect(durationMs(text)).toBe(ms);
  });

  it("host-loss: two instances on each lab host, the gateway on h1, and the program accepts it", () => {
    const hosts = [1, 2, 3].map((i) => ({
      docker: `unix:///run/mtxlb-hosts/x/host-${i}/docker.sock`,
      address: `10.254.90.${10 + i}`,
      privateAddress: `10.254.91.${10 + i}`,
    }));
    const c = hostLossStackConfig(hosts, 2, "/tmp/hl");
    const model = validateConfig(c, { stack: HOST_LOSS_STACK, homeDir: "/tmp/hl", statsPasswordSet: true });
    expect(model.instances.map((i) => `${i.name}@${i.host}`)).toEqual([
      "h1-a@h1",
      "h1-b@h1",
      "h2-a@h2",
      "h2-b@h2",
      "h3-a@h3",
      "h3-b@h3",
    ]);
    expect(c.gateway).toEqual({ host: "h1" });
    expect(c.publicHost).toBe("10.254.90.11");
    expect(c.health).toEqual({ interval: "2s", timeout: "1s", fall: 3, rise: 2 });
  });

  it("gateway pair: ga@h1 and gb@h2 behind the floating address, both instances on h3, and the program accepts it", () => {
    const hosts = [1, 2, 3].map((i) => ({
      docker: `unix:///run/mtxlb-hosts/x/host-${i}/docker.sock`,
      address: `10.254.90.${10 + i}`,
      privateAddress: `10.254.91.${10 + i}`,
    }));
    const c = gatewayPairStackConfig(hosts, "10.254.90.100", "10.254.91.100", "/tmp/gp");
    const model = validateConfig(c, {
      stack: GATEWAY_PAIR_STACK,
      homeDir: "/tmp/gp",
      statsPasswordSet: true,
    });
    expect(model.gateways.map((g) => `${g.name}@${g.host}:${g.priority}`)).toEqual([
      "ga@h1:100",
      "gb@h2:100",
    ]);
    expect(model.floating).toEqual({
      address: "10.254.90.100",
      privateAddress: "10.254.91.100",
      routerId: 100,
      preempt: false,
    });
    expect(model.instances.map((i) => `${i.name}@${i.host}`)).toEqual(["h3-a@h3", "h3-b@h3"]);
    expect(() =>
      gatewayPairStackConfig(hosts.slice(0, 2), "10.254.90.100", "10.254.91.100", "/tmp/gp"),
    ).toThrow(/needs 3 lab hosts/);
  });
});
