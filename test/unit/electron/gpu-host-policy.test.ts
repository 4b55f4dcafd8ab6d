import { describe, expect, it } from 'vitest';
import {
  chromiumWebgpuSwitches,
  desktopWebgpuEnabled,
  gpuHostPage,
  wantsGpuHost,
} from '../../../src-main/electron/gpu-host-policy';
import { appUrl, rendererEntry } from '../../../src-main/electron/security-policy';

/** The desktop app's GPU window decisions, as the Electron glue (electron/gpu-host.ts) follows them. */
describe('the GPU window policy', () => {
  it('turns on WebGPU and its Vulkan backend on Linux only, unless the user turns it off', () => {
    expect(chromiumWebgpuSwitches('linux', {})).toEqual([['enable-unsafe-webgpu'], ['enable-features', 'Vulkan']]);
    expect(chromiumWebgpuSwitches('win32', {})).toEqual([]);
    expect(chromiumWebgpuSwitches('darwin', {})).toEqual([]);
    expect(chromiumWebgpuSwitches('linux', { AE_STUDIO_DESKTOP_WEBGPU: 'off' })).toEqual([]);
    expect(desktopWebgpuEnabled({ AE_STUDIO_DESKTOP_WEBGPU: 'off' })).toBe(false);
    expect(desktopWebgpuEnabled({})).toBe(true);
  });

  it('loads the GPU page beside the main window’s: app:// when packaged, the dev server only from source', () => {
    expect(gpuHostPage(appUrl)).toBe('app://renderer/gpu-host.html');
    const dev = rendererEntry({ isPackaged: false, devServerUrl: 'http://localhost:5173' });
    expect(gpuHostPage(dev)).toBe('http://localhost:5173/gpu-host.html');
    const packaged = rendererEntry({ isPackaged: true, devServerUrl: 'http://evil.example' });
    expect(gpuHostPage(packaged)).toBe('app://renderer/gpu-host.html');
  });

  it('gives a GPU port to training runs and engine checks, not to latent maps or results', () => {
    expect(wantsGpuHost({ type: 'train' })).toBe(true);
    expect(wantsGpuHost({ type: 'probe' })).toBe(true);
    for (const type of ['latent', 'evaluate', 'stop', 'pause', 'resume']) expect(wantsGpuHost({ type })).toBe(false);
  });
});
