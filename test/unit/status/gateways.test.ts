import { describe, expect, it } from "vitest";
import {
  chooseGateway,
  compareMaps,
  type GatewayInput,
  parseIpv4Addresses,
} from "../../../infra/status/gateways";
import { IP_HOLDS_PAIR_ADDRESS } from "./inputs";

const ADDRESS = "198.51.100.100";

function gateway(
  name: string,
  holds: GatewayInput["holds"],
  map: GatewayInput["map"] = { ok: true, value: [] },
): GatewayInput {
  return {
    name,
    host: `h-${name}`,
    haproxyContainer: `hp-${name}`,
    keepalivedContainer: `ka-${name}`,
    holds,
    map,
  };
}

const yes = { ok: true, value: true } as const;
const no = { ok: true, value: false } as const;
const unknown = { ok: false, error: "no answer to docker exec within 5s" } as const;
const unread = { ok: false, error: "admin socket /x/admin.sock: ENOENT" } as const;

describe("parseIpv4Addresses", () => {
  it("lists every address of `ip -o -4 addr show`, without prefix lengths", () => {
    expect(parseIpv4Addresses(IP_HOLDS_PAIR_ADDRESS)).toEqual(["127.0.0.1", "198.51.100.11", ADDRESS]);
  });

  it("an empty answer has none", () => {
    expect(parseIpv4Addresses("")).toEqual([]);
  });
});

describe("chooseGateway", () => {
  const cases: readonly [string, readonly GatewayInput[], string, string][] = [
    ["the one holder", [gateway("ga", no), gateway("gb", yes)], "gb", `it holds ${ADDRESS}`],
    [
      "the one holder, even when its map is unread",
      [gateway("ga", no), gateway("gb", yes, unread)],
      "gb",
      `it holds ${ADDRESS}`,
    ],
    [
      "of two holders the first that answered",
      [gateway("ga", yes, unread), gateway("gb", yes)],
      "gb",
      `first of 2 holders of ${ADDRESS} that answered`,
    ],
    [
      "no holder: the first that answered",
      [gateway("ga", unknown, unread), gateway("gb", no)],
      "gb",
      `no gateway is known to hold ${ADDRESS}; first that answered`,
    ],
    [
      "nobody answered: the first",
      [gateway("ga", unknown, unread), gateway("gb", no, unread)],
      "ga",
      "no gateway answered; the first one",
    ],
  ];
  it.each(cases)("%s", (_, gateways, name, because) => {
    expect(chooseGateway({ address: ADDRESS, gateways })).toEqual({ name, because });
  });
});

describe("compareMaps", () => {
  const map = (...entries: [string, string][]): GatewayInput["map"] => ({
    ok: true,
    value: entries.map(([stream, server]) => ({ stream, server })),
  });

  it("agree: the same owner for every stream, in any order", () => {
    expect(
      compareMaps([
        gateway("ga", yes, map(["s1", "a1"], ["s2", "b1"])),
        gateway("gb", no, map(["s2", "b1"], ["s1", "a1"])),
      ]),
    ).toEqual({ agree: true, streams: 2, differences: [], unread: [] });
  });

  it("differ: another owner, or a stream one map lacks (its poll not there yet), sorted by stream", () => {
    expect(
      compareMaps([
        gateway("ga", yes, map(["s3", "a1"], ["s1", "a1"], ["s2", "b1"])),
        gateway("gb", no, map(["s1", "a1"], ["s2", "c1"])),
      ]),
    ).toEqual({
      agree: false,
      streams: 3,
      differences: [
        { stream: "s2", owners: { ga: "b1", gb: "c1" } },
        { stream: "s3", owners: { ga: "a1", gb: null } },
      ],
      unread: [],
    });
  });

  it("two empty maps agree", () => {
    expect(compareMaps([gateway("ga", yes), gateway("gb", no)]).agree).toBe(true);
  });

  it("an unread map: unknown, and the maps that were read are still compared", () => {
    expect(
      compareMaps([
        gateway("ga", yes, map(["s1", "a1"])),
        gateway("gb", no, unread),
        gateway("gc", no, map(["s1", "b1"])),
      ]),
    ).toEqual({
      agree: null,
      streams: 1,
      differences: [{ stream: "s1", owners: { ga: "a1", gc: "b1" } }],
      unread: ["gb: admin socket /x/admin.sock: ENOENT"],
    });
  });
});
