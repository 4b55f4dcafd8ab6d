import type { Fit } from './image-decode';

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
      for (let s = Math.floor(from); s < Math.ceil(to) && t < taps; s++, t++) {
        const covered = Math.min(to, s + 1) - Math.max(from, s);
        index[base + t] = Math.min(Math.max(s, 0), limit - 1);
        weight[base + t] = covered / scale;
      }
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
  fit: Fit,
  background: string,
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

  // Pass 1: every source row the output reads, resized horizontally (channel loops written out: this is hot).
  const rows = new Float32Array(height * dw * channels);
  const { index: xi, weight: xw, taps: xt } = xs;
  for (let y = 0; y < height; y++) {
    const rowIn = y * width * channels;
    let o3 = y * dw * channels;
    for (let o = 0; o < dw; o++) {
      const base = o * xt;
      if (channels === 3) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (let t = 0; t < xt; t++) {
          const w = xw[base + t];
          const i = rowIn + xi[base + t] * 3;
          r += src[i] * w;
          g += src[i + 1] * w;
          b += src[i + 2] * w;
        }
        rows[o3++] = r;
        rows[o3++] = g;
        rows[o3++] = b;
      } else {
        let v = 0;
        for (let t = 0; t < xt; t++) v += src[rowIn + xi[base + t]] * xw[base + t];
        rows[o3++] = v;
      }
    }
  }
  // Pass 2: vertically, into the output square.
  const out = new Uint8Array(size * size * channels);
  if (dw !== size || dh !== size) {
    const fill = parseHex(background, channels);
    for (let p = 0; p < size * size; p++) for (let c = 0; c < channels; c++) out[p * channels + c] = fill[c];
  }
  const { index: yi, weight: yw, taps: yt } = ys;
  const rowLength = dw * channels;
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
