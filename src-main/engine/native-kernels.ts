import {
  backend_util,
  getKernel,
  registerKernel,
  unregisterKernel,
  util,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { NativeAddon } from './native-addon';
import { nativeAdamKernel } from './native-adam';

/**
 * The "native" engine: the WebAssembly backend with its matrix products and convolutions (forward and both
 * gradients) replaced by BLAS-backed native kernels (src-main/engine/native/ae_kernels.c), along with the ops that
 * profiling showed wasm doing slowly (Adam, bias sums and adds, same-shape arithmetic, batch norm and its tile and mean,
 * the gradients of max pooling and nearest upsampling, Identity copies).
 * Everything else stays on WebAssembly, and tensors stay in the wasm heap, which the native code reads and writes in
 * place. Cases the native kernels do not cover (NCHW, general broadcasting, PReLU) fall through to the original wasm
 * kernel.
 */

/** The parts of tfjs-backend-wasm's BackendWasm the kernels use. */
interface WasmBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  incRef(dataId: object): void;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

type Activation = 'linear' | 'relu' | 'prelu' | 'elu' | 'relu6' | 'leakyrelu' | 'sigmoid';
type Padding = 'valid' | 'same' | number | backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/** Activation codes shared with ae_kernels.c. */
const activationCodes: Partial<Record<Activation, number>> = {
  linear: 0,
  relu: 1,
  relu6: 2,
  elu: 3,
  leakyrelu: 4,
  sigmoid: 5,
};

type KernelArgs = Parameters<KernelFunc>[0];

function geometry(info: backend_util.Conv2DInfo): Int32Array {
  return Int32Array.from([
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.filterHeight,
    info.filterWidth,
    info.outChannels,
    info.outHeight,
    info.outWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
    info.dilationHeight,
    info.dilationWidth,
  ]);
}

const isEmpty = (...tensors: TensorInfo[]) => tensors.some((t) => t.shape.some((d) => d === 0));
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Creates the kernels over one loaded addon; `fallback(name)` is the wasm backend's own kernel of that name. */
function nativeKernels(native: NativeAddon, fallback: (name: string) => KernelFunc): Record<string, KernelFunc> {
  /** Whether a fused kernel's bias (one value per output channel) and activation can be applied natively. */
  const canFuse = (out: number[], bias: TensorInfo | undefined, activation: Activation | undefined) =>
    activationCodes[activation ?? 'linear'] !== undefined && (!bias || size(bias.shape) === out[out.length - 1]);
  const fuse = (
    backend: WasmBackend,
    out: TensorInfo,
    bias: TensorInfo | undefined,
    activation: Activation | undefined,
    alpha: number | undefined,
  ) => {
    // Applies them in place on the kernel's output.
    const code = activationCodes[activation ?? 'linear']!;
    if (!bias && code === 0) return;
    const n = out.shape[out.shape.length - 1];
    const rows = size(out.shape) / n;
    native.biasActivation(
      backend.typedArrayFromHeap(out),
      bias ? backend.typedArrayFromHeap(bias) : null,
      Int32Array.from([rows, n, code]),
      alpha ?? 0.2,
    );
  };

  function conv2d(args: KernelArgs, fused: boolean): TensorInfo {
    const { inputs, attrs } = args;
    const backend = args.backend as unknown as WasmBackend;
    const { x, filter, bias, preluActivationWeights } = inputs as Record<string, TensorInfo | undefined>;
    const a = attrs as unknown as {
      strides: [number, number] | number;
      pad: Padding;
      dataFormat: 'NHWC' | 'NCHW';
      dilations: [number, number] | number;
      dimRoundingMode: Rounding;
      activation?: Activation;
      leakyreluAlpha?: number;
    };
    const name = fused ? 'FusedConv2D' : 'Conv2D';
    if (a.dataFormat === 'NCHW' || preluActivationWeights || isEmpty(x!, filter!)) {
      return fallback(name)(args) as TensorInfo;
    }
    const info = backend_util.computeConv2DInfo(
      x!.shape as [number, number, number, number],
      filter!.shape as [number, number, number, number],
      a.strides,
      a.dilations,
      a.pad,
      a.dimRoundingMode,
    );
    if (!canFuse(info.outShape, bias, a.activation)) return fallback(name)(args) as TensorInfo;
    const out = backend.makeOutput(info.outShape, 'float32');
    native.conv2d(
      backend.typedArrayFromHeap(x!),
      backend.typedArrayFromHeap(filter!),
      backend.typedArrayFromHeap(out),
      geometry(info),
    );
    fuse(backend, out, bias, a.activation, a.leakyreluAlpha);
    return out;
  }

  type Shape4 = [number, number, number, number];

  /**
   * A convolution gradient: `inputs` are the two tensors the native function reads (in its order), and the output
   * has the shape of the convolution's input (for dx) or filter (for dW), given by the kernel's attributes.
   */
  function convGradient(args: KernelArgs, name: 'Conv2DBackpropInput' | 'Conv2DBackpropFilter'): TensorInfo {
    const backend = args.backend as unknown as WasmBackend;
    const a = args.attrs as unknown as {
      strides: [number, number] | number;
      pad: Padding;
      dataFormat: 'NHWC' | 'NCHW';
      dimRoundingMode: Rounding;
      inputShape?: Shape4;
      filterShape?: Shape4;
    };
    const { x, dy, filter } = args.inputs as Record<string, TensorInfo>;
    const forInput = name === 'Conv2DBackpropInput';
    const inputs = forInput ? [dy, filter] : [x, dy];
    if (a.dataFormat === 'NCHW' || isEmpty(...inputs)) return fallback(name)(args) as TensorInfo;
    const xShape = forInput ? a.inputShape! : (x.shape as Shape4);
    const filterShape = forInput ? (filter.shape as Shape4) : a.filterShape!;
    const info = backend_util.computeConv2DInfo(xShape, filterShape, a.strides, 1, a.pad, a.dimRoundingMode);
    const out = backend.makeOutput(forInput ? xShape : filterShape, 'float32');
    const run = forInput ? native.conv2dBackpropInput : native.conv2dBackpropFilter;
    run(
      backend.typedArrayFromHeap(inputs[0]),
      backend.typedArrayFromHeap(inputs[1]),
      backend.typedArrayFromHeap(out),
      geometry(info),
    );
    return out;
  }

  function matmul(args: KernelArgs, fused: boolean): TensorInfo {
    const backend = args.backend as unknown as WasmBackend;
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const { transposeA, transposeB, activation, leakyreluAlpha } = args.attrs as unknown as {
      transposeA: boolean;
      transposeB: boolean;
      activation?: Activation;
      leakyreluAlpha?: number;
    };
    const name = fused ? '_FusedMatMul' : 'BatchMatMul';
    if (a!.shape.length < 2 || b!.shape.length < 2 || preluActivationWeights || isEmpty(a!, b!)) {
      return fallback(name)(args) as TensorInfo;
    }
    const [ra, ca] = a!.shape.slice(-2);
    const [rb, cb] = b!.shape.slice(-2);
    const m = transposeA ? ca : ra;
    const k = transposeA ? ra : ca;
    const n = transposeB ? rb : cb;
    const batchA = size(a!.shape.slice(0, -2));
    const batchB = size(b!.shape.slice(0, -2));
    const longer = a!.shape.length >= b!.shape.length ? a! : b!;
    const outShape = [...longer.shape.slice(0, -2), m, n];
    // Only whole-batch broadcasting (one side has a batch of 1) is native; the rest is rare and left to wasm.
    const batchesMatch = batchA === batchB || batchA === 1 || batchB === 1;
    if (!batchesMatch || !canFuse(outShape, bias, activation)) return fallback(name)(args) as TensorInfo;
    if (batchA !== batchB && size(outShape.slice(0, -2)) !== Math.max(batchA, batchB)) {
      return fallback(name)(args) as TensorInfo;
    }
    const out = backend.makeOutput(outShape, 'float32');
    native.matmul(
      backend.typedArrayFromHeap(a!),
      backend.typedArrayFromHeap(b!),
      backend.typedArrayFromHeap(out),
      Int32Array.from([batchA, batchB, m, n, k, transposeA ? 1 : 0, transposeB ? 1 : 0]),
    );
    fuse(backend, out, bias, activation, leakyreluAlpha);
    return out;
  }

  /** Sums over consecutive axes (a bias's gradient sums over all but the last) in one pass, without a transpose. */
  function sum(args: KernelArgs, name: 'Sum' | 'Mean' = 'Sum'): TensorInfo {
    const backend = args.backend as unknown as WasmBackend;
    const { x } = args.inputs as Record<string, TensorInfo>;
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[] | null; keepDims: boolean };
    // A null axis means every axis; negative ones count from the end.
    const axes = [...new Set(util.parseAxisParam(axis ?? x.shape.map((_, i) => i), x.shape))].sort((p, q) => p - q);
    const consecutive = axes.every((a, i) => i === 0 || a === axes[i - 1] + 1);
    if (x.dtype !== 'float32' || axes.length === 0 || !consecutive || isEmpty(x))
      return fallback(name)(args) as TensorInfo;
    const first = axes[0];
    const last = axes[axes.length - 1];
    const outShape = keepDims
      ? x.shape.map((d, i) => (i >= first && i <= last ? 1 : d))
      : x.shape.filter((_, i) => i < first || i > last);
    const out = backend.makeOutput(outShape, 'float32');
    const params = [size(x.shape.slice(0, first)), size(x.shape.slice(first, last + 1)), size(x.shape.slice(last + 1))];
    native.sumAxes(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out), Int32Array.from(params));
    if (name === 'Mean') {
      const values = backend.typedArrayFromHeap(out);
      for (let i = 0; i < values.length; i++) values[i] /= params[1];
    }
    return out;
  }

  /**
   * A bias added (or a scale multiplied) along the last axis — what every dense and conv layer and batch norm does —
   * without the general broadcast.
   */
  function biasOp(args: KernelArgs, name: 'Add' | 'Multiply'): TensorInfo {
    const backend = args.backend as unknown as WasmBackend;
    const { a, b } = args.inputs as Record<string, TensorInfo>;
    const [x, bias] = size(a.shape) >= size(b.shape) ? [a, b] : [b, a];
    const n = x.shape[x.shape.length - 1];
    const isBias =
      x.dtype === 'float32' &&
      bias.dtype === 'float32' &&
      bias.shape.length <= x.shape.length &&
      bias.shape.length > 0 &&
      bias.shape[bias.shape.length - 1] === n &&
      size(bias.shape) === n &&
      size(x.shape) > n;
    if (!isBias || isEmpty(x)) return elementwise(args, name);
    const out = backend.makeOutput(x.shape, 'float32');
    native.biasOp(
      backend.typedArrayFromHeap(x),
      backend.typedArrayFromHeap(bias),
      backend.typedArrayFromHeap(out),
      Int32Array.from([size(x.shape) / n, n, name === 'Multiply' ? 1 : 0]),
    );
    return out;
  }

  /** Two float tensors of one shape added, subtracted or multiplied; anything broadcast is left to wasm. */
  function elementwise(args: KernelArgs, name: 'Add' | 'Sub' | 'Multiply'): TensorInfo {
    const backend = args.backend as unknown as WasmBackend;
    const { a, b } = args.inputs as Record<string, TensorInfo>;
    const sameShape = a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
    if (!sameShape || a.dtype !== 'float32' || b.dtype !== 'float32' || isEmpty(a)) {
      return fallback(name)(args) as TensorInfo;
    }
    const out = backend.makeOutput(a.shape, 'float32');
    const op = { Add: 0, Sub: 1, Multiply: 2 }[name];
    native.elementwise(
      backend.typedArrayFromHeap(a),
      backend.typedArrayFromHeap(b),
      backend.typedArrayFromHeap(out),
      Int32Array.from([size(a.shape), op]),
    );
    return out;
  }

  /** tf.batchNorm with one statistic per channel (last axis), as batch normalisation layers call it. */
  function batchNorm(args: KernelArgs): TensorInfo {
    const backend = args.backend as unknown as WasmBackend;
    const { x, mean, variance, offset, scale } = args.inputs as Record<string, TensorInfo | undefined>;
    const { varianceEpsilon } = args.attrs as unknown as { varianceEpsilon: number };
    const channels = x!.shape[x!.shape.length - 1];
    const perChannel = [mean, variance, offset, scale].every(
      (t) => !t || (t.dtype === 'float32' && size(t.shape) === channels && t.shape[t.shape.length - 1] === channels),
    );
    if (x!.dtype !== 'float32' || x!.shape.length < 2 || !perChannel || isEmpty(x!)) {
      return fallback('FusedBatchNorm')(args) as TensorInfo;
    }
    const out = backend.makeOutput(x!.shape, 'float32');
    const heap = (t: TensorInfo | undefined) => (t ? backend.typedArrayFromHeap(t) : null);
    native.batchNorm(
      heap(x)!,
      heap(mean)!,
      heap(variance)!,
      heap(offset),
      heap(scale),
      backend.typedArrayFromHeap(out),
      Int32Array.from([size(x!.shape) / channels, channels]),
      varianceEpsilon,
    );
    return out;
  }

  /** The gradient of max pooling (NHWC): each dy value goes to its window's first maximum. */
  function maxPoolGrad(args: KernelArgs): TensorInfo {
    const backend = args.backend as unknown as WasmBackend;
    const { dy, input } = args.inputs as Record<string, TensorInfo>;
    const a = args.attrs as unknown as {
      filterSize: [number, number] | number;
      strides: [number, number] | number;
      pad: Padding;
      dimRoundingMode: Rounding;
    };
    if (input.dtype !== 'float32' || input.shape.length !== 4 || isEmpty(input, dy)) {
      return fallback('MaxPoolGrad')(args) as TensorInfo;
    }
    const info = backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      a.filterSize,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
    );
    const dx = backend.makeOutput(input.shape, 'float32');
    native.maxPoolGrad(
      backend.typedArrayFromHeap(input),
      backend.typedArrayFromHeap(dy),
      backend.typedArrayFromHeap(dx),
      Int32Array.from([
        info.batchSize,
        info.inHeight,
        info.inWidth,
        info.inChannels,
        info.outHeight,
        info.outWidth,
        info.filterHeight,
        info.filterWidth,
        info.strideHeight,
        info.strideWidth,
        info.padInfo.top,
        info.padInfo.left,
      ]),
    );
    return dx;
  }

  /**
   * The gradient of a nearest-neighbour resize (UpSampling2D): each output pixel's dy is added to the input pixel it
   * was copied from. The source maps follow the forward kernel's arithmetic exactly, so every flag combination agrees.
   */
  function resizeNearestGrad(args: KernelArgs): TensorInfo {
    const backend = args.backend as unknown as WasmBackend;
    const { images, dy } = args.inputs as Record<string, TensorInfo>;
    const { alignCorners, halfPixelCenters } = args.attrs as unknown as {
      alignCorners: boolean;
      halfPixelCenters: boolean;
    };
    if (images.shape.length !== 4 || dy.dtype !== 'float32' || isEmpty(images, dy)) {
      return fallback('ResizeNearestNeighborGrad')(args) as TensorInfo;
    }
    const [batch, inHeight, inWidth, channels] = images.shape;
    const [outHeight, outWidth] = dy.shape.slice(1, 3);
    const sources = (inSize: number, outSize: number) => {
      const aligned = alignCorners && outSize > 1;
      const ratio = (aligned ? inSize - 1 : inSize) / (aligned ? outSize - 1 : outSize);
      return Int32Array.from({ length: outSize }, (_, i) => {
        const fraction = halfPixelCenters ? ratio * (i + 0.5) : ratio * i;
        const nearest = Math.min(inSize - 1, alignCorners ? Math.round(fraction) : Math.floor(fraction));
        return halfPixelCenters ? Math.max(0, nearest) : nearest;
      });
    };
    const dx = backend.makeOutput(images.shape, 'float32');
    native.resizeNearestGrad(
      backend.typedArrayFromHeap(dy),
      backend.typedArrayFromHeap(dx),
      Int32Array.from([batch, inHeight, inWidth, channels, outHeight, outWidth]),
      sources(inHeight, outHeight),
      sources(inWidth, outWidth),
    );
    return dx;
  }

  /** tf.tile; batch norm's gradient tiles its per-channel statistics over every pixel, which wasm does slowly. */
  function tile(args: KernelArgs): TensorInfo {
    const backend = args.backend as unknown as WasmBackend;
    const { x } = args.inputs as Record<string, TensorInfo>;
    const { reps } = args.attrs as unknown as { reps: number[] };
    if (x.dtype !== 'float32' || x.shape.length < 1 || x.shape.length > 8) return fallback('Tile')(args) as TensorInfo;
    const out = backend.makeOutput(
      x.shape.map((d, i) => d * reps[i]),
      'float32',
    );
    const params = Int32Array.from([x.shape.length, ...x.shape, ...reps]);
    native.tile(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out), params);
    return out;
  }

  /**
   * Identity (and a cast to the same type) share the input's memory, as tfjs's cpu backend does; the wasm backend
   * copies it. Tensors are immutable, so sharing is safe; it removes a copy of every activation in each backward pass.
   */
  function share(args: KernelArgs, name: string): TensorInfo {
    const { x } = args.inputs as Record<string, TensorInfo>;
    const target = (args.attrs as { dtype?: string } | undefined)?.dtype ?? x.dtype;
    if (x.dtype === 'string' || target !== x.dtype) return fallback(name)(args) as TensorInfo;
    (args.backend as unknown as WasmBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  }

  /** One Adam step for one variable in a single pass (see native-adam.ts); returns the new value, m and v. */
  function adam(args: KernelArgs): TensorInfo[] {
    const backend = args.backend as unknown as WasmBackend;
    const { value, m, v, grad } = args.inputs as Record<string, TensorInfo>;
    const h = args.attrs as unknown as Record<'learningRate' | 'beta1' | 'beta2' | 'epsilon' | 'c1' | 'c2', number>;
    const outs = [value, m, v].map((t) => backend.makeOutput(t.shape, 'float32'));
    native.adam(
      ...[value, m, v, grad, ...outs].map((t) => backend.typedArrayFromHeap(t)),
      Float64Array.from([h.learningRate, h.beta1, h.beta2, h.epsilon, h.c1, h.c2]),
    );
    return outs;
  }

  return {
    Sum: (args) => sum(args, 'Sum'),
    // Batch norm's moments are means over every axis but the channels.
    Mean: (args) => sum(args, 'Mean'),
    Add: (args) => biasOp(args, 'Add'),
    Multiply: (args) => biasOp(args, 'Multiply'),
    Sub: (args) => elementwise(args, 'Sub'),
    FusedBatchNorm: batchNorm,
    MaxPoolGrad: maxPoolGrad,
    ResizeNearestNeighborGrad: resizeNearestGrad,
    Tile: tile,
    Identity: (args) => share(args, 'Identity'),
    Cast: (args) => share(args, 'Cast'),
    [nativeAdamKernel]: adam as unknown as KernelFunc,
    Conv2D: (args) => conv2d(args, false),
    FusedConv2D: (args) => conv2d(args, true),
    Conv2DBackpropInput: (args) => convGradient(args, 'Conv2DBackpropInput'),
    Conv2DBackpropFilter: (args) => convGradient(args, 'Conv2DBackpropFilter'),
    BatchMatMul: (args) => matmul(args, false),
    _FusedMatMul: (args) => matmul(args, true),
  };
}

/**
 * Replaces the wasm backend's kernels of those names with native ones, keeping each original's setup (which the
 * fallbacks need). Must run before the wasm backend is initialised. Returns the BLAS library's self-description.
 */
export function registerNativeKernels(native: NativeAddon): string {
  const originals = new Map<string, KernelConfig>();
  const fallback = (name: string): KernelFunc => {
    const original = originals.get(name);
    if (!original) throw new Error(`The wasm backend has no ${name} kernel`);
    return original.kernelFunc;
  };
  for (const [kernelName, kernelFunc] of Object.entries(nativeKernels(native, fallback))) {
    const original = getKernel(kernelName, 'wasm');
    if (original) {
      originals.set(kernelName, original);
      unregisterKernel(kernelName, 'wasm');
    }
    registerKernel({ ...original, kernelName, backendName: 'wasm', kernelFunc });
  }
  return native.blasInfo().trim();
}
