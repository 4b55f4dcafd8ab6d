import { app, BrowserWindow, net, protocol, session, shell } from 'electron';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  allowNavigation,
  allowPermission,
  appScheme,
  openExternalUrl,
  rendererEntry,
  resolveAppFile,
} from './security-policy';

/** The built renderer's folder (out/renderer), served as app://renderer/. */
const rendererDir = fileURLToPath(new URL('../renderer/', import.meta.url));

/** The renderer's address: the dev server under `electron-vite dev` (development builds only), else app://. */
export function rendererUrl(): string {
  return rendererEntry({ isPackaged: app.isPackaged, devServerUrl: process.env.ELECTRON_RENDERER_URL });
}

/**
 * Declares app:// a standard, secure scheme (so 'self' in the CSP, fetch and relative URLs work as for https). Must
 * run before the app is ready.
 */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: appScheme, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/** Serves app://renderer/ from the built renderer, refusing any path outside it; denies every permission request. */
export function installSessionPolicy(): void {
  protocol.handle(appScheme, (request) => {
    const file = resolveAppFile(rendererDir, request.url);
    if (!file) return new Response('Not found', { status: 404 });
    return net.fetch(pathToFileURL(file).href);
  });
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) =>
    callback(allowPermission(permission)),
  );
  session.defaultSession.setPermissionCheckHandler((_contents, permission) => allowPermission(permission));
}

export function createMainWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'Autoencoder Studio',
    backgroundColor: '#f6f7f9',
    webPreferences: {
      preload: fileURLToPath(new URL('../preload/index.cjs', import.meta.url)),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      spellcheck: false,
    },
  });
  window.once('ready-to-show', () => window.show());

  const home = rendererUrl();
  // No other windows and no navigation away from the app, by link, redirect or frame; web links open in the browser.
  window.webContents.setWindowOpenHandler(({ url }) => {
    const external = openExternalUrl(url);
    if (external) void shell.openExternal(external);
    return { action: 'deny' };
  });
  const guard = (details: { url: string; preventDefault(): void }) => {
    if (!allowNavigation(details.url, home)) details.preventDefault();
  };
  window.webContents.on('will-navigate', guard);
  window.webContents.on('will-redirect', guard);
  window.webContents.on('will-frame-navigate', guard);
  void window.loadURL(home);
  return window;
}
