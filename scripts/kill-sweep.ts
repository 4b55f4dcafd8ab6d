/**
 * Kill sweep: starts each long command of the CLI (import, train, sweep, embed, project, export-run, import-run, the
 * export for PyTorch, delete-run, free-space) as a real process, SIGKILLs it (with its workers) at a random moment,
 * then checks what the docs promise (docs/user-guide.md): the store is intact, nothing half-written is left behind, nothing on disk is
 * left without its row, and the interrupted job can be finished.
 *
 *   npm run check:kills -- [--trials 3] [--minutes 10] [--seed 1] [--keep]
 *
 * Bounded in time: it stops starting trials after --minutes. Exit code 0 when every trial passed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { seededRandom } from '../src-main/app/random';
import { isTemporaryName } from '../src-main/app/files';

const bin = fileURLToPath(new URL('../bin/ae-studio.mjs', import.meta.url));
const fashion = '/usr/share/datasets/fashion-mnist';

export interface KillSweepOptions {
  trials: number;
  minutes: number;
  seed: number;
  keep?: boolean;
  log?: (line: string) => void;
}

export interface TrialResult {
  operation: string;
  killedAfterMs: number;
  problems: string[];
}

interface Context {
  dataDir: string;
  outDir: string;
  /** A finished run to embed, project and export; an exported run folder to import. */
  baseRun: number;
  exported: string;
  /** A run of its own for this trial to delete or thin (prepare makes it). */
  victim?: number;
}

interface Operation {
  name: string;
  /** Makes what this trial works on (a copy of the base run to delete, say), before the command starts. */
  prepare?(ctx: Context): Context;
  args(ctx: Context): string[];
  /** Finishes what the kill interrupted; returns problems. */
  finish(ctx: Context, before: Snapshot): string[];
}

