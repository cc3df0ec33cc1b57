import { describe, expect, it } from "vitest";
import type { Model } from "../../infra/config/model";
import { renderHaproxyConfig } from "../../infra/render/haproxy";
import { TLS_CERT_FILE } from "../../infra/render/paths";
import {
  editText,
  fixtureModel,
  haproxyConfigDir,
  haproxyContainer,
  mediamtxConfigDir,
} from "../tests/stack-resources";
import {
  assertHasViolation,
  assertNotApplicable,
  assertNoViolations,
  runResourcePolicy,
} from "../tests/util";
import { tlsRequired } from "./tls-required";

/**
 * haproxy.cfg as the TLS rendering will look (issue 14): HLS, WebRTC and RTMP bound with `ssl crt` on
 * their TLS ports, and with `plain` the plain listeners beside them: `redirect` adds frontends that only
 * answer 308 to HTTPS, `on` adds a plain bind to each frontend. Written from the program's own render,
 * so the internal frontends (stats, ice_*, publish_hook) stay exactly as the program writes them.
 */
function tlsCfg(model: Model, plain: "off" | "redirect" | "on"): string {
  const { bindAddress: host, ports } = model;
  const crt = `ssl crt ${TLS_CERT_FILE}`;
  let cfg = renderHaproxyConfig(model);
  const swaps: [number, string][] = [
    [ports.hls, `${host}:${ports.hlsTls} ${crt} alpn h2,http/1.1`],
    [ports.webrtc, `${host}:${ports.webrtcTls} ${crt} alpn h2,http/1.1`],
    [ports.rtmp, `${host}:${ports.rtmps} ${crt}`],
  ];
  for (const [port, tls] of swaps) {
    const extra = plain === "on" ? `    bind ${host}:${port}\n` : "";
    cfg = editText(cfg, `    bind ${host}:${port}\n`, `    bind ${tls}\n${extra}`);
  }
  if (plain === "redirect") {
    for (const [name, port, tlsPort] of [
      ["hls_plain", ports.hls, ports.hlsTls],
      ["webrtc_plain", ports.webrtc, ports.webrtcTls],
    ] as const) {
      cfg +=
        `\nfrontend ${name}\n    mode http\n    bind ${host}:${port}\n` +
        `    http-request redirect prefix https://localhost:${tlsPort} code 308\n`;
    }
  }
  return cfg;
}

describe("#tls-required", () => {
  const model = fixtureModel("dev");

  it.each([
    "off",
    "redirect",
  ] as const)("passes TLS on every client-facing frontend with plain: %s", async (plain) => {
    assertNoViolations(
      await runResourcePolicy(tlsRequired, haproxyConfigDir(model, { haproxyCfg: tlsCfg(model, plain) })),
    );
  });

  it("fails each plain client-facing frontend of a stack without tls, naming the line and mediamtx-lb:tls", async () => {
    const outcome = await runResourcePolicy(tlsRequired, haproxyConfigDir(model));
    for (const [name, port] of [
      ["rtmp", 1935],
      ["hls", 8888],
      ["webrtc", 8889],
    ] as const) {
      assertHasViolation(
        outcome,
        'ConfigDir "dev-haproxy-config": files["haproxy.cfg"] line',
        `frontend ${name} binds 127.0.0.1:${port} without ssl`,
        "set mediamtx-lb:tls (",
      );
    }
    // stats, ice_mtx-1..3 and publish_hook are internal.
    expect(outcome.violations).toHaveLength(3);
  });

  it("fails plain: on beside TLS, naming tls.plain", async () => {
    const outcome = await runResourcePolicy(
      tlsRequired,
      haproxyConfigDir(model, { haproxyCfg: tlsCfg(model, "on") }),
    );
    assertHasViolation(outcome, "frontend hls binds 127.0.0.1:8888 without ssl", "mediamtx-lb:tls.plain");
    assertHasViolation(outcome, "frontend rtmp binds 127.0.0.1:1935 without ssl", "mediamtx-lb:tls.plain");
    assertHasViolation(outcome, "frontend webrtc binds 127.0.0.1:8889 without ssl", "mediamtx-lb:tls.plain");
  });

  it("gives the line of the plain bind", async () => {
    const cfg = tlsCfg(model, "on");
    const lineNo = cfg.split("\n").indexOf("    bind 127.0.0.1:8888") + 1;
    const outcome = await runResourcePolicy(tlsRequired, haproxyConfigDir(model, { haproxyCfg: cfg }));
    assertHasViolation(outcome, `files["haproxy.cfg"] line ${lineNo}: frontend hls binds 127.0.0.1:8888`);
  });

  it("fails a redirect frontend whose redirect is not to https, or only under a condition", async () => {
    const good = tlsCfg(model, "redirect");
    const redirect = `redirect prefix https://localhost:${model.ports.webrtcTls} code 308`;
    for (const bad of [
      editText(good, redirect, redirect.replace("https:", "http:")),
      editText(good, redirect, `${redirect} if { path /x }`),
    ]) {
      const outcome = await runResourcePolicy(tlsRequired, haproxyConfigDir(model, { haproxyCfg: bad }));
      assertHasViolation(outcome, "frontend webrtc_plain binds 127.0.0.1:8889 without ssl");
    }
  });

  it("fails a redirect that comes after a rule answering the request itself", async () => {
    const cfg = editText(
      tlsCfg(model, "redirect"),
      `    http-request redirect prefix https://localhost:${model.ports.hlsTls}`,
      `    http-request return status 200\n    http-request redirect prefix https://localhost:${model.ports.hlsTls}`,
    );
    const outcome = await runResourcePolicy(tlsRequired, haproxyConfigDir(model, { haproxyCfg: cfg }));
    assertHasViolation(outcome, "frontend hls_plain binds 127.0.0.1:8888 without ssl");
  });

  it("accepts the other redirect forms: scheme https, and plain traffic only (!{ ssl_fc })", async () => {
    for (const form of [
      "redirect scheme https code 301",
      "http-request redirect scheme https unless { ssl_fc }",
    ]) {
      const cfg = editText(
        tlsCfg(model, "redirect"),
        `http-request redirect prefix https://localhost:${model.ports.hlsTls} code 308`,
        form,
      );
      assertNoViolations(await runResourcePolicy(tlsRequired, haproxyConfigDir(model, { haproxyCfg: cfg })));
    }
  });

  it("judges any client-facing frontend by HAProxy semantics, whatever its name", async () => {
    const cfg = `${tlsCfg(model, "off")}\nlisten srt_in\n    mode tcp\n    bind 0.0.0.0:8890\n    server a 10.0.0.2:8890\n`;
    const outcome = await runResourcePolicy(tlsRequired, haproxyConfigDir(model, { haproxyCfg: cfg }));
    assertHasViolation(outcome, "listen srt_in binds 0.0.0.0:8890 without ssl", "mediamtx-lb:tls.plain");
  });

  it("does not apply to containers or MediaMTX ConfigDirs", async () => {
    const [instance] = model.instances;
    if (instance === undefined) throw new Error("no instance");
    assertNotApplicable(await runResourcePolicy(tlsRequired, haproxyContainer(model)));
    assertNotApplicable(await runResourcePolicy(tlsRequired, mediamtxConfigDir(model, instance)));
  });
});
