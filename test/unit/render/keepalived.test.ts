// infra/render/keepalived.ts: the directives each gateway's keepalived gets, the spec errors, and (when
// scripts/bootstrap has built the local image) keepalived's own config test through the image's
// entrypoint, which must find the interface and fill the include.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  type KeepalivedSpec,
  keepalivedSpecErrors,
  masterDownMs,
  renderKeepalivedConfig,
} from "../../../infra/render/keepalived";
import {
  GATEWAY_CHECK,
  KEEPALIVED_DIR,
  KEEPALIVED_INTERFACE_INCLUDE,
  KEEPALIVED_PRIVATE_INTERFACE_INCLUDE,
} from "../../../infra/render/paths";
import { localKeepalivedImage } from "../../../scripts/lib/versions";
import { imageExists } from "../../support/haproxy-check";

const SPEC: KeepalivedSpec = {
  stack: "dev",
  gateway: "gw-a",
  routerId: 100,
  priority: 100,
  preempt: false,
  source: "10.254.90.11",
  peers: ["10.254.90.12"],
  floatingAddress: "10.254.90.100",
  privateSource: "10.254.91.11",
  privateFloatingAddress: "10.254.91.100",
  checkPort: 8404,
  advertIntervalMs: 500,
};

/** The config without comments and blank lines, indentation kept: what keepalived acts on. */
function directives(config: string): string[] {
  return config.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("#"));
}

describe("renderKeepalivedConfig", () => {
  it("renders a BACKUP-only, unicast VRRPv3 instance with the check, for equal priorities", () => {
    expect(directives(renderKeepalivedConfig(SPEC))).toEqual([
      "$PRIVATE_SOURCE=10.254.91.11",
      `include ${KEEPALIVED_PRIVATE_INTERFACE_INCLUDE}`,
      "global_defs {",
      "    router_id dev-gw-a",
      "    vrrp_version 3",
      "    script_user nobody",
      "    enable_script_security",
      "}",
      "vrrp_script dev-gateway-serves {",
      `    script "${GATEWAY_CHECK} 8404"`,
      "    interval 0.5",
      "    timeout 2",
      "    fall 3",
      "    rise 2",
      "}",
      "vrrp_instance dev-gateways {",
      "    state BACKUP",
      `    include ${KEEPALIVED_INTERFACE_INCLUDE}`,
      "    virtual_router_id 100",
      "    priority 100",
      "    nopreempt",
      "    advert_int 0.5",
      "    unicast_src_ip 10.254.90.11",
      "    unicast_peer {",
      "        10.254.90.12",
      "    }",
      "    check_unicast_src",
      "    virtual_ipaddress {",
      "        10.254.90.100/32",
      "        10.254.91.100/32 dev $PRIVATE_INTERFACE",
      "    }",
      "    track_script {",
      "        dev-gateway-serves",
      "    }",
      "    garp_master_repeat 3",
      "    garp_master_delay 1",
      "}",
    ]);
  });

  it("preempts when asked: no nopreempt, state still BACKUP", () => {
    const lines = directives(renderKeepalivedConfig({ ...SPEC, preempt: true, priority: 150 }));
    expect(lines).not.toContain("    nopreempt");
    expect(lines).toContain("    state BACKUP");
    expect(lines).toContain("    priority 150");
  });

  it("is deterministic: the same spec, or its peers in another order, gives the same bytes", () => {
    const peers = ["10.254.90.13", "10.254.90.9", "10.254.90.100"].filter((p) => p !== SPEC.floatingAddress);
    const a = renderKeepalivedConfig({ ...SPEC, peers });
    const b = renderKeepalivedConfig({ ...SPEC, peers: [...peers].reverse() });
    expect(a).toBe(b);
    expect(renderKeepalivedConfig({ ...SPEC, peers })).toBe(a);
    expect(a.endsWith("}\n")).toBe(true);
    expect(a).not.toMatch(/\r|\n\n\n/);
    // Numeric order, not string order: .9 before .13.
    expect(directives(a).filter((l) => /^ {8}10\.254\.90\.\d+(\/32)?$/.test(l))).toEqual([
      "        10.254.90.9",
      "        10.254.90.13",
      "        10.254.90.100/32",
    ]);
  });

  it.each([
    [500, "0.5"],
    [1000, "1"],
    [250, "0.25"],
    [1230, "1.23"],
    [10, "0.01"],
  ])("writes an advert interval of %i ms as %s s", (ms, text) => {
    expect(directives(renderKeepalivedConfig({ ...SPEC, advertIntervalMs: ms }))).toContain(
      `    advert_int ${text}`,
    );
  });

  it("says in a comment when a backup takes over (RFC 5798's Master_Down_Interval)", () => {
    expect(masterDownMs(100, 500)).toBe(1805);
    expect(masterDownMs(254, 500)).toBe(1504);
    expect(renderKeepalivedConfig(SPEC)).toContain("1805 ms at\n    # this priority");
  });
});

