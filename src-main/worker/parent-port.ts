import type { ElectronMessagePort } from './gpu-host-port';
import type { FromWorker, ToWorker } from './protocol';
import { UserError } from '../api/errors';
import type { ApiError } from '../api/contract';

/** The worker's line to main: Electron's parentPort in the desktop app, Node's IPC channel elsewhere. */
export interface ParentPort {
  send(message: FromWorker): void;
  /** `ports`: what came with the message (in the desktop app, the GPU window's end of a channel). */
  onMessage(listener: (message: ToWorker, ports: ElectronMessagePort[]) => void): void;
}

interface ElectronParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown; ports?: ElectronMessagePort[] }) => void): void;
}

export function connectToParent(): ParentPort {
  const electronPort = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;
  if (electronPort) {
    return {
      send: (message) => electronPort.postMessage(message),
      onMessage: (listener) =>
        electronPort.on('message', (event) => listener(event.data as ToWorker, event.ports ?? [])),
    };
  }
  if (!process.send) throw new Error('The worker must be started by Autoencoder Studio.');
  // Without a parent there is nobody to report to: stop instead of working as an orphan.
  process.on('disconnect', () => process.exit(0));
  return {
    send: (message) => process.send!(message),
    onMessage: (listener) => process.on('message', (message) => listener(message as ToWorker, [])),
  };
}

/** Ends a one-job worker once its last message has had time to leave. */
export function exitSoon(): void {
  setTimeout(() => process.exit(0), 50);
}

/** A failure as main reports it: a user's problem in its words, a bug logged here and named. */
export function toApiError(what: string, err: unknown): ApiError {
  if (err instanceof UserError) return { code: err.code, message: err.message };
  console.error(`[${what}] failed:`, err);
  return { code: 'internal', message: `Something went wrong: ${(err as Error)?.message ?? String(err)}` };
}
