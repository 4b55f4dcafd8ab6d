import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowserApp, type BrowserApp } from './browser-app';

describe('browser mode without the launch token', () => {
  let app: BrowserApp;

  beforeAll(async () => {
    app = await launchBrowserApp();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('shows no data and says the connection failed', async () => {
    const { page } = app;
    await page.goto(app.server.url.replace(/#token=.*/, '#token=guessed'));
    await page.getByRole('heading', { name: 'Cannot connect to Autoencoder Studio' }).waitFor({ timeout: 15_000 });
    expect(await page.getByRole('alert').textContent()).toMatch(/link that was printed when browser mode started/);
    expect(await page.getByText('Fashion-MNIST sample').count()).toBe(0);
    await app.screenshot('06-no-token');
  });
});
