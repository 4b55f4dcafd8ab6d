import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../helpers/temp-dir';
import { runCli } from '../../helpers/cli-process';
import { makeImage, writeTree } from '../../helpers/image-folder';

/** The command line's dataset commands, and what it says to arguments it cannot use. */
describe('ae-studio command line: datasets and bad arguments', () => {
  const tempDir = useTempDirs();

  it('lists the presets adapted to a dataset, with parameter counts', async () => {
    const dataDir = tempDir();
    const { code, stdout } = await runCli(['presets', '--dataset', '1', '--json', '--data-dir', dataDir]);
    expect(code).toBe(0);
    const presets = JSON.parse(stdout) as { value: Array<{ id: string; summary: { totalParams: number } | null }> };
    expect(presets.value.find((p) => p.id === 'fashion-cae-2d')?.summary?.totalParams).toBe(306_699);
    expect(presets.value.every((p) => p.summary !== null)).toBe(true);
    const text = await runCli(['presets', '--dataset', '1', '--data-dir', dataDir]);
    expect(text.stdout).toMatch(/fashion-cae-2d\s+Fashion CAE, 2-D latent {2}306,699 params, code 2/);
  }, 60_000);

  it('imports a folder and prints counts and the skipped files with reasons', async () => {
    const folder = tempDir();
    writeTree(folder, {
      'happy/1.png': await makeImage('png', 20, 20, { left: 10 }),
      'happy/2.jpg': await makeImage('jpeg', 30, 20, { left: 90 }),
      'sad/1.webp': await makeImage('webp', 20, 20, { left: 200 }),
      'sad/notes.txt': 'not an image',
      'unknown/1.png': await makeImage('png', 20, 20, { left: 50 }),
    });
    const dataDir = tempDir();
    const args = ['import', folder, '--name', 'Moods', '--size', '32', '--channels', '1', '--exclude', 'unknown'];
    const { code, stdout } = await runCli([...args, '--test-split', '0', '--json', '--data-dir', dataDir]);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { value: Record<string, unknown> & { report: { skipped: unknown[] } } };
    expect(doc.value).toMatchObject({
      name: 'Moods',
      width: 32,
      channels: 1,
      classNames: ['happy', 'sad'],
      classCounts: { train: [2, 1], test: [0, 0] },
    });
    expect(doc.value.report.skipped).toEqual([
      { path: 'sad/notes.txt', reason: expect.stringMatching(/not an image/) },
    ]);
    const shown = await runCli(['dataset', String(doc.value.id), '--report', '--data-dir', dataDir]);
    expect(shown.stdout).toMatch(/Moods\s+32x32x1\s+3 train \/ 0 test[\s\S]*sad\/notes\.txt: not an image/);
  });

  it('downloads a standard set when no folder is given, and says so plainly when offline', async () => {
    // A mirror address where nothing listens stands in for a machine without a network.
    const { code, stdout } = await runCli(['import-builtin', 'mnist', '--json', '--data-dir', tempDir()], {
      AE_STUDIO_DOWNLOAD_MIRROR: 'http://127.0.0.1:1',
    });
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/Cannot reach 127\.0\.0\.1:1 .*You seem to be offline/) },
    });
  });

  it.each([
    [['import'], 2, /Say which folder to import/],
    [['import', '/nonexistent/folder'], 1, /does not exist/],
    [['import-builtin', 'cifar100'], 2, /Dataset must be one of "mnist", "fashion-mnist"/],
    [['import-builtin', 'mnist', '--from', '/nonexistent/mnist'], 1, /The folder \/nonexistent\/mnist does not exist/],
    [['train', '--epochs', 'many'], 2, /--epochs must be a number/],
    [['train', '--epochs', '0'], 2, /at least 1 epoch/],
    [['train', '--dataset', 'cats'], 1, /no dataset "cats"/],
    [['train', '--preset', 'giant'], 2, /no preset "giant"\. Presets: small-conv, small-dense/],
    [['train', '--noise', 'fog'], 2, /--noise must be one of gaussian, saltPepper/],
    [['train', '--latent', '0'], 2, /latent size must be at least 1/],
    [
      ['train', '--config', '/nonexistent/config.json'],
      1,
      /The config file \/nonexistent\/config\.json cannot be read \(there is no such file\)/,
    ],
    [['train', '--config', '/dev/zero'], 1, /The config file \/dev\/zero is not a regular file/],
    [['runs-csv', '--out', '/tmp'], 1, /^\/tmp is a folder; name a file in it \(e\.g\. \/tmp\/out\.csv\)\.$/m],
    [['runs-csv', '--out', '/nonexistent/runs.csv'], 1, /^The folder \/nonexistent does not exist; create it first/m],
    [['run'], 2, /Say which run to show/],
    [['run', '99'], 1, /no run with id 99/],
    [['frobnicate'], 2, /Unknown command "frobnicate"/],
    [['datasets', '--colour'], 2, /Unknown option '--colour'/],
    [['resume'], 2, /Say which run to resume/],
    // Every argument passes the API's schemas, as the app's do (these were once accepted, or failed late).
    [['project', '1', '--perplexity', '1'], 2, /perplexity must be at least 2/],
    [['project', '1', '--init', 'x'], 2, /Initialisation must be one of "pca", "random"\./],
    [['embed', '1', '--split', 'foo'], 2, /Split must be one of "train", "test", "all"\./],
    [['resume-sweep', '5'], 1, /no sweep with id 5/],
  ])('%j fails with exit code %i and says why', async (args, exitCode, message) => {
    const dataDir = tempDir();
    const { code, stdout } = await runCli([...args, '--json', '--data-dir', dataDir]);
    expect(code).toBe(exitCode);
    const doc = JSON.parse(stdout) as { ok: boolean; error: { message: string } };
    expect(doc.ok).toBe(false);
    expect(doc.error.message).toMatch(message);
  });
});
