import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { engineLabels, type EngineName, type EngineStatus } from '../api/contract';
import { missingSharedLibraries } from './shared-libraries';
import { startWebgpu, type GpuWatch } from './webgpu-engine';

export type { EngineName, EngineStatus };

/**
 * The one place that decides which tfjs backend trains. Fastest first; each that cannot load says why, so the UI can
 * tell the user what a faster engine would need.
 */

export const engineNames: readonly EngineName[] = ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'native', 'wasm', 'cpu'];

export interface Engine {
  tf: typeof tf;
  status: EngineStatus;
  /** On the GPU engine in this process (Dawn): its faults since it started, and its buffer limit. */
  gpu?: GpuWatch;
  /** On a GPU engine, here or in another process: the largest buffer its device takes (bytes). */
  maxGpuBufferBytes: number | null;
}

export const engineEnv = 'AE_STUDIO_ENGINE';
const requireHere = createRequire(import.meta.url);

export type Attempt =
  | {
      ok: true;
      label: string;
      detail: string;
      adapter?: EngineStatus['adapter'];
      gpu?: GpuWatch;
      maxGpuBufferBytes?: number;
    }
  | { ok: false; reason: string };

/**
 * Where the `webgpu` rung trains when it is not Dawn in this process: the desktop app's Chromium GPU worker, which
 * the caller reaches over a port (worker/gpu-host-port.ts) and which trains its own probe step before it answers.
 */
export interface EngineChoice {
  /** Start the search at this engine (e.g. "Resume on CPU"), and why, for the engines skipped. */
  startAt?: EngineName;
  why?: string;
  webgpu?: () => Promise<Attempt>;
}

function isInstalled(pkg: string): boolean {
  try {
    requireHere.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

async function tryNative(pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node'): Promise<Attempt> {
  if (!isInstalled(pkg))
    return { ok: false, reason: `${pkg} is not installed (optional; see docs/engines.md, "TensorFlow native")` };
  if (pkg === '@tensorflow/tfjs-node-gpu') {
    // tfjs-node-gpu falls back to the CPU silently when these exact CUDA libraries are missing, so look first.
    const missing = missingSharedLibraries(['libcudart.so.11.0', 'libcudnn.so.8']);
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
      label: engineLabels[pkg === '@tensorflow/tfjs-node-gpu' ? 'tfjs-node-gpu' : 'tfjs-node'],
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
    return { ok: true, label: engineLabels.native, detail: `${blas.split(' ').slice(0, 2).join(' ')} + WebAssembly` };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

async function tryWasm(): Promise<Attempt> {
  try {
    const { simd } = await startWasm();
    return { ok: true, label: engineLabels.wasm, detail: `XNNPACK${simd ? ' + SIMD' : ''}, 1 thread` };
  } catch (err) {
    return { ok: false, reason: `the WebAssembly backend failed to load: ${(err as Error).message}` };
  }
}

async function tryCpu(): Promise<Attempt> {
  await tf.setBackend('cpu');
  await tf.ready();
  return { ok: true, label: engineLabels.cpu, detail: 'pure JavaScript, very slow for convolutions' };
}

const attempts: Record<EngineName, () => Promise<Attempt>> = {
  'tfjs-node-gpu': () => tryNative('@tensorflow/tfjs-node-gpu'),
  webgpu: () => startWebgpu(tf),
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
export function selectEngine(request: EngineChoice = {}): Promise<Engine> {
  selected ??= (async () => {
    const forced = process.env[engineEnv] as EngineName | undefined;
    if (forced && !engineNames.includes(forced)) {
      throw new Error(`${engineEnv}=${forced} is not an engine; use one of ${engineNames.join(', ')}`);
    }
    const unavailable: EngineStatus['unavailable'] = [];
    // The lower of the two starting points wins: a CPU request is honoured even where the environment forces a GPU.
    const fromEnv = forced ? engineNames.indexOf(forced) : 0;
    const fromRequest = request.startAt ? engineNames.indexOf(request.startAt) : 0;
    const start = Math.max(fromEnv, fromRequest);
    const why = fromRequest > fromEnv ? request.why : `${engineEnv}=${forced}`;
    for (const name of engineNames.slice(0, start)) {
      unavailable.push({ name, reason: `skipped because ${why}` });
    }
    for (const name of engineNames.slice(start)) {
      const attempt = name === 'webgpu' && request.webgpu ? await request.webgpu() : await attempts[name]();
      if (attempt.ok) {
        const status = {
          name,
          label: attempt.label,
          detail: attempt.detail,
          adapter: attempt.adapter ?? null,
          unavailable,
        };
        const maxGpuBufferBytes = attempt.maxGpuBufferBytes ?? attempt.gpu?.maxBufferBytes ?? null;
        return { tf, status, gpu: attempt.gpu, maxGpuBufferBytes };
      }
      unavailable.push({ name, reason: attempt.reason });
    }
    throw new Error('No tfjs backend could be loaded');
  })();
  return selected;
}
