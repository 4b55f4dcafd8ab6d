import { execFileSync, spawn } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeUserFile } from '../../../src-main/app/user-file';
import { useTempDirs } from '../../helpers/temp-dir';

/** What --out does with whatever the user names: it writes there, and never turns a special file into a plain one. */
describe('writing a file the user named', () => {
  const tempDir = useTempDirs();
  const bytes = Buffer.from('file_name,x1,x2\na.png,1,2\n');

  it('writes a new or regular file whole, leaving no temporary behind', () => {
    const dir = tempDir();
    writeUserFile(join(dir, 'map.csv'), bytes);
    writeFileSync(join(dir, 'old.csv'), 'old');
    writeUserFile(join(dir, 'old.csv'), bytes);
    expect(readFileSync(join(dir, 'old.csv'))).toEqual(bytes);
    expect(readdirSync(dir).sort()).toEqual(['map.csv', 'old.csv']);
  });

  it('writes through a link to the file it points to, and the link stays a link', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'real.csv'), 'old');
    symlinkSync(join(dir, 'real.csv'), join(dir, 'link.csv'));
    writeUserFile(join(dir, 'link.csv'), bytes);
    expect(lstatSync(join(dir, 'link.csv')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'real.csv'))).toEqual(bytes);
    symlinkSync(join(dir, 'gone.csv'), join(dir, 'dangling.csv'));
    expect(() => writeUserFile(join(dir, 'dangling.csv'), bytes)).toThrow(
      `${join(dir, 'dangling.csv')} is a link to a file that does not exist.`,
    );
  });

  it('writes to a pipe and to a character device in place: they stay what they are', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo]);
    const received = new Promise<string>((resolve) => {
      let text = '';
      reader.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      reader.on('exit', () => resolve(text));
    });
    writeUserFile(fifo, bytes);
    expect(await received).toBe(bytes.toString());
    expect(statSync(fifo).isFIFO()).toBe(true);

    writeUserFile('/dev/null', bytes);
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
    // As root, the old code turned /dev/full into a PNG; now the device says it is full, in words.
    expect(() => writeUserFile('/dev/full', bytes, 'The picture')).toThrow(
      'The picture could not be written to /dev/full: the disk is full. Nothing was written.',
    );
    expect(statSync('/dev/full').isCharacterDevice()).toBe(true);
  });

  it('refuses a folder, or a file in a folder that does not exist, in words', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'maps'));
    expect(() => writeUserFile(join(dir, 'maps'), bytes)).toThrow(
      `${join(dir, 'maps')} is a folder; name a file in it (e.g. ${join(dir, 'maps')}/out.csv).`,
    );
    expect(() => writeUserFile(join(dir, 'missing', 'map.csv'), bytes)).toThrow(
      `The folder ${join(dir, 'missing')} does not exist; create it first, or name another.`,
    );
    writeFileSync(join(dir, 'plain'), '');
    expect(() => writeUserFile(join(dir, 'plain', 'map.csv'), bytes)).toThrow(
      `${join(dir, 'plain')} is a file, not a folder.`,
    );
  });
});
