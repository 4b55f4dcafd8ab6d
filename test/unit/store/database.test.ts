import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import BetterSqlite3 from 'better-sqlite3';
import { migrate, openDatabase, schemaVersion } from '../../../src-main/store/database';
import { trainingConfigSchema } from '../../../src-main/models/training-config';
import { planModel } from '../../../src-main/models/model-plan';
import { migrations } from '../../../src-main/store/migrations';
import { insertRun, getRun, finishRun, interruptRun, markRunStarted, requeueRun } from '../../../src-main/store/runs';
import { UserError } from '../../../src-main/api/errors';
import { ChangeFeed, pruneChanges } from '../../../src-main/store/change-feed';
import { insertMetric } from '../../../src-main/store/metrics';
import { renameDataset } from '../../../src-main/store/datasets';
import { insertProject, setCurrentProject } from '../../../src-main/store/projects';
import { createFashionSubset } from '../../helpers/fashion-subset';
import { useTempDirs } from '../../helpers/temp-dir';

describe('experiment store', () => {
  const tempDir = useTempDirs();

  it('creates every table at the latest schema version with WAL and foreign keys on', () => {
    const db = openDatabase(join(tempDir(), 'studio.db'));
    expect(schemaVersion(db)).toBe(migrations.length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    const tables = (
      db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>
    ).map((t) => t.name);
    expect(tables).toEqual(
      expect.arrayContaining(['datasets', 'images', 'runs', 'metrics', 'checkpoints', 'artifacts', 'settings']),
    );
    db.close();
  });

  it('has every table and column described in docs/store.md, and nothing the store lacks', () => {
    const db = openDatabase(join(tempDir(), 'studio.db'));
    const doc = readFileSync(join(process.cwd(), 'docs', 'store.md'), 'utf8');
    const tables = (
      db
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
        .all() as Array<{ name: string }>
    ).map((t) => t.name);
    // Each table is a "### name" section; its columns are the backticked names in its table's first column.
    const sections = new Map(
      doc
        .split(/^### /m)
        .slice(1)
        .map((section) => {
          const [name, ...lines] = section.split('\n');
          const documented = lines
            .filter((line) => line.startsWith('| `'))
            .flatMap((line) => [...line.split('|')[1].matchAll(/`([a-z_]+)`/g)].map((m) => m[1]));
          return [name.trim(), documented.sort()] as const;
        }),
    );
    expect([...sections.keys()].sort()).toEqual(tables);
    for (const table of tables) {
      const columns = (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name);
      expect(sections.get(table), table).toEqual(columns.sort());
    }
    db.close();
  });

  it('keeps data across reopen and does not migrate twice', () => {
    const file = join(tempDir(), 'studio.db');
    const db = openDatabase(file);
    db.prepare(`INSERT INTO settings (key, value) VALUES ('k', 'v')`).run();
    db.close();
    const again = openDatabase(file);
    expect(again.prepare(`SELECT value FROM settings WHERE key = 'k'`).get()).toEqual({ value: 'v' });
    again.close();
  });

  it('keeps maps when codes gain their sample (migration 11 rebuilds the embeddings table under its maps)', () => {
    const file = join(tempDir(), 'studio.db');
    const old = new BetterSqlite3(file);
    old.pragma('foreign_keys = ON');
    migrate(old, 10);
    old.exec(`
      INSERT INTO datasets (id, name, source, status, width, height, channels, class_names, pixel_file, created_at)
        VALUES (1, 'faces', 'x', 'ready', 28, 28, 1, '[]', 'p', 'now');
      INSERT INTO runs (id, dataset_id, name, status, config, created_at) VALUES (1, 1, 'r', 'completed', '{}', 'now');
      INSERT INTO embeddings (id, run_id, epoch, split, count, dims, path, elapsed_ms, created_at)
        VALUES (7, 1, 3, 'test', 100, 16, 'runs/1/latent/e', 5, 'now');
      INSERT INTO projections (id, embedding_id, method, params, path, meta, elapsed_ms, created_at)
        VALUES (9, 7, 'pca', '{}', 'runs/1/latent/m.f32', '{}', 1, 'now');
    `);
    old.close();

    const db = openDatabase(file);
    expect(db.prepare('SELECT id, sample FROM embeddings').all()).toEqual([{ id: 7, sample: '' }]);
    expect(db.prepare('SELECT id, embedding_id AS embeddingId FROM projections').all()).toEqual([
      { id: 9, embeddingId: 7 },
    ]);
    // The same split at the same checkpoint, as a sample, is a second set of codes; deleting the run still cascades.
    db.prepare(
      `INSERT INTO embeddings (run_id, epoch, split, sample, count, dims, path, elapsed_ms, created_at)
       VALUES (1, 3, 'test', 'random:50:1', 50, 16, 'runs/1/latent/s', 1, 'now')`,
    ).run();
    db.prepare('DELETE FROM runs WHERE id = 1').run();
    expect(db.prepare('SELECT count(*) AS n FROM projections').get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT count(*) AS n FROM embeddings').get()).toEqual({ n: 0 });
    db.close();
  });

  it('rewrites runs stored in the first model format to the same architecture in layer lists', () => {
    const file = join(tempDir(), 'studio.db');
    const old = new BetterSqlite3(file);
    migrate(old, 2);
    old
      .prepare(
        `INSERT INTO datasets (id, name, source, status, width, height, channels, class_names, pixel_file, created_at)
         VALUES (1, 'faces', 'x', 'ready', 28, 28, 3, '[]', 'p', 'now')`,
      )
      .run();
    const training = { loss: 'mse', optimizer: 'adam', learningRate: 0.001, batchSize: 64, epochs: 5, seed: 1 };
    const insert = old.prepare(
      `INSERT INTO runs (dataset_id, name, status, config, created_at) VALUES (1, ?, 'stopped', ?, 'now')`,
    );
    insert.run(
      'conv',
      JSON.stringify({
        ...training,
        model: { architecture: 'conv', encoder: [16, 32], latent: 16, activation: 'relu' },
      }),
    );
    insert.run(
      'dense',
      JSON.stringify({
        ...training,
        model: { architecture: 'dense', encoder: [256, 64], latent: 8, activation: 'elu' },
      }),
    );
    old.close();

    const db = openDatabase(file);
    const configs = (db.prepare('SELECT config FROM runs ORDER BY id').all() as Array<{ config: string }>).map((r) =>
      trainingConfigSchema.parse(JSON.parse(r.config)),
    );
    const layers = (i: number) =>
      planModel(configs[i].model, [28, 28, 3]).summary.layers.map((l) => `${l.kind} ${l.outputShape.join('x')}`);
    // The conv run: two stride-2 convs, a 16-D code, back up by transposed convs to the 3-channel image.
    expect(layers(0)).toEqual([
      'InputLayer 28x28x3',
      'Conv2D 14x14x16',
      'Conv2D 7x7x32',
      'Flatten 1568',
      'Dense 16',
      'Dense 1568',
      'Reshape 7x7x32',
      'Conv2DTranspose 14x14x16',
      'Conv2DTranspose 28x28x3',
    ]);
    expect(configs[1].model).toMatchObject({
      activation: 'elu',
      latent: 8,
      decoder: [
        { type: 'dense', units: 64 },
        { type: 'dense', units: 256 },
      ],
    });
    expect(configs[1]).toMatchObject({ ...training, corruption: null, sparsity: null, earlyStopping: null });
    db.close();
  });

  it('refuses a store written by a newer app and leaves it untouched', () => {
    const file = join(tempDir(), 'studio.db');
    const db = openDatabase(file);
    db.pragma('user_version = 999');
    db.close();
    expect(() => openDatabase(file)).toThrowError(/newer Autoencoder Studio/);
    try {
      openDatabase(file);
    } catch (err) {
      expect((err as UserError).code).toBe('store_too_new');
    }
  });

  it('says clearly when the file is not a database', () => {
    const file = join(tempDir(), 'studio.db');
    writeFileSync(file, 'this is not sqlite, just some text that happens to be long enough to have a header');
    expect(() => openDatabase(file)).toThrowError(/not a usable Autoencoder Studio store/);
  });

  it('enforces foreign keys and STRICT column types', () => {
    const db = openDatabase(join(tempDir(), 'studio.db'));
    expect(() => insertRun(db, { datasetId: 42, name: 'orphan', config: '{}' })).toThrow(/FOREIGN KEY/);
    expect(() => db.prepare(`INSERT INTO settings (key, value) VALUES (1, x'00')`).run()).toThrow(/cannot store/);
    db.close();
  });

  it('moves runs only along allowed status changes', () => {
    const db = openDatabase(join(tempDir(), 'studio.db'));
    db.prepare(
      `INSERT INTO datasets (id, name, source, status, width, height, channels, class_names, pixel_file, created_at)
       VALUES (1, 'd', 's', 'ready', 2, 2, 1, '[]', 'p', 'now')`,
    ).run();
    const id = insertRun(db, { datasetId: 1, name: 'r', config: '{}' });
    expect(markRunStarted(db, id, { name: 'wasm', detail: 'WebAssembly' }, 111)).toBe(true);
    expect(markRunStarted(db, id, { name: 'wasm', detail: 'WebAssembly' }, 222)).toBe(false);
    // A different worker cannot interrupt a run it does not own.
    expect(interruptRun(db, id, 222, 'no')).toBe(false);
    expect(interruptRun(db, id, 111, 'worker died')).toBe(true);
    expect(getRun(db, id)).toMatchObject({ status: 'interrupted', error: 'worker died', workerPid: null });
    expect(finishRun(db, id, 'completed')).toBe(false);
    expect(requeueRun(db, id)).toBe(true);
    expect(getRun(db, id)?.status).toBe('queued');
    db.close();
  });

  it('says which runs, datasets and projects changed, whichever connection changed them', () => {
    const dir = tempDir();
    const file = join(dir, 'studio.db');
    const db = openDatabase(file);
    const cli = openDatabase(file);
    const datasetId = createFashionSubset(db, dir, 4, 2);
    const feed = new ChangeFeed(db);
    expect(feed.read()).toBeNull();

    const mine = insertRun(db, { datasetId, name: 'mine', config: '{}' });
    const theirs = insertRun(cli, { datasetId, name: 'from the CLI', config: '{}' });
    expect(feed.read()).toEqual({ runs: [mine, theirs], datasets: [], sweeps: [], latent: [], projects: false });
    expect(feed.read()).toBeNull();

    // A batch's metrics change nothing a list shows; an epoch's do.
    const metric = { step: 1, epoch: 1, trainLoss: 0.1, testLoss: null, imagesPerSec: 1, elapsedMs: 1 };
    insertMetric(cli, theirs, { ...metric, scope: 'batch' });
    expect(feed.read()).toBeNull();
    insertMetric(cli, theirs, { ...metric, scope: 'epoch' });
    renameDataset(cli, datasetId, 'Renamed');
    expect(feed.read()).toMatchObject({ runs: [theirs], datasets: [datasetId], projects: false });

    setCurrentProject(cli, insertProject(cli, 'Second'));
    expect(feed.read()).toMatchObject({ projects: true });

    // A reader that fell behind what the log keeps is told that anything may have changed.
    const late = new ChangeFeed(db);
    insertRun(db, { datasetId, name: 'late', config: '{}' });
    db.prepare('UPDATE changes SET at = at - 7200').run();
    pruneChanges(db);
    expect(db.prepare('SELECT count(*) AS n FROM changes').get()).toEqual({ n: 0 });
    expect(late.read()).toEqual({ runs: null, datasets: null, sweeps: null, latent: null, projects: true });
    expect(late.read()).toBeNull();
    cli.close();
    db.close();
  });
});
