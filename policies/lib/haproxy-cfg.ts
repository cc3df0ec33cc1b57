// A small reader for haproxy.cfg text as the policies need it: sections, their lines split into words,
// and the few keyword arguments the rules check (server options, bind ports, durations). It never
// validates HAProxy's grammar (`haproxy -c` does, in ConfigDir), so unknown keywords are kept as words.
//
// Tokenising follows HAProxy's config reader: words split on blanks, "…" and '…' quote (the quotes are
// dropped), a backslash escapes the next character outside single quotes, and an unquoted, unescaped `#`
// starts a comment.

/** Keywords that open a section. A line starting with one of them ends the previous section. */
const SECTION_KEYWORDS: ReadonlySet<string> = new Set([
  "global",
  "defaults",
  "frontend",
  "backend",
  "listen",
  "userlist",
  "peers",
  "resolvers",
  "mailers",
  "program",
  "http-errors",
  "ring",
  "cache",
  "crt-store",
  "log-forward",
  "traces",
]);

export interface CfgLine {
  /** 1-based line number in the file, for messages. */
  readonly lineNo: number;
  /** Words after quote removal, comments dropped; never empty. */
  readonly words: readonly string[];
}

export interface CfgSection {
  /** Section keyword: "frontend", "backend", "listen", "userlist", … */
  readonly kind: string;
  /** Section name; "" for unnamed sections (global, an anonymous defaults). */
  readonly name: string;
  readonly lineNo: number;
  /** The section's lines after its header. */
  readonly lines: readonly CfgLine[];
}

export interface HaproxyCfg {
  readonly sections: readonly CfgSection[];
}

/** Splits one config line into words (see the file comment for the quoting rules). */
export function splitCfgWords(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] ?? "";
    if (quote !== undefined) {
      if (ch === quote) {
        quote = undefined;
      } else if (ch === "\\" && quote === '"' && i + 1 < line.length) {
        i++;
        word += line[i] ?? "";
      } else {
        word += ch;
      }
      continue;
    }
    if (ch === "#") break;
    if (ch === " " || ch === "\t" || ch === "\r") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      continue;
    }
    inWord = true;
    if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === "\\" && i + 1 < line.length) {
      i++;
      word += line[i] ?? "";
    } else {
      word += ch;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Reads haproxy.cfg text into sections. Lines before the first section are dropped (comments only). */
export function parseHaproxyCfg(text: string): HaproxyCfg {
  const sections: { kind: string; name: string; lineNo: number; lines: CfgLine[] }[] = [];
  text.split("\n").forEach((raw, index) => {
    const words = splitCfgWords(raw);
    const [first, second] = words;
    if (first === undefined) return;
    const lineNo = index + 1;
    if (SECTION_KEYWORDS.has(first)) {
      sections.push({ kind: first, name: second ?? "", lineNo, lines: [] });
      return;
    }
    sections[sections.length - 1]?.lines.push({ lineNo, words });
  });
  return { sections };
}

export function sectionsOfKind(cfg: HaproxyCfg, ...kinds: string[]): CfgSection[] {
  return cfg.sections.filter((section) => kinds.includes(section.kind));
}

/** Lines of `section` whose first words are `keywords`, e.g. ("stats", "enable"). */
export function linesStartingWith(section: CfgSection, ...keywords: string[]): CfgLine[] {
  return section.lines.filter((line) => keywords.every((keyword, i) => line.words[i] === keyword));
}

export interface ServerLine {
  /** The backend or listen section holding the line. */
  readonly section: CfgSection;
  readonly name: string;
  readonly address: string;
  /** Words after the address: `weight 2 check inter 2s …`. */
  readonly options: readonly string[];
  readonly lineNo: number;
}

/** Every `server` line of every backend and listen section, in file order. */
export function serverLines(cfg: HaproxyCfg): ServerLine[] {
  return sectionsOfKind(cfg, "backend", "listen").flatMap((section) =>
    linesStartingWith(section, "server").map((line) => ({
      section,
      name: line.words[1] ?? "",
      address: line.words[2] ?? "",
      options: line.words.slice(3),
      lineNo: line.lineNo,
    })),
  );
}

/** The argument after `keyword` in a server's options (`weight 2` → "2"); undefined when absent. */
export function serverOption(server: ServerLine, keyword: string): string | undefined {
  const at = server.options.indexOf(keyword);
  return at < 0 ? undefined : server.options[at + 1];
}

/** Whether the server line turns health checks on: `check` present and no later `no-check`. */
export function hasHealthCheck(server: ServerLine): boolean {
  return server.options.lastIndexOf("check") > server.options.lastIndexOf("no-check");
}

/**
 * Whether HAProxy follows the server's health: its own `check`, or `track <backend>/<server>` naming a
 * server of `all` that has one (HAProxy then mirrors that server's state).
 */
export function isHealthFollowed(server: ServerLine, all: readonly ServerLine[]): boolean {
  if (hasHealthCheck(server)) return true;
  const tracked = serverOption(server, "track");
  if (tracked === undefined) return false;
  const [backend, name] = tracked.includes("/") ? tracked.split("/", 2) : [server.section.name, tracked];
  return all.some((s) => s.section.name === backend && s.name === name && hasHealthCheck(s));
}

export interface BindLine {
  readonly section: CfgSection;
  /** TCP ports this bind listens on; ranges (`8000-8002`) are expanded. */
  readonly ports: readonly number[];
  readonly lineNo: number;
}

/**
 * The TCP ports of a bind address list such as `127.0.0.1:8404`, `:80,:443`, `[::]:8189` or
 * `0.0.0.0:8000-8002`. Sockets without a port (`/run/x.sock`, `unix@…`, `abns@…`, `fd@…`) yield none.
 * Internal. Exported for testing.
 */
export function bindPorts(addresses: string): number[] {
  const ports: number[] = [];
  for (const address of addresses.split(",")) {
    if (address.startsWith("/") || /^(unix|abns|abnsz|fd|sockpair)@/.test(address)) continue;
    const match = /:([0-9]+)(?:-([0-9]+))?$/.exec(address);
    if (match === null) continue;
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    for (let port = first; port <= last && port - first < 65536; port++) ports.push(port);
  }
  return ports;
}

/** Every `bind` line of every frontend and listen section, in file order. */
export function bindLines(cfg: HaproxyCfg): BindLine[] {
  return sectionsOfKind(cfg, "frontend", "listen").flatMap((section) =>
    linesStartingWith(section, "bind").map((line) => ({
      section,
      ports: bindPorts(line.words[1] ?? ""),
      lineNo: line.lineNo,
    })),
  );
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  us: 0.001,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Milliseconds in an HAProxy time value: a number with an optional unit (us, ms, s, m, h, d); a bare
 * number is milliseconds, as HAProxy reads it. Undefined when `text` is not a time value.
 */
export function parseHaproxyDuration(text: string): number | undefined {
  const match = /^([0-9]+)(us|ms|s|m|h|d)?$/.exec(text);
  if (match === null) return undefined;
  return Number(match[1]) * (DURATION_UNITS[match[2] ?? "ms"] ?? 1);
}

/** Userlist names referenced by `http_auth(<name>)` / `http_auth_group(<name>)` fetches on a line. */
export function httpAuthUserlists(line: CfgLine): string[] {
  const names: string[] = [];
  for (const word of line.words) {
    for (const match of word.matchAll(/\bhttp_auth(?:_group)?\(([^),]+)/g)) {
      if (match[1] !== undefined) names.push(match[1]);
    }
  }
  return names;
}
