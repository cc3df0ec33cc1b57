// The tar streams `docker cp -` extracts into the volume. Written here, not with the system tar or an npm
// library: the swap below needs hard-link entries to a file earlier in the same stream, and the removal a
// hard link to a file that does not exist, which GNU tar only writes for files laid out on local disk
// (and never the dangling one); tar-stream could, but would be a new dependency (and three of its own)
// for two header kinds of 512 bytes. Pure and self-contained (serialized with the provider); the unit
// test reads every stream back with GNU tar.
//
// How Docker extracts (moby pkg/archive Unpack, what `docker cp` runs): entry by entry, in order; an
// existing path is first removed (RemoveAll), then created from the entry, then chowned to the entry's
// uid/gid and chmodded. So a plain file entry would show the watcher a missing, then an empty, then a
// half-written file. Instead each file is written to the staging name first and then hard-linked into
// place: the live name is missing for the instant between unlink and link, and whenever it exists it is
// a complete file. MediaMTX's watcher (internal/confwatcher) ignores the removal, reloads on the link's
// create event 10 ms later, and polls (mtime, size) every second as a backstop. That matters: MediaMTX
// does NOT keep the old config when the new file does not parse: core.go logs the error and exits
// (`break outer`), so a torn read would stop the instance.

export interface TarEntry {
  readonly name: string;
  /** Regular file content, or a hard link to `linkTo` (a path in the same extraction). */
  readonly content?: string;
  readonly linkTo?: string;
}

/** Internal. Exported for testing. The staging file every write passes through (a hidden name: no user file meets it). */
export function stagingName(): string {
  return ".mediamtx-lb.next";
}

/**
 * Internal. Exported for testing. One stream that writes `files` (name → content): per file the staging
 * file, then the name as a hard link to it. The staging name ends up as a second link of the last file.
 */
export function writeStream(files: Readonly<Record<string, string>>, mtimeSeconds: number): Buffer {
  const entries: TarEntry[] = [];
  for (const name of Object.keys(files).sort()) {
    entries.push({ name: stagingName(), content: files[name] ?? "" });
    entries.push({ name, linkTo: stagingName() });
  }
  return tarStream(entries, mtimeSeconds);
}

/**
 * Internal. Exported for testing. A stream that removes `name`: `docker cp` has no delete, but Unpack
 * removes an existing path before it creates the entry, and a hard link to a missing target then fails,
 * which ends the extraction with an error. So one removal per stream, and the caller checks that the
 * error is that failed link (isRemovalError). The staging file is emptied first, in case it was a link
 * to the removed file.
 */
export function removeStream(name: string, mtimeSeconds: number): Buffer {
  return tarStream(
    [
      { name: stagingName(), content: "" },
      { name, linkTo: ".mediamtx-lb.absent" },
    ],
    mtimeSeconds,
  );
}

/** Internal. Exported for testing. Whether `docker cp` failed the way removeStream makes it fail. */
export function isRemovalError(stderr: string): boolean {
  return /link \S*\.mediamtx-lb\.absent \S+: no such file or directory/.test(stderr);
}

/** ustar: 512-byte headers, contents padded to 512, two zero blocks at the end. Mode 0644, owner 0:0. */
function tarStream(entries: readonly TarEntry[], mtimeSeconds: number): Buffer {
  const octal = (n: number, width: number) => `${n.toString(8).padStart(width - 1, "0")}\0`;
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.linkTo === undefined ? (e.content ?? "") : "", "utf8");
    const h = Buffer.alloc(512);
    h.write(e.name, 0, 100, "utf8");
    h.write(octal(0o644, 8), 100); // mode: readable by any user the consumer's image runs as
    h.write(octal(0, 8), 108); // uid
    h.write(octal(0, 8), 116); // gid
    h.write(octal(body.length, 12), 124);
    h.write(octal(mtimeSeconds, 12), 136);
    h.write(e.linkTo === undefined ? "0" : "1", 156);
    if (e.linkTo !== undefined) h.write(e.linkTo, 157, 100, "utf8");
    h.write("ustar\0", 257);
    h.write("00", 263);
    // The checksum is summed with its own field as spaces.
    h.write("        ", 148);
    let sum = 0;
    for (const byte of h) sum += byte;
    h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
