// Model → HAProxy view → haproxy.cfg (templates/haproxy.cfg.mustache), plus the separate secrets file.
// Pure: the view holds every decision (lists in config order, ready-made fragments) so the template
// only loops, and the same model always renders the same bytes.
//
// Couplings:
// - Server names are instance names in every backend. The Lua router (infra/render/router.ts) stores
//   stream → server name in STREAMS_MAP and `use-server %[var(txn.mtx_owner)]` looks them up, so a
//   backend whose servers were named differently would silently fall back to balancing.
// - The Lua names used here (actions mtx_lookup/mtx_learn, service mtx_router_status, variables
//   txn.mtx_stream/txn.mtx_owner) are registered by infra/lua/router.lua; service mtx_publish_hook by
//   infra/lua/publish.lua. txn.mtx_stream is set by
//   native rules (templates/haproxy-stream-from-path.cfg.mustache) that mirror the router's
//   stream_from_path; test/unit/router/stream-from-path.test.ts holds the two together.
// - `model.proxies.health` is the only backend that runs checks (the others track it); the router's
//   on-miss lookup reads it too and skips instances it reports down.

import { createHash } from "node:crypto";
import type { InstanceModel, LimitsModel, Model } from "../config/model";
import { MEDIAMTX_PORTS } from "../config/model";
import { STATS_USER_PATTERN } from "../config/names";
import { credentialsConfigured } from "./credentials";
import { formatHaproxyDuration } from "./durations";
import {
  ADMIN_SOCKET,
  CREDENTIALS_LUA,
  JSON_LUA,
  LOG_SOCKET,
  PUBLISH_CONFIG_LUA,
  PUBLISH_LUA,
  ROUTER_CONFIG_LUA,
  ROUTER_LUA,
  SERVER_STATE_FILE,
  STREAMS_MAP,
  TLS_CERT_FILE,
} from "./paths";
import { renderTemplate } from "./templates";

/** Userlist name shared by haproxy.cfg (`http_auth(stats_users)`) and secrets.cfg. */
export const STATS_USERLIST = "stats_users";

/**
 * MediaMTX has no health endpoint; a one-item path list is the cheapest API call that proves the
 * process serves requests. Upstream: GET /v3/paths/list?itemsPerPage=N.
 */
export const HEALTH_CHECK_URI = "/v3/paths/list?itemsPerPage=1";

/**
 * The check of a gateway pair. With authMethod http MediaMTX asks the publish hook before answering its
 * API, and a pair's hook is on the floating address: while the address moves (about 2 s) every API
 * call fails on every gateway, and an API check would mark every instance DOWN at once (and close its
 * encoders' sessions). The HLS listener answers `GET /` with its own 404 without asking anyone
 * (MediaMTX 1.20 internal/servers/hls/http_server.go returns nothing for the root and gin answers 404;
 * checked against the 1.20.0 binary), so that answer proves the process serves HTTP while the hook is
 * away. The router's polls still use the API; a failed poll keeps its streams.
 */
const PAIR_HEALTH_CHECK = { uri: "/", status: 404 } as const;

/**
 * Access log line for the HTTP frontends: HAProxy's httplog fields plus the stream derived from the
 * path and the owner the map/lookup chose, so the log sink's `docker logs` answers "where did this
 * request go".
 * `%b/%s` is the backend/server that served it (`<NOSRV>` when denied before routing).
 */
export const HTTP_LOG_FORMAT =
  '"%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq' +
  ' stream=%[var(txn.mtx_stream)] owner=%[var(txn.mtx_owner)] %{+Q}r"';

/**
 * Contents for SERVER_STATE_FILE before HAProxy has ever saved one: only the format version line.
 * A missing or empty file makes every start (and `haproxy -c`) warn; this one loads as "no state".
 */
export const INITIAL_SERVER_STATE = "1\n";

export interface HaproxyServerView {
  /** Instance name: the server name in every backend. */
  readonly name: string;
  /** `<address>:<port>` on the stack network. */
  readonly endpoint: string;
  readonly weight: number;
  /** `check inter 2s fall 3 rise 2` in the health backend, `track hls/<name>` elsewhere. */
  readonly health: string;
}

