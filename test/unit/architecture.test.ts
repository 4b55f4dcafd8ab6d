import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The layout as a rule: src-main/ is a stack of floors, and code imports only its own floor or those below. The
 * docs/architecture.md's table lists the same floors, top first.
 */
const floors: string[][] = [
  ['electron', 'server', 'cli'], // entry points: the desktop shell, browser mode, the command line
  ['host'], // the composition root: services, the dispatcher for every transport, argument schemas
  ['lab'], // a lab hub and its workers: the queue (pg-boss), the hub's HTTP API, the pulling workers
  ['worker'], // the worker process's entry and protocol, over the services it runs
  ['experiments'],
  ['runs'], // one home for runs: what can be done to them (commands) and asked of them (summaries, detail, compare)
  ['latent'],
  ['evaluation'],
  ['training'], // the run host: store rows, files, progress around a trainer core
  ['trainer'], // the trainer core: pure tfjs, no Node, so it also runs in the desktop app's Chromium GPU worker
  ['models', 'datasets'],
  ['engine'],
  ['store'],
  ['app'], // leaf helpers
  ['api'], // the contract, the client, errors
];

const root = fileURLToPath(new URL('../../', import.meta.url));
const floorOf = new Map(floors.flatMap((names, i) => names.map((name) => [name, floors.length - i] as const)));

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'build' ? [] : sourceFiles(path);
    return /\.(ts|svelte)$/.test(entry.name) ? [path] : [];
  });
}

/** Every relative import of a file, resolved to a repository path. */
function importsOf(file: string): string[] {
  const source = readFileSync(join(root, file), 'utf8');
  const specs = [...source.matchAll(/(?:from\s+|import\s*\(\s*)'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]);
  return specs.map((spec) => {
    const target = normalize(join(dirname(file), spec));
    for (const candidate of [target, `${target}.ts`, join(target, 'index.ts')]) {
      if (existsSync(join(root, candidate)) && /\.(ts|svelte)$/.test(candidate)) return candidate;
    }
    return target;
  });
}

const mainFiles = sourceFiles('src-main');
const folder = (file: string) => relative('src-main', file).split('/')[0];

describe('architecture', () => {
  it('knows every folder of src-main', () => {
    const unknown = [...new Set(mainFiles.map(folder))].filter((f) => !floorOf.has(f));
    expect(unknown).toEqual([]);
  });

  it('imports only from the same floor or below', () => {
    const upward = mainFiles.flatMap((file) =>
      importsOf(file)
        .filter((target) => target.startsWith('src-main/'))
        .filter((target) => floorOf.get(folder(target))! > floorOf.get(folder(file))!)
        .map((target) => `${file} -> ${target}`),
    );
    expect(upward).toEqual([]);
  });

  it('has no import circles', () => {
    const graph = new Map(mainFiles.map((file) => [file, importsOf(file).filter((t) => t.startsWith('src-main/'))]));
    const state = new Map<string, 'visiting' | 'done'>();
    const circles: string[] = [];
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        circles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'visiting');
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of mainFiles) visit(file, []);
    expect(circles).toEqual([]);
  });

  it('keeps the renderer and preload on the contract: they import only src-main/api/ (and the one CSV writer)', () => {
    const allowed = (file: string, target: string) =>
      target.startsWith('src-main/api/') ||
      target === 'src-main/app/csv.ts' ||
      // The hidden GPU window's worker runs the trainer core on Chromium's WebGPU.
      (file.startsWith('src-renderer/gpu-host/') &&
        (target.startsWith('src-main/trainer/') || target === 'src-main/engine/webgpu-device.ts'));
    const reaching = [...sourceFiles('src-renderer'), ...sourceFiles('src-preload')].flatMap((file) =>
      importsOf(file)
        .filter((target) => target.startsWith('src-main/') && !allowed(file, target))
        .map((target) => `${file} -> ${target}`),
    );
    expect(reaching).toEqual([]);
  });

  it('keeps tfjs out of the run host: src-main/training/ names tfjs only as types, and calls no trainer internals', () => {
    const reaching = sourceFiles('src-main/training').flatMap((file) => {
      const source = readFileSync(join(root, file), 'utf8');
      const valueImports = [...source.matchAll(/^import (?!type )[^;]*from '(@tensorflow\/[^']+)'/gm)].map((m) => m[1]);
      const internals = importsOf(file).filter((t) => /trainer\/(model-state|batch-norm-statistics)\.ts$/.test(t));
      return [...valueImports, ...internals].map((target) => `${file} -> ${target}`);
    });
    expect(reaching).toEqual([]);
  });

  it('keeps the trainer core free of Node: nothing it imports, however deep, uses a Node module or global', () => {
    const webPackages = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu', 'zod'];
    const seen = new Set<string>();
    const queue = [...sourceFiles('src-main/trainer'), ...sourceFiles('src-renderer/gpu-host')];
    const problems: string[] = [];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const source = readFileSync(join(root, file), 'utf8');
      for (const [, spec] of source.matchAll(/(?:from\s+|import\s*\(\s*)'([^'.][^']*)'/g)) {
        if (!webPackages.includes(spec)) problems.push(`${file} imports ${spec}`);
      }
      // Code, not comments: a Node global named in a comment is harmless.
      const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      for (const global of [/\bprocess\./, /\bBuffer\./, /\brequire\(/, /\b__dirname\b/]) {
        if (global.test(code)) problems.push(`${file} uses ${global.source}`);
      }
      queue.push(...importsOf(file));
    }
    expect(seen.size).toBeGreaterThan(10);
    expect(problems).toEqual([]);
  });

  it('keeps every source file short enough to read: none over 450 lines', () => {
    const folders = ['src-main', 'src-renderer', 'src-preload', 'test', 'bench', 'scripts'];
    const long = folders
      .flatMap((dir) => sourceFiles(dir))
      .map((file) => ({ file, lines: readFileSync(join(root, file), 'utf8').split('\n').length }))
      .filter(({ lines }) => lines > 450)
      .map(({ file, lines }) => `${file}: ${lines} lines`);
    expect(long).toEqual([]);
  });
});
