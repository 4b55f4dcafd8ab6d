import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { UserError } from '../api/errors';
import type { Split } from '../store/datasets';
import type { SkippedFile } from '../api/contract';

export type FolderLayout = 'class-folders' | 'train-test-folders';

export interface ScannedFile {
  /** Path relative to the imported folder, with forward slashes (what the user recognises). */
  path: string;
  absolutePath: string;
  className: string;
  /** Set when the folder itself is split into train/ and test/. */
  split?: Split;
}

export interface FolderScan {
  layout: FolderLayout;
  classNames: string[];
  files: ScannedFile[];
  skipped: SkippedFile[];
  /** Files under the class folders left out on request, by class (counted, not read). */
  excludedFiles: Record<string, number>;
}

/** Regular files under `dir`, at any depth, without following links: what excluding its class leaves out. */
async function countFiles(dir: string): Promise<number> {
  let count = 0;
  for (const entry of await listDir(dir).catch(() => [])) {
    if (entry.isDir && !entry.isLink) count += await countFiles(entry.path);
    else if (entry.isFile) count++;
  }
  return count;
}

const trainNames = new Set(['train', 'training']);
const testNames = new Set(['test', 'testing', 'val', 'valid', 'validation']);
/** Refuses folders so large that their file list alone would be a problem. */
const maxFiles = 2_000_000;

interface DirEntry {
  name: string;
  path: string;
  isDir: boolean;
  isFile: boolean;
  isLink: boolean;
  /** A pipe, device or socket: never an image. */
  isSpecial: boolean;
  /** The name's bytes are not UTF-8, so no path string can name it (an old or foreign system wrote it). */
  badName: boolean;
}