function cli(dataDir: string, args: string[]): { code: number; out: string } {
  const result = spawnSync(process.execPath, [bin, ...args, '--data-dir', dataDir], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  return { code: result.status ?? 1, out: `${result.stdout}${result.stderr}` };
}

function must(dataDir: string, args: string[]): string {
  const { code, out } = cli(dataDir, args);
  if (code !== 0) throw new Error(`ae-studio ${args.join(' ')} failed (${code}): ${out}`);
  return out;
}

interface Snapshot {
  runs: number;
  datasets: number;
  sweeps: number;
  embeddings: number;
  projections: number;
}

function snapshot(dataDir: string): Snapshot {
  const db = new Database(join(dataDir, 'studio.db'), { readonly: true });
  try {
    const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return {
      runs: count('runs'),
      datasets: count('datasets'),
      sweeps: count('sweeps'),
      embeddings: count('embeddings'),
      projections: count('projections'),
    };
  } finally {
    db.close();
  }
}

const ok = (result: { code: number; out: string }, what: string): string[] =>
  result.code === 0 ? [] : [`${what} failed after the kill: ${result.out.trim().split('\n').at(-1)}`];

/** The newest run's id. */
function newestRun(dataDir: string): number {
  const db = new Database(join(dataDir, 'studio.db'), { readonly: true });
  try {
    return (db.prepare('SELECT max(id) AS id FROM runs').get() as { id: number }).id;
  } finally {
    db.close();
  }
}

/** A run's status; undefined once it is deleted. */
function statusOf(dataDir: string, runId: number): string | undefined {
  const db = new Database(join(dataDir, 'studio.db'), { readonly: true });
  try {
    return (db.prepare('SELECT status FROM runs WHERE id = ?').get(runId) as { status: string } | undefined)?.status;
  } finally {
    db.close();
  }
}

const operations: Operation[] = [
  {
    name: 'import',
    args: () => ['import-builtin', 'fashion-mnist', '--from', fashion, '--name', 'Killed import'],
    finish: ({ dataDir }) =>
      ok(
        cli(dataDir, ['import-builtin', 'fashion-mnist', '--from', fashion, '--name', `Again ${Date.now()}`]),
        'import',
      ),
  },
  {
    name: 'train',
    args: () => ['train', '--preset', 'small-dense', '--epochs', '3', '--batch', '128', '--name', 'Killed run'],
    finish: ({ dataDir }, before) => {
      const runId = newestRun(dataDir);
      if (runId <= before.runs) return []; // killed before the run was stored: nothing to finish
      if (statusOf(dataDir, runId) === 'completed') return [];
      const problems = ok(cli(dataDir, ['resume', String(runId)]), `resume ${runId}`);
      const status = statusOf(dataDir, runId);
      return status === 'completed' ? problems : [...problems, `run ${runId} is ${status} after resume`];
    },
  },
  {
    name: 'sweep',
    args: () => ['sweep', '--preset', 'small-dense', '--epochs', '1', '--batch', '256', '--vary', 'latent=2,4,8'],
    finish: ({ dataDir }, before) => {
      const after = snapshot(dataDir);
      if (after.sweeps <= before.sweeps) return [];
      return ok(cli(dataDir, ['resume-sweep', String(after.sweeps)]), `resume-sweep ${after.sweeps}`);
    },
  },
  {
    name: 'embed',
    args: ({ baseRun }) => ['embed', String(baseRun), '--split', 'all'],
    finish: ({ dataDir, baseRun }) => ok(cli(dataDir, ['embed', String(baseRun), '--split', 'all']), 'embed'),
  },
  {
    name: 'project',
    args: ({ baseRun }) => ['project', String(baseRun), '--method', 'tsne', '--iterations', '300'],
    finish: ({ dataDir, baseRun }) =>
      ok(cli(dataDir, ['project', String(baseRun), '--method', 'tsne', '--iterations', '300']), 'project'),
  },
  {
    name: 'export-run',
    args: ({ baseRun, outDir }) => ['export-run', String(baseRun), '--out', outDir],
    finish: ({ dataDir, baseRun, outDir }) => {
      // A kill after the rename leaves a finished export; the next export then needs a folder of its own.
      const out = join(outDir, `again-${Date.now()}`);
      mkdirSync(out);
      return ok(cli(dataDir, ['export-run', String(baseRun), '--out', out]), 'export-run');
    },
  },
  {
    name: 'import-run',
    // The export comes from this same store, where its run already is: --again imports it as a copy.
    args: ({ exported }) => ['import-run', exported, '--again'],
    finish: ({ dataDir, exported }) => ok(cli(dataDir, ['import-run', exported, '--again']), 'import-run'),
  },
  {
    name: 'export-pytorch',
    args: ({ baseRun, outDir }) => ['export-run', String(baseRun), '--out', outDir, '--format', 'pytorch'],
    finish: ({ dataDir, baseRun, outDir }) => {
      const out = join(outDir, `again-${Date.now()}`);
      mkdirSync(out);
      return ok(cli(dataDir, ['export-run', String(baseRun), '--out', out, '--format', 'pytorch']), 'export-pytorch');
    },
  },
  {
    name: 'delete-run',
    prepare: (ctx) => ({ ...ctx, victim: importCopy(ctx) }),
    args: ({ victim }) => ['delete-run', String(victim)],
    // Killed before the row went: the run is whole, and deleting it again finishes the job.
    finish: ({ dataDir, victim }) =>
      statusOf(dataDir, victim!) === undefined ? [] : ok(cli(dataDir, ['delete-run', String(victim)]), 'delete-run'),
  },
  {
    name: 'free-space',
    prepare: (ctx) => ({ ...ctx, victim: importCopy(ctx) }),
    args: ({ victim }) => ['free-space', String(victim)],
    finish: ({ dataDir, victim }) => ok(cli(dataDir, ['free-space', String(victim)]), 'free-space'),
  },
];

/** A copy of the base run (imported from its export), for a trial to delete or thin. */
function importCopy(ctx: Context): number {
  must(ctx.dataDir, ['import-run', ctx.exported, '--again']);
  return newestRun(ctx.dataDir);
}

/** Files and folders whose name marks an unfinished write. */
function temporaries(dir: string, found: string[] = []): string[] {
  if (!existsSync(dir)) return found;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (isTemporaryName(name)) found.push(path);
    else if (statSync(path).isDirectory()) temporaries(path, found);
  }
  return found;
}

