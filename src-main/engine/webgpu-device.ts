import type * as tfType from '@tensorflow/tfjs';
import type { GpuAdapter } from '../api/contract';

/**
 * tfjs's WebGPU backend on a WebGPU implementation we are handed: Dawn's in Node (webgpu-engine.ts), or Chromium's
 * own in the desktop app's GPU worker (src-renderer/gpu-host/). Nothing here touches Node, so both use it.
 *
 * We create the adapter and device ourselves instead of letting tfjs do it: a software adapter (SwiftShader,
 * llvmpipe) is refused before any work starts, because it trains slower than our CPU engines; the adapter's name goes
 * into the status bar and into every run it trains; and the device's `lost` promise and uncaptured errors (out of
 * memory, a shader that fails to compile) are caught here, so training stops with a message and keeps its checkpoint
 * instead of computing garbage. And the engine is claimed only after one real training step has been read back: a
 * GPU that starts but cannot return results (Dawn inside Electron, whose mapped buffers the V8 memory cage refuses)
 * is not used.
 */

/** Where tfjs's WebGPU runs: Dawn as a Node addon, or Chromium's WebGPU in a hidden window's worker. */
export type GpuHostKind = 'dawn' | 'chromium';

/** What went wrong on the GPU since training started, as words for the user (null while all is well). */
export interface GpuWatch {
  fault(): string | null;
  /** The device's limits that decide whether a model fits (bytes). */
  maxBufferBytes: number;
  /** Ends the device, as a driver reset would (tests only). */
  loseDevice(): void;
  /** Makes every later read from the GPU fail, as Dawn's do inside Electron (tests only). */
  failReadback(): void;
}

export type WebgpuAttempt =
  { ok: true; adapter: GpuAdapter; label: string; detail: string; gpu: GpuWatch } | { ok: false; reason: string };

export interface WebgpuOptions {
  host: GpuHostKind;
  /** The native API under WebGPU on this platform: Vulkan, Direct3D 12 or Metal. */
  api: string;
  allowSoftware: boolean;
  /** How to allow a software adapter anyway, for the refusal's message. */
  allowSoftwareHint: string;
  /** Why no adapter was found, in words for this platform. */
  noAdapterReason: string;
  /** Tests: every read from the GPU fails from the start (as inside Electron), so the probe step must catch it. */
  failReadback?: boolean;
}

/** The message a read gets when reads are made to fail: the words Electron's memory cage gives Dawn. */
export const refusedReadbackMessage = 'External buffers are not allowed';

const hostWords: Record<GpuHostKind, string> = { dawn: 'through Dawn', chromium: 'in Chromium' };

/** "GPU (WebGPU through Dawn)", "GPU (WebGPU in Chromium, software)". */
export function webgpuLabel(host: GpuHostKind, software: boolean): string {
  return `GPU (WebGPU ${hostWords[host]}${software ? ', software' : ''})`;
}

/**
 * What an adapter says about itself (GPUAdapter.info, Chromium 127+ and Dawn). Typed here because the WebGPU types
 * that TypeScript's DOM library ships predate it.
 */
interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter?: boolean;
}

const infoOf = (adapter: GPUAdapter) => (adapter as GPUAdapter & { info: AdapterInfo }).info;

function describeAdapter(info: AdapterInfo, api: string): GpuAdapter {
  return {
    vendor: info.vendor || 'unknown vendor',
    architecture: info.architecture || '',
    device: info.device || '',
    description: info.description || '',
    api,
    software: info.isFallbackAdapter === true,
  };
}

/** "NVIDIA H200 (Vulkan; NVIDIA 580.95)", in the words the adapter gives. */
export function adapterName(adapter: GpuAdapter): string {
  const name = [adapter.vendor, adapter.architecture, adapter.device].filter(Boolean).join(' ');
  const driver = adapter.description && adapter.description !== name ? `; ${adapter.description}` : '';
  return `${name} (${adapter.api}${driver})`;
}

