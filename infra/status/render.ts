// StatusReport → one screen of text, or JSON for scripts. Pure: ages come from the report, which holds
// them relative to its collection time.

import { iceProxyName } from "../config/names";
import { ROUTER_COUNTER_NAMES } from "../haproxy/router-status";
import {
  type ContainerView,
  differenceText,
  type FloatingView,
  formatAge,
  type GatewayView,
  type HostView,
  type InstanceView,
  type LimitView,
  OWNER_BACKEND,
  type StatusReport,
  type StreamView,
} from "./report";

/**
 * Left-aligned columns, two spaces apart, no trailing spaces. Cells must not contain newlines.
 * Internal. Exported for testing.
 */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** Backend column of a server: `ice_<instance>` becomes "ice" so every instance shares the column. */
function columnOf(backend: string, instance: string): string {
  return backend === iceProxyName(instance) ? "ice" : backend;
}

function containerCell(i: InstanceView): string {
  return containerStateCell(i.container);
}

function containerStateCell(c: ContainerView): string {
  if (c.state === "missing" || c.state === "unknown") return c.state;
  const age = c.sinceMs === null ? "" : ` ${formatAge(c.sinceMs)}`;
  if (c.running) return `running${age}`;
  return `${c.state}(${c.exitCode ?? "?"})${age}`;
}

function weightCell(i: InstanceView): string {
  const { deployed, haproxy } = i.weight;
  if (haproxy === null) return `? (deployed ${deployed})`;
  return haproxy === deployed ? String(haproxy) : `${haproxy} (deployed ${deployed})`;
}

/** Check of the backend the router trusts (OWNER_BACKEND), else the first one. */
function checkCell(i: InstanceView): string {
  const b = i.backends.find((x) => x.backend === OWNER_BACKEND) ?? i.backends[0];
  if (b === undefined) return "-";
  const duration = b.checkDurationMs === null ? "" : ` ${b.checkDurationMs}ms`;
  return `${b.check || "-"}${duration}`;
}

function pollCell(i: InstanceView, staleMs: number): string {
  const r = i.router;
  if (r === null) return "-";
  if (r.lastPollAgeMs === null) return "never";
  const age = formatAge(r.lastPollAgeMs);
  if (!r.pollOk) return `failing ${age}`;
  return r.lastPollAgeMs > staleMs ? `stale ${age}` : `ok ${age}`;
}

function readersCell(s: StreamView): string {
  if (s.readers.length === 0) return "0";
  const byType = new Map<string, number>();
  for (const r of s.readers) byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
  const [only, ...others] = [...byType.keys()];
  if (others.length === 0) return `${s.readers.length} ${only}`;
  return `${s.readers.length} (${[...byType].map(([t, n]) => `${n} ${t}`).join(", ")})`;
}

/** Stick-table counters in words: the unit of each limit. */
const LIMIT_UNITS: Readonly<Record<string, string>> = {
  http_req_rate: "req/10s",
  conn_cur: "conns",
  conn_rate: "conns/10s",
};

function limitsCell(l: LimitView): string {
  const on = Object.entries(l.limits);
  if (on.length === 0) return "off";
  return on.map(([counter, limit]) => `${limit} ${LIMIT_UNITS[counter] ?? counter}`).join(", ");
}

function overLimitCell(l: LimitView): string {
  if (l.overLimit === null) return Object.keys(l.limits).length === 0 ? "-" : "?";
  if (l.overLimit === 0) return "0";
  const more = l.overLimit > l.overLimitAddresses.length ? ", …" : "";
  return `${l.overLimit}: ${l.overLimitAddresses.join(", ")}${more}`;
}

const count = (n: number | null): string => (n === null ? "?" : String(n));

function engineCell(h: HostView): string {
  const e = h.engine;
  return e.reachable ? `reachable (Docker ${e.version ?? "?"})` : `UNREACHABLE: ${e.error ?? "?"}`;
}

/** With `hosts`: one row per host, what runs there and whether its engine answered. */
function hostsTable(hosts: readonly HostView[], instances: readonly InstanceView[]): string[] {
  const rows = hosts.map((h) => [
    h.name,
    h.address,
    h.privateAddress ?? "-",
    [
      ...(h.gateways !== undefined ? h.gateways.map((g) => `gateway ${g}`) : h.gateway ? ["gateway"] : []),
      ...instances.filter((i) => i.host === h.name).map((i) => i.name),
    ].join(", ") || "-",
    h.docker,
    engineCell(h),
  ]);
  return renderTable(["HOST", "ADDRESS", "PRIVATE", "RUNS", "ENGINE", "STATE"], rows);
}

