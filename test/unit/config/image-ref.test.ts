import { describe, expect, it } from "vitest";
import { isOfficialImage, isPinned, parseImageReference, tagVersion } from "../../../infra/config/image-ref";

const DIGEST = `sha256:${"a".repeat(64)}`;

describe("parseImageReference", () => {
  it.each([
    ["haproxy:2.8", { registry: undefined, path: "haproxy", tag: "2.8", digest: undefined }],
    ["haproxy", { registry: undefined, path: "haproxy", tag: undefined, digest: undefined }],
    [`haproxy@${DIGEST}`, { registry: undefined, path: "haproxy", tag: undefined, digest: DIGEST }],
    [`haproxy:2.8@${DIGEST}`, { registry: undefined, path: "haproxy", tag: "2.8", digest: DIGEST }],
    [
      "bluenviron/mediamtx:1.20.0",
      { registry: undefined, path: "bluenviron/mediamtx", tag: "1.20.0", digest: undefined },
    ],
    [
      "localhost:5000/haproxy",
      { registry: "localhost:5000", path: "haproxy", tag: undefined, digest: undefined },
    ],
    [
      "docker.io/library/haproxy:3.0",
      { registry: "docker.io", path: "library/haproxy", tag: "3.0", digest: undefined },
    ],
    [
      "mediamtx-lb/haproxy:3.0",
      { registry: undefined, path: "mediamtx-lb/haproxy", tag: "3.0", digest: undefined },
    ],
  ])("%s", (ref, parsed) => {
    expect(parseImageReference(ref)).toEqual(parsed);
  });

  it.each([
    "",
    "haproxy:",
    "Haproxy:2.8",
    "haproxy:2.8 ",
    "haproxy@sha256:abc",
    "a@b@c",
    "haproxy:-x",
  ])("%j is malformed", (ref) => {
    expect(parseImageReference(ref)).toBeUndefined();
  });
});

describe("isPinned", () => {
  it.each([
    ["haproxy:2.8", true],
    [`haproxy@${DIGEST}`, true],
    [`haproxy:latest@${DIGEST}`, true],
    ["haproxy:latest", false],
    ["haproxy", false],
    ["localhost:5000/haproxy", false],
  ])("%s → %s", (ref, pinned) => {
    const parsed = parseImageReference(ref);
    if (parsed === undefined) throw new Error(`unparsable ${ref}`);
    expect(isPinned(parsed)).toBe(pinned);
  });
});

describe("isOfficialImage", () => {
  it.each([
    ["haproxy:2.8", true],
    ["library/haproxy:2.8", true],
    ["docker.io/haproxy:2.8", true],
    ["docker.io/library/haproxy:2.8", true],
    ["mediamtx-lb/haproxy:3.0", false],
    ["ghcr.io/haproxy:2.8", false],
    ["haproxytech/haproxy-debian:2.8", false],
  ])("%s → %s", (ref, official) => {
    const parsed = parseImageReference(ref);
    if (parsed === undefined) throw new Error(`unparsable ${ref}`);
    expect(isOfficialImage(parsed, "haproxy")).toBe(official);
  });
});

describe("tagVersion", () => {
  it.each([
    ["2.8", [2, 8]],
    ["2.8.5", [2, 8]],
    ["3.0-alpine", [3, 0]],
    ["2.9.1-bookworm", [2, 9]],
    ["lts", undefined],
    ["alpine", undefined],
    ["2", undefined],
    ["2.8x", undefined],
  ])("%s → %j", (tag, version) => {
    expect(tagVersion(tag)).toEqual(version);
  });
});
