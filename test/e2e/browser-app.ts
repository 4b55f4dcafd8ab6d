import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { openServices, type Services } from '../../src-main/host/services';
import { createApiHandlers } from '../../src-main/host/handlers';
import { startBrowserServer, type BrowserServer } from '../../src-main/server/browser-server';
import { rendererBuildDir } from '../../src-main/app/paths';
import { spawnNodeWorker } from '../../src-main/worker/node-worker';

export const screenshotDir = join(process.cwd(), 'test-results', 'screenshots');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The real app in browser mode (real store, real training process) driven by Debian's Chromium. */
export interface BrowserApp {
  services: Services;
  server: BrowserServer;
  browser: Browser;
  page: Page;
  /** Console errors and uncaught exceptions seen in the page. */
  pageErrors: string[];
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** `dataDir`: a data folder to open (removed on close, like the fresh one made otherwise). */
export async function launchBrowserApp(options: { dataDir?: string } = {}): Promise<BrowserApp> {
  if (!existsSync(join(rendererBuildDir(), 'index.html'))) {
    throw new Error('The renderer is not built: run "npm run build" (npm test does it first).');
  }
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium not found at ${chromiumPath}: install Debian's chromium package or set CHROMIUM_PATH.`);
  }
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'ae-studio-e2e-'));
  const services = openServices({ dataDir, spawnWorker: spawnNodeWorker });
  const handlers = createApiHandlers(services, { name: 'Autoencoder Studio', version: 'e2e', transport: 'browser' });
  const server = await startBrowserServer({ handlers, rendererDir: rendererBuildDir() });
  // Playwright gives every launch a fresh, throw-away profile.
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  // One context, so a second tab (page.context().newPage()) shares this one's storage, as a real browser's tabs do.
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 820 } })).newPage();
  const pageErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('response', (response) => {
    if (response.status() >= 400) pageErrors.push(`${response.status()} ${response.url()}`);
  });
  mkdirSync(screenshotDir, { recursive: true });
  return {
    services,
    server,
    browser,
    page,
    pageErrors,
    screenshot: async (name) => {
      await page.screenshot({ path: join(screenshotDir, `${name}.png`) });
    },
    close: async () => {
      await browser.close();
      await server.close();
      await services.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
