import { requireNativeAddon } from '../app/paths';

/**
 * The one native addon of the compute engine (src-main/engine/native/): the CPU training kernels (ae_kernels.c) and
 * the Barnes-Hut t-SNE (tsne.c) live in one shared library, so the engine and the latent maps load it here alike.
 */

/** The native Barnes-Hut t-SNE (src-main/engine/native/tsne.c). */
export type NativeTsne = (
  x: Float32Array,
  y: Float64Array,
  params: Float64Array,
  control: Int32Array,
) => Promise<boolean>;

/** The compiled addon's functions (see ae_kernels.c for each one's contract). */
export interface NativeAddon {
  conv2d(x: Float32Array, filter: Float32Array, out: Float32Array, geometry: Int32Array): void;
  conv2dBackpropInput(dy: Float32Array, filter: Float32Array, dx: Float32Array, geometry: Int32Array): void;
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, geometry: Int32Array): void;
  matmul(a: Float32Array, b: Float32Array, out: Float32Array, params: Int32Array): void;
  biasActivation(out: Float32Array, bias: Float32Array | null, params: Int32Array, alpha: number): void;
  biasOp(x: Float32Array, bias: Float32Array, out: Float32Array, params: Int32Array): void;
  sumAxes(x: Float32Array, out: Float32Array, params: Int32Array): void;
  tile(x: Float32Array, out: Float32Array, params: Int32Array): void;
  elementwise(a: Float32Array, b: Float32Array, out: Float32Array, params: Int32Array): void;
  batchNorm(
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    offset: Float32Array | null,
    scale: Float32Array | null,
    out: Float32Array,
    params: Int32Array,
    epsilon: number,
  ): void;
  /** batchNormTrain(x, scale, offset, y, mean, variance, params, epsilon); the gradient's order is in ae_kernels.c. */
  batchNormTrain(...args: [...arrays: Float32Array[], params: Int32Array, epsilon: number]): void;
  batchNormTrainGrad(...args: [...arrays: Float32Array[], params: Int32Array, epsilon: number]): void;
  maxPoolGrad(x: Float32Array, dy: Float32Array, dx: Float32Array, params: Int32Array): void;
  resizeNearestGrad(dy: Float32Array, dx: Float32Array, params: Int32Array, rows: Int32Array, cols: Int32Array): void;
  adam(...arrays: [...Float32Array[], Float64Array]): void;
  blasInfo(): string;
  /** Barnes-Hut t-SNE on a worker thread (tsne.c; wrapped by src-main/latent/tsne.ts). */
  tsne: NativeTsne;
}

/** Loads the addon; throws an Error whose message says, in words, why the native engine is unavailable. */
export function loadNativeAddon(): NativeAddon {
  return requireNativeAddon<NativeAddon>(
    'engine/native/ae_kernels',
    'native kernels',
    'native kernels are not built (needs a C compiler and OpenBLAS; run `npm run build:native`)',
  );
}
