/**
 * How this page reaches the app: the desktop app's preload bridge (`window.api`), or in browser mode a WebSocket to
 * the server that served it. A page from `app://` is the desktop app's own, which has no server: without its bridge
 * (a preload that failed to load) there is nothing to connect to, and the page must say so, not ask for a browser-mode
 * link.
 */
export type TransportChoice = 'bridge' | 'websocket' | 'bridge-missing';

export function chooseTransport(page: { hasBridge: boolean; protocol: string }): TransportChoice {
  if (page.hasBridge) return 'bridge';
  return page.protocol === 'app:' ? 'bridge-missing' : 'websocket';
}

/** What the page says when the desktop bridge is missing. */
export const bridgeMissingMessage =
  'The desktop bridge did not load, so this window cannot reach your experiment store. Quit and start Autoencoder ' +
  'Studio again; if this keeps happening, reinstall it.';
