import { isAbsolute, relative, resolve, sep } from 'node:path';

/**
 * The desktop shell's security rules as plain functions (no Electron import), so they are tested under Node and the
 * Electron entry only wires them up. Electron's security checklist, item by item, and where each is met:
 *
 *  1. Only local content: the renderer is the app's own files, served from `app://` (appUrl, resolveAppFile).
 *  2. No Node.js in the renderer: nodeIntegration off (window.ts).
 *  3. Context isolation on (window.ts).
 *  4. Sandbox on (window.ts); the preload exposes only the typed API.
 *  5. Permission requests: every one denied, since the app uses none (allowPermission).
 *  6. webSecurity on (window.ts).
 *  7. A Content-Security-Policy: the renderer's index.html; with `app://` as the origin, 'self' means the app's
 *     files only (under file:// it meant any local file).
 *  8. allowRunningInsecureContent and experimental features: left at their safe defaults (window.ts).
 *  9. No <webview>: the app has none, and webviewTag stays off.
 * 10. Navigation: will-navigate, will-redirect and will-frame-navigate all go through allowNavigation: only the app's
 *     own page.
 * 11. New windows: denied; web links open in the system browser (openExternalUrl).
 * 12. shell.openExternal only for http(s) links (openExternalUrl).
 * 13. A current Electron (package.json pins one).
 * 14. IPC: only the main frame of our window, showing our page, may call the API (isTrustedSender).
 * 15. Custom protocol, not file:// (appUrl).
 * 16. Fuses flipped at packaging: see scripts/fuses.mjs.
 * 17. The dev server address (ELECTRON_RENDERER_URL) is honoured only when running from source, never in a packaged
 *     app (rendererEntry).
 */

/** The privileged scheme and host the renderer is served from. */
export const appScheme = 'app';
export const appHost = 'renderer';
export const appOrigin = `${appScheme}://${appHost}`;
export const appUrl = `${appOrigin}/index.html`;

/**
 * Where the window loads the renderer from: the dev server under `electron-vite dev` (never in a packaged app, where
 * an environment variable must not be able to point the window at another site), else the app's own files.
 */
export function rendererEntry(options: { isPackaged: boolean; devServerUrl?: string }): string {
  if (!options.isPackaged && options.devServerUrl) return new URL('/index.html', options.devServerUrl).href;
  return appUrl;
}

/**
 * The file an `app://renderer/...` request asks for, inside `rendererDir`; null for any other host, or a path that
 * would leave the folder (`..`, encoded or not), so the protocol can serve nothing but the built renderer.
 */
export function resolveAppFile(rendererDir: string, requestUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${appScheme}:` || url.host !== appHost) return null;
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  const root = resolve(rendererDir);
  const file = resolve(root, `.${path === '/' ? '/index.html' : path}`);
  const inside = relative(root, file);
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) return null;
  return file;
}

/** The permissions the renderer may be granted: none (no camera, microphone, notifications, geolocation …). */
const allowedPermissions: ReadonlySet<string> = new Set();

export function allowPermission(permission: string): boolean {
  return allowedPermissions.has(permission);
}

/** Navigation is allowed only to the app's own page (a new #hash included), never to another page or site. */
export function allowNavigation(url: string, home: string): boolean {
  return url.split('#')[0] === home.split('#')[0];
}

/** A link the user clicked that leaves the app: opened in the system browser when it is a web link, else ignored. */
export function openExternalUrl(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
  } catch {
    return null;
  }
}

/** What an IPC message says about its sender. */
export interface IpcSender {
  /** The id of the webContents that sent it, and of our window's. */
  senderId: number;
  windowId: number | undefined;
  /** Whether the sending frame is the top frame of its page, and the page it shows. */
  isMainFrame: boolean;
  frameUrl: string | undefined;
}

/** Only the main frame of our own window, showing our own page, may call the API. */
export function isTrustedSender(sender: IpcSender, home: string): boolean {
  if (sender.windowId === undefined || sender.senderId !== sender.windowId || !sender.isMainFrame) return false;
  if (!sender.frameUrl) return false;
  try {
    const url = new URL(sender.frameUrl);
    const expected = new URL(home);
    return url.protocol === expected.protocol && url.host === expected.host && url.pathname === expected.pathname;
  } catch {
    return false;
  }
}