function holdsCell(g: GatewayView): string {
  if (g.holdsAddress === null) return `unknown: ${g.holdsError ?? "?"}`;
  return g.holdsAddress ? "yes" : "no";
}

function mapCell(g: GatewayView): string {
  if (g.map === null) return `unread: ${g.mapError ?? "?"}`;
  const n = Object.keys(g.map).length;
  return `${n} ${n === 1 ? "stream" : "streams"}`;
}

function mapsLine(f: FloatingView, gateways: readonly GatewayView[]): string {
  const m = f.maps;
  const streams = `${m.streams} ${m.streams === 1 ? "stream" : "streams"}`;
  const listed = m.differences.map(differenceText).join(", ");
  if (m.agree === true)
    return `agree: ${streams}, the same owner on ${gateways.map((g) => g.name).join(" and ")}`;
  if (m.agree === false) return `DIFFER on ${m.differences.length} of ${streams}: ${listed}`;
  const among =
    m.differences.length === 0 ? "" : ` · the others differ on ${m.differences.length}: ${listed}`;
  return `not compared: ${m.unread.join("; ")}${among}`;
}

/**
 * With a floating address: one row per gateway (its containers, whether it holds the address, its
 * map's size), whether the maps agree, and which gateway the rest of the screen is read from.
 */
function gatewaysSection(f: FloatingView, gateways: readonly GatewayView[]): string[] {
  const rows = gateways.map((g) => [
    g.name,
    g.host ?? "-",
    containerStateCell(g.haproxy),
    containerStateCell(g.keepalived),
    holdsCell(g),
    mapCell(g),
  ]);
  return [
    ...renderTable(["GATEWAY", "HOST", "HAPROXY", "KEEPALIVED", `HOLDS ${f.address}`, "MAP"], rows),
    `maps     ${mapsLine(f, gateways)}`,
    `used     ${f.used.name} (${f.used.because}): servers, router, streams and instances below are its view`,
  ];
}

/** With `hosts`: instances grouped by host, in the hosts' order (config order within a host). */
function byHost(instances: readonly InstanceView[], hosts: readonly HostView[] | undefined): InstanceView[] {
  if (hosts === undefined) return [...instances];
  const order = new Map(hosts.map((h, n) => [h.name, n]));
  const rank = (i: InstanceView) =>
    i.host === undefined ? hosts.length : (order.get(i.host) ?? hosts.length);
  return [...instances].sort((a, b) => rank(a) - rank(b));
}

/**
 * The one-screen status. `staleMs` marks router polls as stale in the POLL column (the problems list
 * says the same in words).
 */