export interface HaproxyIceView {
  /** Frontend and backend name (InstanceModel.iceProxy). */
  readonly proxy: string;
  readonly bind: string;
  /** Instance name, as in the other backends. No weight: this backend has exactly one server. */
  readonly serverName: string;
  /** `<address>:<iceTcpPort>`: MediaMTX listens on the same port number it advertises. */
  readonly endpoint: string;
  /** `track hls/<name>`. */
  readonly health: string;
}

export interface HaproxyBackendView {
  /**
   * The frontend's `bind` arguments: the plain listener (unless TLS turns it off or into a redirect),
   * then the TLS one (`<addr>:<port> ssl crt …`) with TLS.
   */
  readonly binds: readonly string[];
  /** The MediaMTX control API health check lines: only in the health backend, empty elsewhere. */
  readonly httpCheck: readonly string[];
  readonly servers: readonly HaproxyServerView[];
}

/**
 * Stick-table rows per table: one per client address seen within `expire`. When full, HAProxy evicts
 * the least recently used rows; an address in use (open connections) is never evicted.
 */
const LIMITS_TABLE_SIZE = "100k";
/** Longer than the 10 s rate period, so a row outlives the window its rate is counted over. */
const LIMITS_TABLE_EXPIRE = "30s";
/** Every rate limit counts over this period (LimitsModel: "per 10 s"). */
const LIMITS_RATE_PERIOD = "10s";
/**
 * RTMP: connections above this many times a limit are refused at accept (`tcp-request connection
 * reject`: no log line, no session), those between the limit and this are closed by a logged `tcp-request
 * content reject`. A flood stays cheap and cannot fill the request log; an address just over the limit
 * leaves a line that says why.
 */
const RTMP_CHEAP_REJECT_FACTOR = 2;

/** The HTTP frontends' limit rules (templates/haproxy-limits-http.cfg.mustache). */
export interface HaproxyHttpLimitsView {
  /** `type ip size … expire … store http_req_rate(10s),conn_cur`. */
  readonly stickTable: string;
  /** ACL conditions (`sc_http_req_rate(0) gt 2000`), each answered with 429; only limits that are on. */
  readonly denyIf: readonly string[];
}

/** The RTMP frontend's limit rules (templates/haproxy-limits-rtmp.cfg.mustache). */
export interface HaproxyRtmpLimitsView {
  readonly stickTable: string;
  /** `{ sc_conn_cur(0) gt 40 } || { … }`: refused at accept, unlogged. */
  readonly connectionRejectIf: string;
  /** `{ sc_conn_cur(0) gt 20 } || { … }`: closed after accept, logged. */
  readonly contentRejectIf: string;
}

export interface HaproxyView {
  readonly stack: string;
  /** With `hosts`: comments say where the publish hook listens and who may call it. */
  readonly onHosts: boolean;
  /**
   * Two or more gateways share a floating address: the publish hook binds it with `transparent` (IP_FREEBIND) (a standby
   * does not hold it yet) and comments say so.
   */
  readonly floating: boolean;
  readonly adminSocket: string;
  readonly serverStateFile: string;
  /** The `log` target: the log sink's datagram socket (render/log-sink.ts binds it). */
  readonly logSocket: string;
  /** The sink's container name, for the comment that says where to read the lines. */
  readonly logSinkContainer: string;
  /** lua-load order: the router's config table, the JSON module, the router (it needs both). */
  readonly routerConfigLua: string;
  readonly jsonLua: string;
  readonly routerLua: string;
  /** Then the publish hook's config table and module (it uses the router). */
  readonly publishConfigLua: string;
  /** The credentials table before the hook, only with `publishers` or `readers` (a secret file). */
  readonly credentialsLua: string | undefined;
  readonly publishLua: string;
  readonly streamsMap: string;
  readonly statsUserlist: string;
  /** `timeout check` value. */
  readonly checkTimeout: string;
  /** Frontend and backend names (model.proxies). */
  readonly proxies: Model["proxies"];
  readonly httpLogFormat: string;
  /** false for `logging.requests: errors`: `option dontlog-normal` in defaults. */
  readonly logNormalRequests: boolean;
  readonly statsBind: string;
  readonly rtmp: HaproxyBackendView;
  readonly hls: HaproxyBackendView;
  readonly webrtc: HaproxyBackendView;
  /** One TCP frontend/backend pair per instance, in config order. */
  readonly ice: readonly HaproxyIceView[];
  /** The internal frontend serving MediaMTX's auth hook: gateway address only, stack subnet only. */
  readonly publishHook: { readonly bind: string; readonly subnet: string };
  /** Present only with TLS, so a stack without it renders the same bytes as before `tls` existed. */
  readonly tls: HaproxyTlsView | undefined;
  /** Per-address limits of the hls and webrtc frontends; null when both HTTP limits are 0. */
  readonly httpLimits: HaproxyHttpLimitsView | null;
  /** Per-address limits of the rtmp frontend; null when both RTMP limits are 0. */
  readonly rtmpLimits: HaproxyRtmpLimitsView | null;
}

