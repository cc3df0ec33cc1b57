import { describe, expect, it } from "vitest";
import {
  fixtureModel,
  haproxyConfigDir,
  mediamtxConfigDir,
  mediamtxContainer,
} from "../tests/stack-resources";
import {
  CONFIG_DIR_TYPE,
  haproxyCfgOf,
  isMediamtxContainer,
  labelValue,
  MEDIAMTX_ROLE,
  ROLE_LABEL,
  secretFilesOf,
} from "./resources";

// The couplings listed in resources.ts, checked against the program's own values.
describe("couplings with the program", () => {
  const model = fixtureModel("dev");
  const [instance] = model.instances;
  if (instance === undefined) throw new Error("dev fixture has no instance");

  it("uses the program's role label and value", () => {
    expect(labelValue(mediamtxContainer(model, instance).props.labels, ROLE_LABEL)).toBe(MEDIAMTX_ROLE);
  });

  it("recognises the gateway's ConfigDir by its haproxy.cfg and no other", () => {
    const gateway = haproxyConfigDir(model);
    expect(gateway.type).toBe(CONFIG_DIR_TYPE);
    expect(haproxyCfgOf(gateway.type, gateway.props)).toMatch(/^# haproxy.cfg for stack dev/);
    const mediamtx = mediamtxConfigDir(model, instance);
    expect(haproxyCfgOf(mediamtx.type, mediamtx.props)).toBeUndefined();
  });
});

describe("isMediamtxContainer", () => {
  const labels = (role: string) => [{ label: ROLE_LABEL, value: role }];
  it.each([
    ["role label", { labels: labels("mediamtx"), image: "x/y:1" }, true],
    ["other role", { labels: labels("haproxy"), image: "haproxy:2.8" }, false],
    ["official image without label", { image: "bluenviron/mediamtx:1.20.0" }, true],
    ["local image without label", { image: "mediamtx-lb/mediamtx:1.20.0" }, true],
    ["look-alike image", { image: "acme/mediamtx-exporter:1" }, false],
    ["nothing", {}, false],
  ])("%s → %s", (_case, props, expected) => {
    expect(isMediamtxContainer(props)).toBe(expected);
  });
});

describe("secretFilesOf", () => {
  it("keeps string files and drops anything else", () => {
    expect(secretFilesOf({ secretFiles: { "a.cfg": "x", b: 1 } })).toEqual({ "a.cfg": "x" });
    expect(secretFilesOf({ secretFiles: "oops" })).toEqual({});
    expect(secretFilesOf({})).toEqual({});
  });
});
