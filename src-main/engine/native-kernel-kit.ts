import type { backend_util, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { NativeAddon } from './native-addon';

/** What every native kernel file shares: the wasm backend's parts they use, the addon, and the wasm fallbacks. */

/** The parts of tfjs-backend-wasm's BackendWasm the kernels use. */
export interface WasmBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  incRef(dataId: object): void;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

export type Activation = 'linear' | 'relu' | 'prelu' | 'elu' | 'relu6' | 'leakyrelu' | 'sigmoid';
export type Padding = 'valid' | 'same' | number | backend_util.ExplicitPadding;
export type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/** Activation codes shared with ae_kernels.c. */
export const activationCodes: Partial<Record<Activation, number>> = {
  linear: 0,
  relu: 1,
  relu6: 2,
  elu: 3,
  leakyrelu: 4,
  sigmoid: 5,
};

export type KernelArgs = Parameters<KernelFunc>[0];

export function geometry(info: backend_util.Conv2DInfo): Int32Array {
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

export const isEmpty = (...tensors: TensorInfo[]) => tensors.some((t) => t.shape.some((d) => d === 0));
export const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** One loaded addon, and `fallback(name)`: the wasm backend's own kernel of that name, for cases it does not cover. */
export interface KernelKit {
  native: NativeAddon;
  fallback: (name: string) => KernelFunc;
}
