import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { UserError } from '../api/errors';
import { formatBytes } from '../api/units';

/**
 * Reads a file the user named (an image to search with, a config, a dataset's files, an exported run's records):
 * only a regular file, and never more than `maxBytes`, so /dev/zero, a pipe or a 50 GB file gets a clear refusal
 * instead of filling memory. `what` names the file in messages ("The image", "The config file").
 */
export function readUserFile(path: string, maxBytes: number, what = 'The file'): Buffer {
  let fd: number;
  try {
    // A pipe would block open() until someone writes to it: look before opening, and open without blocking.
    const info = statSync(path);
    if (info.isDirectory()) throw new UserError('file_error', `${what} ${path} is a folder, not a file.`);
    if (!info.isFile()) {
      throw new UserError('file_error', `${what} ${path} is not a regular file (it is a device, pipe or socket).`);
    }
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'there is no such file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'ENOTDIR'
            ? 'a part of the path is not a folder'
            : (code ?? (err as Error).message);
    throw new UserError('file_error', `${what} ${path} cannot be read (${why}).`);
  }
  try {
    // The file is checked again once open, in case it was swapped in between.
    const info = fstatSync(fd);
    if (!info.isFile()) throw new UserError('file_error', `${what} ${path} is not a regular file.`);
    const tooLarge = () =>
      new UserError(
        'invalid_argument',
        `${what} ${path} is too large (${formatBytes(info.size)}; the limit is ${formatBytes(maxBytes)}).`,
      );
    if (info.size > maxBytes) throw tooLarge();
    // Read to the end, stopping past the limit: a file that grows while it is read cannot take more.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(Math.max(info.size - total, 0) + 65536, maxBytes + 1 - total));
      if (chunk.length === 0) throw tooLarge();
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > maxBytes) throw tooLarge();
    }
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}
