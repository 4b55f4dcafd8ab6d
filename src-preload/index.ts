/**
 * The only bridge between the sandboxed renderer and the main process: exposes the typed API as `window.api`.
 * Only the contract's channels can be reached; raw ipcRenderer never leaves this file.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { createApiClient } from '../src-main/api/client';
import type { Result } from '../src-main/api/contract';

const api = createApiClient({
  invoke: (channel, arg) => ipcRenderer.invoke(channel, arg) as Promise<Result<unknown>>,
  subscribe: (event, listener) => {
    const forward = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on(event, forward);
    return () => ipcRenderer.off(event, forward);
  },
});

contextBridge.exposeInMainWorld('api', api);
