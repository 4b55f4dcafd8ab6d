import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { builtEntry } from '../app/paths';
import type { ProcessHandle } from '../app/process-handle';
import type { FromWorker, ToWorker } from './protocol';

/**
 * Starts the worker as a plain Node child process: the transport for browser mode, the CLI and tests. It runs the
 * bundled worker (out/main/worker.js), the very file the desktop app starts in Electron's utilityProcess.
 */
export function spawnNodeWorker<In extends ToWorker = ToWorker, Out extends FromWorker = FromWorker>(): ProcessHandle<
  In,
  Out
> {
  const entry = builtEntry('worker');
  if (!existsSync(entry)) throw new Error(`The app is not built (${entry} is missing): run npm run build.`);
  const child = fork(entry, [], {
    execArgv: [],
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
