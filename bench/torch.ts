import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The PyTorch references: Debian's python3-torch running bench/*.py beside the app in the same benchmark run, so
 * both sides see the same machine at the same time. A peer measurement, never a dependency of the app.
 */
const torchPython = '/usr/bin/python3';

/** Whether python3-torch is installed; says so on stderr when it is not. */
export function hasTorch(): boolean {
  const ok = spawnSync(torchPython, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
  if (!ok) process.stderr.write('python3-torch is not installed: no PyTorch reference this time.\n');
  return ok;
}

/** Runs bench/<script> with the arguments; returns each JSON line it printed on stdout. */
export function runTorchScript<T>(script: string, args: string[]): T[] {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const out = execFileSync(torchPython, [path, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as T);
}
