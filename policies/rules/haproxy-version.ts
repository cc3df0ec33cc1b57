import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isOfficialImage, parseImageReference, tagVersion } from "../../infra/config/image-ref";
import { imageUseOf } from "../lib/resources";

/**
 * The oldest HAProxy the stack supports: the 2.8 LTS line (lua-load arguments and register_task
 * arguments need it; 2.6 silently ignores lua-load arguments).
 */
const MINIMUM_HAPROXY: readonly [number, number] = [2, 8];

const MINIMUM_TEXT = MINIMUM_HAPROXY.join(".");
const FIX = `use haproxy:${MINIMUM_TEXT} or newer (stack config mediamtx-lb:images.haproxy)`;

/**
 * Only Docker Hub's official `haproxy` image is judged by its tag. Local `mediamtx-lb/haproxy:<minor>`
 * images are exempt: scripts/bootstrap builds them offline from a Debian suite, which fixes the version
 * (trixie → 3.0), and they are not `haproxy:<tag>` references in the first place.
 */
export const haproxyVersion: ResourceValidationPolicy = {
  name: "haproxy-version",
  description: `Official haproxy:<tag> images are HAProxy ${MINIMUM_TEXT} or newer (local mediamtx-lb/haproxy images are exempt).`,
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const use = imageUseOf(args);
    const ref = typeof use?.image === "string" ? parseImageReference(use.image) : undefined;
    if (use === undefined || ref === undefined || !isOfficialImage(ref, "haproxy")) {
      return args.notApplicable("not an official haproxy image");
    }
    const where = `${use.resource}: ${use.field} "${String(use.image)}"`;
    const version = ref.tag === undefined ? undefined : tagVersion(ref.tag);
    if (version === undefined) {
      reportViolation(
        `${where} names no HAProxy version (tag ${ref.tag ?? "missing"}); ${FIX}, e.g. haproxy:${MINIMUM_TEXT} (a digest may follow the tag)`,
      );
      return;
    }
    const [major, minor] = version;
    const [minMajor, minMinor] = MINIMUM_HAPROXY;
    if (major < minMajor || (major === minMajor && minor < minMinor)) {
      reportViolation(`${where} is HAProxy ${major}.${minor}, older than ${MINIMUM_TEXT}; ${FIX}`);
    }
  },
};
