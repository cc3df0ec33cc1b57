// KeepalivedSpec → keepalived view → keepalived.conf (templates/keepalived.conf.mustache): the config of
// one gateway host's keepalived, which moves the stack's floating address between its gateways (VRRP).
// Pure. Every gateway gets its own file: the same router id, interval and address; its own source,
// peers and priority.
//
// Couplings:
// - The image (scripts/bootstrap: mediamtx-lb/keepalived) provides GATEWAY_CHECK and writes
//   KEEPALIVED_INTERFACE_INCLUDE from the `unicast_src_ip` line this file renders (its entrypoint
//   reads that line with sed: one address after the keyword).
// - checkPort must be a port the gateway's HAProxy binds on every address (the check connects to
//   127.0.0.1).

import { GATEWAY_CHECK, KEEPALIVED_INTERFACE_INCLUDE, KEEPALIVED_PRIVATE_INTERFACE_INCLUDE } from "./paths";
import { renderTemplate } from "./templates";

export interface KeepalivedSpec {
  /** Names the VRRP instance and keepalived's router_id. */
  readonly stack: string;
  /** This gateway's name. */
  readonly gateway: string;
  /** virtual_router_id, 1-255: the same on every gateway of the stack. */
  readonly routerId: number;
  /** 1-254 (255 is reserved for an address owner, which a floating address never has). */
  readonly priority: number;
  /** false → nopreempt (equal priorities, the address stays put); true → the higher priority takes it back. */
  readonly preempt: boolean;
  /** This host's address (unicast_src_ip); its interface is the one VRRP runs on. */
  readonly source: string;
  /** The other gateways' host addresses (unicast_peer). */
  readonly peers: readonly string[];
  /** The address clients use, added as /32. */
  readonly floatingAddress: string;
  /** This host's private address: the interface that holds it gets privateFloatingAddress. */
  readonly privateSource: string;
  /** The publish hook's address on the private network, added as /32 beside floatingAddress. */
  readonly privateFloatingAddress: string;
  /** The HAProxy port the check connects to on 127.0.0.1. */
  readonly checkPort: number;
  /** VRRPv3 advert interval: a multiple of 10 ms (centiseconds on the wire), 10-40950 ms. */
  readonly advertIntervalMs: number;
}

/**
 * The check's timing. Every 0.5 s; 3 failures give the address up (≤ 1.5 s after HAProxy stops
 * accepting, then the priority-0 advert hands over at once), 2 successes take the node back. Fixed
 * rather than configured: the budget is 3 s from loss to takeover.
 */
const CHECK = { intervalMs: 500, timeoutS: 2, fall: 3, rise: 2 } as const;
/** Gratuitous ARPs on takeover: 3 at once and 3 more after 1 s (keepalived's default: 5 and 5 s). */
const GARP = { repeat: 3, delayS: 1 } as const;
/** VRRPv3's advert interval field: 12 bits of centiseconds. */
const ADVERT_MS = { min: 10, max: 40_950, step: 10 } as const;

