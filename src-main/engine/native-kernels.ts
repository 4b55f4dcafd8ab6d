import { getKernel, registerKernel, unregisterKernel, type KernelConfig, type KernelFunc } from '@tensorflow/tfjs';
import type { NativeAddon } from './native-addon';
import { linearKernels } from './native-linear-kernels';
import { arrayKernels } from './native-array-kernels';

/**
 * The "native" engine: the WebAssembly backend with its matrix products and convolutions (forward and both
 * gradients) replaced by BLAS-backed native kernels (src-main/engine/native/ae_kernels.c), along with the ops that
 * profiling showed wasm doing slowly (Adam, bias sums and adds, same-shape arithmetic, batch norm and its tile and mean,
 * the gradients of max pooling and nearest upsampling, Identity copies).
 * Everything else stays on WebAssembly, and tensors stay in the wasm heap, which the native code reads and writes in
 * place. Cases the native kernels do not cover (NCHW, general broadcasting, PReLU) fall through to the original wasm
 * kernel.
 */

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
  const kit = { native, fallback };
  const kernels = { ...linearKernels(kit), ...arrayKernels(kit) };
  for (const [kernelName, kernelFunc] of Object.entries(kernels)) {
    const original = getKernel(kernelName, 'wasm');
    if (original) {
      originals.set(kernelName, original);
      unregisterKernel(kernelName, 'wasm');
    }
    registerKernel({ ...original, kernelName, backendName: 'wasm', kernelFunc });
  }
  return native.blasInfo().trim();
}
