import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ProcessHandle } from '../app/process-handle';
import type { FromWorker, ToWorker } from './protocol';

const requireHere = createRequire(import.meta.url);

/**
 * Starts the worker as a plain Node child process running the TypeScript source through tsx: the transport
 * for browser mode, the CLI and tests. (The desktop app uses Electron's utilityProcess with the bundled worker.)
 */
export function spawnNodeWorker<In extends ToWorker = ToWorker, Out extends FromWorker = FromWorker>(): ProcessHandle<
  In,
  Out
> {
  const entry = fileURLToPath(new URL('./worker-main.ts', import.meta.url));
  const child = fork(entry, [], {
    execArgv: ['--import', pathToFileURL(requireHere.resolve('tsx')).href],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2' },
  });
  return {
    pid: child.pid,
    send: (message) => {
      if (child.connected) child.send(message);
    },
    onMessage: (listener) => child.on('message', (message) => listener(message as Out)),
    onExit: (listener) => child.on('exit', (code, signal) => listener(code, signal)),
    kill: () => child.kill('SIGKILL'),
  };
}
