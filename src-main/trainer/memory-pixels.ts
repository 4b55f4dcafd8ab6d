import type { PixelSource } from './trainer';

/** A split's images held in memory as uint8, back to back: what a core in another process is sent once per run. */
export class MemoryPixels implements PixelSource {
  readonly count: number;

  constructor(
    private readonly pixels: Uint8Array,
    private readonly imageBytes: number,
  ) {
    if (imageBytes <= 0 || pixels.length % imageBytes !== 0) {
      throw new Error(`${pixels.length} bytes are not a whole number of ${imageBytes}-byte images.`);
    }
    this.count = pixels.length / imageBytes;
  }

  fill(order: ArrayLike<number>, from: number, to: number, out: Float32Array): number {
    const bytes = this.imageBytes;
    let o = 0;
    for (let k = from; k < to; k++) {
      const start = order[k] * bytes;
      for (let j = 0; j < bytes; j++) out[o++] = this.pixels[start + j] / 255;
    }
    return to - from;
  }

  readAll(): Uint8Array {
    return this.pixels;
  }
}
