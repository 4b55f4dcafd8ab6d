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
      if (idx < 0) throw new UserError('not_found', `Image ${idx} is not in the pixel cache.`);
      const got =
        idx < this.count ? readSync(this.fd, into, k * this.imageBytes, this.imageBytes, idx * this.imageBytes) : 0;
      if (got !== this.imageBytes) throw this.damaged(idx);
    }
    return into;
  }

  /** A file shorter than its dataset's images (a copy cut short, a disk fault), said as such. */
  private damaged(idx: number): UserError {
    return new UserError(
      'file_error',
      `This dataset's images are damaged: its pixel file ${this.file} holds ${this.count.toLocaleString('en-US')} ` +
        `images, and image ${(idx + 1).toLocaleString('en-US')} was needed. Import the dataset again.`,
    );
  }

  close(): void {
    closeSync(this.fd);
  }
}
