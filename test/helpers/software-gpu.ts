import { existsSync } from 'node:fs';

/** Debian's chromium ships a Vulkan loader and SwiftShader, a software Vulkan driver Dawn accepts (lavapipe it does not). */
const chromiumDir = '/usr/lib/chromium';
const icd = `${chromiumDir}/vk_swiftshader_icd.json`;

/**
 * The environment that gives a worker process SwiftShader as its GPU. The dynamic loader reads LD_LIBRARY_PATH when a
 * process starts, so it is set for the workers these tests spawn, never for the test process itself.
 */
export function softwareGpuEnv(options: { allow: boolean; force: boolean }): Record<string, string> {
  if (!existsSync(icd)) {
    throw new Error(`The GPU tests need Debian's chromium package (${icd} is missing): apt-get install chromium`);
  }
  return {
    LD_LIBRARY_PATH: [chromiumDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
    VK_ICD_FILENAMES: icd,
    ...(options.allow ? { AE_STUDIO_ALLOW_SOFTWARE_GPU: '1' } : {}),
    ...(options.force ? { AE_STUDIO_ENGINE: 'webgpu' } : {}),
  };
}

/** Runs `fn` with these variables set (for the worker processes it spawns), then puts the old values back. */
export async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}
