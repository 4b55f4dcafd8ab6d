import type { PixelCache } from '../datasets/pixel-cache';
import type { PixelSource } from '../trainer/trainer';

/**
 * Pixels to the model's input scale, 0..1, as training sees them (SplitPixels.fill does the same while gathering a
 * batch). A plain loop: TypedArray.from with a map function is ~30x slower.
 */
export function toModelInput(pixels: Uint8Array): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i] / 255;
  return out;
}

/** Splits up to this size are read into memory once (as uint8); larger ones are read batch by batch. */
export const preloadLimitBytes = 512 * 1024 * 1024;

/**
 * The pixels of one split, handed out as float batches in [0, 1]. Nothing ever holds a float copy of the split: a
 * small split is kept as uint8 (a quarter of float32), a large one stays in the cache file and each batch is read
 * from it, so a dataset larger than memory still trains.
 */
export class SplitPixels implements PixelSource {
  private readonly preloaded: Uint8Array | undefined;
  private scratch = new Uint8Array(0);
  readonly count: number;

  constructor(
    private readonly cache: PixelCache,
    private readonly idx: Int32Array,
    limitBytes = preloadLimitBytes,
  ) {
    this.count = idx.length;
    if (idx.length * cache.imageBytes <= limitBytes) this.preloaded = cache.read(idx);
  }

  /** Fills `out` with split images `order[from..to)` scaled to [0, 1]; returns how many. */
  fill(order: ArrayLike<number>, from: number, to: number, out: Float32Array): number {
    const bytes = this.cache.imageBytes;
    const n = to - from;
    let source: Uint8Array;
    let position: (k: number) => number;
    if (this.preloaded) {
      source = this.preloaded;
      position = (k) => order[from + k];
    } else {
      if (this.scratch.length < n * bytes) this.scratch = new Uint8Array(n * bytes);
      const indices = new Int32Array(n);
      for (let k = 0; k < n; k++) indices[k] = this.idx[order[from + k]];
      source = this.cache.read(indices, this.scratch);
      position = (k) => k;
    }
    let o = 0;
    for (let k = 0; k < n; k++) {
      const start = position(k) * bytes;
      for (let j = 0; j < bytes; j++) out[o++] = source[start + j] / 255;
    }
    return n;
  }

  readAll(): Uint8Array {
    return this.preloaded ?? this.cache.read(this.idx);
  }
}