export interface HaproxyTlsView {
  /** `tls.plain: redirect`: one small HTTP frontend per plain port answering 308 to the HTTPS port. */
  readonly redirects: readonly HaproxyRedirectView[];
}

export interface HaproxyRedirectView {
  readonly proxy: string;
  readonly bind: string;
  /** `https://<publicHost>:<tls port>`: HAProxy appends the request's path and query unchanged. */
  readonly prefix: string;
}

const HTTP_CHECK = [
  "option httpchk",
  `http-check connect port ${MEDIAMTX_PORTS.api}`,
  `http-check send meth GET uri ${HEALTH_CHECK_URI}`,
  "http-check expect status 200",
];
/** A pair checks each server's own (HLS) port: PAIR_HEALTH_CHECK. */
const PAIR_HTTP_CHECK = [
  "option httpchk",
  `http-check send meth GET uri ${PAIR_HEALTH_CHECK.uri}`,
  `http-check expect status ${PAIR_HEALTH_CHECK.status}`,
];

const stickTable = (store: readonly string[]): string =>
  `type ip size ${LIMITS_TABLE_SIZE} expire ${LIMITS_TABLE_EXPIRE} store ${store.join(",")}`;

/** `{ a } || { b }` for the conditions of the limits that are on (limit > 0). */
const anyOver = (checks: readonly (readonly [string, number])[]): string[] =>
  checks.filter(([, limit]) => limit > 0).map(([fetch, limit]) => `${fetch} gt ${limit}`);

/** Internal. Exported for testing. */
export function toHttpLimitsView(limits: LimitsModel): HaproxyHttpLimitsView | null {
  const denyIf = anyOver([
    ["sc_http_req_rate(0)", limits.httpRequestRate],
    ["sc_conn_cur(0)", limits.httpConnections],
  ]);
  if (denyIf.length === 0) return null;
  return { stickTable: stickTable([`http_req_rate(${LIMITS_RATE_PERIOD})`, "conn_cur"]), denyIf };
}

/** Internal. Exported for testing. */
export function toRtmpLimitsView(limits: LimitsModel): HaproxyRtmpLimitsView | null {
  const at = (factor: number) =>
    anyOver([
      ["sc_conn_cur(0)", limits.rtmpConnections * factor],
      ["sc_conn_rate(0)", limits.rtmpConnectionRate * factor],
    ])
      .map((c) => `{ ${c} }`)
      .join(" || ");
  const contentRejectIf = at(1);
  if (contentRejectIf === "") return null;
  return {
    stickTable: stickTable(["conn_cur", `conn_rate(${LIMITS_RATE_PERIOD})`]),
    connectionRejectIf: at(RTMP_CHEAP_REJECT_FACTOR),
    contentRejectIf,
  };
}

