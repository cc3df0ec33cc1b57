import { describe, it } from "vitest";
import { fixtureModel, haproxyContainer, remoteImage } from "../tests/stack-resources";
import {
  assertHasViolation,
  assertNotApplicable,
  assertNoViolations,
  runResourcePolicy,
} from "../tests/util";
import { haproxyVersion } from "./haproxy-version";

describe("#haproxy-version", () => {
  const prod = fixtureModel("prod");
  const dev = fixtureModel("dev");

  it.each([
    "haproxy:2.8",
    "haproxy:2.8.16-alpine",
    "haproxy:3.0",
    "docker.io/library/haproxy:3.2",
  ])("passes %s", async (image) => {
    assertNoViolations(await runResourcePolicy(haproxyVersion, haproxyContainer(prod, { image })));
  });

  it("passes the prod fixture's RemoteImage", async () => {
    assertNoViolations(await runResourcePolicy(haproxyVersion, remoteImage(prod, "haproxy")));
  });

  it("exempts the local Debian-built mediamtx-lb/haproxy image, whatever its tag", async () => {
    assertNotApplicable(await runResourcePolicy(haproxyVersion, remoteImage(dev, "haproxy")));
    assertNotApplicable(
      await runResourcePolicy(haproxyVersion, remoteImage(dev, "haproxy", "mediamtx-lb/haproxy:2.6")),
    );
  });

  it("fails haproxy:2.6, naming the resource, the field and the fix", async () => {
    const outcome = await runResourcePolicy(haproxyVersion, haproxyContainer(prod, { image: "haproxy:2.6" }));
    assertHasViolation(
      outcome,
      'Container "prod-haproxy-container": image "haproxy:2.6" is HAProxy 2.6, older than 2.8',
      "use haproxy:2.8 or newer (stack config mediamtx-lb:images.haproxy)",
    );
  });

  it("fails a RemoteImage whose tag names no version", async () => {
    const outcome = await runResourcePolicy(haproxyVersion, remoteImage(prod, "haproxy", "haproxy:lts"));
    assertHasViolation(
      outcome,
      'RemoteImage "prod-image-haproxy": name "haproxy:lts" names no HAProxy version',
    );
  });

  it("does not apply to MediaMTX images", async () => {
    assertNotApplicable(await runResourcePolicy(haproxyVersion, remoteImage(prod, "mediamtx")));
  });
});
