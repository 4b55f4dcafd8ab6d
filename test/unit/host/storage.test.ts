import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../helpers/temp-dir';
import { cliBin, runCli } from '../../helpers/cli-process';

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

  it('a read-only data folder is listed as it is; changes are refused in words, and nothing is written', async () => {
    const logDir = tempDir();
    const disk = join(logDir, 'disk');
    mkdirSync(disk);
    expect(
      (await runCli(['train', '--preset', 'small-dense', '--epochs', '1', '--data-dir', join(disk, 'data')])).code,
    ).toBe(0);
    const before = readdirSync(join(disk, 'data')).sort();
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
      },
    );
    expect(steps.datasets).toEqual({
      rc: 0,
      out: expect.stringMatching(/Fashion-MNIST sample .* 8000 train \/ 2000 test/),
    });
    expect(steps.runs).toEqual({ rc: 0, out: expect.stringMatching(/#1\s+completed\s+1\/1 epochs/) });
    expect(steps.run.out).toMatch(/epoch\s+1\s+train 0\.\d+\s+test 0\.\d+/);
    for (const refused of [steps.train, steps.label]) {
      expect(refused.rc).toBe(1);
      expect(refused.out).toMatch(/The data folder .* is read-only: .* can be looked at and exported, but not changed/);
    }
    expect(readdirSync(join(disk, 'data')).sort()).toEqual(before);
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
