import { describeGpuHost } from '../../helpers/gpu-host-suite';

/**
 * The WebGPU engine as the desktop app trains: the built GPU window page (out/renderer/gpu-host.html) and its worker
 * bundle in headless Chromium, on Chromium's own WebGPU, driven by the real worker process through the frames the
 * desktop app's MessagePort carries. (Its own file: one engine choice per worker, one Chromium per suite.)
 */
describeGpuHost('chromium');
