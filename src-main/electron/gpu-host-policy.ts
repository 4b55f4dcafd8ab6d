/**
 * The desktop app's GPU window, as plain decisions the Electron glue (gpu-host.ts) follows and the tests check
 * (Electron itself cannot run here).
 *
 * Why a window at all: Dawn, the npm `webgpu` addon that the CLI and browser mode train with, cannot read results back
 * inside Electron (its mapped GPU buffers are external ArrayBuffers, which Electron's V8 memory cage refuses in every
 * process). Electron's own Chromium has WebGPU — the same Dawn, in Chromium's GPU process — so the desktop app trains
 * in a hidden window's dedicated worker and the training process talks to it over a MessagePort.
 */

/** Set to `off` to leave Chromium's WebGPU switches alone and train on the CPU (a driver that misbehaves with Vulkan). */
export const desktopWebgpuEnv = 'AE_STUDIO_DESKTOP_WEBGPU';

/** The hidden window's page, beside the main window's: the built renderer's gpu-host.html (or the dev server's). */
export function gpuHostPage(rendererHome: string): string {
  return new URL('gpu-host.html', rendererHome).href;
}

/** The IPC message that carries a port into the GPU window; its preload hands the port to the page under this name. */
export const gpuHostConnectMessage = 'gpu-host:connect';

export function desktopWebgpuEnabled(env: Record<string, string | undefined>): boolean {
  return env[desktopWebgpuEnv] !== 'off';
}

/**
 * Chromium switches the GPU window needs, set before the app is ready. On Windows (Direct3D 12) and macOS (Metal)
 * Chromium ships WebGPU on; on Linux it still keeps WebGPU behind `--enable-unsafe-webgpu` and needs its Vulkan
 * backend (`--enable-features=Vulkan`), without which it finds no adapter (electron/electron issue 41763). The
 * switches are process-wide; the main window uses no WebGPU.
 */
export function chromiumWebgpuSwitches(
  platform: string,
  env: Record<string, string | undefined>,
): Array<[string, string?]> {
  if (!desktopWebgpuEnabled(env) || platform !== 'linux') return [];
  return [['enable-unsafe-webgpu'], ['enable-features', 'Vulkan']];
}

/** Which worker messages get a port to a new GPU worker: a training run and the engine check. */
export function wantsGpuHost(message: { type: string }): boolean {
  return message.type === 'train' || message.type === 'probe';
}