describe("keepalivedSpecErrors", () => {
  it("accepts the base spec", () => {
    expect(keepalivedSpecErrors(SPEC)).toEqual([]);
  });

  it.each<[string, Partial<KeepalivedSpec>, string]>([
    ["a stack name with a space", { stack: "a b" }, "keepalived stack: must be letters, digits"],
    ["a gateway name with a newline", { gateway: "a\nb" }, "keepalived gateway: must be letters"],
    ["router id 0", { routerId: 0 }, "keepalived routerId: must be an integer 1-255, got 0"],
    ["router id 256", { routerId: 256 }, "keepalived routerId: must be an integer 1-255, got 256"],
    [
      "priority 255 (address owner)",
      { priority: 255 },
      "keepalived priority: must be an integer 1-254, got 255",
    ],
    ["a fractional priority", { priority: 1.5 }, "keepalived priority: must be an integer 1-254, got 1.5"],
    ["a host name as source", { source: "gw-a" }, 'keepalived source: must be an IPv4 address, got "gw-a"'],
    [
      "an IPv6 floating address",
      { floatingAddress: "fd00::1" },
      "keepalived floatingAddress: must be an IPv4",
    ],
    ["no peers", { peers: [] }, "keepalived peers: must be at least one address, got []"],
    [
      "a bad peer",
      { peers: ["10.254.90.300"] },
      'keepalived peers[0]: must be an IPv4 address, got "10.254.90.300"',
    ],
    [
      "itself as a peer",
      { peers: ["10.254.90.11"] },
      "keepalived peers: must be distinct addresses other than",
    ],
    ["a repeated peer", { peers: ["10.254.90.12", "10.254.90.12"] }, "keepalived peers: must be distinct"],
    [
      "the source as floating address",
      { floatingAddress: "10.254.90.11" },
      "keepalived floatingAddress: must be an address other than source",
    ],
    ["port 0", { checkPort: 0 }, "keepalived checkPort: must be an integer 1-65535, got 0"],
    [
      "a 5 ms advert",
      { advertIntervalMs: 5 },
      "keepalived advertIntervalMs: must be a multiple of 10 from 10 to 40950, got 5",
    ],
    ["a 505 ms advert", { advertIntervalMs: 505 }, "keepalived advertIntervalMs: must be a multiple of 10"],
    ["a 41 s advert", { advertIntervalMs: 41_000 }, "keepalived advertIntervalMs: must be a multiple of 10"],
  ])("refuses %s", (_, change, message) => {
    const spec = { ...SPEC, ...change };
    expect(keepalivedSpecErrors(spec).join("\n")).toContain(message);
    expect(() => renderKeepalivedConfig(spec)).toThrow(message);
  });

  it("lists every problem at once", () => {
    expect(keepalivedSpecErrors({ ...SPEC, routerId: 0, priority: 0, checkPort: 0 })).toHaveLength(3);
  });
});

// keepalived's own config test (-t) in the image, through its entrypoint: in a container of its own
// network namespace with the source address on a veth, so the entrypoint finds an interface for it.
const IMAGE = localKeepalivedImage();
const haveImage = imageExists(IMAGE);
if (!haveImage) console.warn(`${IMAGE} is not built: skipping keepalived -t (scripts/bootstrap builds it)`);

describe.runIf(haveImage)(`keepalived -t in ${IMAGE}`, () => {
  const dir = mkdtempSync(join(tmpdir(), "mlb-keepalived-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function configTest(spec: KeepalivedSpec, address: string, privateAddress = spec.privateSource) {
    writeFileSync(join(dir, "keepalived.conf"), renderKeepalivedConfig(spec));
    const setup = [
      "ip link add v0 type veth peer name v1",
      `ip addr add ${address}/24 dev v0`,
      `ip addr add ${privateAddress}/24 dev v1`,
      "ip link set v0 up",
      "ip link set v1 up",
      "exec keepalived-entrypoint.sh --config-test",
    ].join(" && ");
    const r = spawnSync(
      "docker",
      [
        "run",
        "--rm",
        "--network",
        "none",
        "--cap-add",
        "NET_ADMIN",
        "-v",
        `${dir}:${KEEPALIVED_DIR}:ro`,
        "--entrypoint",
        "sh",
        IMAGE,
        "-c",
        setup,
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
  }

  it.each([
    false,
    true,
  ])("accepts the rendered config (preempt %s) with the interface it found", (preempt) => {
    const r = configTest({ ...SPEC, preempt }, SPEC.source);
    expect(r.output).toContain("keepalived-entrypoint: v0 holds 10.254.90.11: VRRP runs there");
    expect(r.output).toContain(
      "keepalived-entrypoint: v1 holds 10.254.91.11: the private floating address goes there",
    );
    expect(r.status, r.output).toBe(0);
  });

  it("stops with one line when no interface holds the private address", () => {
    const r = configTest(SPEC, SPEC.source, "10.254.91.77");
    expect(r.status).toBe(1);
    expect(r.output.split("\n").at(-1)).toBe(
      `keepalived-entrypoint: no interface of this host holds 10.254.91.11 ($PRIVATE_SOURCE of ${KEEPALIVED_DIR}/keepalived.conf): is it this host's private address?`,
    );
  });

  it("stops with one line when no interface holds the source address", () => {
    const r = configTest(SPEC, "10.254.90.77");
    expect(r.status).toBe(1);
    expect(r.output).toBe(
      `keepalived-entrypoint: no interface of this host holds 10.254.90.11 (unicast_src_ip of ${KEEPALIVED_DIR}/keepalived.conf): is it this host's address, and does the container run with --network host?`,
    );
  });
});
