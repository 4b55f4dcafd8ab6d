import { backend_util, util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import { nativeAdamKernel } from './native-adam';
import { batchNormTrainGradKernel, batchNormTrainKernel } from './native-batch-norm';
import {
  isEmpty,
  size,
  type KernelArgs,
  type KernelKit,
  type Padding,
  type Rounding,
  type WasmBackend,
} from './native-kernel-kit';

/**
 * The native engine's other kernels, the ops profiling showed wasm doing slowly: Adam, bias sums and adds, same-shape
 * arithmetic, batch norm (inference, and training's forward and backward) with its tile and mean, the gradients of
 * max pooling and nearest upsampling, Identity copies.
 */
export function arrayKernels({ native, fallback }: KernelKit): Record<string, KernelFunc> {
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

  /**
   * Training-mode batch norm over the last axis, one native call each way (native-batch-norm.ts): the forward pass
   * takes x, scale and offset and gives [y, the batch's mean, its variance]; the gradient takes dy, x, scale, mean
   * and variance and gives [dx, dscale, doffset]. The first output has x's shape, the other two a value a channel.
   */
  function batchNormTraining(args: KernelArgs, pass: 'forward' | 'gradient'): TensorInfo[] {
    const backend = args.backend as unknown as WasmBackend;
    const inputs = args.inputs as Record<string, TensorInfo>;
    const channels = inputs.x.shape[inputs.x.shape.length - 1];
    const outputs = [inputs.x.shape, [channels], [channels]].map((s) => backend.makeOutput(s, 'float32'));
    const names = pass === 'forward' ? ['x', 'scale', 'offset'] : ['dy', 'x', 'scale', 'mean', 'variance'];
    const arrays = [...names.map((name) => inputs[name]), ...outputs].map((t) => backend.typedArrayFromHeap(t));
    const run = pass === 'forward' ? native.batchNormTrain : native.batchNormTrainGrad;
    run(
      ...arrays,
      Int32Array.from([size(inputs.x.shape) / channels, channels]),
      (args.attrs as unknown as { epsilon: number }).epsilon,
    );
    return outputs;
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
    [batchNormTrainKernel]: ((args: KernelArgs) => batchNormTraining(args, 'forward')) as unknown as KernelFunc,
    [batchNormTrainGradKernel]: ((args: KernelArgs) => batchNormTraining(args, 'gradient')) as unknown as KernelFunc,
    MaxPoolGrad: maxPoolGrad,
    ResizeNearestNeighborGrad: resizeNearestGrad,
    Tile: tile,
    Identity: (args) => share(args, 'Identity'),
    Cast: (args) => share(args, 'Cast'),
    [nativeAdamKernel]: adam as unknown as KernelFunc,
  };
}
