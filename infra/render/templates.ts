// Loads a Mustache template from the repository's templates/ directory and renders it. The only I/O
// in infra/render: reading our own template files, never anything that depends on the host or time.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import Mustache from "mustache";
import { REPO_ROOT } from "../lib/repo-root";

/** templates/ at the repository root. */
const TEMPLATES_DIR = join(REPO_ROOT, "templates");

/** Reads `templates/<name>` (e.g. "haproxy.cfg.mustache") as UTF-8. */
function loadTemplate(name: string): string {
  return readFileSync(join(TEMPLATES_DIR, name), "utf8");
}

/**
 * Renders `templates/<name>` with `view`; `{{> other.mustache}}` includes `templates/other.mustache`
 * with the same view (a partial tag alone on its line indents every line of the partial as far as the
 * tag). `escape: String` turns off Mustache's HTML escaping (which would write `/` as `&#x2F;` into
 * configs); names with spaces or newlines are rejected during validation, and views build every other
 * value themselves. Output is normalised to `\n` endings with exactly one trailing newline so the same
 * model always gives byte-identical files.
 */
export function renderTemplate(name: string, view: object): string {
  const text = Mustache.render(loadTemplate(name), view, loadTemplate, { escape: String });
  return `${text.replace(/\r\n?/g, "\n").replace(/\n+$/, "")}\n`;
}
