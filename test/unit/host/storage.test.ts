import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../helpers/temp-dir';
import { cliBin, runCli } from '../../helpers/cli-process';
import { appRoot } from '../../../src-main/app/paths';

const root = appRoot();

/**
 * A full disk, for real: a 40 MB tmpfs mounted in a private mount namespace (unshare, so no root is needed and
 * nothing outside the test sees it), the data folder on it, and the CLI run step by step inside. Each step's output
 * is written outside the tmpfs for the assertions below.
 */
function onSmallDisk(logDir: string, steps: Record<string, string>): Record<string, { rc: number; out: string }> {
  const disk = join(logDir, 'disk');
  mkdirSync(disk);
  return inMountNamespace(logDir, disk, [`mount -t tmpfs -o size=40m tmpfs "${disk}"`], steps);
}

/** Runs shell steps ($AE: the CLI on DISK/data) in a private mount namespace set up by `mounts`. */
function inMountNamespace(
  logDir: string,
  disk: string,
  mounts: string[],
  steps: Record<string, string>,
): Record<string, { rc: number; out: string }> {
  const node = `"${process.execPath}" "${cliBin}" --data-dir "${disk}/data"`;
  const lines = ['set -u', ...mounts];
  for (const [name, command] of Object.entries(steps)) {
    const script = command.replaceAll('$AE', node).replaceAll('$DISK', disk);
    lines.push(`( ${script} ) > "${logDir}/${name}.out" 2>&1; echo $? > "${logDir}/${name}.rc"`);
  }
  writeFileSync(join(logDir, 'steps.sh'), lines.join('\n'));
  execFileSync('unshare', ['-rm', 'sh', join(logDir, 'steps.sh')], { timeout: 240_000 });
  return Object.fromEntries(
    Object.keys(steps).map((name) => [
      name,
      {
        rc: Number(readFileSync(join(logDir, `${name}.rc`), 'utf8')),
        out: readFileSync(join(logDir, `${name}.out`), 'utf8'),
      },
    ]),
  );
}

const sqlitePath = createRequire(import.meta.url).resolve('better-sqlite3');

