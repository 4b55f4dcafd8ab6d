import type { Database } from 'better-sqlite3';

/**
 * Run configs move from the first model format ({architecture, encoder: number[], latent, activation}, always
 * mirrored) to explicit layer lists with denoising, sparsity, VAE and early-stopping settings. Old configs are
 * rewritten to the same architecture in the new format, so old runs still show, resume and compare. Runs also get a
 * note, for what the app wants to say about how a run ended (e.g. stopped early).
 */
interface OldConfig {
  model: { architecture: 'dense' | 'conv'; encoder: number[]; latent: number; activation: string };
  [key: string]: unknown;
}

function convert(old: OldConfig, channels: number): object {
  const { architecture, encoder, latent, activation } = old.model;
  const conv = (type: 'conv' | 'deconv', filters: number) => ({ type, filters, kernel: 3, stride: 2, padding: 'same' });
  const model =
    architecture === 'dense'
      ? {
          encoder: encoder.map((units) => ({ type: 'dense', units })),
          decoder: [...encoder].reverse().map((units) => ({ type: 'dense', units })),
        }
      : {
          encoder: encoder.map((filters) => conv('conv', filters)),
          decoder: [...[...encoder].reverse().slice(1), channels].map((filters) => conv('deconv', filters)),
        };
  return {
    ...old,
    model: {
      variant: 'standard',
      latent,
      latentActivation: 'linear',
      activation,
      outputActivation: 'sigmoid',
      ...model,
    },
    corruption: null,
    sparsity: null,
    klWeight: 1,
    earlyStopping: null,
  };
}

export function up(db: Database): void {
  db.exec('ALTER TABLE runs ADD COLUMN note TEXT');
  const rows = db
    .prepare('SELECT runs.id, runs.config, datasets.channels FROM runs JOIN datasets ON datasets.id = runs.dataset_id')
    .all() as Array<{ id: number; config: string; channels: number }>;
  const update = db.prepare('UPDATE runs SET config = ? WHERE id = ?');
  for (const row of rows) {
    const config = JSON.parse(row.config) as OldConfig;
    if (typeof config.model?.architecture === 'string')
      update.run(JSON.stringify(convert(config, row.channels)), row.id);
  }
}
