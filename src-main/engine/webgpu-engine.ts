import type * as tfType from '@tensorflow/tfjs';
import { engineLabels, type GpuAdapter } from '../api/contract';
import { missingSharedLibraries } from './shared-libraries';

/**
 * The "webgpu" engine: tfjs's WebGPU backend on Dawn, Chrome's WebGPU implementation, loaded as a Node addon from the
 * npm package `webgpu` (prebuilt for Linux, Windows and macOS, so `npm ci` alone installs it). Dawn drives the GPU
 * through Vulkan on Linux, Direct3D 12 on Windows and Metal on macOS.
 *
 * We create the adapter and device ourselves instead of letting tfjs do it, for three reasons: a software adapter
 * (SwiftShader, llvmpipe) is refused before any work starts, because it trains slower than our CPU engines; the
 * adapter's name goes into the status bar and into every run it trains; and the device's `lost` promise and
 * uncaptured errors (out of memory, a shader that fails to compile) are caught here, so training can stop with a
 * message and keep its checkpoint instead of computing garbage.
 */

export const allowSoftwareGpuEnv = 'AE_STUDIO_ALLOW_SOFTWARE_GPU';
/** Fault injection for tests: destroy the device (as a driver reset would) after this many training batches. */
export const loseDeviceAfterEnv = 'AE_STUDIO_TEST_LOSE_GPU_AFTER_BATCHES';

export type WebgpuAttempt =
  { ok: true; adapter: GpuAdapter; label: string; detail: string; gpu: GpuWatch } | { ok: false; reason: string };

/** What went wrong on the GPU since training started, as words for the user (null while all is well). */
export interface GpuWatch {
  fault(): string | null;
  /** The device's limits that decide whether a model fits (bytes). */
  maxBufferBytes: number;
  /** Ends the device, as a driver reset would (tests only, through `loseDeviceAfterEnv`). */
  loseDevice(): void;
}

const platformApi: Record<string, string> = { linux: 'Vulkan', win32: 'Direct3D 12', darwin: 'Metal' };

function noAdapterReason(): string {
  if (process.platform === 'linux') {
    return (
      'no Vulkan driver for this GPU (install your GPU driver with its Vulkan support: NVIDIA’s proprietary driver, ' +
      'or Mesa’s Vulkan drivers for AMD and Intel, e.g. `sudo apt install mesa-vulkan-drivers`)'
    );
  }
  if (process.platform === 'win32') return 'no Direct3D 12 GPU was found (update the graphics driver)';
  return 'no Metal GPU was found';
}

function describeAdapter(info: GPUAdapterInfo): GpuAdapter {
  return {
    vendor: info.vendor || 'unknown vendor',
    architecture: info.architecture || '',
    device: info.device || '',
    description: info.description || '',
    api: platformApi[process.platform] ?? 'WebGPU',
    software: info.isFallbackAdapter === true,
  };
}

/** "NVIDIA H200 (Vulkan; NVIDIA 580.95)", in the words the adapter gives. */
export function adapterName(adapter: GpuAdapter): string {
  const name = [adapter.vendor, adapter.architecture, adapter.device].filter(Boolean).join(' ');
  const driver = adapter.description && adapter.description !== name ? `; ${adapter.description}` : '';
  return `${name} (${adapter.api}${driver})`;
}

/**
 * Loads Dawn, picks the high-performance adapter and starts tfjs's WebGPU backend on it. Every way this can fail
 * comes back as a reason a user can act on.
 */
export async function startWebgpu(tf: typeof tfType): Promise<WebgpuAttempt> {
  if (process.platform === 'linux' && missingSharedLibraries(['libvulkan.so.1']).length > 0) {
    return {
      ok: false,
      reason:
        'the Vulkan loader libvulkan.so.1 is not installed (e.g. `sudo apt install libvulkan1`), so no GPU is reachable',
    };
  }
  let dawn: { create(options: string[]): GPU; globals: object };
  try {
    dawn = (await import('webgpu')) as unknown as typeof dawn;
  } catch (err) {
    return { ok: false, reason: `Dawn (the npm package webgpu) failed to load: ${firstLine(err)}` };
  }
  let adapter: GPUAdapter | null;
  try {
    // tfjs's kernels name these constants (GPUBufferUsage, GPUMapMode…) as globals, as in a browser.
    Object.assign(globalThis, dawn.globals);
    const gpu = dawn.create([]);
    // tfjs's backend checks for navigator.gpu, as in a browser (Node 21+ has a navigator; Node 20 does not).
    const nav = ((globalThis as { navigator?: object }).navigator ??= {});
    Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (err) {
    return { ok: false, reason: `Dawn could not look for a GPU: ${firstLine(err)}` };
  }
  if (!adapter) return { ok: false, reason: noAdapterReason() };
  const described = describeAdapter(adapter.info);
  if (described.software && process.env[allowSoftwareGpuEnv] !== '1') {
    return {
      ok: false,
      reason:
        `only a software GPU is available (${adapterName(described)}), which trains slower than the CPU; ` +
        `set ${allowSoftwareGpuEnv}=1 with AE_STUDIO_ENGINE=webgpu to use it anyway`,
    };
  }

  let device: GPUDevice;
  try {
    const limits = adapter.limits;
    device = await adapter.requestDevice({
      requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
      // As tfjs asks for itself: the adapter's full limits, so large layers fit.
      requiredLimits: {
        maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      },
    });
  } catch (err) {
    return { ok: false, reason: `the GPU refused to start a device: ${firstLine(err)}` };
  }

  let fault: string | null = null;
  void device.lost.then((info) => {
    fault ??= `the GPU device was lost (${info.message || info.reason || 'driver reset'})`;
  });
  device.onuncapturederror = (event) => {
    const error = event.error;
    const oom = typeof GPUOutOfMemoryError !== 'undefined' && error instanceof GPUOutOfMemoryError;
    fault ??= oom
      ? 'the GPU ran out of memory; lower the batch size or use a smaller model'
      : `the GPU reported an error: ${error.message.split('\n')[0]}`;
  };

  try {
    const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
    if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', () => new WebGPUBackend(device, adapter.info), 0);
    if (!(await tf.setBackend('webgpu'))) throw new Error('the WebGPU backend failed to initialise');
    await tf.ready();
  } catch (err) {
    device.destroy();
    return { ok: false, reason: `tfjs's WebGPU backend failed to start: ${firstLine(err)}` };
  }
  const name = adapterName(described);
  return {
    ok: true,
    adapter: described,
    label: described.software ? 'GPU (WebGPU, software)' : engineLabels.webgpu,
    detail: `${name} through Dawn`,
    gpu: {
      fault: () => fault,
      maxBufferBytes: Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize),
      loseDevice: () => device.destroy(),
    },
  };
}

function firstLine(err: unknown): string {
  return ((err as Error)?.message ?? String(err)).split('\n')[0];
}
