import { utilityProcess } from 'electron';
import { fileURLToPath } from 'node:url';
import type { ProcessHandle } from '../app/process-handle';
import type { FromWorker, ToWorker } from '../worker/protocol';

/** Starts the bundled worker (out/main/worker.js: training, latent maps, results) as an Electron utility process. */
export function spawnUtilityWorker<
  In extends ToWorker = ToWorker,
  Out extends FromWorker = FromWorker,
>(): ProcessHandle<In, Out> {
  const entry = fileURLToPath(new URL('./worker.js', import.meta.url));
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
      if (!exited) child.postMessage(message);
    },
    onMessage: (listener) => child.on('message', (message: unknown) => listener(message as Out)),
    // utilityProcess reports only an exit code; a crash shows as a non-zero code.
    onExit: (listener) => child.on('exit', (code) => listener(code, null)),
    kill: () => {
      child.kill();
    },
  };
}
