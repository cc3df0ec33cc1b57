import { describe, it } from "vitest";
import {
  fixtureModel,
  haproxyConfigDir,
  haproxyContainer,
  mediamtxContainer,
  remoteImage,
} from "../tests/stack-resources";
import {
  assertHasViolation,
  assertNotApplicable,
  assertNoViolations,
  runResourcePolicy,
} from "../tests/util";
import { imagesPinned } from "./images-pinned";

const DIGEST = `sha256:${"0".repeat(64)}`;

describe("#images-pinned", () => {
  const prod = fixtureModel("prod");
  const dev = fixtureModel("dev");
  const [instance] = prod.instances;
  if (instance === undefined) throw new Error("prod fixture has no instance");

  it.each([
    ["prod RemoteImage", remoteImage(prod, "haproxy")],
    ["dev RemoteImage (local image)", remoteImage(dev, "mediamtx")],
    ["prod HAProxy container", haproxyContainer(prod)],
    ["prod MediaMTX container", mediamtxContainer(prod, instance)],
    ["digest only", remoteImage(prod, "haproxy", `haproxy@${DIGEST}`)],
    ["tag and digest", haproxyContainer(prod, { image: `haproxy:2.8@${DIGEST}` })],
  ])("passes %s", async (_case, resource) => {
    assertNoViolations(await runResourcePolicy(imagesPinned, resource));
  });

  it("fails a container on haproxy:latest, naming the container, the field and the fix", async () => {
    const outcome = await runResourcePolicy(
      imagesPinned,
      haproxyContainer(prod, { image: "haproxy:latest" }),
    );
    assertHasViolation(
      outcome,
      'Container "prod-haproxy-container": image "haproxy:latest" uses the moving tag latest',
      "pin a version tag or a digest",
    );
  });

  it("fails a bare RemoteImage name", async () => {
    const outcome = await runResourcePolicy(
      imagesPinned,
      remoteImage(prod, "mediamtx", "bluenviron/mediamtx"),
    );
    assertHasViolation(outcome, 'RemoteImage "prod-image-mediamtx": name "bluenviron/mediamtx" has no tag');
  });

  it("fails a malformed or missing image", async () => {
    assertHasViolation(
      await runResourcePolicy(
        imagesPinned,
        mediamtxContainer(prod, instance, { image: "Bluenviron/MediaMTX:1" }),
      ),
      "is not a valid image reference",
    );
    assertHasViolation(
      await runResourcePolicy(imagesPinned, mediamtxContainer(prod, instance, { image: undefined })),
      'Container "prod-mediamtx-media-a-container": image is not set',
    );
  });

  it("does not apply to other resources", async () => {
    assertNotApplicable(await runResourcePolicy(imagesPinned, haproxyConfigDir(prod)));
  });
});
