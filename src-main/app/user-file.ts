import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../api/errors';
import { formatBytes } from '../api/units';
import { writeFileAtomic } from './files';

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

/** An error writing `path` in words: what went wrong, never a temporary file's name. */
export function writeFailure(err: unknown, what: string, path: string): UserError {
  if (err instanceof UserError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'the disk is full'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EROFS'
          ? 'the disk is read-only'
          : code === 'EIO'
            ? 'the disk reported an input/output error'
            : (code ?? (err as Error).message.split('\n')[0]);
  return new UserError('file_error', `${what} could not be written to ${path}: ${why}. Nothing was written.`);
}

/**
 * Writes a file the user named with --out (a CSV, a PNG): a new or regular file whole or not at all (a temporary
 * sibling renamed over it); through a link, to the file it points to, and the link stays; to a pipe or a character
 * device (`/dev/stdout`, a FIFO another program reads) in place, so it stays what it is. A folder, a disk device, a
 * socket, a link to nothing or a missing folder is refused in words. `what` names it in messages ("The map's CSV").
 */
export function writeUserFile(path: string, bytes: Uint8Array, what = 'The file'): void {
  /** The file's details, or undefined where there is none (a path through a file is none too). */
  const existing = (at: string, follow = true) => {
    try {
      return (follow ? statSync : lstatSync)(at, { throwIfNoEntry: false });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw err;
    }
  };
  let target = path;
  let info;
  try {
    info = existing(path);
    if (!info && existing(path, false)?.isSymbolicLink()) {
      throw new UserError('file_error', `${path} is a link to a file that does not exist.`);
    }
    if (info) target = realpathSync(path);
  } catch (err) {
    throw writeFailure(err, what, path);
  }
  if (!info) {
    const folder = dirname(path);
    const parent = existing(folder);
    if (!parent)
      throw new UserError('file_error', `The folder ${folder} does not exist; create it first, or name another.`);
    if (!parent.isDirectory()) throw new UserError('file_error', `${folder} is a file, not a folder.`);
  } else if (info.isDirectory()) {
    throw new UserError('file_error', `${path} is a folder; name a file in it (e.g. ${path}/out.csv).`);
  } else if (info.isBlockDevice() || info.isSocket()) {
    throw new UserError(
      'file_error',
      `${path} is a ${info.isSocket() ? 'socket' : 'disk device'}, not a file to write.`,
    );
  }
  try {
    if (info && (info.isFIFO() || info.isCharacterDevice())) writeFileSync(target, bytes);
    else writeFileAtomic(target, bytes);
  } catch (err) {
    throw writeFailure(err, what, path);
  }
}
