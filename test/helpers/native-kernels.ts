import { expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmConvGradients } from '../../src-main/engine/wasm-conv-gradients';
import { loadNativeAddon } from '../../src-main/engine/native-addon';
import { registerNativeKernels } from '../../src-main/engine/native-kernels';
import { relativeError } from './relative-error';

/**
 * The native kernels' tests run each kernel on tfjs's pure-JS cpu backend (the reference) and on the wasm backend with
 * the native kernels registered, exactly as the "native" engine sets it up.
 */
export async function useNativeKernels(): Promise<void> {
  registerWasmConvGradients();
  registerNativeKernels(loadNativeAddon());
  await tf.setBackend('wasm');
}

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export const randomData = (n: number, next: () => number) => Float32Array.from({ length: n }, () => next() - 0.5);
export const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Runs `f` on a backend and returns every output's values. */
export async function on(backend: 'cpu' | 'wasm', f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outputs = tf.tidy(f);
  const values = await Promise.all(outputs.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(outputs);
  return values;
}

/** Runs `f` on both backends and checks each output agrees within float32 tolerance. */
export async function expectSameOnBoth(f: () => tf.Tensor[], tolerance = 1e-4): Promise<void> {
  const reference = await on('cpu', f);
  const native = await on('wasm', f);
  expect(native.length).toBe(reference.length);
  for (let i = 0; i < reference.length; i++) expect(relativeError(native[i], reference[i])).toBeLessThan(tolerance);
}
