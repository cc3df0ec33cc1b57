import { describe, expect, it } from "vitest";
import { fixtureModel, haproxyContainer, mediamtxContainer } from "../tests/stack-resources";
import {
  assertHasViolation,
  assertNotApplicable,
  assertNoViolations,
  runResourcePolicy,
} from "../tests/util";
import { mediamtxApiUnpublished } from "./mediamtx-api-unpublished";

describe("#mediamtx-api-unpublished", () => {
  const model = fixtureModel("five");

  it.each(
    model.instances.map((instance) => [instance.name, instance] as const),
  )("passes instance %s as the program declares it", async (_name, instance) => {
    assertNoViolations(await runResourcePolicy(mediamtxApiUnpublished, mediamtxContainer(model, instance)));
  });

  it("fails a published control API, naming the container, the field and the fix", async () => {
    const [instance] = model.instances;
    if (instance === undefined) throw new Error("no instance");
    const outcome = await runResourcePolicy(
      mediamtxApiUnpublished,
      mediamtxContainer(model, instance, { ports: [{ internal: 9997, external: 19997 }] }),
    );
    assertHasViolation(
      outcome,
      'Container "five-mediamtx-n1-container" (MediaMTX) publishes ports 9997 (control API) → host port 19997',
      "remove ports",
    );
  });

  it("fails any published port, including metrics on a random host port", async () => {
    const [, instance] = model.instances;
    if (instance === undefined) throw new Error("no instance");
    const outcome = await runResourcePolicy(
      mediamtxApiUnpublished,
      mediamtxContainer(model, instance, { ports: [{ internal: 1935, external: 1935 }, { internal: 9998 }] }),
    );
    assertHasViolation(outcome, "1935 → host port 1935, 9998 (metrics) → a random host port");
  });

  it("recognises a MediaMTX container by its image when the role label is missing", async () => {
    const [instance] = model.instances;
    if (instance === undefined) throw new Error("no instance");
    const unlabelled = mediamtxContainer(model, instance, { labels: [], ports: [{ internal: 8888 }] });
    assertHasViolation(await runResourcePolicy(mediamtxApiUnpublished, unlabelled), "publishes ports 8888");
  });

  describe("with hosts: the private path", () => {
    const hosts = fixtureModel("hosts");
    const b1 = hosts.instances.find((i) => i.name === "b1");
    if (b1 === undefined) throw new Error("hosts fixture has no b1");
    const withPorts = (edit: (port: Record<string, unknown>) => Record<string, unknown>) =>
      mediamtxContainer(hosts, b1, {
        ports: b1.published.map((p) =>
          edit({ ip: p.ip, external: p.external, internal: p.internal, protocol: p.protocol }),
        ),
      });

    it.each(
      hosts.instances.map((instance) => [instance.name, instance] as const),
    )("passes instance %s publishing its ports on its host's private address", async (_name, instance) => {
      expect(instance.published.length).toBeGreaterThan(0);
      assertNoViolations(await runResourcePolicy(mediamtxApiUnpublished, mediamtxContainer(hosts, instance)));
    });

    it.each([
      ["no ip", undefined],
      ["0.0.0.0", "0.0.0.0"],
      ["::", "::"],
      ["an empty ip", ""],
    ])("fails the API and metrics on a wildcard address: %s", async (_what, ip) => {
      const outcome = await runResourcePolicy(
        mediamtxApiUnpublished,
        withPorts((p) => (p.protocol === "tcp" && Number(p.internal) >= 9997 ? { ...p, ip } : p)),
      );
      assertHasViolation(
        outcome,
        'Container "hosts-mediamtx-b1-container" (MediaMTX) publishes ports 9997 (control API) → host port 19019, 9998 (metrics) → host port 19020 on every address',
        "hosts[].privateAddress",
      );
    });

    it("fails the API on the public address its UDP port uses, and names the fix", async () => {
      const outcome = await runResourcePolicy(
        mediamtxApiUnpublished,
        withPorts((p) => (p.internal === 9997 ? { ...p, ip: "198.51.100.12" } : p)),
      );
      expect(outcome.violations).toHaveLength(1);
      assertHasViolation(
        outcome,
        "publishes 9997 (control API) → host port 19019 on 198.51.100.12 on the public address its WebRTC UDP port uses",
        "hosts[].privateAddress",
      );
    });

    it("fails RTMP on the public address too: clients reach no MediaMTX TCP port", async () => {
      const outcome = await runResourcePolicy(
        mediamtxApiUnpublished,
        withPorts((p) => (p.internal === 1935 ? { ...p, ip: "198.51.100.12" } : p)),
      );
      assertHasViolation(outcome, "publishes 1935 → host port 19016 on 198.51.100.12 on the public address");
    });

    it("fails a port published on a specific address by a container without the host label (no hosts)", async () => {
      const outcome = await runResourcePolicy(
        mediamtxApiUnpublished,
        mediamtxContainer(model, model.instances[0] ?? b1, {
          ports: [{ internal: 9997, external: 9997, ip: "127.0.0.1" }],
        }),
      );
      assertHasViolation(
        outcome,
        "publishes ports 9997 (control API) → host port 9997 on 127.0.0.1",
        "remove ports",
      );
    });

    it("fails any TCP port on a wildcard address, not only the API", async () => {
      const outcome = await runResourcePolicy(
        mediamtxApiUnpublished,
        withPorts((p) => (p.internal === 8888 ? { ...p, ip: "0.0.0.0" } : p)),
      );
      assertHasViolation(outcome, "publishes ports 8888 → host port 19017 on every address");
    });
  });

  it("does not apply to the HAProxy container", async () => {
    assertNotApplicable(
      await runResourcePolicy(
        mediamtxApiUnpublished,
        haproxyContainer(model, { ports: [{ internal: 8404 }] }),
      ),
    );
  });
});
