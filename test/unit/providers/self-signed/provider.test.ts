import { describe, expect, it } from "vitest";
import { replaceReasons } from "../../../../infra/providers/self-signed/provider";

const NOW = Date.parse("2026-12-01T00:00:00Z");
const DAY = 86_400_000;
const inputs = { commonName: "mediamtx-lb t CA", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] };
const made = (notAfter: number) => ({
  ...inputs,
  caPem: "ca",
  certPem: "cert",
  keyPem: "key",
  notAfter: new Date(notAfter).toISOString(),
});

describe("replaceReasons", () => {
  it.each<[string, ReturnType<typeof made>, typeof inputs, string[]]>([
    ["the same names, 31 days left", made(NOW + 31 * DAY), inputs, []],
    ["the same names, 29 days left: renewed", made(NOW + 29 * DAY), inputs, ["notAfter"]],
    ["expired", made(NOW - DAY), inputs, ["notAfter"]],
    ["a new name", made(NOW + 800 * DAY), { ...inputs, dnsNames: ["localhost", "x.test"] }, ["dnsNames"]],
    ["a new address", made(NOW + 800 * DAY), { ...inputs, ipAddresses: ["10.0.0.1"] }, ["ipAddresses"]],
    ["a renamed stack", made(NOW + 800 * DAY), { ...inputs, commonName: "other" }, ["commonName"]],
    ["state without notAfter", { ...made(NOW), notAfter: "" }, inputs, ["notAfter"]],
  ])("%s", (_case, olds, news, reasons) => {
    expect(replaceReasons(olds, news, NOW)).toEqual(reasons);
  });
});
