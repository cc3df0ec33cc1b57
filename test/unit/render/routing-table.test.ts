import { expect, it } from "vitest";
import { renderRoutingTable } from "../../../infra/render/routing-table";
import { loadFixtureModel } from "../../support/stack-fixtures";

it("renders one aligned row per instance and the health line", () => {
  const model = loadFixtureModel("dev");
  const a = model.instances[0]?.address.replace(/\.\d+$/, "");
  expect(renderRoutingTable(model)).toBe(
    [
      "instance  weight  ice-tcp  address",
      `mtx-1     2       8189     ${a}.10`,
      `mtx-2     1       8190     ${a}.11`,
      `mtx-3     1       8191     ${a}.12`,
      "health: inter 2s timeout 1s fall 3 rise 2; router poll 1s",
      "",
    ].join("\n"),
  );
});