/** Internal. Exported for testing. */
export function toHaproxyView(model: Model): HaproxyView {
  const bind = (port: number): string => `${model.bindAddress}:${port}`;
  const { health } = model;
  const onHosts = model.hosts.length > 0;
  // With `hosts`, an instance whose host is lost drops packets: its encoders' sessions through the
  // gateway would hang until `timeout tunnel`. Closed when the server goes DOWN, they reconnect at once
  // and land on a surviving instance.
  const shutdownOnDown = (proxy: string) =>
    onHosts && proxy === model.proxies.rtmp ? " on-marked-down shutdown-sessions" : "";
  const pair = model.floating !== undefined;
  const check = (instance: InstanceModel) =>
    `check${onHosts && !pair ? ` port ${instance.dial.api}` : ""} inter ${formatHaproxyDuration(health.intervalMs)} fall ${health.fall} rise ${health.rise}`;
  // One backend's servers run health checks; every other server `track`s its namesake there: one
  // control-API check per instance per interval instead of one per backend, and every backend agrees
  // on an instance's state at every moment (the router's on-miss lookup reads it too).
  const track = (instance: InstanceModel) => `track ${model.proxies.health}/${instance.name}`;
  const { tls } = model;
  // The plain listener serves only without TLS or with `plain: on`; `redirect` moves it into a frontend
  // of its own (below), `off` drops it. HTTP frontends offer h2 over ALPN; RTMPS does not (the
  // instances speak RTMP behind it, and ALPN there would name a protocol nobody speaks).
  const servesPlain = tls === undefined || tls.plain === "on";
  const binds = (plainPort: number, tlsPort: number, alpn: boolean): string[] => [
    ...(servesPlain ? [bind(plainPort)] : []),
    ...(tls === undefined
      ? []
      : [`${bind(tlsPort)} ssl crt ${TLS_CERT_FILE}${alpn ? " alpn h2,http/1.1" : ""}`]),
  ];
  const backend = (
    proxy: string,
    port: (instance: InstanceModel) => number,
    bindPorts: readonly string[],
  ): HaproxyBackendView => {
    const isHealth = proxy === model.proxies.health;
    return {
      binds: bindPorts,
      // With `hosts` every instance's API is on a port of its own: each server names it (`check port`).
      httpCheck: !isHealth
        ? []
        : pair
          ? PAIR_HTTP_CHECK
          : onHosts
            ? HTTP_CHECK.filter((line) => !line.startsWith("http-check connect"))
            : HTTP_CHECK,
      servers: model.instances.map((instance) => ({
        name: instance.name,
        endpoint: `${instance.dial.address}:${port(instance)}`,
        weight: instance.weight,
        health: isHealth ? check(instance) : `${track(instance)}${shutdownOnDown(proxy)}`,
      })),
    };
  };
  return {
    stack: model.stack,
    onHosts,
    floating: model.floating !== undefined,
    adminSocket: ADMIN_SOCKET,
    serverStateFile: SERVER_STATE_FILE,
    logSocket: LOG_SOCKET,
    // Every gateway of a pair runs this same file, each with its own sink.
    logSinkContainer:
      model.floating === undefined ? model.logSink.containerName : `${model.stack}-haproxy-<gateway>-log`,
    routerConfigLua: ROUTER_CONFIG_LUA,
    jsonLua: JSON_LUA,
    routerLua: ROUTER_LUA,
    publishConfigLua: PUBLISH_CONFIG_LUA,
    credentialsLua: credentialsConfigured(model) ? CREDENTIALS_LUA : undefined,
    publishLua: PUBLISH_LUA,
    streamsMap: STREAMS_MAP,
    statsUserlist: STATS_USERLIST,
    checkTimeout: formatHaproxyDuration(health.timeoutMs),
    proxies: model.proxies,
    httpLogFormat: HTTP_LOG_FORMAT,
    logNormalRequests: model.logging.requests === "all",
    statsBind: bind(model.ports.stats),
    rtmp: backend(model.proxies.rtmp, (i) => i.dial.rtmp, binds(model.ports.rtmp, model.ports.rtmps, false)),
    hls: backend(model.proxies.hls, (i) => i.dial.hls, binds(model.ports.hls, model.ports.hlsTls, true)),
    webrtc: backend(
      model.proxies.webrtc,
      (i) => i.dial.webrtc,
      binds(model.ports.webrtc, model.ports.webrtcTls, true),
    ),
    ice: model.instances.map((instance) => ({
      proxy: instance.iceProxy,
      bind: bind(instance.iceTcpPort),
      serverName: instance.name,
      endpoint: `${instance.dial.address}:${instance.dial.iceTcp}`,
      health: track(instance),
    })),
    publishHook: { bind: model.publishHook.bind, subnet: model.publishHook.sources.join(" ") },
    tls:
      tls === undefined
        ? undefined
        : {
            redirects:
              tls.plain !== "redirect"
                ? []
                : [
                    [model.proxies.hls, model.ports.hls, model.ports.hlsTls] as const,
                    [model.proxies.webrtc, model.ports.webrtc, model.ports.webrtcTls] as const,
                  ].map(([proxy, plainPort, tlsPort]) => ({
                    proxy: `${proxy}_redirect`,
                    bind: bind(plainPort),
                    prefix: `https://${model.publicHost}:${tlsPort}`,
                  })),
          },
    httpLimits: toHttpLimitsView(model.limits),
    rtmpLimits: toRtmpLimitsView(model.limits),
  };
}

