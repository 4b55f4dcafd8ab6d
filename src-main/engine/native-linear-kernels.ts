import { backend_util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';
import {
  activationCodes,
  geometry,
  isEmpty,
  size,
  type Activation,
  type KernelArgs,
  type KernelKit,
  type Padding,
  type Rounding,
  type WasmBackend,
} from './native-kernel-kit';

/**
 * The native engine's linear kernels: convolutions (forward, fused with bias and activation, and both gradients) and
 * matrix products, on BLAS (ae_kernels.c).
 */
export function linearKernels({ native, fallback }: KernelKit): Record<string, KernelFunc> {
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

  return {
    Conv2D: (args) => conv2d(args, false),
    FusedConv2D: (args) => conv2d(args, true),
    Conv2DBackpropInput: (args) => convGradient(args, 'Conv2DBackpropInput'),
    Conv2DBackpropFilter: (args) => convGradient(args, 'Conv2DBackpropFilter'),
    BatchMatMul: (args) => matmul(args, false),
    _FusedMatMul: (args) => matmul(args, true),
  };
}