describe('the data folder on troubled storage', () => {
  const tempDir = useTempDirs();

  it('a full disk is named as such, loses nothing, and everything works again once space is freed', () => {
    const fill = (leaveKb: number) =>
      `dd if=/dev/zero of="$DISK/filler" bs=1k count=$(( $(df -k --output=avail "$DISK" | tail -1) - ${leaveKb} )) 2>/dev/null`;
    const steps = onSmallDisk(tempDir(), {
      // The store and its sample (about 8 MB).
      start: '$AE datasets',
      // 55 MB of pixels cannot fit in the 32 MB left: refused before anything is written.
      tooBig: '$AE import-builtin fashion-mnist',
      // Training whose checkpoints run out of room part-way: the run stops, resumable.
      fillForTraining: fill(1500),
      train: '$AE train --preset small-dense --epochs 3',
      // Not a byte left: the store cannot even open, and says why (it used to say "disk I/O error").
      fillAll: 'dd if=/dev/zero of="$DISK/filler2" bs=1k 2>/dev/null; true',
      atZero: '$AE datasets',
      free: 'rm "$DISK/filler" "$DISK/filler2"',
      afterwards: '$AE datasets',
      resumed: '$AE resume 1',
      runs: '$AE runs',
      integrity: `"${process.execPath}" -e "const db = new (require('${sqlitePath}'))('$DISK/data/studio.db', { readonly: true }); console.log(db.pragma('integrity_check', { simple: true }), db.pragma('foreign_key_check').length)"`,
    });
    expect(steps.start.rc).toBe(0);
    expect(steps.tooBig.rc).toBe(1);
    expect(steps.tooBig.out).toMatch(
      /\nError: Importing 70,000 images needs about 6\d\.\d MB of space, but the disk that holds .* has only 3\d\.\d MB free\. Free some space and try again; nothing was changed\.\n$/,
    );

    expect(steps.train.rc).toBe(1);
    expect(steps.train.out).toMatch(
      /Training stopped: the disk that holds .* is full \([^)]*free\)\. Nothing stored before was lost\./,
    );
    expect(steps.train.out).toMatch(/resume it once there is space/);
    expect(steps.train.out).not.toMatch(/ENOSPC|at .*\.js:\d+/);

    expect(steps.atZero.rc).toBe(1);
    expect(steps.atZero.out).toMatch(/The experiment store cannot be opened: the disk that holds .* is full/);
    expect(steps.atZero.out).not.toMatch(/not a usable Autoencoder Studio store|disk I\/O error/);

    expect(steps.afterwards).toEqual({
      rc: 0,
      out: expect.stringMatching(/Fashion-MNIST sample .* 8000 train \/ 2000 test/),
    });
    expect(steps.resumed.rc).toBe(0);
    expect(steps.runs.out).toMatch(/#1\s+completed\s+3\/3 epochs/);
    expect(steps.integrity).toEqual({ rc: 0, out: 'ok 0\n' });
  });

  it('an export to a full disk is refused in words, naming the folder, and leaves nothing there', () => {
    const logDir = tempDir();
    const steps = onSmallDisk(logDir, {
      // The exports go to a disk of their own, of 1 MB, which fills up; the store's disk has room.
      train: '$AE train --preset small-dense --epochs 1 && mkdir "$DISK/exports"',
      fill: 'mount -t tmpfs -o size=1m tmpfs "$DISK/exports" && dd if=/dev/zero of="$DISK/exports/.filler" bs=64k 2>/dev/null; true',
      whole: '$AE export-run 1 --out "$DISK/exports"',
      pytorch: '$AE export-run 1 --out "$DISK/exports" --format pytorch',
      left: 'ls -A "$DISK/exports"',
      free: 'rm "$DISK/exports/.filler"',
    });
    expect(steps.train.rc).toBe(0);
    for (const step of [steps.whole, steps.pytorch]) {
      expect(step.rc).toBe(1);
      expect(step.out).toMatch(
        /^Error: The export could not be written to .*\/disk\/exports: the disk is full\. Nothing was written\.\n$/,
      );
    }
    // The filler alone: no partial export.
    expect(steps.left).toEqual({ rc: 0, out: '.filler\n' });
  });

  it('a read-only data folder can be looked at and exported; changes are refused in words, and nothing is written', async () => {
    const logDir = tempDir();
    const disk = join(logDir, 'disk');
    const out = join(logDir, 'exports');
    mkdirSync(disk);
    mkdirSync(out);
    expect(
      (await runCli(['train', '--preset', 'small-dense', '--epochs', '1', '--data-dir', join(disk, 'data')])).code,
    ).toBe(0);
    // As a killed process leaves it: still marked running, its worker gone.
    const db = new Database(join(disk, 'data', 'studio.db'));
    db.prepare(`UPDATE runs SET status = 'running', worker_pid = NULL WHERE id = 1`).run();
    db.close();
    const before = readdirSync(join(disk, 'data'), { recursive: true }).sort();
    const sessionScript = join(logDir, 'session.mts');
    writeFileSync(
      sessionScript,
      `import { writeFileSync } from 'node:fs';
       import { openServices } from '${join(root, 'src-main/host/services.ts')}';
       import { createApiHandlers } from '${join(root, 'src-main/host/handlers.ts')}';
       import { spawnNodeWorker } from '${join(root, 'src-main/worker/node-worker.ts')}';
       const [dataDir, csvFile] = process.argv.slice(2);
       const services = openServices({ dataDir, spawnWorker: spawnNodeWorker });
       const api = createApiHandlers(services, { name: 'test', version: 'test', transport: 'browser' });
       const call = async (channel, args) => {
         const result = await api.invoke(channel, args);
         if (!result.ok) throw new Error(result.error.message);
         return result.value;
       };
       const { jobId } = await call('latent:start', { runId: 1, split: 'test', projection: { method: 'pca' } });
       const job = await services.latent.waitFor(jobId);
       if (job.status !== 'completed') throw new Error(job.error ?? job.status);
       writeFileSync(csvFile, (await call('latent:csv', { projectionId: job.projectionId, latent: false })).csv);
       await services.close();`,
    );
    const steps = inMountNamespace(
      logDir,
      disk,
      [`mount --bind "${disk}" "${disk}"`, `mount -o remount,bind,ro "${disk}"`],
      {
        datasets: '$AE datasets',
        runs: '$AE runs',
        run: '$AE run 1',
        train: '$AE train --epochs 1',
        label: '$AE label 1 --name renamed',
        exported: `$AE export-run 1 --out "${out}"`,
        reconstructed: `$AE reconstruct 1 --n 2 --out "${out}/r.png"`,
        embedded: '$AE embed 1 --split test',
        projected: '$AE project 1 --method pca',
        // As the app does it, in one session: a map of the test split, then its CSV for Tableau.
        csv: `"${process.execPath}" --import tsx "${sessionScript}" "${disk}/data" "${out}/map.csv"`,
      },
    );
    expect(steps.datasets).toEqual({
      rc: 0,
      out: expect.stringMatching(/Fashion-MNIST sample .* 8000 train \/ 2000 test/),
    });
    // The run a killed process left running shows as what it is.
    expect(steps.runs).toEqual({ rc: 0, out: expect.stringMatching(/#1\s+interrupted\s+1\/1 epochs/) });
    expect(steps.run.out).toMatch(/epoch\s+1\s+train 0\.\d+\s+test 0\.\d+/);
    for (const refused of [steps.train, steps.label]) {
      expect(refused.rc).toBe(1);
      expect(refused.out).toMatch(
        /The data folder .*\/disk\/data is read-only: .* can be looked at and exported, but not changed/,
      );
    }
    // Looking and exporting work: results and maps are computed into a temporary shadow of the folder.
    for (const name of ['exported', 'reconstructed', 'embedded', 'projected', 'csv'] as const) {
      expect(steps[name], `${name}: ${steps[name].out}`).toMatchObject({ rc: 0 });
    }
    const [exportDir] = readdirSync(out).filter((name) => name.startsWith('run-1-'));
    // Real files, not links into the read-only folder.
    expect(lstatSync(join(out, exportDir, 'store', 'checkpoints', 'epoch-0001', 'weights.bin')).isFile()).toBe(true);
    expect(readFileSync(join(out, 'r.png')).subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(readFileSync(join(out, 'map.csv'), 'utf8').trim().split('\n')).toHaveLength(2001);
    expect(readdirSync(join(disk, 'data'), { recursive: true }).sort()).toEqual(before);
  });

  it.each([
    [
      'a file',
      (dir: string) => (writeFileSync(join(dir, 'data'), 'x'), join(dir, 'data')),
      /The data folder .*data is a file, not a folder/,
    ],
    [
      'under a file',
      (dir: string) => (writeFileSync(join(dir, 'data'), 'x'), join(dir, 'data', 'store')),
      /cannot be made: a part of that path is a file/,
    ],
  ])('a data folder that is %s is refused in words', async (_, makePath, message) => {
    const result = await runCli(['datasets', '--data-dir', makePath(tempDir())]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/EEXIST|ENOTDIR/);
  });
});
