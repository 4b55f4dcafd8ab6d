import type { ImageFit } from '../api/contract';

let scratch = new Float32Array(0);

/** Per output position: the source indices it reads and their weights (summing to 1). */
interface AxisWeights {
  index: Int32Array;
  weight: Float32Array;
  /** Taps per output position (fixed, padded with zero weights). */
  taps: number;
}

/**
 * Weights that map `srcLength` source pixels starting at `srcStart` onto `dstLength` outputs. Shrinking averages
 * each output's whole footprint (area averaging, like OpenCV's INTER_AREA: no aliasing); enlarging interpolates
 * linearly between the two nearest pixels.
 */
function axisWeights(srcStart: number, srcLength: number, dstLength: number, limit: number): AxisWeights {
  const scale = srcLength / dstLength;
  const taps = scale > 1 ? Math.ceil(scale) + 1 : 2;
  const index = new Int32Array(dstLength * taps);
  const weight = new Float32Array(dstLength * taps);
  for (let o = 0; o < dstLength; o++) {
    const base = o * taps;
    if (scale > 1) {
      const from = srcStart + o * scale;
      const to = from + scale;
      let t = 0;
      let last = Math.min(Math.max(Math.floor(from), 0), limit - 1);
      for (let s = Math.floor(from); s < Math.ceil(to) && t < taps; s++, t++) {
        const covered = Math.min(to, s + 1) - Math.max(from, s);
        last = Math.min(Math.max(s, 0), limit - 1);
        index[base + t] = last;
        weight[base + t] = covered / scale;
      }
      // Unused taps read the last pixel with weight 0, so every index stays inside the footprint.
      for (; t < taps; t++) index[base + t] = last;
    } else {
      const centre = Math.min(Math.max(srcStart + (o + 0.5) * scale - 0.5, 0), limit - 1);
      const left = Math.floor(centre);
      const frac = centre - left;
      index[base] = left;
      weight[base] = 1 - frac;
      index[base + 1] = Math.min(left + 1, limit - 1);
      weight[base + 1] = frac;
    }
  }
  return { index, weight, taps };
}

function parseHex(colour: string, channels: number): number[] {
  const rgb = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
  return channels === 1 ? [Math.round(0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2])] : rgb;
}

/**
 * Resizes a decoded uint8 image (HWC) to size x size. `cover` crops the centre to a square, `contain` fits the whole
 * image and fills the borders with `background`, `stretch` scales each axis on its own. Separable, so it costs a
 * few operations per pixel — cheaper here than a second libvips pass for small photos.
 */
export function resampleToSquare(
  src: Uint8Array,
  width: number,
  height: number,
  channels: number,
  size: number,
  fit: ImageFit,
  background: string,
  /** Bytes per source pixel when it differs from `channels`: 4 reads RGB out of RGBA without a copy. */
  sourceStride: number = channels,
): Uint8Array {
  let [sx, sy, sw, sh] = [0, 0, width, height];
  let [dx, dy, dw, dh] = [0, 0, size, size];
  if (fit === 'cover') {
    const side = Math.min(width, height);
    [sx, sy, sw, sh] = [(width - side) / 2, (height - side) / 2, side, side];
  } else if (fit === 'contain') {
    const scale = size / Math.max(width, height);
    dw = Math.max(1, Math.round(width * scale));
    dh = Math.max(1, Math.round(height * scale));
    [dx, dy] = [Math.floor((size - dw) / 2), Math.floor((size - dh) / 2)];
  }
  const xs = axisWeights(sx, sw, dw, width);
  const ys = axisWeights(sy, sh, dh, height);

  // Pass 1: the source rows the output reads, resized horizontally. A plain Uint8Array view keeps element access
  // monomorphic (sharp hands over Buffers, tests Uint8Arrays), which matters in this loop.
  const pixels = new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
  const rowStride = dw * channels;
  // One scratch buffer, grown when needed: a new 150 kB array per image keeps the garbage collector busy.
  if (scratch.length < height * rowStride) scratch = new Float32Array(height * rowStride);
  const rows = scratch;
  let firstRow = height;
  let lastRow = 0;
  for (const row of ys.index) {
    if (row < firstRow) firstRow = row;
    if (row > lastRow) lastRow = row;
  }
  const { index: xi, weight: xw, taps: xt } = xs;
  const offsets = Int32Array.from(xi, (i) => i * sourceStride);
  for (let y = firstRow; y <= lastRow; y++) {
    if (channels === 3) horizontal3(pixels, y * width * sourceStride, rows, y * rowStride, offsets, xw, xt, dw);
    else horizontal1(pixels, y * width * sourceStride, rows, y * rowStride, offsets, xw, xt, dw);
  }
  // Pass 2: vertically, into the output square.
  const out = new Uint8Array(size * size * channels);
  if (dw !== size || dh !== size) {
    const fill = parseHex(background, channels);
    for (let p = 0; p < size * size; p++) for (let c = 0; c < channels; c++) out[p * channels + c] = fill[c];
  }
  const { index: yi, weight: yw, taps: yt } = ys;
  const rowLength = rowStride;
  const acc = new Float32Array(rowLength);
  for (let o = 0; o < dh; o++) {
    const base = o * yt;
    acc.fill(0);
    // Whole rows at a time: sequential reads the JIT turns into tight loops.
    for (let t = 0; t < yt; t++) {
      const w = yw[base + t];
      if (w === 0) continue;
      const from = yi[base + t] * rowLength;
      for (let k = 0; k < rowLength; k++) acc[k] += rows[from + k] * w;
    }
    const outRow = ((dy + o) * size + dx) * channels;
    // Uint8Array assignment wraps instead of clamping: clamp and round here.
    for (let k = 0; k < rowLength; k++) {
      const v = acc[k];
      out[outRow + k] = v <= 0 ? 0 : v >= 255 ? 255 : v + 0.5;
    }
  }
  return out;
}

function horizontal3(
  src: Uint8Array,
  rowIn: number,
  rows: Float32Array,
  rowOut: number,
  offsets: Int32Array,
  weights: Float32Array,
  taps: number,
  dw: number,
): void {
  let out = rowOut;
  for (let o = 0, base = 0; o < dw; o++, base += taps) {
    let r = 0;
    let g = 0;
    let b = 0;
    for (let t = 0; t < taps; t++) {
      const w = weights[base + t];
      const i = rowIn + offsets[base + t];
      r += src[i] * w;
      g += src[i + 1] * w;
      b += src[i + 2] * w;
    }
    rows[out++] = r;
    rows[out++] = g;
    rows[out++] = b;
  }
}

function horizontal1(
  src: Uint8Array,
  rowIn: number,
  rows: Float32Array,
  rowOut: number,
  offsets: Int32Array,
  weights: Float32Array,
  taps: number,
  dw: number,
): void {
  for (let o = 0, base = 0; o < dw; o++, base += taps) {
    let v = 0;
    for (let t = 0; t < taps; t++) v += src[rowIn + offsets[base + t]] * weights[base + t];
    rows[rowOut + o] = v;
  }
}
