import { utilityProcess } from 'electron';
import { builtEntry } from '../app/paths';
import type { ProcessHandle } from '../app/process-handle';
import type { FromWorker, SpawnWorker, ToWorker } from '../worker/protocol';
import type { GpuHostWindow } from './gpu-host';
import { wantsGpuHost } from './gpu-host-policy';

/**
 * A spawner of the bundled worker (out/main/worker.js: training, latent maps, results) as Electron utility processes.
 * With a GPU window, each training run and engine check takes a port to a GPU worker of its own along (Dawn cannot
 * train inside Electron; see gpu-host-policy.ts).
 */
export function utilityWorkerSpawner(gpuHost: GpuHostWindow | undefined): SpawnWorker {
  return (() => spawnUtilityWorker(gpuHost)) as SpawnWorker;
}

function spawnUtilityWorker<In extends ToWorker, Out extends FromWorker>(
  gpuHost: GpuHostWindow | undefined,
): ProcessHandle<In, Out> {
  const entry = builtEntry('worker');
  const child = utilityProcess.fork(entry, [], {
    serviceName: 'Autoencoder Studio training',
    stdio: 'inherit',
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2' },
  });
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  return {
    get pid() {
      return child.pid;
    },
    send: (message) => {
      if (exited) return;
      if (gpuHost && wantsGpuHost(message)) child.postMessage(message, [gpuHost.connect()]);
      else child.postMessage(message);
    },
    onMessage: (listener) => child.on('message', (message: unknown) => listener(message as Out)),
    // utilityProcess reports only an exit code; a crash shows as a non-zero code.
    onExit: (listener) => child.on('exit', (code) => listener(code, null)),
    kill: () => {
      child.kill();
    },
  };
}
