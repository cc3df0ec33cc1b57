export { replaceReasons, SelfSignedCertificate, type SelfSignedInputs } from "./provider";
