import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Which of these shared libraries the dynamic loader cannot find (Linux: its cache, then LD_LIBRARY_PATH). Engines
 * that would fail or fall back silently without them (CUDA for tfjs-node-gpu, the Vulkan loader for WebGPU) look
 * first, so they can say which library is missing.
 */
export function missingSharedLibraries(libraries: readonly string[]): string[] {
  if (process.platform !== 'linux') return [];
  let linkerCache: string;
  try {
    linkerCache = execFileSync('ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    linkerCache = '';
  }
  const extraDirs = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  const found = (lib: string) => linkerCache.includes(lib) || extraDirs.some((dir) => existsSync(join(dir, lib)));
  return libraries.filter((lib) => !found(lib));
}
