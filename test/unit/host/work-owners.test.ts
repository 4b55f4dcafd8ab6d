import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useTempDirs } from '../../helpers/temp-dir';
import { runCli, signalGroup, startCli, waitForStore } from '../../helpers/cli-process';
import { isProcessAlive } from '../../../src-main/app/process-owner';
import { removeStaleTemporaries } from '../../../src-main/app/files';

/**
 * Unfinished work (an import, a queued run) belongs to the process doing it. Every process start cleans up after
 * processes that are gone, and must leave a live one's work alone. Real processes: the CLI in its own process group,
 * paused with SIGSTOP (alive, but going nowhere) or killed with SIGKILL (gone) at a precise point.
 */
describe('work in progress and the processes that own it', () => {
  const tempDir = useTempDirs();

  const importingRow = (dataDir: string) =>
    waitForStore(
      dataDir,
      (db) =>
        (
          db.prepare(`SELECT id FROM datasets WHERE status = 'importing' AND name = 'Fashion-MNIST'`).get() as
            { id: number } | undefined
        )?.id,
    );

  it('a killed process that its parent has not reaped yet (a zombie) counts as gone, and so does its temporary', async () => {
    // `sleep 5` never waits for its child: once `sleep 0` ends it stays a zombie, still answering signal 0.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = Number(
        await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(String(d)))),
      );
      await expect.poll(() => readFileSync(`/proc/${zombie}/stat`, 'utf8').split(') ')[1]?.[0]).toBe('Z');
      expect(() => process.kill(zombie, 0)).not.toThrow();
      expect(isProcessAlive(zombie)).toBe(false);
      expect(isProcessAlive(parent.pid!)).toBe(true);
      // A checkpoint folder the zombie was writing goes at the next start; a live process's stays.
      const dir = join(tempDir(), 'runs', '1', 'checkpoints');
      mkdirSync(join(dir, `epoch-0001.partial-${zombie}-0123abcd`), { recursive: true });
      writeFileSync(join(dir, `epoch-0002.partial-${parent.pid}-0123abcd`), '');
      removeStaleTemporaries(join(dir, '..', '..', '..'), 3);
      expect(readdirSync(dir)).toEqual([`epoch-0002.partial-${parent.pid}-0123abcd`]);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('an import in progress survives another process starting on the same store', async () => {
    const dataDir = tempDir();
    const { child, done } = startCli(['import-builtin', 'fashion-mnist', '--data-dir', dataDir]);
    const id = await importingRow(dataDir);
    signalGroup(child, 'SIGSTOP');
    try {
      // Every start runs the clean-up; each of these used to delete the import under its owner's feet.
      for (const args of [['datasets'], ['runs']]) {
        expect(await runCli([...args, '--data-dir', dataDir])).toMatchObject({ code: 0, stderr: '' });
      }
      expect(
        await waitForStore(dataDir, (db) => db.prepare('SELECT status FROM datasets WHERE id = ?').get(id)),
      ).toEqual({ status: 'importing' });
    } finally {
      signalGroup(child, 'SIGCONT');
    }
    const result = await done;
    expect(result.stderr).not.toMatch(/ENOENT|Error:/);
    expect(result.code).toBe(0);
    const listed = JSON.parse((await runCli(['datasets', '--json', '--data-dir', dataDir])).stdout) as {
      value: Array<{ name: string; trainCount: number; testCount: number }>;
    };
    expect(listed.value).toContainEqual(expect.objectContaining({ trainCount: 60_000, testCount: 10_000 }));
  });

  it('an import that was killed is removed, rows and files, by the next start', async () => {
    const dataDir = tempDir();
    const { child, done } = startCli(['import-builtin', 'fashion-mnist', '--data-dir', dataDir]);
    const id = await importingRow(dataDir);
    signalGroup(child, 'SIGKILL');
    await done;
    expect(existsSync(join(dataDir, 'datasets', String(id)))).toBe(true);
    expect((await runCli(['datasets', '--data-dir', dataDir])).code).toBe(0);
    expect(
      await waitForStore(dataDir, (db) => db.prepare('SELECT count(*) AS n FROM datasets WHERE id = ?').get(id)),
    ).toEqual({ n: 0 });
    expect(readdirSync(join(dataDir, 'datasets'))).not.toContain(String(id));
  });

  it('a run whose process is gone before its worker started is not stuck queued: resume trains it', async () => {
    const dataDir = tempDir();
    const train = ['train', '--preset', 'small-dense', '--epochs', '1', '--data-dir', dataDir];
    const { child, done } = startCli(train);
    const runId = await waitForStore(
      dataDir,
      (db) => (db.prepare(`SELECT id FROM runs WHERE status = 'queued'`).get() as { id: number } | undefined)?.id,
    );
    signalGroup(child, 'SIGSTOP');
    // While its owner lives (paused), the run is the owner's: another process does not take it.
    const refused = await runCli(['resume', String(runId), '--data-dir', dataDir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/already queued in another Autoencoder Studio window or command \(process \d+\)/);

    signalGroup(child, 'SIGKILL');
    await done;
    expect(await waitForStore(dataDir, (db) => db.prepare('SELECT status FROM runs WHERE id = ?').get(runId))).toEqual({
      status: 'queued',
    });
    const resumed = await runCli(['resume', String(runId), '--data-dir', dataDir]);
    expect(resumed.stderr).not.toMatch(/Error/);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/completed\s+1\/1 epochs/);
  });

  it('a killed export leaves nothing in the chosen folder once any command starts', async () => {
    const dataDir = tempDir();
    const out = tempDir();
    const trained = await runCli(['train', '--preset', 'small-dense', '--epochs', '6', '--data-dir', dataDir]);
    expect(trained.code).toBe(0);
    const { child, done } = startCli(['export-run', '1', '--out', out, '--data-dir', dataDir]);
    // Catch the export while it is being assembled under its temporary name.
    const deadline = Date.now() + 30_000;
    while (!readdirSync(out).some((name) => name.includes('.partial-')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    signalGroup(child, 'SIGKILL');
    await done;
    const left = readdirSync(out);
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^run-1-.*\.partial-\d+-[0-9a-f]{8}$/);

    expect((await runCli(['runs', '--data-dir', dataDir])).code).toBe(0);
    expect(readdirSync(out)).toEqual([]);
    // And the next export works as usual.
    expect((await runCli(['export-run', '1', '--out', out, '--data-dir', dataDir])).code).toBe(0);
    expect(readdirSync(out)).toEqual([expect.stringMatching(/^run-1-[\w.-]+$/)]);
  });
});
