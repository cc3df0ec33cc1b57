import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isPinned, parseImageReference } from "../../infra/config/image-ref";
import { imageUseOf } from "../lib/resources";

const FIX =
  'pin a version tag or a digest, e.g. "haproxy:2.8" or "haproxy:2.8@sha256:<digest>" (stack config mediamtx-lb:images)';

/**
 * An unpinned image makes `pulumi up` depend on the day it runs: `latest` (or a bare name, which Docker
 * reads as latest) moves, and RemoteImage reuses whatever local image has that name.
 */
export const imagesPinned: ResourceValidationPolicy = {
  name: "images-pinned",
  description:
    "Every Container image and RemoteImage name is pinned by an explicit tag (not latest) or a digest.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const use = imageUseOf(args);
    if (use === undefined) return args.notApplicable("not a Container or RemoteImage");
    const where = `${use.resource}: ${use.field}`;
    if (typeof use.image !== "string" || use.image.length === 0) {
      reportViolation(`${where} is not set; ${FIX}`);
      return;
    }
    const ref = parseImageReference(use.image);
    if (ref === undefined) {
      reportViolation(`${where} "${use.image}" is not a valid image reference; ${FIX}`);
    } else if (ref.tag === undefined && ref.digest === undefined) {
      reportViolation(`${where} "${use.image}" has no tag, so Docker uses latest; ${FIX}`);
    } else if (!isPinned(ref)) {
      reportViolation(`${where} "${use.image}" uses the moving tag latest; ${FIX}`);
    }
  },
};
