// infra/render/publish.ts: the publish hook's config table.

import { describe, expect, it } from "vitest";
import type { Model } from "../../../infra/config/model";
import { HOOK_CALL_TIMEOUT_MS, renderPublishConfigLua, toPublishView } from "../../../infra/render/publish";
import { HTTPCLIENT_ATTEMPTS } from "../../../infra/render/router";
import { testModel } from "../../support/model";

function model(republish: Model["routing"]["republish"]): Model {
  return testModel({ routing: { pollIntervalMs: 1_000, republish } });
}

describe("toPublishView", () => {
  it.each(["takeover", "refuse"] as const)("carries routing.republish %s as a Lua string", (mode) => {
    expect(toPublishView(model(mode)).republishLua).toBe(`"${mode}"`);
  });

  it("allows api/metrics from loopback and the stack subnet, as mediamtx.yml's internal user did", () => {
    expect(toPublishView(model("takeover")).apiNetworksLua).toBe('"127.0.0.1", "::1", "10.213.7.0/24"');
  });

  it("splits one API call's budget over core.httpclient's attempts", () => {
    const view = toPublishView(model("takeover"));
    expect(view.apiAttemptTimeoutMs * HTTPCLIENT_ATTEMPTS).toBeLessThanOrEqual(HOOK_CALL_TIMEOUT_MS);
    expect(view.pathPrefixLua).toBe('"/auth/"');
  });
});

describe("renderPublishConfigLua", () => {
  it("sets MTX_PUBLISH_CONFIG and nothing else, deterministically", () => {
    const text = renderPublishConfigLua(model("refuse"));
    expect(renderPublishConfigLua(model("refuse"))).toBe(text);
    expect(text).toContain('  republish = "refuse",\n');
    expect(text.split("\n").filter((l) => /^[A-Za-z_]/.test(l))).toEqual(["MTX_PUBLISH_CONFIG = {"]);
  });
});
