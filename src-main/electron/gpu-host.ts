import { app, BrowserWindow, MessageChannelMain, type MessagePortMain } from 'electron';
import { fileURLToPath } from 'node:url';
import { allowNavigation } from './security-policy';
import { chromiumWebgpuSwitches, gpuHostConnectMessage, gpuHostPage } from './gpu-host-policy';

/** Sets the Chromium switches the GPU window needs (gpu-host-policy.ts). Must run before the app is ready. */
export function enableChromiumWebgpu(): void {
  for (const [name, value] of chromiumWebgpuSwitches(process.platform, process.env)) {
    app.commandLine.appendSwitch(name, value);
  }
}

/**
 * The hidden GPU window (see gpu-host-policy.ts): created on first use, sandboxed, no Node, context isolation on,
 * showing only our own page. Each `connect` makes a new MessageChannelMain: one end goes to the training process, the
 * other into the window, where it becomes a dedicated worker of its own. If the window's process crashes, every port
 * into it closes, so the training process interrupts its run (resumable); the next connect makes a new window.
 */
export class GpuHostWindow {
  private window: BrowserWindow | undefined;
  private ready: Promise<void> | undefined;
  private readonly page: string;

  /** `rendererHome`: where the main window's page comes from (window.ts: rendererUrl). */
  constructor(rendererHome: string) {
    this.page = gpuHostPage(rendererHome);
  }

  /** A port to a new GPU worker, for a worker process to take with its 'train' or 'probe' message. */
  connect(): MessagePortMain {
    const { port1, port2 } = new MessageChannelMain();
    const window = this.open();
    // Messages wait in the channel until the worker starts its end, so the port may be used at once.
    void this.ready!.then(() => {
      if (!window.isDestroyed()) window.webContents.postMessage(gpuHostConnectMessage, null, [port2]);
    });
    return port1;
  }

  close(): void {
    if (this.window && !this.window.isDestroyed()) this.window.destroy();
    this.window = undefined;
  }

  private open(): BrowserWindow {
    if (this.window && !this.window.isDestroyed()) return this.window;
    const window = new BrowserWindow({
      show: false,
      title: 'Autoencoder Studio GPU',
      webPreferences: {
        preload: fileURLToPath(new URL('../preload/gpu-host.cjs', import.meta.url)),
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
        // A hidden window is throttled by default; training must not be.
        backgroundThrottling: false,
        spellcheck: false,
      },
    });
    const guard = (details: { url: string; preventDefault(): void }) => {
      if (!allowNavigation(details.url, this.page)) details.preventDefault();
    };
    window.webContents.on('will-navigate', guard);
    window.webContents.on('will-redirect', guard);
    window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
    window.webContents.on('render-process-gone', (_event, details) => {
      console.warn(`The GPU window's process ended (${details.reason}); the next training run opens a new one.`);
      if (this.window === window) this.window = undefined;
      window.destroy();
    });
    this.ready = window.loadURL(this.page);
    this.window = window;
    return window;
  }
}
