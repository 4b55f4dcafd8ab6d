import { ipcMain, type BrowserWindow, type WebFrameMain } from 'electron';
import { eventChannels, methodChannels, type Result } from '../api/contract';
import type { ApiHandlers } from '../host/handlers';

/** Only our own renderer, loaded from the app's files or the dev server, may call the API. */
function isTrustedFrame(frame: WebFrameMain | null, rendererUrl: string): boolean {
  if (!frame) return false;
  try {
    const url = new URL(frame.url);
    const expected = new URL(rendererUrl);
    return url.protocol === expected.protocol && url.host === expected.host && url.pathname === expected.pathname;
  } catch {
    return false;
  }
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
      if (!isTrustedFrame(event.senderFrame, rendererUrl)) {
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