export function firstLine(err: unknown): string {
  return ((err as Error)?.message ?? String(err)).split('\n')[0];
}

/** Makes every GPUBuffer's mapped range unreadable, as Electron's memory cage does to Dawn's (tests only). */
function refuseReadback(device: GPUDevice): void {
  const probe = device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const prototype = Object.getPrototypeOf(probe) as { getMappedRange: () => ArrayBuffer };
  probe.destroy();
  prototype.getMappedRange = () => {
    throw new TypeError(refusedReadbackMessage);
  };
}

/**
 * One real training step of a tiny model (a matrix product and a convolution, their gradients, Adam) with its loss
 * read back and checked: null when the GPU computes and returns the right number, else what went wrong.
 */
export async function probeTrainingStep(tf: typeof tfType): Promise<string | null> {
  const weights = [tf.variable(tf.fill([4, 4], 0.1)), tf.variable(tf.fill([2, 2, 1, 1], 0.25))];
  const optimizer = tf.train.adam(0.01, 0.9, 0.999, 1e-7);
  try {
    const cost = optimizer.minimize(
      () =>
        tf.tidy(() => {
          // ones·0.1 over 4 inputs = 0.4 → (0.4 − 1)² = 0.36; a 2×2 mean filter over ones = 1 → (1 − 2)² = 1.
          const dense = tf.mean(tf.square(tf.sub(tf.matMul(tf.ones([2, 4]), weights[0]), 1)));
          const conv = tf.mean(
            tf.square(
              tf.sub(tf.conv2d(tf.ones([1, 4, 4, 1]) as tfType.Tensor4D, weights[1] as tfType.Tensor4D, 1, 'valid'), 2),
            ),
          );
          return tf.add(dense, conv) as tfType.Scalar;
        }),
      true,
      weights,
    )!;
    const loss = (await cost.data())[0];
    cost.dispose();
    if (!(Math.abs(loss - 1.36) < 1e-4)) return `a test step on the GPU computed ${loss} where 1.36 was expected`;
    return null;
  } catch (err) {
    return `a test step on the GPU could not be read back (${firstLine(err)})`;
  } finally {
    optimizer.dispose();
    tf.dispose(weights);
  }
}

/**
 * Picks the high-performance adapter of `gpu`, starts tfjs's WebGPU backend on it and trains one probe step. Every
 * way this can fail comes back as a reason a user can act on.
 */
export async function startWebgpuBackend(tf: typeof tfType, gpu: GPU, options: WebgpuOptions): Promise<WebgpuAttempt> {
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (err) {
    return { ok: false, reason: `WebGPU could not look for a GPU: ${firstLine(err)}` };
  }
  if (!adapter) return { ok: false, reason: options.noAdapterReason };
  const described = describeAdapter(infoOf(adapter), options.api);
  if (described.software && !options.allowSoftware) {
    return {
      ok: false,
      reason:
        `only a software GPU is available (${adapterName(described)}), which trains slower than the CPU; ` +
        options.allowSoftwareHint,
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
    const info = infoOf(adapter) as unknown as ConstructorParameters<typeof WebGPUBackend>[1];
    tf.registerBackend('webgpu', () => new WebGPUBackend(device, info), 0);
    if (!(await tf.setBackend('webgpu'))) throw new Error('the WebGPU backend failed to initialise');
    await tf.ready();
  } catch (err) {
    device.destroy();
    return { ok: false, reason: `tfjs's WebGPU backend failed to start: ${firstLine(err)}` };
  }
  if (options.failReadback) refuseReadback(device);
  const probeProblem = await probeTrainingStep(tf);
  if (probeProblem) {
    tf.removeBackend('webgpu');
    device.destroy();
    return { ok: false, reason: probeProblem };
  }
  return {
    ok: true,
    adapter: described,
    label: webgpuLabel(options.host, described.software),
    detail: adapterName(described),
    gpu: {
      fault: () => fault,
      maxBufferBytes: Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize),
      loseDevice: () => device.destroy(),
      failReadback: () => refuseReadback(device),
    },
  };
}
