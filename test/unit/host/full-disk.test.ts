import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../helpers/temp-dir';
import { cliBin } from '../../helpers/cli-process';

/**
 * A full disk, for real: a 40 MB tmpfs mounted in a private mount namespace (unshare, so no root is needed and
 * nothing outside the test sees it), the data folder on it, and the CLI run step by step inside. Each step's output
 * is written outside the tmpfs for the assertions below.
 */
function onSmallDisk(logDir: string, steps: Record<string, string>): Record<string, { rc: number; out: string }> {
  const disk = join(logDir, 'disk');
  mkdirSync(disk);
  const node = `"${process.execPath}" "${cliBin}" --data-dir "${disk}/data"`;
  const lines = ['set -u', `mount -t tmpfs -o size=40m tmpfs "${disk}"`];
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

describe('a full disk', () => {
  const tempDir = useTempDirs();

  it('is named as such, loses nothing, and everything works again once space is freed', () => {
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
});
