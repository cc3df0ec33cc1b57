import { describe, expect, it } from "vitest";
import { forgetHost } from "../../../infra/ops/forget-host";

const S = "urn:pulumi:st::mediamtx-lb::";
const P3 = `${S}pulumi:providers:docker::st-host-h3`;
const P1 = `${S}pulumi:providers:docker::st-host-h1`;
const DYN = `${S}pulumi:providers:pulumi-nodejs::default`;
const C3 = `${S}mediamtx-lb:index:MediamtxInstance$docker:index:Container::st-mediamtx-c-container`;
const F3 = `${S}mediamtx-lb:index:MediamtxInstance$pulumi-nodejs:dynamic:Resource::st-mediamtx-c-config`;
const I3 = `${S}mediamtx-lb:index:MediamtxInstance::st-mediamtx-c`;
const IMG3 = `${S}docker:index:RemoteImage::st-image-mediamtx-h3`;
const C1 = `${S}mediamtx-lb:index:MediamtxInstance$docker:index:Container::st-mediamtx-a-container`;
const GW = `${S}mediamtx-lb:index:Gateway$docker:index:Container::st-haproxy-container`;

const exported = {
  version: 3,
  deployment: {
    manifest: { time: "2026-12-07T00:00:00Z" },
    resources: [
      { urn: P1, type: "pulumi:providers:docker", custom: true, id: "p1" },
      { urn: P3, type: "pulumi:providers:docker", custom: true, id: "p3" },
      { urn: IMG3, type: "docker:index:RemoteImage", provider: `${P3}::p3` },
      { urn: I3, type: "mediamtx-lb:index:MediamtxInstance" },
      {
        urn: F3,
        type: "pulumi-nodejs:dynamic:Resource",
        parent: I3,
        provider: `${DYN}::d`,
        dependencies: [IMG3, P3],
      },
      {
        urn: C3,
        type: "docker:index:Container",
        parent: I3,
        provider: `${P3}::p3`,
        dependencies: [F3, IMG3],
        propertyDependencies: { image: [IMG3] },
      },
      { urn: C1, type: "docker:index:Container", provider: `${P1}::p1` },
      {
        urn: GW,
        type: "docker:index:Container",
        provider: `${P1}::p1`,
        dependencies: [C1, C3, I3],
        propertyDependencies: { labels: [C3], name: [] },
      },
    ],
  },
};

describe("forgetHost", () => {
  const { exported: after, forgotten } = forgetHost(exported, "st", "h3");
  const resources = (after.deployment as { resources: { urn: string; dependencies?: string[] }[] }).resources;

  it("forgets the host's provider, what it manages and what depends on it, in state order", () => {
    expect(forgotten).toEqual([P3, IMG3, F3, C3]);
  });

  it("keeps everything else, the instance component and the gateway included", () => {
    expect(resources.map((r) => r.urn)).toEqual([P1, I3, C1, GW]);
  });

  it("strips the forgotten URNs from the dependencies of what stays", () => {
    const gw = resources.find((r) => r.urn === GW) as Record<string, unknown>;
    expect(gw.dependencies).toEqual([C1, I3]);
    expect(gw.propertyDependencies).toEqual({ labels: [], name: [] });
  });

  it("keeps the rest of the export as it was", () => {
    expect(after.version).toBe(3);
    expect((after.deployment as Record<string, unknown>).manifest).toEqual(exported.deployment.manifest);
  });

  it("refuses a host the stack has no provider for, naming it", () => {
    expect(() => forgetHost(exported, "st", "h9")).toThrow(
      "stack st has no Docker provider for host h9 (st-host-h9): nothing to forget",
    );
  });

  it("refuses the gateway's host: the running HAProxy would be forgotten", () => {
    expect(() => forgetHost(exported, "st", "h1")).toThrow(
      "host h1 runs the gateway (1 of its resources): forgetting it would lose the running HAProxy",
    );
  });

  it("lets a gateway pair lose one gateway's host: the other keeps the floating address", () => {
    const P2 = `${S}pulumi:providers:docker::st-host-h2`;
    const GW2 = `${S}mediamtx-lb:index:Gateway$docker:index/container:Container::st-haproxy-gb-container`;
    const pair = {
      ...exported,
      deployment: {
        ...exported.deployment,
        resources: [
          ...exported.deployment.resources,
          { urn: P2, type: "pulumi:providers:docker", custom: true, id: "p2" },
          { urn: GW2, type: "docker:index:Container", provider: `${P2}::p2`, dependencies: [GW] },
        ],
      },
    };
    const { forgotten: gone, exported: out } = forgetHost(pair, "st", "h1");
    expect(gone).toEqual([P1, C1, GW]);
    const kept = (out.deployment as { resources: { urn: string; dependencies?: string[] }[] }).resources;
    expect(kept.find((r) => r.urn === GW2)?.dependencies).toEqual([]);
  });

  it("drops interrupted operations on forgotten resources", () => {
    const withPending = {
      ...exported,
      deployment: {
        ...exported.deployment,
        pending_operations: [
          { resource: { urn: C3 }, type: "creating" },
          { resource: { urn: C1 }, type: "updating" },
        ],
      },
    };
    const { exported: out } = forgetHost(withPending, "st", "h3");
    expect((out.deployment as Record<string, unknown>).pending_operations).toEqual([
      { resource: { urn: C1 }, type: "updating" },
    ]);
  });

  it("refuses something that is not an export", () => {
    expect(() => forgetHost({ resources: [] }, "st", "h3")).toThrow("expected {deployment: {resources}}");
  });
});
