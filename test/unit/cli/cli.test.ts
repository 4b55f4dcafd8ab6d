import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import Database from 'better-sqlite3';
import { isProcessAlive } from '../../../src-main/app/process-owner';
import { dataLayout } from '../../../src-main/app/paths';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../helpers/temp-dir';
import { cliBin, runCli, startCli, trainTinyRunCli, waitForStore } from '../../helpers/cli-process';
import { makeImage, writeTree } from '../../helpers/image-folder';
import { readCsvWithPython, torchPython } from '../../helpers/python-export';

describe('ae-studio command line', () => {
  const tempDir = useTempDirs();

  it('lists every command in its help, with its options', async () => {
    const { code, stdout } = await runCli(['help']);
    expect(code).toBe(0);
    for (const command of [
      'serve',
      'engine',
      'import-builtin <set>',
      'resume <run-id>',
      'resume-sweep <id>',
      'delete-run',
    ]) {
      expect(stdout).toMatch(new RegExp(`^  ${command.replace(/[<>]/g, '.')}\\s`, 'm'));
    }
    expect(stdout).toMatch(/--cpu trains it on the CPU/);
  });

  it('Ctrl+C in a terminal stops the run after the current batch, keeping the epoch so far, and says so', async () => {
    const dataDir = tempDir();
    const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
    const command = [process.execPath, cliBin, 'train', '--preset', 'small-conv', '--epochs', '1', '--batch', '16']
      .concat(['--data-dir', dataDir])
      .map(quote)
      .join(' ');
    // A real terminal: `script` runs the command in a pseudo-terminal, whose ^C signals the whole foreground process
    // group (the command and its training worker), as a person's Ctrl+C does. `exec` puts the command in place of the
    // shell `script` starts ($SHELL, often dash, which would itself die of the ^C and report 130 for the command).
    const terminal = spawn('script', ['-qfec', `exec ${command}`, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, AE_STUDIO_ENGINE: 'native' },
    });
    let screen = '';
    terminal.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => terminal.on('exit', (code) => resolve(code)));
    await waitForStore(dataDir, (db) =>
      (db.prepare(`SELECT count(*) AS n FROM metrics WHERE scope = 'batch'`).get() as { n: number }).n >= 3
        ? true
        : undefined,
    );
    terminal.stdin.write('\x03');
    expect(await exited).toBe(1);
    expect(screen).toMatch(/Stopping after the current batch/);
    const db = new Database(dataLayout(dataDir).database, { readonly: true });
    try {
      const run = db.prepare('SELECT status FROM runs WHERE id = 1').get() as { status: string };
      // The command's last word and the store agree.
      expect(run.status).toBe('stopped');
      expect(screen).toMatch(/#1 .*stopped/);
      const kept = db.prepare('SELECT epoch, batches_done AS done FROM checkpoints WHERE run_id = 1').get() as {
        epoch: number;
        done: number;
      };
      expect(kept.epoch).toBe(1);
      expect(kept.done).toBeGreaterThanOrEqual(3);
    } finally {
      db.close();
    }
  }, 240_000);

  it('ends on SIGTERM as the desktop app quits: the run stops with a checkpoint inside its epoch, resumable', async () => {
    const dataDir = tempDir();
    const { child, done } = startCli(
      ['train', '--preset', 'small-conv', '--epochs', '1', '--batch', '16', '--data-dir', dataDir],
      { AE_STUDIO_ENGINE: 'native' },
    );
    // A few batches into epoch 1 (500 batches long), SIGTERM to the command alone, as a service manager sends it.
    await waitForStore(dataDir, (db) =>
      (db.prepare(`SELECT count(*) AS n FROM metrics WHERE scope = 'batch'`).get() as { n: number }).n >= 3
        ? true
        : undefined,
    );
    process.kill(child.pid!, 'SIGTERM');
    const ended = await done;
    expect(ended.code).toBe(143);
    const db = new Database(dataLayout(dataDir).database, { readonly: true });
    try {
      expect(db.prepare('SELECT status, error FROM runs WHERE id = 1').get()).toEqual({
        status: 'interrupted',
        error: 'The app closed while this run was training. Resume it to continue from its last checkpoint.',
      });
      const kept = db.prepare('SELECT epoch, batches_done AS done FROM checkpoints WHERE run_id = 1').all() as Array<{
        epoch: number;
        done: number | null;
      }>;
      expect(kept).toHaveLength(1);
      expect(kept[0].epoch).toBe(1);
      expect(kept[0].done).toBeGreaterThanOrEqual(3);
    } finally {
      db.close();
    }
    // And it goes on from there.
    const resumed = await runCli(['resume', '1', '--data-dir', dataDir], { AE_STUDIO_ENGINE: 'native' });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/completed/);
  }, 240_000);

  it('refuses, in words and changing nothing, a data folder that is not a usable store', async () => {
    // An empty --data-dir (a script's unset variable) does not quietly open the default folder.
    const empty = await runCli(['datasets', '--data-dir', '']);
    expect(empty).toMatchObject({ code: 2, stderr: 'Error: --data-dir needs a folder; it was given none.\n' });

    // A studio.db of 0 bytes (a copy that did not finish) is not adopted as a new, empty store.
    const zero = tempDir();
    writeFileSync(join(zero, 'studio.db'), '');
    const adopted = await runCli(['datasets', '--data-dir', zero]);
    expect(adopted.code).toBe(1);
    expect(adopted.stderr).toMatch(
      /studio\.db is an empty file, most likely a copy that did not finish\. Nothing was changed/,
    );
    expect(readFileSync(join(zero, 'studio.db')).length).toBe(0);

    // Another program's SQLite database named studio.db: our tables are not written into it.
    const foreign = tempDir();
    const other = new Database(join(foreign, 'studio.db'));
    other.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('mine')");
    other.close();
    const taken = await runCli(['datasets', '--data-dir', foreign]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(
      /studio\.db is another program's database \(tables notes\), not an Autoencoder Studio store/,
    );
    const after = new Database(join(foreign, 'studio.db'), { readonly: true });
    expect(after.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all()).toEqual(['notes']);
    after.close();

    // A damaged store says so, with what to do, rather than "Something went wrong" and a stack.
    const damaged = tempDir();
    expect((await trainTinyRunCli(damaged)).code).toBe(0);
    const store = new Database(join(damaged, 'studio.db'));
    store.pragma('wal_checkpoint(TRUNCATE)');
    store.close();
    const bytes = readFileSync(join(damaged, 'studio.db'));
    // Every page but the first (the header and the schema) overwritten, as a failing disk might.
    bytes.fill(0x5a, 4096);
    writeFileSync(join(damaged, 'studio.db'), bytes);
    const broken = await runCli(['runs', '--data-dir', damaged]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(
      /^Error: The experiment store in .* is damaged \(SQLite says: [^)]+\)\. Nothing was changed\./,
    );
    expect(broken.stderr).not.toMatch(/Something went wrong| {4}at /);
  }, 120_000);

  it('shows control characters in names as text, never sending them to the terminal', async () => {
    const dataDir = tempDir();
    expect((await trainTinyRunCli(dataDir)).code).toBe(0);
    // A name as a crafted export could carry it: retitle the terminal, then print in red.
    const hostile = '\u001b]0;pwned\u0007\u001b[31mred';
    expect((await runCli(['label', '1', '--name', hostile, '--data-dir', dataDir])).code).toBe(0);
    const listed = await runCli(['runs', '--data-dir', dataDir]);
    expect(listed.stdout).toContain('\\x1b]0;pwned\\x07\\x1b[31mred');
    expect(listed.stdout.includes('\u001b') || listed.stdout.includes('\u0007')).toBe(false);
    // JSON keeps the name exactly, escaped as JSON does.
    const json = JSON.parse((await runCli(['run', '1', '--json', '--data-dir', dataDir])).stdout) as {
      value: { run: { name: string } };
    };
    expect(json.value.run.name).toBe(hostile);
  });

  it('keeps the checkpoints --keep-last/--keep-every say, shows disk use, and frees space', async () => {
    const dataDir = tempDir();
    const trained = await runCli([
      'train',
      '--preset',
      'small-dense',
      '--epochs',
      '4',
      '--keep-last',
      '1',
      '--keep-every',
      '2',
      '--look-back',
      'no',
      '--data-dir',
      dataDir,
    ]);
    expect(trained.code).toBe(0);
    const disk = JSON.parse((await runCli(['disk', '--json', '--data-dir', dataDir])).stdout) as {
      value: Array<{ runId: number; bytes: number; checkpoints: number[] }>;
    };
    // The last (4), every 2nd (2, 4) and the best, which on a falling curve is the last.
    expect(disk.value).toEqual([
      { runId: 1, bytes: expect.any(Number), checkpoints: [2, 4], keeps: 'the last, every 2nd and the best' },
    ]);
    const freed = await runCli(['free-space', '1', '--data-dir', dataDir]);
    expect(freed.stdout).toMatch(
      /^Run 1: removed the checkpoints of epochs 2, freeing \d+\.\d MB; kept 4 \(\d+\.\d MB left\)\.$/m,
    );
    expect((await runCli(['disk', '--data-dir', dataDir])).stdout).toMatch(/#1\s+\d+\.\d MB\s+checkpoints: 4\nTotal: /);
  });

  it('lists datasets as one JSON document', async () => {
    const dataDir = tempDir();
    const { code, stdout } = await runCli(['datasets', '--json', '--data-dir', dataDir]);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { ok: boolean; value: Array<{ name: string; trainCount: number }> };
    expect(doc.ok).toBe(true);
    expect(doc.value).toEqual([
      expect.objectContaining({ name: 'Fashion-MNIST sample', trainCount: 8000, testCount: 2000 }),
    ]);
  });

  it('trains a run end to end, with progress on stderr and the result on stdout', async () => {
    const dataDir = tempDir();
    const { code, stdout, stderr } = await runCli([
      'train',
      '--preset',
      'small-dense',
      '--epochs',
      '1',
      '--batch',
      '256',
      '--latent',
      '8',
      '--noise',
      'gaussian:0.2',
      '--json',
      '--data-dir',
      dataDir,
    ]);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as {
      value: { id: number; status: string; epochsDone: number; finalTestLoss: number };
    };
    expect(doc.value).toMatchObject({ status: 'completed', epochsDone: 1 });
    expect(doc.value.finalTestLoss).toBeGreaterThan(0);
    expect(stderr).toMatch(/epoch 1\/1 batch \d+\/32/);
    const runs = JSON.parse((await runCli(['runs', '--json', '--data-dir', dataDir])).stdout) as { value: unknown[] };
    expect(runs.value).toHaveLength(1);

    // "run <id>" shows the stored config and the per-epoch losses; its JSON can start the next run (--config).
    const shown = await runCli(['run', String(doc.value.id), '--json', '--data-dir', dataDir]);
    const run = JSON.parse(shown.stdout) as { value: { config: Record<string, unknown>; epochMetrics: unknown[] } };
    expect(run.value.config).toMatchObject({
      preset: 'small-dense',
      batchSize: 256,
      corruption: { type: 'gaussian', level: 0.2 },
      model: { latent: 8 },
    });
    expect(run.value.epochMetrics).toHaveLength(1);
    const text = await runCli(['run', String(doc.value.id), '--data-dir', dataDir]);
    expect(text.stdout).toMatch(
      /small-dense: standard, latent 8, mse, adam 0\.001, batch 256, seed 1, noise gaussian 0\.2/,
    );
    expect(text.stdout).toMatch(/epoch {3}1 {2}train 0\.\d{5} {2}test 0\.\d{5}/);

    // The JSON as printed, and as an editor that adds a byte-order mark saves it, starts the next run.
    const saved = join(dataDir, 'run.json');
    for (const content of [shown.stdout, `\uFEFF${shown.stdout}`]) {
      writeFileSync(saved, content);
      const again = await runCli(['train', '--config', saved, '--epochs', '1', '--json', '--data-dir', dataDir]);
      expect(again.stderr).not.toMatch(/does not hold a training config|not valid JSON/);
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, value: { status: 'completed' } });
    }
  }, 180_000);

  it('trains with the optimizer and momentum asked for, and refuses momentum for Adam in words', async () => {
    const dataDir = tempDir();
    const trained = await runCli(
      [
        'train',
        '--preset',
        'small-dense',
        '--epochs',
        '1',
        '--batch',
        '256',
        '--optimizer',
        'rmsprop',
        '--lr',
        '0.001',
      ].concat(['--momentum', '0.5', '--json', '--data-dir', dataDir]),
    );
    expect(trained.code).toBe(0);
    const shown = await runCli(['run', '1', '--json', '--data-dir', dataDir]);
    const detail = JSON.parse(shown.stdout) as {
      value: { config: { optimizer: string; momentum: number }; epochMetrics: Array<{ testLoss: number }> };
    };
    expect(detail.value.config).toMatchObject({ optimizer: 'rmsprop', momentum: 0.5 });
    // It learned something: the mean image alone scores about 0.09 on these images.
    expect(detail.value.epochMetrics[0].testLoss).toBeLessThan(0.08);

    const refused = await runCli(['train', '--preset', 'small-dense', '--momentum', '0.9', '--data-dir', dataDir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--momentum is for --optimizer sgd or rmsprop/);
    const unknown = await runCli(['train', '--preset', 'small-dense', '--optimizer', 'adagrad', '--data-dir', dataDir]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/adam.*rmsprop.*sgd/);
  }, 180_000);

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
