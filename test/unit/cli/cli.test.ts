import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { dataLayout } from '../../../src-main/app/paths';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../helpers/temp-dir';
import { cliBin, runCli, startCli, trainTinyRunCli, waitForStore } from '../../helpers/cli-process';

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
});
