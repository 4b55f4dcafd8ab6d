import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowserApp, type BrowserApp } from './browser-app';

/**
 * Setting up a model on the Train screen: presets from the notebooks with their summaries, editing layers with the
 * summary following live, a broken config explained before training, and pause / resume / stop of a run.
 */
describe('model editor and run controls', () => {
  let app: BrowserApp;

  beforeAll(async () => {
    app = await launchBrowserApp();
    await app.page.goto(app.server.url);
    await app.page.getByRole('button', { name: 'Train', exact: true }).click();
  });

  afterAll(async () => {
    await app?.close();
  });

  it("rebuilds a notebook's model from its preset, with the notebook's parameter count", async () => {
    const { page } = app;
    await page.getByLabel('Preset').selectOption({ label: 'Fashion CAE, 2-D latent' });
    const summary = page.getByRole('table', { name: 'Model summary' });
    await expect.poll(async () => summary.textContent()).toContain('306,699 parameters');
    expect(await summary.textContent()).toContain('(None, 26, 26, 112)');
    expect(await page.getByRole('combobox', { name: /^Loss/ }).inputValue()).toBe('bce');
    await app.screenshot('10-train-preset-summary');
    // A large window shows the layers and the summary side by side.
    await page.setViewportSize({ width: 1920, height: 1080 });
    await app.screenshot('10-train-preset-summary-large');
    await page.setViewportSize({ width: 1280, height: 820 });
  });

  it('follows edits live and explains a config that cannot work before training', async () => {
    const { page } = app;
    await page.getByLabel('Preset').selectOption({ label: 'Small dense AE' });
    const summary = page.getByRole('table', { name: 'Model summary' });
    await expect.poll(async () => summary.textContent()).toContain('(None, 16)');
    await page.getByLabel('Latent size').fill('5');
    await expect.poll(async () => summary.textContent()).toContain('(None, 5)');

    // A 9x9 valid conv on 28x28 pixels, then another that no longer fits.
    const encoder = page.getByRole('group', { name: 'Encoder layers' });
    await encoder.getByLabel('Encoder layer 1 type').selectOption('conv');
    await encoder.getByLabel('kernel').first().fill('15');
    await encoder.getByLabel('padding').first().selectOption('valid');
    await encoder.getByLabel('Encoder layer 2 type').selectOption('conv');
    await encoder.getByLabel('kernel').nth(1).fill('15');
    await encoder.getByLabel('padding').nth(1).selectOption('valid');
    const problem = page.getByRole('alert');
    await expect
      .poll(async () => problem.textContent())
      .toMatch(/Encoder layer 2 \(conv\): its 15x15 kernel is larger than its 14x14 input/);
    expect(await page.getByRole('button', { name: 'Start training' }).isDisabled()).toBe(true);
    await app.screenshot('11-train-invalid');

    await page.getByRole('button', { name: 'Remove Encoder layer 2' }).click();
    await expect.poll(async () => page.getByRole('alert').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Start training' }).isDisabled()).toBe(false);
  });

  it('writes a problem in words next to the setting it is about, and marks that setting', async () => {
    const { page } = app;
    await page.getByLabel('Preset').selectOption({ label: 'Small dense AE' });
    const start = page.getByRole('button', { name: 'Start training' });
    const batch = page.getByRole('spinbutton', { name: /^Batch size/ });
    await batch.fill('1.5');
    await expect.poll(() => batch.getAttribute('aria-invalid')).toBe('true');
    const field = page.locator('label', { has: batch });
    expect(await field.getByRole('alert').textContent()).toBe('Batch size must be a whole number.');
    // Said once, where the field is; not again below the form.
    expect(await page.getByRole('alert').count()).toBe(1);
    expect(await start.isDisabled()).toBe(true);
    await page.setViewportSize({ width: 1024, height: 700 });
    await app.screenshot('17-train-field-problem-small');
    await page.setViewportSize({ width: 1280, height: 820 });
    await batch.fill('32');
    await expect.poll(() => batch.getAttribute('aria-invalid')).toBe('false');
    expect(await page.getByRole('alert').count()).toBe(0);

    // A layer's setting: the layer's row and its field are marked, and the message says which layer.
    const encoder = page.getByRole('group', { name: 'Encoder layers' });
    const units = encoder.getByRole('spinbutton', { name: 'units' }).first();
    await units.fill('0');
    await expect.poll(() => units.getAttribute('aria-invalid')).toBe('true');
    expect(await encoder.locator('.row.invalid').count()).toBe(1);
    expect(await page.getByRole('alert').textContent()).toBe(
      'Encoder layer 1: the number of units must be at least 1.',
    );
    await app.screenshot('17-train-layer-problem');
    await units.fill('128');
    await expect.poll(() => page.getByRole('alert').count()).toBe(0);
    expect(await encoder.locator('.row.invalid').count()).toBe(0);
  });

  it("edits a batch-norm layer's momentum and says its statistics are measured again each epoch", async () => {
    const { page } = app;
    await page.getByLabel('Preset').selectOption({ label: 'Photo CAE: stride-2 conv + BN stack' });
    const encoder = page.getByRole('group', { name: 'Encoder layers' });
    const momentum = encoder.getByLabel('Encoder layer 2 momentum');
    expect(await momentum.getAttribute('placeholder')).toBe('0.99');
    expect(await encoder.getByText('statistics re-measured each epoch').first().isVisible()).toBe(true);
    await momentum.fill('1.5');
    await momentum.press('Tab');
    await expect
      .poll(async () => page.getByRole('alert').textContent())
      .toMatch(/^Encoder layer 2: the batch-norm momentum must be between 0 and 0\.999\.$/);
    expect(await page.getByRole('button', { name: 'Start training' }).isDisabled()).toBe(true);
    await momentum.fill('0.9');
    await momentum.press('Tab');
    await expect.poll(async () => page.getByRole('alert').count()).toBe(0);
    await encoder.scrollIntoViewIfNeeded();
    await app.screenshot('13-train-batch-norm');
  });

  it('says which checkpoints a run keeps, bounded however long it trains', async () => {
    const { page } = app;
    const policy = page.getByTestId('checkpoint-policy');
    const epochs = page.getByLabel('Epochs', { exact: true });
    const before = await epochs.inputValue();
    await epochs.fill('437');
    // The default keeps a look-back set spaced by doubling, not every 10th epoch for ever.
    await expect
      .poll(() => policy.innerText())
      .toBe(
        "Kept on disk: the last 3, epochs 1, 2, 4, 8, … and the best, at most 13 checkpoints over 437 epochs. Every epoch's gallery is kept.",
      );
    await page.getByRole('group', { name: 'Checkpoints kept on disk' }).scrollIntoViewIfNeeded();
    await app.screenshot('18-checkpoint-policy');
    await page.getByRole('checkbox', { name: 'Keep look-back checkpoints' }).uncheck();
    await page.getByLabel('Keep every N-th checkpoint').fill('100');
    await page.getByLabel('Keep every N-th checkpoint').press('Tab');
    await expect
      .poll(() => policy.innerText())
      .toMatch(/^Kept on disk: the last 3, every 100th and the best, at most 8 checkpoints over 437 epochs\./);
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.getByRole('group', { name: 'Checkpoints kept on disk' }).scrollIntoViewIfNeeded();
    await app.screenshot('18-checkpoint-policy-small');
    await page.setViewportSize({ width: 1280, height: 820 });
    // Back as the other tests expect the form.
    await page.getByRole('checkbox', { name: 'Keep look-back checkpoints' }).check();
    await page.getByLabel('Keep every N-th checkpoint').fill('0');
    await page.getByLabel('Keep every N-th checkpoint').press('Tab');
    await epochs.fill(before);
  });

  it('trains with a cosine schedule, a warm-up and weight decay, and draws the rate under the loss', async () => {
    const { page } = app;
    await page.getByLabel('Preset').selectOption({ label: 'Small dense AE' });
    const epochs = page.getByRole('spinbutton', { name: /^Epochs/ });
    const before = await epochs.inputValue();
    await epochs.fill('3');
    const schedule = page.getByRole('group', { name: 'Learning-rate schedule' });
    await schedule.getByLabel('Schedule').selectOption('cosine');
    await schedule.getByRole('spinbutton', { name: 'Warm-up epochs' }).fill('1');
    const decay = schedule.getByRole('spinbutton', { name: 'Weight decay (AdamW)' });
    await decay.fill('0.01');
    await decay.press('Tab');
    await schedule.scrollIntoViewIfNeeded();
    await app.screenshot('19-train-schedule');
    // Step decay asks for its own numbers; the form shows its defaults.
    await schedule.getByLabel('Schedule').selectOption('step');
    expect(await schedule.getByRole('spinbutton', { name: 'Decay every (epochs)' }).inputValue()).toBe('1');
    expect(await schedule.getByRole('spinbutton', { name: 'Decay factor' }).inputValue()).toBe('0.1');
    await schedule.getByLabel('Schedule').selectOption('cosine');

    await page.getByRole('button', { name: 'Start training' }).click();
    const monitor = page.getByTestId('run-monitor');
    await expect.poll(async () => monitor.locator('.badge').textContent(), { timeout: 120_000 }).toBe('completed');
    const rate = monitor.getByLabel('Learning rate per epoch');
    await rate.waitFor();
    await rate.scrollIntoViewIfNeeded();
    await app.screenshot('19-train-rate-chart');
    // The rates it trained at: half the rate in the warm-up epoch, the full rate, then half on the cosine's way down.
    const runId = Number((await monitor.getByRole('heading', { level: 2 }).textContent())!.match(/^#(\d+)/)![1]);
    const { learningRate: lr } = JSON.parse(
      (app.services.db.prepare('SELECT config FROM runs WHERE id = ?').get(runId) as { config: string }).config,
    ) as { learningRate: number };
    const rates = app.services.db
      .prepare("SELECT learning_rate AS rate FROM metrics WHERE run_id = ? AND scope = 'epoch' ORDER BY step")
      .all(runId) as Array<{ rate: number }>;
    expect(rates.map((r) => r.rate)).toEqual([lr / 2, lr, lr / 2]);
    await epochs.fill(before);
    await schedule.getByLabel('Schedule').selectOption('constant');
    await decay.fill('0');
    await decay.press('Tab');
  }, 180_000);

  it("previews augmentation on the dataset's own images before training", async () => {
    const { page } = app;
    await page.getByLabel('Preset').selectOption({ label: 'Small dense AE' });
    await page.getByRole('checkbox', { name: /^Augment the training images/ }).check();
    const preview = page.getByRole('figure', { name: 'Augmentation preview' });
    await expect.poll(() => preview.getByRole('img', { name: /^Augmented \d+$/ }).count(), { timeout: 20_000 }).toBe(8);
    expect(await preview.getByRole('img', { name: /^Original \d+$/ }).count()).toBe(8);
    const group = page.getByRole('group', { name: 'Augmentation' });
    expect(await group.getByRole('spinbutton', { name: /^Rotate/ }).inputValue()).toBe('10');
    await preview.scrollIntoViewIfNeeded();
    await app.screenshot('19-train-augmentation');
    // A strength it cannot use is said in words.
    await group.getByRole('spinbutton', { name: /^Shift/ }).fill('0.9');
    await group.getByRole('spinbutton', { name: /^Shift/ }).press('Tab');
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('Shift by at most half the image');
    await page.getByRole('checkbox', { name: /^Augment the training images/ }).uncheck();
    await expect.poll(() => page.getByRole('alert').count()).toBe(0);
  });

  it('pauses with Space, resumes, and stops a run', async () => {
    const { page } = app;
    // Seed 001's CAE: its first epoch lasts about a minute here, so every step below lands inside it even on a loaded
    // machine (the small dense AE trained an epoch in seconds, and under CI load the pause once fell in epoch 2).
    await page.getByLabel('Preset').selectOption({ label: 'Fashion CAE, 2-D latent' });
    await page.getByRole('spinbutton', { name: /^Batch size/ }).fill('64');
    await page.getByRole('spinbutton', { name: /^Epochs/ }).fill('3');
    await page.getByRole('button', { name: 'Start training' }).click();
    const monitor = page.getByTestId('run-monitor');
    await monitor.getByText(/Epoch 1 of 3, batch \d+ of 125/).waitFor({ timeout: 60_000 });
    const first = Number((await monitor.getByRole('heading', { level: 2 }).textContent())!.match(/^#(\d+)/)![1]);

    // A second run waits in the queue and does not take the training run's place on screen.
    await page.getByRole('button', { name: 'Add to queue' }).click();
    const queuedNote = page.getByText(/^Run #(\d+) is in the queue; it starts when run #(\d+) ends\.$/);
    await queuedNote.waitFor();
    const second = Number((await queuedNote.textContent())!.match(/^Run #(\d+)/)![1]);
    expect(await monitor.getByRole('heading', { level: 2 }).textContent()).toMatch(new RegExp(`^#${first} `));
    await app.screenshot('12-train-second-run-queued');
    // Taken off the queue again, then back to the run that trains.
    await page
      .getByLabel('Queue')
      .getByRole('button', { name: `#${second}` })
      .click();
    await monitor.getByRole('button', { name: 'Stop…' }).click();
    await monitor.getByRole('button', { name: 'Stop and keep' }).click();
    await expect.poll(async () => monitor.locator('.badge').textContent(), { timeout: 20_000 }).toBe('stopped');
    await page
      .getByLabel('Training now')
      .getByRole('button', { name: `#${first}` })
      .click();
    expect(await monitor.getByRole('heading', { level: 2 }).textContent()).toMatch(new RegExp(`^#${first} `));

    await page.keyboard.press('Space');
    await expect.poll(async () => monitor.locator('.badge').textContent(), { timeout: 20_000 }).toBe('paused');
    await monitor.getByText(/Paused in epoch 1 of 3/).waitFor();
    const batchWhenPaused = await monitor.getByTestId('progress').textContent();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await monitor.getByTestId('progress').textContent()).toBe(batchWhenPaused);
    await app.screenshot('12-train-paused');

    // A window opened now (here: reloaded) shows where the paused run really is, and keeps the Train form's draft.
    await page.getByRole('spinbutton', { name: /^Epochs/ }).fill('7');
    const percent = await monitor.getByTestId('progress').locator('.line .mono').textContent();
    expect(percent).not.toBe('0%');
    const pausedAt = (await monitor.getByText(/Paused in epoch 1 of 3, before batch \d+/).textContent())!;
    await page.reload();
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await expect.poll(() => monitor.getByText(pausedAt).count(), { timeout: 20_000 }).toBe(1);
    expect(await monitor.getByRole('heading', { level: 2 }).textContent()).toMatch(new RegExp(`^#${first} `));
    expect(await monitor.getByTestId('progress').locator('.line .mono').textContent()).toBe(percent);
    expect(await page.getByRole('spinbutton', { name: /^Epochs/ }).inputValue()).toBe('7');
    await app.screenshot('12-train-paused-reopened');

    await monitor.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(async () => monitor.locator('.badge').textContent(), { timeout: 20_000 }).toBe('running');
    await monitor.getByRole('button', { name: 'Stop…' }).click();
    // Before confirming, it says what Stop keeps.
    await expect
      .poll(async () =>
        monitor
          .getByText(
            /Stop training\? It stops after the batch in progress, and everything trained in epoch 1 up to then/,
          )
          .count(),
      )
      .toBe(1);
    await app.screenshot('14-train-stop-confirm');
    await monitor.getByRole('button', { name: 'Stop and keep' }).click();
    // Saving a checkpoint inside the epoch re-measures the batch-norm statistics: on a loaded 2-core machine that takes
    // longer than the 15 s a worker has to hear a stop. It says it heard it, so it is left to finish, not killed.
    await expect.poll(async () => monitor.locator('.badge').textContent(), { timeout: 180_000 }).toBe('stopped');
    // Nothing trained was thrown away: the progress says how far the kept checkpoint reaches, Resume carries on from
    // the next batch, and Results opens it.
    await expect
      .poll(async () => monitor.getByTestId('progress').textContent())
      .toMatch(/0 of 3 epochs trained, and \d+ of 125 batches of epoch 1 \(kept in a checkpoint\)/);
    expect(await monitor.getByRole('button', { name: /^Resume from epoch 1, batch \d+$/ }).count()).toBe(1);
    await app.screenshot('15-train-stopped-inside-epoch');
    await page.getByRole('button', { name: 'Results' }).click();
    await expect
      .poll(async () => page.getByText(/inside the epoch: after batch \d+ of 125/).count(), { timeout: 30_000 })
      .toBe(1);
    await expect.poll(async () => page.getByText('Reconstructing…').count(), { timeout: 30_000 }).toBe(0);
    await app.screenshot('16-results-inside-epoch');
    expect(app.pageErrors).toEqual([]);
  }, 420_000);
});
