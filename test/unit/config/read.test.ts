import { describe, expect, it } from "vitest";
import { parseConfigValue } from "../../../infra/config/read";

// Pulumi hands every config value over as text; structured values (`--path` or YAML objects and lists)
// arrive as their JSON.
describe("parseConfigValue", () => {
  it.each([
    ['[{"name":"a"}]', [{ name: "a" }]],
    ['{"interval":"2s"}', { interval: "2s" }],
    ['  {"rtmp": 1936}', { rtmp: 1936 }],
    ["[]", []],
  ])("parses the object or list %j", (text, value) => {
    expect(parseConfigValue(text)).toEqual(value);
  });

  // A user name "123" or "true" is a string, not a number or a boolean: only objects and lists are JSON.
  it.each([
    "123",
    "true",
    "null",
    '"quoted"',
    "2s",
    "",
    "10.213.7.0/24",
  ])("keeps the scalar %j as text", (text) => {
    expect(parseConfigValue(text)).toBe(text);
  });

  it("keeps malformed JSON as text, so the validator can name the key and show it", () => {
    expect(parseConfigValue("{interval: 2s}")).toBe("{interval: 2s}");
    expect(parseConfigValue("[1,")).toBe("[1,");
  });
});
