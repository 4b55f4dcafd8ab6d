import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { eventChannels, methodChannels, type Result } from '../api/contract';
import type { ApiHandlers } from '../host/handlers';
import { isTrustedSender } from './security-policy';

/** Only the main frame of our own window, showing our own page, may call the API. */
function isTrusted(event: IpcMainInvokeEvent, window: BrowserWindow | undefined, rendererUrl: string): boolean {
  const frame = event.senderFrame;
  return isTrustedSender(
    {
      senderId: event.sender.id,
      windowId: window && !window.isDestroyed() ? window.webContents.id : undefined,
      isMainFrame: frame !== null && frame === event.sender.mainFrame,
      frameUrl: frame?.url,
    },
    rendererUrl,
  );
}

/**
 * Registers every API channel with ipcMain through one wrapper (sender check, then the shared handlers, which
 * validate and return errors as data) and forwards events to the window.
 */
export function registerIpc(
  handlers: ApiHandlers,
  window: () => BrowserWindow | undefined,
  rendererUrl: string,
): () => void {
  for (const channel of methodChannels) {
    ipcMain.handle(channel, (event, arg: unknown): Promise<Result<unknown>> => {
      if (!isTrusted(event, window(), rendererUrl)) {
        return Promise.resolve({ ok: false, error: { code: 'forbidden', message: 'This page may not use the app.' } });
      }
      return handlers.invoke(channel, arg);
    });
  }
  const unsubscribes = eventChannels.map((event) =>
    handlers.subscribe(event, (payload) => {
      const target = window();
      if (target && !target.isDestroyed()) target.webContents.send(event, payload);
    }),
  );
  return () => {
    for (const channel of methodChannels) ipcMain.removeHandler(channel);
    unsubscribes.forEach((unsubscribe) => unsubscribe());
  };
}