async function listDir(dir: string): Promise<DirEntry[]> {
  // Raw bytes, not names decoded with replacement characters that point nowhere.
  const entries = (await readdir(dir, { withFileTypes: true, encoding: 'buffer' })).map((entry) => {
    const raw = entry.name;
    const name = raw.toString('utf8');
    return {
      name,
      path: join(dir, name),
      isDir: entry.isDirectory(),
      isFile: entry.isFile(),
      isLink: entry.isSymbolicLink(),
      isSpecial: entry.isFIFO() || entry.isSocket() || entry.isBlockDevice() || entry.isCharacterDevice(),
      badName: !Buffer.from(name, 'utf8').equals(raw),
    };
  });
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const badNameReason =
  "its name is not valid UTF-8 text (written with another system's encoding); rename it to import it";
const specialReason = 'not a regular file (a pipe, device or socket)';
const linkIntoTreeReason = 'link to a place inside the imported folder (imported once, from where it really is)';

/**
 * Finds the images of an image folder: one sub-folder per class (images in deeper folders belong to their top class
 * folder), optionally under top-level train/ and test/ folders. A symbolic link to somewhere inside the imported
 * folder is skipped (the images there are imported once, under the class of their real place, whichever is visited
 * first); a link to outside it is followed, but never into a folder already visited, so link loops end. Problems
 * become entries in `skipped`, not failures.
 */
export async function scanImageFolder(root: string, exclude: readonly string[] = []): Promise<FolderScan> {
  await requireFolder(root);

  const top = await listDir(root);
  const topDirs: typeof top = [];
  for (const entry of top) if (!entry.badName && (await isDirectory(entry))) topDirs.push(entry);
  const train = topDirs.find((d) => trainNames.has(d.name.toLowerCase()));
  const test = topDirs.find((d) => testNames.has(d.name.toLowerCase()));
  const layout: FolderLayout = train && test ? 'train-test-folders' : 'class-folders';

  const skipped: SkippedFile[] = [];
  const files: ScannedFile[] = [];
  const realRoot = await realpath(root);
  const visited = new Set<string>([realRoot]);
  const rel = (path: string) => relative(root, path).split(sep).join('/');
  const insideTree = (real: string) => real === realRoot || real.startsWith(realRoot + sep);

  const classRoots: Array<{ dir: string; className: string; split?: Split; isLink: boolean }> = [];
  const note = (entries: typeof top, where: string) => {
    for (const entry of entries)
      if (!topDirs.includes(entry) && !entry.name.startsWith('.'))
        skipped.push({
          path: rel(entry.path),
          reason: entry.badName ? badNameReason : `not inside a class folder (${where})`,
        });
  };
  if (layout === 'train-test-folders') {
    note(top, 'files must be in train/<class>/ or test/<class>/');
    for (const [splitDir, split] of [
      [train!, 'train'],
      [test!, 'test'],
    ] as const) {
      for (const entry of await listDir(splitDir.path)) {
        if (await isDirectory(entry))
          classRoots.push({ dir: entry.path, className: entry.name, split, isLink: entry.isLink });
        else if (!entry.name.startsWith('.'))
          skipped.push({
            path: rel(entry.path),
            reason: `not inside a class folder (put it in ${splitDir.name}/<class>/)`,
          });
      }
    }
    for (const other of topDirs.filter((d) => d !== train && d !== test))
      skipped.push({ path: `${rel(other.path)}/`, reason: 'folder beside train/ and test/ is ignored' });
  } else {
    note(top, 'put each image in a sub-folder named after its class');
    for (const dir of topDirs) classRoots.push({ dir: dir.path, className: dir.name, isLink: dir.isLink });
  }

  const excluded = new Set(exclude);
  const classNames = [...new Set(classRoots.map((c) => c.className))].filter((name) => !excluded.has(name)).sort();
  for (const name of exclude) {
    if (!classRoots.some((c) => c.className === name)) {
      throw new UserError(
        'invalid_argument',
        `There is no class folder "${name}" to exclude. Classes: ${[...new Set(classRoots.map((c) => c.className))].join(', ')}.`,
      );
    }
  }
  if (classNames.length === 0) {
    throw new UserError(
      'invalid_argument',
      `No class folders found in ${root}. Put the images in one sub-folder per class (for example happy/ and angry/), optionally under train/ and test/.`,
    );
  }

  async function walk(dir: string, classRoot: (typeof classRoots)[number]): Promise<void> {
    let entries;
    try {
      entries = await listDir(dir);
    } catch (err) {
      skipped.push({
        path: `${rel(dir)}/`,
        reason: `folder cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      });
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.') && entry.isDir) continue;
      if (entry.badName) {
        skipped.push({ path: rel(entry.path), reason: badNameReason });
        continue;
      }
      if (entry.isSpecial) {
        skipped.push({ path: rel(entry.path), reason: specialReason });
        continue;
      }
      const isDir = await isDirectory(entry);
      const real = entry.isLink || isDir ? await realpath(entry.path).catch(() => undefined) : undefined;
      if (entry.isLink && real && insideTree(real)) {
        skipped.push({ path: isDir ? `${rel(entry.path)}/` : rel(entry.path), reason: linkIntoTreeReason });
        continue;
      }
      if (isDir) {
        if (!real || visited.has(real)) {
          skipped.push({
            path: `${rel(entry.path)}/`,
            reason: real ? 'link to a folder already imported (link loop)' : 'broken link',
          });
          continue;
        }
        visited.add(real);
        await walk(entry.path, classRoot);
      } else if (entry.isFile || entry.isLink) {
        if (files.length >= maxFiles)
          throw new UserError(
            'invalid_argument',
            `${root} holds more than ${maxFiles.toLocaleString('en-US')} files; import a smaller folder.`,
          );
        files.push({
          path: rel(entry.path),
          absolutePath: entry.path,
          className: classRoot.className,
          ...(classRoot.split ? { split: classRoot.split } : {}),
        });
      }
    }
  }

  const excludedFiles: Record<string, number> = {};
  for (const classRoot of classRoots) {
    if (excluded.has(classRoot.className)) {
      excludedFiles[classRoot.className] =
        (excludedFiles[classRoot.className] ?? 0) + (await countFiles(classRoot.dir));
      continue;
    }
    const real = await realpath(classRoot.dir).catch(() => undefined);
    if (!real) {
      skipped.push({ path: `${rel(classRoot.dir)}/`, reason: 'broken link' });
      continue;
    }
    if (classRoot.isLink && insideTree(real)) {
      skipped.push({ path: `${rel(classRoot.dir)}/`, reason: linkIntoTreeReason });
      continue;
    }
    visited.add(real);
    await walk(classRoot.dir, classRoot);
  }
  return { layout, classNames, files, skipped, excludedFiles };
}

/** Throws a UserError unless `path` is a readable folder. */
export async function requireFolder(path: string): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(
      'file_error',
      code === 'ENOENT' ? `The folder ${path} does not exist.` : `The folder ${path} cannot be read (${code}).`,
    );
  }
  if (!info.isDirectory()) {
    throw new UserError(
      'invalid_argument',
      `${path} is a file, not a folder. Choose the folder that holds one sub-folder per class.`,
    );
  }
}

async function isDirectory(entry: { path: string; isDir: boolean; isLink: boolean }): Promise<boolean> {
  if (entry.isDir) return true;
  if (!entry.isLink) return false;
  return (await stat(entry.path).catch(() => undefined))?.isDirectory() ?? false;
}
