import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { dataLayout } from '../../../src-main/app/paths';
import { cliBin, runCli, trainTinyRunCli } from '../../helpers/cli-process';
import { useTempDirs } from '../../helpers/temp-dir';

/**
 * Every moment of importing, deleting or thinning a run is either nothing or the whole thing. The window that used to
 * break a run was one system call wide: import-run killed at the rename that put its files in place, after its rows
 * were committed. strace kills the command exactly there.
 */
describe('a run is whole or absent, whenever its command is killed', () => {
  const tempDir = useTempDirs();

  /** Runs `ae-studio ARGS` under strace, SIGKILLed at its first rename (of any kind). */
  function killedAtRename(args: string[]): Promise<string | null> {
    const traced = spawn('strace', [
      '-f',
      '-qq',
      '-o',
      '/dev/null',
      '-e',
      'trace=rename,renameat,renameat2',
      '-e',
      'inject=rename,renameat,renameat2:signal=KILL',
      process.execPath,
      cliBin,
      ...args,
    ]);
    return new Promise((resolve) => traced.on('exit', (_code, signal) => resolve(signal ?? String(_code))));
  }

  it('import-run killed at its rename leaves nothing, and the run imports again', async () => {
    const source = tempDir();
    expect((await trainTinyRunCli(source)).code).toBe(0);
    const exportDir = tempDir();
    expect((await runCli(['export-run', '1', '--out', exportDir, '--data-dir', source])).code).toBe(0);
    const exported = join(exportDir, readdirSync(exportDir)[0]);

    const dataDir = tempDir();
    // A first start creates the store and its sample dataset (which writes files by renaming them into place).
    expect((await runCli(['runs', '--data-dir', dataDir])).code).toBe(0);
    await killedAtRename(['import-run', exported, '--data-dir', dataDir]);

    const listed = await runCli(['runs', '--json', '--data-dir', dataDir]);
    expect(JSON.parse(listed.stdout)).toEqual({ ok: true, value: [] });
    expect(readdirSync(join(dataDir, 'runs'))).toEqual([]);
    // Not refused as "already here": nothing of it was kept.
    const again = await runCli(['import-run', exported, '--json', '--data-dir', dataDir]);
    expect(again.code).toBe(0);
    const run = (JSON.parse(again.stdout) as { value: { id: number; status: string } }).value;
    expect(run.status).toBe('completed');
    const db = new Database(dataLayout(dataDir).database, { readonly: true });
    try {
      for (const { path } of db.prepare('SELECT path FROM checkpoints').all() as Array<{ path: string }>) {
        expect(existsSync(join(dataDir, path, 'weights.bin')), path).toBe(true);
      }
    } finally {
      db.close();
    }
  }, 180_000);

  it('the next start removes run folders with no run, and checkpoints no row names in finished runs', async () => {
    const dataDir = tempDir();
    expect((await trainTinyRunCli(dataDir)).code).toBe(0);
    const runDir = dataLayout(dataDir).runDir(1);
    // What a kill leaves: an import whose rows never committed, or a deleted run's folder; a freed checkpoint.
    mkdirSync(join(dataDir, 'runs', '7', 'checkpoints', 'epoch-0001'), { recursive: true });
    writeFileSync(join(dataDir, 'runs', '7', 'checkpoints', 'epoch-0001', 'weights.bin'), Buffer.alloc(1000));
    mkdirSync(join(runDir, 'checkpoints', 'epoch-0009'));
    const kept = readdirSync(join(runDir, 'checkpoints'));
    expect(kept).toContain('epoch-0009');

    expect((await runCli(['runs', '--data-dir', dataDir])).code).toBe(0);
    expect(readdirSync(join(dataDir, 'runs'))).toEqual(['1']);
    expect(readdirSync(join(runDir, 'checkpoints'))).toEqual(kept.filter((name) => name !== 'epoch-0009'));

    // A run that may be training in another process keeps everything.
    const db = new Database(dataLayout(dataDir).database);
    try {
      db.prepare(`UPDATE runs SET status = 'queued' WHERE id = 1`).run();
    } finally {
      db.close();
    }
    mkdirSync(join(runDir, 'checkpoints', 'epoch-0009'));
    expect((await runCli(['datasets', '--data-dir', dataDir])).code).toBe(0);
    expect(readdirSync(join(runDir, 'checkpoints'))).toContain('epoch-0009');
  }, 180_000);
});
