import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli-process';
import { readCsvWithPython } from '../../helpers/python-export';
import { useTempDirs } from '../../helpers/temp-dir';
import type { CodeProbe, RunDetail } from '../../../src-main/api/contract';

/**
 * The analysis features from the command line: learning-rate schedules and weight decay (train, sweep, the run's
 * rates, the CSV), and image quality beside the loss (reconstruct, compare, the runs CSV).
 */
describe('ae-studio command line: schedules, weight decay and image quality', () => {
  const tempDir = useTempDirs();

  it('sweeps over schedules with warm-up and weight decay, and stores the rate of every epoch', async () => {
    const dataDir = tempDir();
    const base = ['--preset', 'small-dense', '--epochs', '3', '--batch', '512', '--data-dir', dataDir];
    const sweep = await runCli([
      'sweep',
      ...base,
      '--vary',
      'lr_schedule=constant,cosine',
      '--warmup-epochs',
      '1',
      '--weight-decay',
      '0.01',
    ]);
    expect(sweep.code, sweep.stderr).toBe(0);
    expect(sweep.stdout).toMatch(/#1 {2}lr_schedule=constant +completed/);
    expect(sweep.stdout).toMatch(/#2 {2}lr_schedule=cosine +completed/);

    const shown = await runCli(['run', '2', '--json', '--data-dir', dataDir]);
    const detail = (JSON.parse(shown.stdout) as { value: RunDetail }).value;
    expect(detail.config).toMatchObject({ lrSchedule: { type: 'cosine', warmupEpochs: 1 }, weightDecay: 0.01 });
    // Warm-up to the full rate, then cosine over the two epochs after it: lr/2, lr, lr/2.
    const lr = detail.config.learningRate;
    expect(detail.epochMetrics.map((m) => m.learningRate)).toEqual([lr / 2, lr, lr / 2]);
    const text = await runCli(['run', '1', '--data-dir', dataDir]);
    expect(text.stdout).toMatch(/schedule constant, 1 warm-up epoch, weight decay 0\.01/);
    expect(text.stdout).toMatch(/epoch {3}1 .* lr 0\.000500\n {2}epoch {3}2 .* lr 0\.00100/);

    const csvFile = `${tempDir()}/epochs.csv`;
    const csv = await runCli(['runs-csv', '--per', 'epoch', '--out', csvFile, '--data-dir', dataDir]);
    expect(csv.code, csv.stderr).toBe(0);
    const rows = readCsvWithPython(csvFile);
    expect(rows.filter((r) => r.run_id === '2').map((r) => Number(r.learning_rate))).toEqual([lr / 2, lr, lr / 2]);
    expect(rows[0]['config.lrSchedule.type']).toBeDefined();

    // Image quality: measured when each run finished, in the runs CSV and the comparison; per image in reconstruct.
    const perRun = `${tempDir()}/runs.csv`;
    await runCli(['runs-csv', '--out', perRun, '--data-dir', dataDir]);
    for (const row of readCsvWithPython(perRun)) {
      expect(Number(row.final_test_psnr)).toBeGreaterThan(10);
      expect(Number(row.final_test_ssim)).toBeGreaterThan(0);
    }
    const compared = await runCli(['compare', '1', '2', '--data-dir', dataDir]);
    expect(compared.stdout).toMatch(/final test loss [\d.]+, best [\d.]+, PSNR [\d.]+ dB, SSIM 0\.\d{4}, 3\/3 epochs/);
    const shownRec = await runCli(['reconstruct', '2', '--n', '4', '--json', '--data-dir', dataDir]);
    const rec = (
      JSON.parse(shownRec.stdout) as { value: { items: Array<{ mse: number; psnr: number; ssim: number }> } }
    ).value;
    expect(rec.items).toHaveLength(4);
    for (const item of rec.items) {
      expect(item.psnr).toBeCloseTo(10 * Math.log10(1 / item.mse), 4);
      expect(item.ssim).toBeGreaterThan(0);
    }
    // The codes' scores: one checkpoint, then every kept one as a curve; kept for Compare and the runs CSV.
    const probed = await runCli(['probe', '2', '--json', '--data-dir', dataDir]);
    expect(probed.code, probed.stderr).toBe(0);
    const probe = (JSON.parse(probed.stdout) as { value: CodeProbe }).value;
    expect(probe).toMatchObject({ runId: 2, epoch: 3, neighbours: 5, dims: 16 });
    expect(probe.knnAccuracy).toBeGreaterThan(probe.chance + 0.2);
    expect(probe.linearAccuracy).toBeGreaterThan(probe.chance + 0.2);
    const curve = await runCli(['probe', '2', '--all-epochs', '--data-dir', dataDir]);
    expect(curve.stdout).toMatch(
      /across its checkpoints:\n {2}epoch 1: k-NN [\d.]+%, linear probe [\d.]+% \(chance 10\.0%\)\n/,
    );
    const afterProbe = `${tempDir()}/runs.csv`;
    await runCli(['runs-csv', '--out', afterProbe, '--data-dir', dataDir]);
    const probedRow = readCsvWithPython(afterProbe).find((row) => row.run_id === '2')!;
    expect(Number(probedRow.probe_epoch)).toBe(3);
    expect(Number(probedRow.knn_accuracy)).toBeCloseTo(probe.knnAccuracy, 6);
    const withCodes = await runCli(['compare', '1', '2', '--data-dir', dataDir]);
    expect(withCodes.stdout).toMatch(/codes at epoch 3: k-NN [\d.]+%, linear probe [\d.]+% \(chance 10\.0%\)/);
    const both = await runCli(['probe', '2', '--epoch', '1', '--all-epochs', '--data-dir', dataDir]);
    expect(both).toMatchObject({ code: 2, stderr: 'Error: Give --epoch or --all-epochs, not both.\n' });

    const recText = await runCli(['reconstruct', '2', '--n', '2', '--data-dir', dataDir]);
    expect(recText.stdout).toMatch(/mean squared error [\d.]+, PSNR [\d.]+ dB, SSIM [\d.]+ over 2 images\n {2}MSE/);
  }, 180_000);

  it('trains with augmented images: same seed, same run; the loss falls; what it cannot use it refuses', async () => {
    const dataDir = tempDir();
    const args = ['train', '--preset', 'small-conv', '--epochs', '2', '--batch', '256', '--data-dir', dataDir];
    const augment = ['--augment', 'flip,crop=0.1,rotate=10,jitter=0.2'];
    for (const name of ['a', 'b']) {
      const trained = await runCli([...args, ...augment, '--name', name]);
      expect(trained.code, trained.stderr).toBe(0);
    }
    const plain = await runCli([...args, '--name', 'plain']);
    expect(plain.code, plain.stderr).toBe(0);
    const detail = async (id: number) =>
      (JSON.parse((await runCli(['run', String(id), '--json', '--data-dir', dataDir])).stdout) as { value: RunDetail })
        .value;
    const [a, b, c] = [await detail(1), await detail(2), await detail(3)];
    expect(a.config.augment).toEqual({ flip: true, crop: 0.1, rotate: 10, jitter: 0.2 });
    const losses = (d: RunDetail) => d.epochMetrics.map((m) => [m.trainLoss, m.testLoss]);
    // The same seed augments the same way: the two augmented runs are the same numbers; the plain run is not.
    expect(losses(a)).toEqual(losses(b));
    expect(losses(a)).not.toEqual(losses(c));
    expect(a.epochMetrics[1].testLoss!).toBeLessThan(a.epochMetrics[0].testLoss!);
    const bad = await runCli([...args, '--augment', 'flip,zoom=2']);
    expect(bad.stderr).toMatch(/--augment takes flip, crop=<fraction>, rotate=<degrees> and jitter=<amount>.*"zoom=2"/);
    const far = await runCli([...args, '--augment', 'crop=0.7']);
    expect(far.stderr).toBe('Error: Shift by at most half the image (0.5).\n');
  }, 240_000);

  it('trains an anomaly detector on some classes and prints its AUC for the others', async () => {
    const dataDir = tempDir();
    const base = ['--preset', 'small-dense', '--epochs', '2', '--batch', '128', '--data-dir', dataDir];
    const trained = await runCli(['train', ...base, '--train-classes', 'Sandal,Sneaker,9']);
    expect(trained.code, trained.stderr).toBe(0);
    const shown = await runCli(['anomaly', '1', '--json', '--data-dir', dataDir]);
    expect(shown.code, shown.stderr).toBe(0);
    const result = (JSON.parse(shown.stdout) as { value: { auc: number; normal: number[]; anomalous: number } }).value;
    expect(result.normal).toEqual([5, 7, 9]);
    expect(result.auc).toBeGreaterThan(0.7);
    expect(result.anomalous).toBe(1400);
    const text = await runCli(['anomaly', '1', '--normal', 'Trouser', '--data-dir', dataDir]);
    expect(text.stdout).toMatch(
      /^Run 1, epoch 2: AUC 0\.\d{4} for telling 1800 test images of other classes from 200 of the normal ones \(Trouser\)/,
    );
    const unknown = await runCli(['train', ...base, '--train-classes', 'Boots']);
    expect(unknown.stderr).toMatch(
      /^Error: --train-classes: there is no class "Boots"\. Classes: 0 T-shirt\/top, 1 Trouser/,
    );
    const all = await runCli(['train', ...base]);
    expect(all.code).toBe(0);
    const noNormal = await runCli(['anomaly', '2', '--data-dir', dataDir]);
    expect(noNormal.stderr).toMatch(/Say which classes are normal: this run trained on every class/);
  }, 180_000);

  it('says what is wrong with a schedule or decay it cannot use', async () => {
    const dataDir = tempDir();
    const base = ['--preset', 'small-dense', '--epochs', '2', '--data-dir', dataDir];
    const kind = await runCli(['train', ...base, '--lr-schedule', 'linear']);
    expect(kind).toMatchObject({
      code: 2,
      stderr: 'Error: --lr-schedule must be one of constant, step, cosine, plateau, not "linear".\n',
    });
    const vary = await runCli(['sweep', ...base, '--vary', 'lr_schedule=cosine,linear']);
    expect(vary.stderr).toBe('Error: --vary lr_schedule: "linear" is not one of constant, step, cosine, plateau.\n');
    const sgd = await runCli(['train', ...base, '--optimizer', 'sgd', '--weight-decay', '0.1']);
    expect(sgd.stderr).toMatch(/decoupled, as in AdamW: choose the Adam optimizer/);
    const warmup = await runCli(['train', ...base, '--lr-schedule', 'cosine', '--warmup-epochs', '2']);
    expect(warmup.stderr).toMatch(/warm-up of 2 epochs leaves none of the 2 epochs/);
    const factor = await runCli(['train', ...base, '--lr-schedule', 'step', '--lr-factor', '2']);
    expect(factor.stderr).toBe('Error: The decay factor must be below 1 (it multiplies the rate).\n');
  }, 120_000);
});