/**
 * The rules that derive txn.mtx_stream from the request path, or deny with 400: the partial
 * haproxy.cfg.mustache includes in both HTTP frontends (there indented), as the same bytes. Tests run
 * exactly this text in real HAProxy. Internal. Exported for testing.
 */
export function renderStreamFromPathRules(): string {
  return renderTemplate("haproxy-stream-from-path.cfg.mustache", {});
}

/** haproxy.cfg for the stack. Never contains the stats password (see renderHaproxySecrets). */
export function renderHaproxyConfig(model: Model): string {
  return renderTemplate("haproxy.cfg.mustache", toHaproxyView(model));
}

/**
 * Quotes `text` as one HAProxy config word. Single quotes are HAProxy's strong quoting (no `$VAR`
 * expansion, no escapes, `#` is literal); an embedded single quote closes the quote, adds `\'` and
 * reopens, as in a POSIX shell. Internal. Exported for testing.
 */
export function quoteHaproxyWord(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

export interface HaproxySecretsView {
  readonly userlist: string;
  readonly user: string;
  readonly quotedPassword: string;
}

/**
 * secrets.cfg: only the stats userlist. Loaded as a second `-f` so haproxy.cfg stays free of secrets
 * and can be shown in `pulumi preview --diff`. The password is the Pulumi secret's plain value; it is
 * only ever passed through here, inside an Output, by the gateway component.
 */
export function renderHaproxySecrets(user: string, password: string): string {
  if (!STATS_USER_PATTERN.test(user)) {
    throw new Error(
      `renderHaproxySecrets: user must match ${STATS_USER_PATTERN.source}, got ${JSON.stringify(user)}`,
    );
  }
  // A line break would end the config line; NUL cannot be represented at all. The value itself stays out
  // of the message.
  if (password.length === 0 || /[\n\r\0]/.test(password)) {
    throw new Error("renderHaproxySecrets: password must be non-empty and contain no line breaks or NUL");
  }
  const view: HaproxySecretsView = {
    userlist: STATS_USERLIST,
    user,
    quotedPassword: quoteHaproxyWord(password),
  };
  return renderTemplate("haproxy-secrets.cfg.mustache", view);
}

/** One server's configured weight in haproxy.cfg. */
export interface HaproxyServerWeight {
  readonly backend: string;
  readonly server: string;
  readonly weight: number;
}

/** The view's weighted backends (the ICE backends have one server each and no weight). */
const WEIGHTED_BACKENDS = ["rtmp", "hls", "webrtc"] as const;

/**
 * Every server weight haproxy.cfg sets, in config order. The gateway hands them to ConfigDir as data, so
 * a weights-only change becomes `set server <backend>/<server> weight <n>` over the Runtime API instead
 * of a reload, and a reload pins them in the saved server state.
 */
export function haproxyWeights(model: Model): HaproxyServerWeight[] {
  const view = toHaproxyView(model);
  return WEIGHTED_BACKENDS.flatMap((key) =>
    view[key].servers.map((s) => ({ backend: model.proxies[key], server: s.name, weight: s.weight })),
  );
}

/**
 * sha256 of haproxy.cfg rendered with every weight haproxyWeights lists set to 0: two models with equal
 * fingerprints render configs that differ in those weights only, so ConfigDir compares fingerprints
 * and weights instead of diffing config text. Neutralized in the view rather than the model, so
 * anything else a weight might one day decide in the view (a flag, a fragment) still changes the
 * fingerprint and gets a reload. A digest, not the text: the state and `preview --diff` already carry
 * haproxy.cfg once.
 * Coupling: every `weight` the template writes must come from a server of WEIGHTED_BACKENDS.
 */
export function haproxyConfigFingerprint(model: Model): string {
  const view = toHaproxyView(model);
  const weightless = <B extends { readonly servers: readonly HaproxyServerView[] }>(backend: B): B => ({
    ...backend,
    servers: backend.servers.map((s) => ({ ...s, weight: 0 })),
  });
  const text = renderTemplate("haproxy.cfg.mustache", {
    ...view,
    rtmp: weightless(view.rtmp),
    hls: weightless(view.hls),
    webrtc: weightless(view.webrtc),
  });
  return createHash("sha256").update(text).digest("hex");
}