/** What must hold after any kill once the next command has started: an intact store and no leftovers. */
function checkStore(ctx: Context): string[] {
  const problems: string[] = [];
  const db = new Database(join(ctx.dataDir, 'studio.db'), { readonly: true });
  try {
    const integrity = db.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') problems.push(`integrity check: ${String(integrity)}`);
    const foreign = db.pragma('foreign_key_check') as unknown[];
    if (foreign.length) problems.push(`${foreign.length} rows break foreign keys`);
    const stuck = db.prepare(`SELECT id, status FROM runs WHERE status IN ('queued', 'running')`).all() as Array<{
      id: number;
      status: string;
    }>;
    for (const run of stuck) problems.push(`run ${run.id} is still ${run.status}`);
    const importing = db.prepare(`SELECT count(*) AS n FROM datasets WHERE status = 'importing'`).get() as {
      n: number;
    };
    if (importing.n) problems.push(`${importing.n} datasets still marked importing`);
    const files: Array<{ what: string; path: string }> = [
      ...(db.prepare('SELECT path FROM checkpoints').all() as Array<{ path: string }>).map((r) => ({
        what: 'checkpoint',
        path: join(r.path, 'weights.bin'),
      })),
      ...(db.prepare('SELECT path FROM artifacts').all() as Array<{ path: string }>).map((r) => ({
        what: 'gallery',
        ...r,
      })),
      // An embedding's path names three files: codes, their image positions and their errors.
      ...(db.prepare('SELECT path FROM embeddings').all() as Array<{ path: string }>).flatMap((r) =>
        ['f32', 'idx', 'err'].map((ext) => ({ what: 'codes', path: `${r.path}.${ext}` })),
      ),
      ...(db.prepare('SELECT path FROM projections').all() as Array<{ path: string }>).map((r) => ({
        what: 'map',
        ...r,
      })),
      ...(
        db.prepare(`SELECT pixel_file AS path FROM datasets WHERE status = 'ready'`).all() as Array<{
          path: string;
        }>
      ).map((r) => ({ what: 'pixels', ...r })),
    ];
    for (const file of files) {
      if (!existsSync(join(ctx.dataDir, file.path))) problems.push(`${file.what} file missing: ${file.path}`);
    }
    // Nothing on disk that no row names: no run folder without its run, no checkpoint a finished run does not keep.
    const runIds = new Set((db.prepare('SELECT id FROM runs').all() as Array<{ id: number }>).map((r) => r.id));
    const runsDir = join(ctx.dataDir, 'runs');
    for (const name of existsSync(runsDir) ? readdirSync(runsDir) : []) {
      if (/^\d+$/.test(name) && !runIds.has(Number(name))) problems.push(`a run folder with no run: runs/${name}`);
    }
    const kept = new Set(
      (db.prepare('SELECT path FROM checkpoints').all() as Array<{ path: string }>).map((r) => r.path),
    );
    for (const id of runIds) {
      const dir = join('runs', String(id), 'checkpoints');
      for (const name of existsSync(join(ctx.dataDir, dir)) ? readdirSync(join(ctx.dataDir, dir)) : []) {
        if (/^epoch-\d+(-batch-\d+)?$/.test(name) && !kept.has(join(dir, name)))
          problems.push(`an unkept checkpoint: ${join(dir, name)}`);
      }
    }
  } finally {
    db.close();
  }
  for (const leftover of [...temporaries(ctx.dataDir), ...temporaries(ctx.outDir)]) {
    problems.push(`left behind: ${leftover}`);
  }
  return problems;
}

