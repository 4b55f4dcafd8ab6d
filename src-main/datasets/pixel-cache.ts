import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { UserError } from '../api/errors';

/**
 * A dataset's preprocessed pixels: one uint8 file, images back to back in HWC order. Reads go straight to the
 * file at the image's offset, so nothing holds a float copy of the dataset.
 */
export class PixelCache {
  private readonly fd: number;
  readonly count: number;

  constructor(
    readonly file: string,
    readonly imageBytes: number,
  ) {
    try {
      this.fd = openSync(file, 'r');
    } catch (err) {
      throw new UserError('file_error', `The pixel cache ${file} cannot be read: ${(err as Error).message}`);
    }
    this.count = Math.floor(fstatSync(this.fd).size / imageBytes);
  }

  /** Copies the images at `indices` (cache positions) into one buffer, in the given order. */
  read(indices: ArrayLike<number>, into = new Uint8Array(indices.length * this.imageBytes)): Uint8Array {
    for (let k = 0; k < indices.length; k++) {
      const idx = indices[k];
      if (idx < 0 || idx >= this.count) throw new UserError('not_found', `Image ${idx} is not in the pixel cache.`);
      const got = readSync(this.fd, into, k * this.imageBytes, this.imageBytes, idx * this.imageBytes);
      if (got !== this.imageBytes) throw new UserError('file_error', `The pixel cache ${this.file} is truncated.`);
    }
    return into;
  }

  close(): void {
    closeSync(this.fd);
  }
}
