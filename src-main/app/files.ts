import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

/** A temporary name beside `path`; start-up clean-up removes leftovers of crashed writes by this marker. */
export function temporarySibling(path: string): string {
  return `${path}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
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
