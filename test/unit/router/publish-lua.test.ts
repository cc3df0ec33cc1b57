// The publish hook (rendered publish-config.lua + static publish.lua, loaded after the router in
// haproxy.cfg's order) under real Lua 5.3 and 5.4, against the harness's stub core: what the hook
// answers MediaMTX, which control API calls it makes to the old owner, and where the router then routes.

import { describe, expect, it } from "vitest";
import type { Model } from "../../../infra/config/model";
import { LUA_INTERPRETERS, runScenario, writeRouter } from "./lua";
import { mtxPath } from "./mediamtx-api";
import { routerModel } from "./model";

const A = "10.0.0.1";
const B = "10.0.0.2";
const GET_A = `http://${A}:9997/v3/paths/get/`;
const SESSION = "5b3c6d1e-2f4a-4b8c-9d0e-1f2a3b4c5d6e";
const KICK_A = `POST http://${A}:9997/v3/rtmpconns/kick/${SESSION}`;

function model(republish: Model["routing"]["republish"]): Model {
  const base = routerModel([
    { name: "a", address: A },
    { name: "b", address: B },
  ]);
  return { ...base, routing: { ...base.routing, republish } };
}

/** MediaMTX's hook body (internal/auth/manager.go) for a publish of `path`. */
function publish(path: string): Record<string, unknown> {
  return {
    ip: "172.30.0.99",
    user: "",
    password: "",
    token: "",
    action: "publish",
    path,
    protocol: "rtmp",
    id: "9d2f0c1e-0000-4000-8000-000000000001",
    query: "",
    userAgent: "",
  };
}

const live = (name: string) => ({ status: 200, body: JSON.stringify(mtxPath(name)) });

