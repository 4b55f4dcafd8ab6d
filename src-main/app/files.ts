import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

/** A temporary name beside `path`; start-up clean-up removes leftovers of crashed writes by this marker. */
export function temporarySibling(path: string): string {
  return `${path}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Writes a file so that readers see either the old content or the whole new one, never a torn write:
 * data goes to a temporary sibling, is flushed to disk, then renamed over the target.
 */
export function writeFileAtomic(path: string, chunks: Uint8Array | readonly Uint8Array[]): void {
  const tmp = temporarySibling(path);
  const fd = openSync(tmp, 'w');
  try {
    for (const chunk of chunks instanceof Uint8Array ? [chunks] : chunks) {
      let written = 0;
      while (written < chunk.byteLength) written += writeSync(fd, chunk, written);
    }
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}