function killAfter(ctx: Context, args: string[], ms: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args, '--data-dir', ctx.dataDir], {
      stdio: 'ignore',
      detached: true,
    });
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // It had already finished.
      }
    }, ms);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** How long an operation takes when left alone, so kills land anywhere in it. */
function timeOperation(ctx: Context, op: Operation): number {
  const prepared = op.prepare?.(ctx) ?? ctx;
  const started = performance.now();
  must(ctx.dataDir, op.args(prepared));
  return performance.now() - started;
}

export async function killSweep(options: KillSweepOptions): Promise<TrialResult[]> {
  const log = options.log ?? (() => {});
  const root = mkdtempSync(join(tmpdir(), 'ae-studio-kill-sweep-'));
  const dataDir = join(root, 'data');
  const outDir = join(root, 'exports');
  mkdirSync(outDir, { recursive: true });
  const deadline = Date.now() + options.minutes * 60_000;
  const random = seededRandom(options.seed);
  const results: TrialResult[] = [];
  try {
    must(dataDir, ['train', '--preset', 'small-dense', '--epochs', '2', '--batch', '128', '--name', 'Base run']);
    const baseRun = newestRun(dataDir);
    must(dataDir, ['embed', String(baseRun), '--split', 'all']);
    const exportsOfBase = join(root, 'base-export');
    mkdirSync(exportsOfBase);
    must(dataDir, ['export-run', String(baseRun), '--out', exportsOfBase]);
    const ctx: Context = { dataDir, outDir, baseRun, exported: join(exportsOfBase, readdirSync(exportsOfBase)[0]) };

    for (const op of operations) {
      if (Date.now() > deadline) break;
      // Export-run needs an empty folder each time: its output is named after the run.
      const timed = { ...ctx, outDir: join(outDir, `timing-${op.name}`) };
      mkdirSync(timed.outDir);
      const durationMs = timeOperation(timed, op);
      log(`${op.name}: ${Math.round(durationMs)} ms when left alone`);
      for (let trial = 0; trial < options.trials && Date.now() < deadline; trial++) {
        const unprepared = { ...ctx, outDir: join(outDir, `${op.name}-${trial}`) };
        mkdirSync(unprepared.outDir);
        const trialCtx = op.prepare?.(unprepared) ?? unprepared;
        const before = snapshot(dataDir);
        // Anywhere from process start-up to just before the end.
        const killedAfterMs = Math.round(100 + random() * Math.max(0, durationMs - 100));
        await killAfter(trialCtx, op.args(trialCtx), killedAfterMs);
        // The next command's start-up cleans up after the dead one; then the job is finished.
        const start = cli(dataDir, ['runs']);
        const problems = start.code === 0 ? [] : [`the next start failed: ${start.out}`];
        problems.push(...op.finish(trialCtx, before), ...checkStore(trialCtx));
        results.push({ operation: op.name, killedAfterMs, problems });
        log(`${op.name} killed after ${killedAfterMs} ms: ${problems.length ? problems.join('; ') : 'ok'}`);
      }
    }
    return results;
  } finally {
    if (!options.keep) rmSync(root, { recursive: true, force: true });
    else log(`Kept ${root}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      trials: { type: 'string', default: '3' },
      minutes: { type: 'string', default: '10' },
      seed: { type: 'string', default: '1' },
      keep: { type: 'boolean', default: false },
    },
  });
  const results = await killSweep({
    trials: Number(values.trials),
    minutes: Number(values.minutes),
    seed: Number(values.seed),
    keep: values.keep,
    log: (line) => console.log(line),
  });
  const failed = results.filter((r) => r.problems.length);
  console.log(`${results.length} kills, ${failed.length} with problems.`);
  process.exit(failed.length ? 1 : 0);
}