describe.each(LUA_INTERPRETERS)("publish.lua under %s", (interpreter) => {
  const takeover = writeRouter(model("takeover"));
  const refuse = writeRouter(model("refuse"));

  it("routes a first publish at once, and a republish on the same instance without any API call", () => {
    const out = runScenario(interpreter, takeover, [
      { op: "hook", instance: "a", body: publish("cam/1"), label: "first" },
      { op: "hook", instance: "a", body: publish("cam/1"), label: "same instance" },
      { op: "map", label: "map" },
      { op: "status", label: "status" },
    ]);
    expect(out.first).toEqual({ status: 200, reason: "ok", calls: [] });
    expect(out["same instance"]).toEqual({ status: 200, reason: "ok", calls: [] });
    expect(out.map).toEqual({ map: { "cam/1": "a" }, calls: [] });
    expect(out.status).toMatchObject({
      status: { entries: [{ stream: "cam/1", server: "a", source: "push" }] },
    });
  });

  it("does not route a WHIP publish at hook time (the 201 teaches the router), but still takes over", () => {
    const out = runScenario(interpreter, takeover, [
      { op: "hook", instance: "a", body: { ...publish("cam/1"), protocol: "webrtc" }, label: "whip" },
      { op: "map", label: "map after whip" },
      { op: "hook", instance: "a", body: publish("cam/1") },
      { op: "api", address: A, paths: { "cam/1": live("cam/1") } },
      {
        op: "hook",
        instance: "b",
        body: { ...publish("cam/1"), protocol: "webrtc" },
        label: "whip takeover",
      },
      { op: "map", label: "map after takeover" },
    ]);
    expect(out.whip).toEqual({ status: 200, reason: "ok", calls: [] });
    expect(out["map after whip"]).toEqual({ map: {}, calls: [] });
    expect(out["whip takeover"]).toEqual({
      status: 200,
      reason: "ok",
      calls: [`${GET_A}cam/1`, KICK_A, `${GET_A}cam/1`],
    });
    // Still a's until b's 201 reaches the router (mtx_learn) or a poll lists it on b.
    expect(out["map after takeover"]).toEqual({ map: { "cam/1": "a" }, calls: [] });
  });

  it("takes over: kicks the old publisher on its instance, then routes to the new one", () => {
    const out = runScenario(interpreter, takeover, [
      { op: "hook", instance: "a", body: publish("cam/1") },
      { op: "api", address: A, paths: { "cam/1": live("cam/1") } },
      { op: "hook", instance: "b", body: publish("cam/1"), label: "takeover" },
      { op: "map", label: "map" },
    ]);
    // The last call checks that the old instance dropped the path before the new publish is accepted.
    expect(out.takeover).toEqual({
      status: 200,
      reason: "ok",
      calls: [`${GET_A}cam/1`, KICK_A, `${GET_A}cam/1`],
    });
    expect(out.map).toEqual({ map: { "cam/1": "b" }, calls: [] });
  });

  it.each([
    ["webRTCSession", "webrtcsessions"],
    ["rtmpsConn", "rtmpsconns"],
    ["rtspSession", "rtspsessions"],
    ["srtConn", "srtconns"],
  ])("kicks a %s through /v3/%s/kick", (type, endpoint) => {
    const body = JSON.stringify({ ...mtxPath("cam/1"), source: { type, id: SESSION } });
    const out = runScenario(interpreter, takeover, [
      { op: "hook", instance: "a", body: publish("cam/1") },
      { op: "api", address: A, paths: { "cam/1": { status: 200, body } } },
      { op: "hook", instance: "b", body: publish("cam/1"), label: "takeover" },
    ]);
    expect(out.takeover).toMatchObject({
      status: 200,
      calls: [`${GET_A}cam/1`, `POST http://${A}:9997/v3/${endpoint}/kick/${SESSION}`, `${GET_A}cam/1`],
    });
  });

  it.each([
    ["the old owner no longer has it (404)", { paths: {} }, [`${GET_A}cam/1`]],
    [
      "the old owner has it, not ready",
      { paths: { "cam/1": { status: 200, body: JSON.stringify(mtxPath("cam/1", false)) } } },
      [`${GET_A}cam/1`],
    ],
    [
      "the kicked session already ended (404)",
      { paths: { "cam/1": live("cam/1") }, kick: { status: 404, body: "" } },
      // Still listed (this fake never drops it): checked every 10 ms for 500 ms, then accepted anyway.
      [`${GET_A}cam/1`, KICK_A, ...Array.from({ length: 51 }, () => `${GET_A}cam/1`)],
    ],
  ])("just routes when %s", (_, api, calls) => {
    const out = runScenario(interpreter, takeover, [
      { op: "hook", instance: "a", body: publish("cam/1") },
      { op: "api", address: A, ...api },
      { op: "hook", instance: "b", body: publish("cam/1"), label: "publish" },
      { op: "map", label: "map" },
    ]);
    expect(out.publish).toEqual({ status: 200, reason: "ok", calls });
    expect(out.map).toEqual({ map: { "cam/1": "b" }, calls: [] });
  });

  it("just routes when the old owner is DOWN (no call) or does not answer (503)", () => {
    const out = runScenario(interpreter, takeover, [
      { op: "hook", instance: "a", body: publish("cam/1") },
      { op: "hook", instance: "a", body: publish("cam/2") },
      { op: "health", server: "a", status: "DOWN" },
      { op: "hook", instance: "b", body: publish("cam/1"), label: "down" },
      { op: "health", server: "a", status: "UP" },
      { op: "hook", instance: "b", body: publish("cam/2"), label: "no answer" },
      { op: "map", label: "map" },
    ]);
    expect(out.down).toEqual({ status: 200, reason: "ok", calls: [] });
    expect(out["no answer"]).toEqual({ status: 200, reason: "ok", calls: [`${GET_A}cam/2`] });
    expect(out.map).toEqual({ map: { "cam/1": "b", "cam/2": "b" }, calls: [] });
  });

  it("refuses the new publish (503) when the kick fails, and keeps routing to the old owner", () => {
    const out = runScenario(interpreter, takeover, [
      { op: "hook", instance: "a", body: publish("cam/1") },
      { op: "api", address: A, paths: { "cam/1": live("cam/1") }, kick: { status: 500, body: "" } },
      { op: "hook", instance: "b", body: publish("cam/1"), label: "kick fails" },
      { op: "map", label: "map" },
    ]);
    expect(out["kick fails"]).toEqual({
      status: 503,
      reason: `stream cam/1 is live on instance a and its publisher (rtmpConn ${SESSION}) could not be kicked (500); retry`,
      calls: [`${GET_A}cam/1`, KICK_A],
    });
    expect(out.map).toEqual({ map: { "cam/1": "a" }, calls: [] });
  });

  it("routing.republish: refuse answers 409 while the stream is live elsewhere, and routes once it is gone", () => {
    const out = runScenario(interpreter, refuse, [
      { op: "hook", instance: "a", body: publish("cam/1") },
      { op: "api", address: A, paths: { "cam/1": live("cam/1") } },
      { op: "hook", instance: "b", body: publish("cam/1"), label: "refused" },
      { op: "map", label: "map while live" },
      { op: "hook", instance: "a", body: publish("cam/1"), label: "same instance" },
      { op: "api", address: A, paths: {} },
      { op: "hook", instance: "b", body: publish("cam/1"), label: "gone" },
      { op: "map", label: "map after" },
    ]);
    expect(out.refused).toEqual({
      status: 409,
      reason: "stream cam/1 is live on instance a (routing.republish: refuse)",
      calls: [`${GET_A}cam/1`],
    });
    expect(out["map while live"]).toEqual({ map: { "cam/1": "a" }, calls: [] });
    expect(out["same instance"]).toEqual({ status: 200, reason: "ok", calls: [] });
    expect(out.gone).toEqual({ status: 200, reason: "ok", calls: [`${GET_A}cam/1`] });
    expect(out["map after"]).toEqual({ map: { "cam/1": "b" }, calls: [] });
  });

  it.each([
    ["127.0.0.1", "api", 200],
    ["::1", "metrics", 200],
    ["172.30.0.1", "api", 200],
    ["172.30.0.254", "metrics", 200],
    ["172.30.1.1", "api", 401],
    ["10.0.0.5", "metrics", 401],
    ["127.0.0.2", "pprof", 401],
    ["", "api", 401],
  ])("answers %s asking for %s with %i (loopback and the stack subnet only)", (ip, action, status) => {
    const out = runScenario(interpreter, takeover, [
      { op: "hook", instance: "a", body: { ...publish(""), action, path: "", ip }, label: "hook" },
    ]);
    expect(out.hook).toMatchObject({ status, calls: [] });
  });

  it.each([
    ["read (excluded in mediamtx.yml)", { ...publish("cam/1"), action: "read" }, 403],
    ["a body that is not an object", "publish", 400],
    ["a publish without a path", { action: "publish" }, 400],
  ])("refuses %s", (_, body, status) => {
    const out = runScenario(interpreter, takeover, [{ op: "hook", instance: "a", body, label: "hook" }]);
    expect(out.hook).toMatchObject({ status, calls: [] });
  });
});
