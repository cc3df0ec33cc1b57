import { describe, expect, it } from "vitest";
import { renderPlainConfig, toPlainView } from "./plain-proxy";
import { benchModel } from "./stack-config";

const model = benchModel("/tmp/bench-host");

describe("plain proxy config", () => {
  it("has one single-server listener per instance on consecutive ports", () => {
    expect(toPlainView(model, 2).listeners).toEqual([
      { name: "a", bind: "127.0.0.1:26801", endpoint: "10.213.206.10:8888" },
      { name: "b", bind: "127.0.0.1:26802", endpoint: "10.213.206.11:8888" },
    ]);
  });

  it("renders no Lua, no map and no logging", () => {
    const cfg = renderPlainConfig(model, 2);
    expect(cfg).toContain("frontend plain_b\n    bind 127.0.0.1:26802\n    default_backend plain_b\n");
    expect(cfg).toContain("    server b 10.213.206.11:8888\n");
    expect(cfg).not.toMatch(/lua-load|lua\.|map\(|^\s*log /m);
    expect(renderPlainConfig(model, 2)).toBe(cfg);
  });
});
