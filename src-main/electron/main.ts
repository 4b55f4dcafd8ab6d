/**
 * The desktop app's main process: opens the experiment store, registers the API on IPC and shows the window.
 * Everything else lives in plain-Node services shared with browser mode, the CLI and the tests.
 */
import { app, BrowserWindow, dialog } from 'electron';
import { parseArgs } from 'node:util';
import { openServices, type Services } from '../host/services';
import { appName, dataDirEnv, resolveDataDir } from '../app/paths';
import { createApiHandlers } from '../host/handlers';
import { registerIpc } from './ipc';
import { createMainWindow, installSessionPolicy, registerAppScheme, rendererUrl } from './window';
import { utilityWorkerSpawner } from './utility-worker';
import { enableChromiumWebgpu, GpuHostWindow } from './gpu-host';
import { desktopWebgpuEnabled } from './gpu-host-policy';
import { gracefulShutdown, shutdownTimeoutMs } from '../app/shutdown';

app.setName(appName);
// The renderer's own scheme must be declared before the app is ready (see security-policy.ts).
registerAppScheme();
// Training on the GPU happens in a hidden window on Chromium's WebGPU, which Linux keeps behind switches.
enableChromiumWebgpu();
let services: Services | undefined;
let mainWindow: BrowserWindow | undefined;
let gpuHost: GpuHostWindow | undefined;

function dataDirFromArgs(): string {
  const { values } = parseArgs({
    args: process.argv.slice(1),
    options: { 'data-dir': { type: 'string' } },
    strict: false,
  });
  const explicit = values['data-dir'];
  // The same rules as the CLI's (an empty --data-dir is refused in words); the default is Electron's userData.
  if (typeof explicit === 'string' || process.env[dataDirEnv] !== undefined) {
    return resolveDataDir(typeof explicit === 'string' ? explicit : undefined);
  }
  return app.getPath('userData');
}

if (!app.requestSingleInstanceLock()) {
  // A second copy would fight over the store; bring the first one forward instead.
  app.quit();
} else {
  app.on('second-instance', () => {
    if (mainWindow) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    }
  });

  void app.whenReady().then(() => {
    installSessionPolicy();
    try {
      gpuHost = desktopWebgpuEnabled(process.env) ? new GpuHostWindow(rendererUrl()) : undefined;
      services = openServices({
        dataDir: dataDirFromArgs(),
        spawnWorker: utilityWorkerSpawner(gpuHost),
        resumeQueue: true,
      });
    } catch (err) {
      dialog.showErrorBox(`${appName} cannot open its data`, (err as Error).message);
      app.exit(1);
      return;
    }
    const handlers = createApiHandlers(
      services,
      { name: appName, version: app.getVersion(), transport: 'electron' },
      {
        chooseFolder: async () => {
          const options = { title: 'Choose an image folder', properties: ['openDirectory' as const] };
          const result = mainWindow
            ? await dialog.showOpenDialog(mainWindow, options)
            : await dialog.showOpenDialog(options);
          return result.canceled ? null : (result.filePaths[0] ?? null);
        },
      },
    );
    registerIpc(handlers, () => mainWindow, rendererUrl());
    mainWindow = createMainWindow();
    mainWindow.on('closed', () => {
      mainWindow = undefined;
      app.quit();
    });
  });

  // Every quit (Cmd+Q, the window closed, logging out) is held until a training run has stopped as Stop does, with
  // its checkpoint; the hidden GPU window stays until then, since the checkpoint is read from the GPU.
  const shutdown = gracefulShutdown({
    stop: async () => {
      await services?.close();
      gpuHost?.close();
    },
    end: () => app.quit(),
    timeoutMs: shutdownTimeoutMs,
    warn: (message) => console.warn(message),
  });
  app.on('before-quit', (event) => {
    if (shutdown.request()) event.preventDefault();
  });
  // Quitting is the main window's to ask for (above); the hidden GPU window alone keeps nothing open.
  app.on('window-all-closed', () => {});
}