export function renderText(report: StatusReport, staleMs: number): string {
  const out: string[] = [];
  const h = report.haproxy;
  const hc = h.container;
  const haproxyState = hc.running
    ? `running ${hc.sinceMs === null ? "" : formatAge(hc.sinceMs)}`.trimEnd()
    : `${hc.state}${hc.exitCode === null ? "" : `(${hc.exitCode})`}`;
  const version = h.version ? ` · HAProxy ${h.version}` : "";
  const uptime = h.uptimeS === null ? "" : ` up ${formatAge(h.uptimeS * 1000)}`;
  const via = h.via ? ` · servers via ${h.via}` : "";
  out.push(`stack ${report.stack} at ${report.collectedAt}`);
  out.push(`haproxy  ${hc.name} ${haproxyState}${version}${uptime}${via}`);
  const log = report.requestLog;
  const logState = log.container.running
    ? `running ${log.container.sinceMs === null ? "" : formatAge(log.container.sinceMs)}`.trimEnd()
    : log.container.state;
  const n = log.droppedLines;
  const dropped = n === null ? "dropped ?" : `${n} ${n === 1 ? "line" : "lines"} dropped`;
  // With `hosts` the sink runs on the gateway's engine, which need not be the default one.
  const gatewayEngine = report.hosts?.find((x) => x.gateway)?.docker;
  const logs = gatewayEngine === undefined ? "docker logs" : `docker -H ${gatewayEngine} logs`;
  out.push(`logs     ${logs} ${log.container.name} · ${logState} · ${dropped} (DroppedLogs)`);
  const counters = report.router.counters;
  out.push(
    counters
      ? `router   ${ROUTER_COUNTER_NAMES.map((k) => `${k} ${counters[k] ?? "?"}`).join("  ")}`
      : `router   unavailable`,
  );
  const tls = report.tls;
  if (tls !== null) {
    out.push(
      tls.error !== null
        ? `tls      ${tls.error}`
        : `tls      ${tls.endpoint} · ${tls.subject} · ${tls.subjectAltName} · expires ${tls.validTo} (${tls.daysLeft ?? "?"} days) · ${tls.untrusted === null ? "trusted" : "NOT trusted"}`,
    );
  }
  out.push("");
  if (report.hosts !== undefined) {
    out.push(...hostsTable(report.hosts, report.instances), "");
  }
  if (report.floating !== undefined && report.gateways !== undefined) {
    out.push(...gatewaysSection(report.floating, report.gateways), "");
  }

  // Instances: one column per backend, in the order HAProxy lists them. With `hosts`, grouped by host,
  // with the API endpoint the status asked (the gateway dials the same address) for the address.
  const hosts = report.hosts;
  const columns: string[] = [];
  for (const i of report.instances) {
    for (const b of i.backends) {
      const col = columnOf(b.backend, i.name);
      if (!columns.includes(col)) columns.push(col);
    }
  }
  const instanceRows = byHost(report.instances, hosts).map((i) => {
    const status = new Map(i.backends.map((b) => [columnOf(b.backend, i.name), b.status]));
    const maybe = i.container.running || i.container.state === "unknown" ? "?" : "-";
    const streams = i.streams === null ? maybe : String(i.streams.length);
    const readers = i.readers === null ? maybe : String(i.readers);
    return [
      i.name,
      ...(hosts === undefined ? [] : [i.host ?? "?"]),
      containerCell(i),
      hosts === undefined ? i.address : (i.dial ?? i.address),
      weightCell(i),
      ...columns.map((c) => status.get(c) ?? "-"),
      checkCell(i),
      pollCell(i, staleMs),
      streams,
      readers,
    ];
  });
  out.push(
    ...renderTable(
      [
        "INSTANCE",
        ...(hosts === undefined ? [] : ["HOST"]),
        "CONTAINER",
        hosts === undefined ? "ADDRESS" : "API",
        "WEIGHT",
        ...columns.map((c) => c.toUpperCase()),
        "CHECK",
        "POLL",
        "STREAMS",
        "READERS",
      ],
      instanceRows,
    ),
  );
  out.push("");

  if (report.streams.length === 0) {
    out.push("no streams: nothing is published and the router's map is empty");
  } else {
    const streamRows = report.streams.map((s) => [
      s.name,
      s.routedTo ?? "-",
      s.routeSource ?? "-",
      s.routeAgeMs === null ? "-" : formatAge(s.routeAgeMs),
      s.liveOn.length > 0 ? s.liveOn.join(",") : "-",
      s.publisher ?? "-",
      s.tracks.length > 0 ? s.tracks.join(",") : "-",
      readersCell(s),
    ]);
    out.push(
      ...renderTable(
        ["STREAM", "ROUTED TO", "BY", "MAPPED", "LIVE ON", "PUBLISHER", "TRACKS", "READERS"],
        streamRows,
      ),
    );
  }
  out.push("");

  // Abuse limits: what each frontend refused since HAProxy's worker started, and whom it holds back now.
  if (report.limits.length > 0) {
    const limitRows = report.limits.map((l) => [
      l.frontend,
      limitsCell(l),
      count(l.deniedRequests),
      count(l.deniedConnections),
      l.trackedAddresses === null
        ? Object.keys(l.limits).length === 0
          ? "-"
          : "?"
        : String(l.trackedAddresses),
      overLimitCell(l),
    ]);
    out.push(...renderTable(["FRONTEND", "LIMITS", "DENIED", "REFUSED", "TRACKED", "OVER LIMIT"], limitRows));
    for (const l of report.limits) {
      if (l.error !== null) out.push(`  ${l.frontend}: table unreadable: ${l.error}`);
    }
    out.push("");
  }

  if (report.problems.length === 0) {
    out.push("no problems found");
  } else {
    out.push(`PROBLEMS (${report.problems.length})`);
    for (const p of report.problems) out.push(`  ! ${p}`);
  }
  return `${out.join("\n")}\n`;
}

/** The report as JSON: two-space indent, one trailing newline. */
export function renderJson(report: StatusReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