export interface KeepalivedView {
  readonly stack: string;
  readonly gateway: string;
  readonly routerName: string;
  readonly instanceName: string;
  readonly scriptName: string;
  readonly checkCommand: string;
  readonly checkInterval: string;
  readonly checkTimeout: number;
  readonly checkFall: number;
  readonly checkRise: number;
  readonly checkGiveUpMs: number;
  readonly interfaceInclude: string;
  readonly routerId: number;
  readonly priority: number;
  readonly nopreempt: boolean;
  readonly advertInt: string;
  readonly masterDownMs: number;
  readonly source: string;
  /** Sorted by address, so the order the peers were given in never shows as a change. */
  readonly peers: readonly string[];
  readonly floatingAddress: string;
  readonly privateSource: string;
  readonly privateFloatingAddress: string;
  readonly privateInterfaceInclude: string;
  readonly garpRepeat: number;
  readonly garpDelay: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isIntIn(n: number, min: number, max: number): boolean {
  return Number.isInteger(n) && n >= min && n <= max;
}

/** Every problem of a spec, one line each (the config validation should have caught all of them). */
export function keepalivedSpecErrors(spec: KeepalivedSpec): string[] {
  const errors: string[] = [];
  const want = (ok: boolean, key: string, allowed: string, got: unknown) => {
    if (!ok) errors.push(`keepalived ${key}: must be ${allowed}, got ${JSON.stringify(got)}`);
  };
  want(NAME.test(spec.stack), "stack", "letters, digits, '_', '.' or '-'", spec.stack);
  want(NAME.test(spec.gateway), "gateway", "letters, digits, '_', '.' or '-'", spec.gateway);
  want(isIntIn(spec.routerId, 1, 255), "routerId", "an integer 1-255", spec.routerId);
  want(isIntIn(spec.priority, 1, 254), "priority", "an integer 1-254", spec.priority);
  want(IPV4.test(spec.source), "source", "an IPv4 address", spec.source);
  want(IPV4.test(spec.floatingAddress), "floatingAddress", "an IPv4 address", spec.floatingAddress);
  want(spec.peers.length > 0, "peers", "at least one address", spec.peers);
  spec.peers.forEach((p, i) => {
    want(IPV4.test(p), `peers[${i}]`, "an IPv4 address", p);
  });
  want(IPV4.test(spec.privateSource), "privateSource", "an IPv4 address", spec.privateSource);
  want(
    IPV4.test(spec.privateFloatingAddress),
    "privateFloatingAddress",
    "an IPv4 address",
    spec.privateFloatingAddress,
  );
  const mine = [spec.source, spec.floatingAddress, spec.privateSource, spec.privateFloatingAddress];
  want(new Set(mine).size === mine.length, "privateFloatingAddress", "an address of its own", mine);
  const others = new Set(mine);
  want(
    new Set(spec.peers).size === spec.peers.length && !spec.peers.some((p) => others.has(p)),
    "peers",
    "distinct addresses other than source and floatingAddress",
    spec.peers,
  );
  want(spec.source !== spec.floatingAddress, "floatingAddress", "an address other than source", spec.source);
  want(isIntIn(spec.checkPort, 1, 65_535), "checkPort", "an integer 1-65535", spec.checkPort);
  want(
    isIntIn(spec.advertIntervalMs, ADVERT_MS.min, ADVERT_MS.max) &&
      spec.advertIntervalMs % ADVERT_MS.step === 0,
    "advertIntervalMs",
    `a multiple of ${ADVERT_MS.step} from ${ADVERT_MS.min} to ${ADVERT_MS.max}`,
    spec.advertIntervalMs,
  );
  return errors;
}

/** Seconds as keepalived reads them: `0.5`, `1`, `0.25` (no float noise from ms / 1000). */
function seconds(ms: number): string {
  const whole = Math.trunc(ms / 1000);
  const frac = String(ms % 1000)
    .padStart(3, "0")
    .replace(/0+$/, "");
  return frac === "" ? String(whole) : `${whole}.${frac}`;
}

function byAddress(a: string, b: string): number {
  const key = (ip: string) =>
    ip
      .split(".")
      .map((o) => o.padStart(3, "0"))
      .join(".");
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

/**
 * How long after the last advert a BACKUP of this priority takes over (RFC 5798 Master_Down_Interval:
 * 3 × advert + skew, skew = (256 − priority) × advert / 256), in whole ms.
 */
export function masterDownMs(priority: number, advertIntervalMs: number): number {
  return Math.round(3 * advertIntervalMs + ((256 - priority) * advertIntervalMs) / 256);
}

/** Every decision of the config, made here: the template only fills it in. */
function toKeepalivedView(spec: KeepalivedSpec): KeepalivedView {
  const errors = keepalivedSpecErrors(spec);
  if (errors.length > 0) throw new Error(errors.join("\n"));
  return {
    stack: spec.stack,
    gateway: spec.gateway,
    routerName: `${spec.stack}-${spec.gateway}`,
    instanceName: `${spec.stack}-gateways`,
    scriptName: `${spec.stack}-gateway-serves`,
    checkCommand: `${GATEWAY_CHECK} ${spec.checkPort}`,
    checkInterval: seconds(CHECK.intervalMs),
    checkTimeout: CHECK.timeoutS,
    checkFall: CHECK.fall,
    checkRise: CHECK.rise,
    checkGiveUpMs: CHECK.fall * CHECK.intervalMs,
    interfaceInclude: KEEPALIVED_INTERFACE_INCLUDE,
    routerId: spec.routerId,
    priority: spec.priority,
    nopreempt: !spec.preempt,
    advertInt: seconds(spec.advertIntervalMs),
    masterDownMs: masterDownMs(spec.priority, spec.advertIntervalMs),
    source: spec.source,
    peers: [...spec.peers].sort(byAddress),
    floatingAddress: spec.floatingAddress,
    privateSource: spec.privateSource,
    privateFloatingAddress: spec.privateFloatingAddress,
    privateInterfaceInclude: KEEPALIVED_PRIVATE_INTERFACE_INCLUDE,
    garpRepeat: GARP.repeat,
    garpDelay: GARP.delayS,
  };
}

/** keepalived.conf for one gateway; throws (every problem, one per line) on a spec it cannot render. */
export function renderKeepalivedConfig(spec: KeepalivedSpec): string {
  return renderTemplate("keepalived.conf.mustache", toKeepalivedView(spec));
}
