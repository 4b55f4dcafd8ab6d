import type * as tfType from '@tensorflow/tfjs';
import { missingSharedLibraries } from './shared-libraries';
import { firstLine, startWebgpuBackend, type WebgpuAttempt } from './webgpu-device';

export type { GpuWatch, WebgpuAttempt } from './webgpu-device';

/**
 * The "webgpu" engine in Node: tfjs's WebGPU backend on Dawn, Chrome's WebGPU implementation, loaded as a Node addon
 * from the npm package `webgpu` (prebuilt for Linux, Windows and macOS, so `npm ci` alone installs it). Dawn drives
 * the GPU through Vulkan on Linux, Direct3D 12 on Windows and Metal on macOS. The CLI and browser mode train with it;
 * the desktop app cannot (see dawnInElectronReason) and uses Chromium's own WebGPU instead (gpu-host-engine.ts).
 */

export const allowSoftwareGpuEnv = 'AE_STUDIO_ALLOW_SOFTWARE_GPU';
/** Fault injection for tests: destroy the device (as a driver reset would) after this many training batches. */
export const loseDeviceAfterEnv = 'AE_STUDIO_TEST_LOSE_GPU_AFTER_BATCHES';
/**
 * Fault injection for tests: make reads back from the GPU fail as Electron makes Dawn's fail — `probe` from the
 * start (the engine check must catch it), or a number: after that many training batches.
 */
export const failReadbackEnv = 'AE_STUDIO_TEST_FAIL_GPU_READBACK';

/**
 * Why Dawn is not tried inside Electron: Dawn maps GPU buffers as external ArrayBuffers, which Electron's V8 memory
 * cage refuses in every process (dawn-gpu/node-webgpu issue 5), so it would start and then fail at the first read.
 */
export const dawnInElectronReason =
  'Dawn cannot read results back inside Electron (its memory cage refuses external buffers), and no Chromium GPU ' +
  'window was available to train in';

export const platformApi: Record<string, string> = { linux: 'Vulkan', win32: 'Direct3D 12', darwin: 'Metal' };

export function noAdapterReason(platform: string = process.platform): string {
  if (platform === 'linux') {
    return (
      'no Vulkan driver for this GPU (install your GPU driver with its Vulkan support: NVIDIA’s proprietary driver, ' +
      'or Mesa’s Vulkan drivers for AMD and Intel, e.g. `sudo apt install mesa-vulkan-drivers`)'
    );
  }
  if (platform === 'win32') return 'no Direct3D 12 GPU was found (update the graphics driver)';
  return 'no Metal GPU was found';
}

export const allowSoftwareHint = `set ${allowSoftwareGpuEnv}=1 with AE_STUDIO_ENGINE=webgpu to use it anyway`;

/** The test hooks of failReadbackEnv and loseDeviceAfterEnv, as numbers of batches (0: never). */
export function gpuFaultsFromEnv(): { loseDeviceAfterSteps: number; failReadbackAfterSteps: number } {
  const readback = process.env[failReadbackEnv];
  return {
    loseDeviceAfterSteps: Number(process.env[loseDeviceAfterEnv] ?? 0) || 0,
    failReadbackAfterSteps: readback && readback !== 'probe' ? Number(readback) || 0 : 0,
  };
}

/**
 * Loads Dawn and starts tfjs's WebGPU backend on its high-performance adapter. Every way this can fail comes back as
 * a reason a user can act on.
 */
export async function startWebgpu(tf: typeof tfType): Promise<WebgpuAttempt> {
  if (process.versions.electron) return { ok: false, reason: dawnInElectronReason };
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
  let gpu: GPU;
  try {
    // tfjs's kernels name these constants (GPUBufferUsage, GPUMapMode…) as globals, as in a browser.
    Object.assign(globalThis, dawn.globals);
    gpu = dawn.create([]);
    // tfjs's backend checks for navigator.gpu, as in a browser (Node 21+ has a navigator; Node 20 does not).
    const nav = ((globalThis as { navigator?: object }).navigator ??= {});
    Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  } catch (err) {
    return { ok: false, reason: `Dawn could not look for a GPU: ${firstLine(err)}` };
  }
  return startWebgpuBackend(tf, gpu, {
    host: 'dawn',
    api: platformApi[process.platform] ?? 'WebGPU',
    allowSoftware: process.env[allowSoftwareGpuEnv] === '1',
    allowSoftwareHint,
    noAdapterReason: noAdapterReason(),
    failReadback: process.env[failReadbackEnv] === 'probe',
  });
}
