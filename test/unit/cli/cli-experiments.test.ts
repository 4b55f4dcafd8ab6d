import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import Database from 'better-sqlite3';
import { isProcessAlive } from '../../../src-main/app/process-owner';
import { dataLayout } from '../../../src-main/app/paths';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../helpers/temp-dir';
import { cliBin, runCli, trainTinyRunCli } from '../../helpers/cli-process';
import { readCsvWithPython, torchPython } from '../../helpers/python-export';

/** The command line's latent maps and experiments: mapping, search, generation, sweeps, export and import. */
describe('ae-studio command line: maps and experiments', () => {
  const tempDir = useTempDirs();

  it('maps part of a split, as notebooks do: N random images or N per class, and the CSV lists just those', async () => {
    const dataDir = tempDir();
    expect((await trainTinyRunCli(dataDir)).code).toBe(0);
    const perClass = await runCli([
      'project',
      '1',
      '--method',
      'pca',
      '--sample',
      '30',
      '--per-class',
      '--json',
      '--data-dir',
      dataDir,
    ]);
    expect(perClass.code).toBe(0);
    const map = JSON.parse(perClass.stdout) as { value: { id: number; count: number; sample: object } };
    expect(map.value).toMatchObject({ count: 300, sample: { count: 30, perClass: true, seed: 1 } });
    const out = join(dataDir, 'sample.csv');
    const args = ['export-csv', '1', '--projection', String(map.value.id), '--out', out, '--data-dir', dataDir];
    expect((await runCli(args)).code).toBe(0);
    const rows = readCsvWithPython(out);
    expect(rows).toHaveLength(300);
    const perLabel = new Map<string, number>();
    for (const row of rows) perLabel.set(row.label_name, (perLabel.get(row.label_name) ?? 0) + 1);
    expect([...perLabel.values()]).toEqual(new Array(10).fill(30));

    const random = await runCli(['project', '1', '--method', 'pca', '--sample', '500', '--data-dir', dataDir]);
    expect(random.stdout).toMatch(/^Map #2: 500 random test images \(500\) at epoch 1, PCA/m);
    const refused = await runCli(['project', '1', '--per-class', '--data-dir', dataDir]);
    expect(refused.stderr).toMatch(/--per-class goes with --sample N/);
  }, 180_000);

  it("maps a run's codes, exports CSV, searches, reconstructs and generates, and explains bad requests", async () => {
    const dataDir = tempDir();
    const trained = await trainTinyRunCli(dataDir);
    expect(trained.code).toBe(0);
    const projected = await runCli(['project', '1', '--method', 'pca', '--json', '--data-dir', dataDir]);
    expect(projected.code).toBe(0);
    const map = JSON.parse(projected.stdout) as { value: { id: number; count: number; split: string } };
    expect(map.value).toMatchObject({ count: 2000, split: 'test' });
    const out = join(dataDir, 'map for tableau.csv');
    const exported = await runCli(['export-csv', '1', '--latent', '--out', out, '--data-dir', dataDir]);
    expect(exported.stdout).toContain('Wrote 2000 rows');
    const lines = readFileSync(out, 'utf8').split('\r\n');
    expect(lines[0]).toMatch(/^file_name,label,label_name,split,x1,x2,z0,.*,z15$/);
    expect(lines[1]).toMatch(/^t10k-\d{5}\.png,\d,[^,]+,test,-?[\d.e-]+,-?[\d.e-]+,/);
    const searched = await runCli(['search', '1', '--index', '0', '--k', '3', '--metric', 'l1', '--data-dir', dataDir]);
    expect(searched.code).toBe(0);
    expect(searched.stdout).toMatch(/Nearest to t10k-\d{5}\.png \(l1, [\d.]+ ms\):\n {2}1\. t10k-\d{5}\.png {2}[\d.]+/);

    // Results: the worst reconstructions with their errors and a PNG; new images decoded from random codes; and a
    // search from an image file (one of those new images).
    const reconPng = join(dataDir, 'worst.png');
    const recon = await runCli([
      'reconstruct',
      '1',
      '--n',
      '4',
      '--order',
      'worst',
      '--out',
      reconPng,
      '--json',
      '--data-dir',
      dataDir,
    ]);
    expect(recon.code).toBe(0);
    const gallery = (
      JSON.parse(recon.stdout) as { value: { items: Array<{ mse: number }>; meanMse: number; png: string } }
    ).value;
    const errors = gallery.items.map((item) => item.mse);
    expect(errors).toEqual([...errors].sort((a, b) => b - a));
    expect(gallery.meanMse).toBeCloseTo(errors.reduce((a, e) => a + e, 0) / 4, 6);
    expect(gallery.png).toBe(reconPng);
    // 4 images of 28 px enlarged 3x with 4 px gaps, originals above reconstructions.
    expect(await sharp(reconPng).metadata()).toMatchObject({ format: 'png', width: 4 + 4 * 88, height: 4 + 2 * 88 });
    const newPng = join(dataDir, 'new images.png');
    const generated = await runCli(['generate', '1', '--n', '4', '--out', newPng, '--json', '--data-dir', dataDir]);
    const codes = (JSON.parse(generated.stdout) as { value: { codes: number[][] } }).value.codes;
    expect(codes.map((code) => code.length)).toEqual([16, 16, 16, 16]);
    expect(await sharp(newPng).metadata()).toMatchObject({ width: 4 + 2 * 88, height: 4 + 2 * 88 });
    const byFile = await runCli(['search', '1', '--image', newPng, '--k', '2', '--data-dir', dataDir]);
    expect(byFile.stdout).toMatch(/Nearest to .*new images\.png \(l2, [\d.]+ ms\):\n {2}1\. t10k-\d{5}\.png/);

    const noOut = await runCli(['export-csv', '1', '--data-dir', dataDir]);
    expect(noOut).toMatchObject({ code: 2, stderr: 'Error: Say where to write it: --out <file.csv>\n' });
    const badMethod = await runCli(['project', '1', '--method', 'isomap', '--data-dir', dataDir]);
    expect(badMethod).toMatchObject({ code: 2, stderr: 'Error: --method must be tsne, umap or pca, not "isomap".\n' });
    const noRun = await runCli(['embed', '7', '--data-dir', dataDir]);
    expect(noRun).toMatchObject({ code: 1, stderr: 'Error: There is no run with id 7.\n' });
    const badIndex = await runCli(['search', '1', '--index', '5000', '--data-dir', dataDir]);
    expect(badIndex.stderr).toMatch(/cover 2000 images; index 5000 is past the end \(use 0 to 1999\)/);
    const notAnImage = await runCli(['reconstruct', '1', '--image', out, '--data-dir', dataDir]);
    expect(notAnImage.stderr).toMatch(/map for tableau\.csv" cannot be used: not an image/);
  }, 180_000);

  it('runs a sweep that survives being killed, compares its runs, and exports and imports one', async () => {
    const dataDir = tempDir();
    const args = ['sweep', '--preset', 'small-dense', '--epochs', '1', '--batch', '512', '--vary', 'latent=2,4,8'];
    // Killed (no chance to clean up) once the second run is under way.
    const child = spawn(process.execPath, [cliBin, ...args, '--data-dir', dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`The sweep did not reach its second run: ${stderr}`)), 90_000);
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('Run 2: latent=4')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    // Its training process notices and ends too.
    const db = new Database(dataLayout(dataDir).database, { readonly: true });
    await expect
      .poll(
        () => {
          const pids = db.prepare('SELECT worker_pid AS pid FROM runs WHERE worker_pid IS NOT NULL').all() as Array<{
            pid: number;
          }>;
          return pids.filter(({ pid }) => isProcessAlive(pid)).length;
        },
        { timeout: 15_000 },
      )
      .toBe(0);
    db.close();

    const resumed = await runCli(['resume-sweep', '1', '--json', '--data-dir', dataDir]);
    expect(resumed.code).toBe(0);
    const sweep = (JSON.parse(resumed.stdout) as { value: { status: string; runs: Array<{ status: string }> } }).value;
    expect(sweep.status).toBe('completed');
    expect(sweep.runs.map((r) => r.status)).toEqual(['completed', 'completed', 'completed']);

    const compared = await runCli(['compare', '1', '2', '3', '--data-dir', dataDir]);
    expect(compared.stdout).toMatch(/Settings that differ:\n {2}Latent size: 2 \| 4 \| 8/);
    const exportDir = tempDir();
    const exported = await runCli(['export-run', '3', '--out', exportDir, '--json', '--data-dir', dataDir]);
    const path = (JSON.parse(exported.stdout) as { value: { path: string } }).value.path;
    const otherStore = tempDir();
    const imported = await runCli(['import-run', path, '--data-dir', otherStore]);
    expect(imported.stdout).toMatch(/^Imported as run 1: #1 {2}completed {3}1\/1 epochs {2}Sweep 1: latent=8/);
    const twice = await runCli(['import-run', path, '--data-dir', otherStore]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/This run is already here: run 1, .+ To do that: ae-studio import-run .+ --again\n$/);

    // For PyTorch: the evaluation worker measures the bundled images, and the code it writes runs in real PyTorch.
    const forTorch = await runCli([
      'export-run',
      '3',
      '--out',
      exportDir,
      '--format',
      'pytorch',
      '--data-dir',
      dataDir,
    ]);
    expect(forTorch.stdout).toMatch(/^Wrote run 3 to .+-pytorch \(6 files\)\n$/);
    const torchDir = /to (.+-pytorch) /.exec(forTorch.stdout)![1];
    const example = execFileSync(torchPython, ['example.py'], { cwd: torchDir, encoding: 'utf8' });
    expect(example).toMatch(/^Reconstructed 16 test images with PyTorch/);
    const badFormat = await runCli(['export-run', '3', '--out', exportDir, '--format', 'onnx', '--data-dir', dataDir]);
    expect(badFormat).toMatchObject({ code: 2, stderr: 'Error: --format is studio or pytorch, not "onnx".\n' });

    const badVary = await runCli(['sweep', '--vary', 'latent:2,4', '--data-dir', dataDir]);
    expect(badVary).toMatchObject({
      code: 2,
      stderr: 'Error: --vary takes param=v1,v2,… (e.g. latent=2,6,16), not "latent:2,4".\n',
    });
    const oneValue = await runCli(['sweep', '--vary', 'latent=2', '--data-dir', dataDir]);
    expect(oneValue.stderr).toMatch(/at least 2 values/);
    const notExport = await runCli(['import-run', dataDir, '--data-dir', otherStore]);
    expect(notExport.stderr).toMatch(/is not an exported run: it has no run\.json/);
  }, 240_000);
});
