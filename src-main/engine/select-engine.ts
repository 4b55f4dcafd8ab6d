import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { EngineName, EngineStatus } from '../api/contract';

export type { EngineName, EngineStatus };

/**
 * The one place that decides which tfjs backend trains. Fastest first; each that cannot load says why, so the UI can
 * tell the user what a faster engine would need.
 */

export const engineNames: readonly EngineName[] = ['tfjs-node-gpu', 'tfjs-node', 'native', 'wasm', 'cpu'];

export interface Engine {
  tf: typeof tf;
  status: EngineStatus;
}

export const engineEnv = 'AE_STUDIO_ENGINE';
const requireHere = createRequire(import.meta.url);

type Attempt = { ok: true; label: string; detail: string } | { ok: false; reason: string };

function isInstalled(pkg: string): boolean {
  try {
    requireHere.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

/** tfjs-node-gpu falls back to the CPU silently when these exact CUDA libraries are missing, so look first. */
function missingCudaLibraries(): string[] {
  if (process.platform !== 'linux') return [];
  let linkerCache: string;
  try {
    linkerCache = execFileSync('ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    linkerCache = '';
  }
  const extraDirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  const found = (lib: string) => linkerCache.includes(lib) || extraDirs.some((dir) => existsSync(join(dir, lib)));
  return ['libcudart.so.11.0', 'libcudnn.so.8'].filter((lib) => !found(lib));
}

async function tryNative(pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node'): Promise<Attempt> {
  if (!isInstalled(pkg))
    return { ok: false, reason: `${pkg} is not installed (optional; see the README's "GPU training")` };
  if (pkg === '@tensorflow/tfjs-node-gpu') {
    const missing = missingCudaLibraries();
    if (missing.length > 0) {
      return { ok: false, reason: `CUDA 11.2 / cuDNN 8.1 libraries not found (${missing.join(', ')})` };
    }
  }
  try {
    requireHere(pkg);
    await tf.setBackend('tensorflow');
    await tf.ready();
    return {
      ok: true,
      label: pkg === '@tensorflow/tfjs-node-gpu' ? 'TensorFlow GPU' : 'TensorFlow CPU',
      detail: 'native libtensorflow',
    };
  } catch (err) {
    return { ok: false, reason: `${pkg} failed to load: ${(err as Error).message.split('\n')[0]}` };
  }
}

/** The WebAssembly backend, after `beforeInit` (which may replace some of its kernels) has run. */
async function startWasm(beforeInit: () => Promise<void> = async () => {}): Promise<{ simd: boolean }> {
  await import('@tensorflow/tfjs-backend-wasm');
  const { registerWasmConvGradients } = await import('./wasm-conv-gradients');
  registerWasmConvGradients();
  await beforeInit();
  if (!(await tf.setBackend('wasm'))) throw new Error('the WebAssembly backend failed to initialise');
  await tf.ready();
  return { simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) };
}

/** Native BLAS kernels for matrix products and convolutions, on top of the WebAssembly backend. */
async function tryNativeKernels(): Promise<Attempt> {
  let blas = '';
  try {
    const { loadNativeAddon } = await import('./native-addon');
    const { registerNativeKernels } = await import('./native-kernels');
    const addon = loadNativeAddon();
    await startWasm(async () => {
      blas = registerNativeKernels(addon);
    });
    return { ok: true, label: 'Native CPU', detail: `${blas.split(' ').slice(0, 2).join(' ')} + WebAssembly` };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

async function tryWasm(): Promise<Attempt> {
  try {
    const { simd } = await startWasm();
    return { ok: true, label: 'WebAssembly', detail: `XNNPACK${simd ? ' + SIMD' : ''}, 1 thread` };
  } catch (err) {
    return { ok: false, reason: `the WebAssembly backend failed to load: ${(err as Error).message}` };
  }
}

async function tryCpu(): Promise<Attempt> {
  await tf.setBackend('cpu');
  await tf.ready();
  return { ok: true, label: 'JavaScript CPU', detail: 'pure JavaScript, very slow for convolutions' };
}

const attempts: Record<EngineName, () => Promise<Attempt>> = {
  'tfjs-node-gpu': () => tryNative('@tensorflow/tfjs-node-gpu'),
  'tfjs-node': () => tryNative('@tensorflow/tfjs-node'),
  native: tryNativeKernels,
  wasm: tryWasm,
  cpu: tryCpu,
};

let selected: Promise<Engine> | undefined;

/**
 * Loads the fastest engine available in this process (once; tfjs-node allows one per process). Setting
 * AE_STUDIO_ENGINE to an engine name starts the search there, e.g. to compare engines or to avoid a broken GPU.
 */
export function selectEngine(): Promise<Engine> {
  selected ??= (async () => {
    const forced = process.env[engineEnv] as EngineName | undefined;
    if (forced && !engineNames.includes(forced)) {
      throw new Error(`${engineEnv}=${forced} is not an engine; use one of ${engineNames.join(', ')}`);
    }
    const unavailable: EngineStatus['unavailable'] = [];
    const start = forced ? engineNames.indexOf(forced) : 0;
    for (const name of engineNames.slice(0, start)) {
      unavailable.push({ name, reason: `skipped because ${engineEnv}=${forced}` });
    }
    for (const name of engineNames.slice(start)) {
      const attempt = await attempts[name]();
      if (attempt.ok) return { tf, status: { name, label: attempt.label, detail: attempt.detail, unavailable } };
      unavailable.push({ name, reason: attempt.reason });
    }
    throw new Error('No tfjs backend could be loaded');
  })();
  return selected;
}
