import { describe, it } from "vitest";
import { fixtureModel, haproxyContainer, mediamtxContainer } from "../tests/stack-resources";
import {
  assertHasViolation,
  assertNotApplicable,
  assertNoViolations,
  runResourcePolicy,
} from "../tests/util";
import { mediamtxApiUnpublished } from "./mediamtx-api-unpublished";

describe("#mediamtx-api-unpublished", () => {
  const model = fixtureModel("five");

  it.each(
    model.instances.map((instance) => [instance.name, instance] as const),
  )("passes instance %s as the program declares it", async (_name, instance) => {
    assertNoViolations(await runResourcePolicy(mediamtxApiUnpublished, mediamtxContainer(model, instance)));
  });

  it("fails a published control API, naming the container, the field and the fix", async () => {
    const [instance] = model.instances;
    if (instance === undefined) throw new Error("no instance");
    const outcome = await runResourcePolicy(
      mediamtxApiUnpublished,
      mediamtxContainer(model, instance, { ports: [{ internal: 9997, external: 19997 }] }),
    );
    assertHasViolation(
      outcome,
      'Container "five-mediamtx-n1-container" (MediaMTX) publishes ports 9997 (control API) → host port 19997',
      "remove ports",
    );
  });

  it("fails any published port, including metrics on a random host port", async () => {
    const [, instance] = model.instances;
    if (instance === undefined) throw new Error("no instance");
    const outcome = await runResourcePolicy(
      mediamtxApiUnpublished,
      mediamtxContainer(model, instance, { ports: [{ internal: 1935, external: 1935 }, { internal: 9998 }] }),
    );
    assertHasViolation(outcome, "1935 → host port 1935, 9998 (metrics) → a random host port");
  });

  it("recognises a MediaMTX container by its image when the role label is missing", async () => {
    const [instance] = model.instances;
    if (instance === undefined) throw new Error("no instance");
    const unlabelled = mediamtxContainer(model, instance, { labels: [], ports: [{ internal: 8888 }] });
    assertHasViolation(await runResourcePolicy(mediamtxApiUnpublished, unlabelled), "publishes ports 8888");
  });

  it("does not apply to the HAProxy container", async () => {
    assertNotApplicable(
      await runResourcePolicy(
        mediamtxApiUnpublished,
        haproxyContainer(model, { ports: [{ internal: 8404 }] }),
      ),
    );
  });
});
