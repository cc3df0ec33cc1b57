import { describe, expect, it } from "vitest";
import { HTTP_LOG_FORMAT } from "../../infra/render/haproxy";
import { renderPlainConfig, toPlainView } from "./plain-proxy";
import { benchModel } from "./stack-config";

const model = benchModel("/tmp/bench-host");

describe("plain proxy config", () => {
  it("has a logged and a bare single-server listener per instance on consecutive ports", () => {
    expect(toPlainView(model, 2).listeners).toEqual([
      { name: "a", bind: "127.0.0.1:26801", bareBind: "127.0.0.1:26821", endpoint: "10.213.206.10:8888" },
      { name: "b", bind: "127.0.0.1:26802", bareBind: "127.0.0.1:26822", endpoint: "10.213.206.11:8888" },
    ]);
  });

  it("logs on plain_* exactly as the stack's HTTP frontends do, nothing on bare_*, and has no Lua or map", () => {
    const cfg = renderPlainConfig(model, 2);
    expect(cfg).toContain("    log /var/run/mediamtx-lb-stack/log.sock format raw local0\n");
    expect(cfg).toContain(
      `frontend plain_b\n    bind 127.0.0.1:26802\n    log global\n    option dontlognull\n    log-format ${HTTP_LOG_FORMAT}\n    default_backend plain_b\n`,
    );
    expect(cfg).toContain("frontend bare_b\n    bind 127.0.0.1:26822\n    default_backend plain_b\n");
    expect(cfg).toContain("    server b 10.213.206.11:8888\n");
    expect(cfg).not.toMatch(/lua-load|lua\.|map\(/);
    expect(renderPlainConfig(model, 2)).toBe(cfg);
  });
});
