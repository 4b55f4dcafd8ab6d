/**
 * The hidden GPU window's preload: passes each port main sends (electron/gpu-host.ts) to the page, which starts a
 * dedicated worker on it (src-renderer/gpu-host/page.ts). Nothing else crosses: no API, no ipcRenderer.
 */
import { ipcRenderer } from 'electron';

const connectMessage = 'gpu-host:connect';
/** The page's window, as much of it as is used (preloads are type-checked with Node's types, not the DOM's). */
const page = globalThis as unknown as {
  postMessage(message: unknown, targetOrigin: string, transfer: unknown[]): void;
  location: { origin: string };
};

ipcRenderer.on(connectMessage, (event) => {
  page.postMessage(connectMessage, page.location.origin, event.ports);
});
