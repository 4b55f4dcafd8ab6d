import { readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { dataLayout } from '../../../src-main/app/paths';
import { runCli, trainTinyRunCli } from '../../helpers/cli-process';
import { useTempDirs } from '../../helpers/temp-dir';

/**
 * Damaged files on disk (a copy cut short, a disk fault, a file changed by hand) are named as such, with what to do,
 * never as the engine's own words ("Based on the provided shape…", "Image 7999 is not in the pixel cache").
 */
describe('damaged files', () => {
  const tempDir = useTempDirs();

  async function trained(): Promise<{ dataDir: string; checkpoint: string }> {
    const dataDir = tempDir();
    expect((await trainTinyRunCli(dataDir)).code).toBe(0);
    const checkpoints = join(dataLayout(dataDir).runDir(1), 'checkpoints');
    return { dataDir, checkpoint: join(checkpoints, readdirSync(checkpoints)[0]) };
  }

  it('a checkpoint cut short, or whose weights were changed, is named as damaged', async () => {
    const { dataDir, checkpoint } = await trained();
    const weights = join(checkpoint, 'weights.bin');
    const whole = readFileSync(weights);
    truncateSync(weights, 1000);
    const short = await runCli(['reconstruct', '1', '--n', '2', '--data-dir', dataDir]);
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(
      /The checkpoint in .*epoch-0001 is damaged: weights\.bin holds 1,000 bytes where its model needs [\d,]+\. Resume from an earlier checkpoint/,
    );

    // The first weight's shape changed by hand, and the file cut to match: the sizes agree, the model does not.
    const modelFile = join(checkpoint, 'model.json');
    const model = JSON.parse(readFileSync(modelFile, 'utf8')) as {
      weightsManifest: Array<{ weights: Array<{ shape: number[] }> }>;
    };
    const [first] = model.weightsManifest[0].weights;
    const removed = first.shape.slice(1).reduce((a, b) => a * b, 1) * 4;
    first.shape = [first.shape[0] - 1, ...first.shape.slice(1)];
    writeFileSync(modelFile, JSON.stringify(model));
    writeFileSync(weights, whole.subarray(0, whole.length - removed));
    const changed = await runCli(['reconstruct', '1', '--n', '2', '--data-dir', dataDir]);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(/A checkpoint is damaged or was changed: its weights do not fit its model \(.+\)\./);
  }, 120_000);

  it("a dataset whose pixel file was cut short stops training with the dataset's name for it", async () => {
    const { dataDir } = await trained();
    const db = new Database(dataLayout(dataDir).database, { readonly: true });
    const { pixelFile } = db.prepare('SELECT pixel_file AS pixelFile FROM datasets WHERE id = 1').get() as {
      pixelFile: string;
    };
    db.close();
    truncateSync(join(dataDir, pixelFile), 784 * 5000);
    const run = await runCli(['train', '--preset', 'small-dense', '--epochs', '1', '--data-dir', dataDir]);
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toMatch(
      /This dataset's images are damaged: its pixel file .* holds 5,000 images, and image [\d,]+ was needed\. Import the dataset again\./,
    );
  }, 120_000);
});
