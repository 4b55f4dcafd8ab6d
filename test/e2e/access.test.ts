import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowserApp, type BrowserApp } from './browser-app';

describe('browser mode and its launch token', () => {
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

  it('connects once the launch link is pasted into that tab, without a reload by hand', async () => {
    const { page } = app;
    // Only the fragment changes, as when a user pastes the link over the refused page's address.
    await page.evaluate(`location.hash = ${JSON.stringify(new URL(app.server.url).hash)}`);
    await page.getByText('Fashion-MNIST sample').first().waitFor({ timeout: 15_000 });
    expect(page.url()).not.toContain('token');
  });

  it('reconnects a tab opened from history or a bookmark, whose address has no token', async () => {
    const tab = await app.page.context().newPage();
    try {
      await tab.goto(app.server.url.replace(/#.*/, ''));
      await tab.getByText('Fashion-MNIST sample').first().waitFor({ timeout: 15_000 });
      expect(await tab.getByRole('heading', { name: 'Cannot connect to Autoencoder Studio' }).count()).toBe(0);
    } finally {
      await tab.close();
    }
  });
});
