import { expect, it, describe as suite } from "vitest";
import { describe, isRecord, numberOr, recordsIn, stringOr, stringsIn } from "../../../infra/lib/untyped";

suite("isRecord", () => {
  it.each([[{}], [{ a: 1 }], [Object.create(null)]])("accepts %j", (value) => {
    expect(isRecord(value)).toBe(true);
  });

  it.each([[null], [undefined], [[]], [[{}]], ["{}"], [0], [true]])("rejects %j", (value) => {
    expect(isRecord(value)).toBe(false);
  });
});

suite("stringOr", () => {
  it.each([
    ["", "x", ""],
    ["a", undefined, "a"],
    [1, "", ""],
    [null, undefined, undefined],
    [["a"], "", ""],
  ])("stringOr(%j, %j) = %j", (value, fallback, expected) => {
    expect(stringOr(value, fallback)).toBe(expected);
  });
});

suite("numberOr", () => {
  it.each([
    [0, null, 0],
    [-1.5, 0, -1.5],
    ["1", null, null],
    [Number.NaN, 0, 0],
    [Number.POSITIVE_INFINITY, undefined, undefined],
    [undefined, 7, 7],
  ])("numberOr(%j, %j) = %j", (value, fallback, expected) => {
    expect(numberOr(value, fallback)).toBe(expected);
  });
});

suite("recordsIn and stringsIn", () => {
  it("keep only the objects or strings of a list, in order", () => {
    const list = [{ a: 1 }, "b", null, [], { c: 2 }, 3, "d"];
    expect(recordsIn(list)).toEqual([{ a: 1 }, { c: 2 }]);
    expect(stringsIn(list)).toEqual(["b", "d"]);
  });

  it.each([[undefined], [null], [{ 0: "a" }], ["ab"]])("give [] for the non-list %j", (value) => {
    expect(recordsIn(value)).toEqual([]);
    expect(stringsIn(value)).toEqual([]);
  });
});

suite("describe", () => {
  it.each([
    [undefined, "nothing"],
    [null, "null"],
    [[], "an empty list"],
    [[1, 2], "a list"],
    [{ password: "secret" }, "an object"],
    ["a", '"a"'],
    ["", '""'],
    ['say "hi"', '"say \\"hi\\""'],
    ["two\nlines\r", '"two\\nlines\\r"'],
    ["\u2028\u2029", '"\\u2028\\u2029"'],
    [300, "300"],
    [1.5, "1.5"],
    [true, "true"],
  ])("describes %j as %s", (value, expected) => {
    expect(describe(value)).toBe(expected);
  });

  it("cuts a long string to 80 characters, always on one line", () => {
    const shown = describe("x".repeat(79) + "\n".repeat(10));
    expect(shown).toBe(`"${"x".repeat(77)}..."`);
    expect(describe("y".repeat(80))).toBe(`"${"y".repeat(80)}"`);
    expect(describe("z".repeat(81))).toBe(`"${"z".repeat(77)}..."`);
  });
});
