import {
  closeSync,
  copyFileSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isProcessAlive } from './process-owner';

/** A temporary name beside `path`; start-up clean-up removes leftovers of crashed writes by this marker. */
export function temporarySibling(path: string): string {
  return `${path}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
}

const temporaryName = /\.partial-(\d+)-[0-9a-f]{8}$/;

/** Whether a file name is one temporarySibling made. */
export function isTemporaryName(name: string): boolean {
  return temporaryName.test(name);
}

/**
 * Removes what crashed writes left behind: temporary siblings (see temporarySibling) whose writing process no longer
 * exists, down to `depth` folders below `dir` (a live process may still be writing its own).
 */
export function removeStaleTemporaries(dir: string, depth: number): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const match = temporaryName.exec(entry.name);
    if (match) {
      if (!isProcessAlive(Number(match[1]))) rmSync(path, { recursive: true, force: true });
    } else if (entry.isDirectory() && depth > 0) removeStaleTemporaries(path, depth - 1);
  }
}

/**
 * A file written in pieces that readers see either whole or not at all: data goes to a temporary sibling, is
 * flushed to disk on commit, then renamed over the target. Memory use does not grow with the file.
 */
export class AtomicFileWriter {
  private readonly tmp: string;
  private fd: number | undefined;
  bytesWritten = 0;

  constructor(readonly path: string) {
    this.tmp = temporarySibling(path);
    this.fd = openSync(this.tmp, 'w');
  }

  append(chunk: Uint8Array): void {
    if (this.fd === undefined) throw new Error(`${this.path} is already closed`);
    let written = 0;
    while (written < chunk.byteLength) written += writeSync(this.fd, chunk, written);
    this.bytesWritten += chunk.byteLength;
  }

  commit(): void {
    if (this.fd === undefined) throw new Error(`${this.path} is already closed`);
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
    renameSync(this.tmp, this.path);
  }

  abort(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.tmp, { force: true });
  }
}

/** Writes a whole file atomically (see AtomicFileWriter). */
export function writeFileAtomic(path: string, chunks: Uint8Array | readonly Uint8Array[]): void {
  const writer = new AtomicFileWriter(path);
  try {
    for (const chunk of chunks instanceof Uint8Array ? [chunks] : chunks) writer.append(chunk);
    writer.commit();
  } catch (err) {
    writer.abort();
    throw err;
  }
}

/**
 * Copies a file or a folder's files to `to`, following links, so the copy holds the files themselves (a read-only data
 * folder is looked at through links: store/read-only-copy.ts).
 */
export function copyFollowingLinks(from: string, to: string): void {
  if (!statSync(from).isDirectory()) {
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
    return;
  }
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) copyFollowingLinks(join(from, name), join(to, name));
}

/** Bytes of every file under `path`; what cannot be read counts as nothing. */
export function folderBytes(path: string): number {
  let info;
  try {
    info = statSync(path, { throwIfNoEntry: false });
  } catch {
    return 0;
  }
  if (!info) return 0;
  if (!info.isDirectory()) return info.size;
  let names: string[];
  try {
    names = readdirSync(path);
  } catch {
    return 0;
  }
  return names.reduce((sum, name) => sum + folderBytes(join(path, name)), 0);
}
